"""Broker errors as typed exceptions.

Every error carries the HTTP status, the gRPC status, the API error code (e.g. "30079"), the
broker's message and the tracking id to quote to support. The families the engine must treat
differently are subclasses:

- `InvalidArgument` (and `OrderRejected` for order placement): the request is wrong; don't retry.
- `FailedPrecondition`: the broker needs something first (confirmation, qualification).
- `NotFound`, `Unauthenticated`, `PermissionDenied`.
- `RateLimited`: a 429; `reset_seconds` says when the budget refills.
- `TransientError` (`Unavailable`, `InternalError`, `BrokerTimeout`, `BrokerConnectionError`):
  safe to retry a read or an idempotent order.
- `OrderOutcomeUnknown`: an order request was sent and no answer came; resolve it with
  `TInvestClient.resolve_order(request_id)`, never by sending a new order.
- `ProtocolError`: the broker's answer could not be understood.

`user_message()` is the short text for the owner. `str(error)` is the diagnostic line for logs.
Neither ever contains the token (the transport scrubs it from broker messages).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any, ClassVar

from bot.broker.error_codes import API_ERRORS, GRPC_NAMES, HTTP_TO_GRPC

ORDER_METHODS = frozenset({"PostOrder", "PostStopOrder", "PostOrderAsync", "ReplaceOrder"})


class BrokerError(Exception):
    grpc_default: ClassVar[int | None] = None
    retryable: ClassVar[bool] = False
    summary: ClassVar[str] = "the broker refused the request"

    def __init__(
        self,
        message: str = "",
        *,
        http_status: int | None = None,
        grpc_code: int | None = None,
        api_code: str | None = None,
        tracking_id: str | None = None,
        method: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.http_status = http_status
        self.grpc_code = grpc_code if grpc_code is not None else self.grpc_default
        self.api_code = api_code or None
        self.tracking_id = tracking_id or None
        self.method = method

    @property
    def grpc_name(self) -> str:
        if self.grpc_code is None:
            return ""
        return GRPC_NAMES.get(self.grpc_code, str(self.grpc_code))

    @property
    def meaning(self) -> str | None:
        """The documented meaning of the API code, if it is one we know."""
        if self.api_code and self.api_code in API_ERRORS:
            return API_ERRORS[self.api_code][1]
        return None

    def user_message(self) -> str:
        """One short English line, e.g. 'Broker: not enough money on the account (30034)', for
        logs and start-up errors; bot.texts.render.broker_reason shows it to the owner in the
        owner's language (the meaning of the code, or this class's summary translated)."""
        text = self.meaning or self._fallback_text()
        code = f" ({self.api_code})" if self.api_code else ""
        return f"Broker: {text}{code}"

    def _fallback_text(self) -> str:
        if self.message:
            return f"{self.summary}: {_shorten(self.message)}"
        return self.summary

    def __str__(self) -> str:
        parts = [f"{type(self).__name__}"]
        if self.method:
            parts.append(f"in {self.method}")
        head = " ".join(parts) + ":"
        details = []
        if self.api_code:
            details.append(f"code {self.api_code}")
        if self.http_status is not None:
            details.append(f"http {self.http_status}")
        if self.grpc_code is not None:
            details.append(f"grpc {self.grpc_name}")
        if self.tracking_id:
            details.append(f"tracking id {self.tracking_id}")
        suffix = f" ({', '.join(details)})" if details else ""
        return f"{head} {self.message or self.summary}{suffix}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(message={self.message!r}, http_status={self.http_status!r}, "
            f"grpc_code={self.grpc_code!r}, api_code={self.api_code!r}, "
            f"tracking_id={self.tracking_id!r}, method={self.method!r})"
        )


class InvalidArgument(BrokerError):
    grpc_default = 3
    summary = "the broker rejected the request"


class OrderRejected(InvalidArgument):
    """An order (or stop order) the broker refused: nothing was placed."""

    summary = "the broker rejected the order"


class FailedPrecondition(BrokerError):
    grpc_default = 9
    summary = "the broker cannot do this now"


class NotFound(BrokerError):
    grpc_default = 5
    summary = "not found at the broker"


class Unauthenticated(BrokerError):
    grpc_default = 16
    summary = "the broker token is missing or invalid (check TINVEST_TOKEN)"


class PermissionDenied(BrokerError):
    grpc_default = 7
    summary = "the token has no access to this"


class RateLimited(BrokerError):
    grpc_default = 8
    summary = "the broker's request limit was reached"

    def __init__(self, message: str = "", *, reset_seconds: float | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.reset_seconds = reset_seconds


class TransientError(BrokerError):
    """Worth retrying (for reads and idempotent orders)."""

    retryable = True
    summary = "the broker is temporarily unavailable"


class Unavailable(TransientError):
    grpc_default = 14


class InternalError(TransientError):
    grpc_default = 13
    summary = "internal broker error"


class BrokerTimeout(TransientError):
    grpc_default = 4
    summary = "the broker did not answer in time"


class BrokerConnectionError(TransientError):
    """The request could not be sent (connection refused, DNS, TLS): nothing reached the broker."""

    grpc_default = 14
    summary = "cannot connect to the broker"


class OrderOutcomeUnknown(BrokerError):
    """An order request left and no answer came back. It may or may not have been placed:
    resolve it by request id; never send it again under a new id."""

    grpc_default = 4
    summary = "no answer to an order request; checking whether it was placed"

    def __init__(self, message: str = "", *, request_id: str, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.request_id = request_id


class ProtocolError(BrokerError):
    """The broker's answer could not be understood (bad JSON, a malformed number...)."""

    summary = "the broker sent an answer that could not be understood"


_BY_GRPC: dict[int, type[BrokerError]] = {
    1: TransientError,
    2: InternalError,
    3: InvalidArgument,
    4: BrokerTimeout,
    5: NotFound,
    6: InvalidArgument,
    7: PermissionDenied,
    8: RateLimited,
    9: FailedPrecondition,
    10: TransientError,
    11: InvalidArgument,
    12: BrokerError,
    13: InternalError,
    14: Unavailable,
    15: InternalError,
    16: Unauthenticated,
}

_GRPC_BY_NAME = {name: code for code, name in GRPC_NAMES.items()}


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A response header looked up case-insensitively, bare or with the Grpc-Metadata- prefix."""
    wanted = {name.lower(), f"grpc-metadata-{name.lower()}"}
    for key, value in headers.items():
        if key.lower() in wanted:
            return value
    return None


def _shorten(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _api_code(value: Any) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        text = value.strip()
        return text if text.isdigit() else None
    return None


def _grpc_code(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit():
            return int(text)
        return _GRPC_BY_NAME.get(text.upper())
    return None


def error_from_response(
    *,
    http_status: int,
    body: bytes | str | Mapping[str, Any] | None,
    headers: Mapping[str, str],
    method: str,
    redact: tuple[str, ...] = (),
) -> BrokerError:
    """Build the typed exception for an error response.

    `body` is the broker's `{"code": <grpc>, "message": "...", "description": <api code>}`
    (description as a number or a string); anything else is tolerated. `redact` lists secrets
    (the token) that must not survive into the message.
    """
    data: Any = body
    if isinstance(body, bytes | str):
        try:
            data = json.loads(body) if body else None
        except ValueError:
            data = {"message": body.decode("utf-8", "replace") if isinstance(body, bytes) else body}
    if not isinstance(data, Mapping):
        data = {}
    grpc = _grpc_code(data.get("code"))
    if grpc is None:
        grpc = HTTP_TO_GRPC.get(http_status, 2)
    api_code = _api_code(data.get("description"))
    message = data.get("message")
    message = message if isinstance(message, str) else ""
    if api_code is None:  # some servers put the code into message
        maybe = _api_code(message)
        if maybe is not None:
            api_code, message = maybe, ""
    if not message and api_code in API_ERRORS:
        message = API_ERRORS[api_code][1]
    for secret in redact:
        if secret:
            message = message.replace(secret, "***")
    message = _shorten(message, 500)
    tracking_id = header(headers, "x-tracking-id")
    cls = _BY_GRPC.get(grpc, BrokerError)
    if http_status == 429:
        cls = RateLimited
    if method in ORDER_METHODS and cls in (InvalidArgument, FailedPrecondition):
        cls = OrderRejected
    kw: dict[str, Any] = {
        "http_status": http_status,
        "grpc_code": grpc,
        "api_code": api_code,
        "tracking_id": tracking_id,
        "method": method,
    }
    if cls is RateLimited:
        return RateLimited(message, reset_seconds=reset_seconds(headers), **kw)
    return cls(message, **kw)


def reset_seconds(headers: Mapping[str, str]) -> float | None:
    raw = header(headers, "x-ratelimit-reset")
    if raw is None:
        return None
    try:
        value = float(raw.split(",")[0].strip())
    except ValueError:
        return None
    if not math.isfinite(value):
        return None
    return max(value, 0.0)
