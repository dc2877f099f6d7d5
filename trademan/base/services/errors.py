"""Errors raised by the services besides django.core.exceptions.ValidationError (400)."""


class ServiceError(Exception):
    code = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConflictError(ServiceError):
    """The request contradicts what is stored (same key, different content; a final status)."""

    code = "conflict"


class NotFoundError(ServiceError):
    code = "not_found"
