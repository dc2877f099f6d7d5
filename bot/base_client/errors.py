"""Errors of the Base client: the Base is either unreachable or it said no."""

from __future__ import annotations


class BaseError(Exception):
    """Any failure talking to the Base."""


class BaseUnavailable(BaseError):
    """No usable answer: network error, timeout, or a 5xx. Safe to retry later (every write the
    engine makes is idempotent)."""


class BaseRejected(BaseError):
    """The Base answered with a 4xx: the request itself is wrong (validation, auth, conflict).
    `message` is the Base's own explanation; `fields` its per-field errors."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        fields: dict[str, list[str]] | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields or {}
