"""One error shape for the whole API: {"error": {"code", "message", "fields"?}}."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler

from trademan.base.services.errors import ConflictError, NotFoundError

log = logging.getLogger(__name__)

CODES = {
    400: "validation_error",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    415: "unsupported_media_type",
    429: "throttled",
    503: "unavailable",
}


class Unavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "unavailable"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


def error_body(
    code: str, message: str, fields: dict[str, list[str]] | None = None
) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if fields is not None:
        error["fields"] = fields
    return {"error": error}


def flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF error detail (nested dicts/lists) -> {"field" or "items.3.lot": [messages]}."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            for field, messages in flatten(value, name).items():
                out.setdefault(field, []).extend(messages)
    elif isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            out.setdefault(prefix or "non_field_errors", []).extend(str(i) for i in detail)
        else:
            for index, item in enumerate(detail):
                if item:
                    name = f"{prefix}.{index}" if prefix else str(index)
                    for field, messages in flatten(item, name).items():
                        out.setdefault(field, []).extend(messages)
    else:
        out.setdefault(prefix or "non_field_errors", []).append(str(detail))
    return out


def _translate(exc: Exception) -> Exception:
    if isinstance(exc, DjangoValidationError):
        return exceptions.ValidationError(detail=as_serializer_error(exc))
    if isinstance(exc, ConflictError):
        return Conflict(detail=exc.message)
    if isinstance(exc, NotFoundError):
        return exceptions.NotFound(detail=exc.message)
    if isinstance(exc, Http404):
        return exceptions.NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied()
    if isinstance(exc, OperationalError | InterfaceError):
        log.error("database unavailable: %s", exc)
        return Unavailable(detail=_("The database is unavailable; try again shortly."))
    return exc


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    exc = _translate(exc)
    response = drf_exception_handler(exc, context)
    if response is None:
        log.exception("unhandled error in %s", context.get("view"), exc_info=exc)
        return Response(
            error_body("server_error", _("Internal server error.")),
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    code = CODES.get(
        response.status_code, "server_error" if response.status_code >= 500 else "error"
    )
    if isinstance(exc, exceptions.ValidationError):
        fields = flatten(exc.detail)
        first = next(iter(fields.values()), [_("Invalid input.")])[0]
        response.data = error_body(code, first, fields)
    else:
        detail = getattr(exc, "detail", None)
        message = str(detail) if detail is not None else str(exc)
        response.data = error_body(code, message)
    return response


@csrf_exempt
def not_found_view(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Unknown paths under /api/v1/ answer in the same shape."""
    return JsonResponse(error_body("not_found", _("Not found.")), status=404)
