"""JSON encoding of the broker's value types: Quotation, MoneyValue, timestamps, int64."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from simulator.errors import ApiError

NANO = Decimal(1_000_000_000)
ZERO = Decimal(0)


def quotation(value: Decimal) -> dict[str, Any]:
    """``Decimal('-0.01')`` -> ``{"units": "0", "nano": -10000000}`` (both parts share the sign)."""
    units = int(value)  # truncates toward zero, so units and nano share the sign
    nano = int(((value - units) * NANO).to_integral_value())
    return {"units": str(units), "nano": nano}


def money(value: Decimal, currency: str = "rub") -> dict[str, Any]:
    return {"currency": currency, **quotation(value)}


def parse_quotation(obj: Any, error_code: int) -> Decimal:
    """Read a Quotation/MoneyValue; an unreadable one raises ``ApiError(error_code)``."""
    if not isinstance(obj, dict):
        raise ApiError(error_code)
    try:
        units = int(obj.get("units", 0) or 0)
        nano = int(obj.get("nano", 0) or 0)
    except (TypeError, ValueError) as exc:
        raise ApiError(error_code) from exc
    if abs(nano) >= 1_000_000_000 or (units > 0 > nano) or (units < 0 < nano):
        raise ApiError(error_code)
    return Decimal(units) + Decimal(nano) / NANO


def parse_int64(value: Any, error_code: int) -> int:
    if isinstance(value, bool):
        raise ApiError(error_code)
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError as exc:
            raise ApiError(error_code) from exc
    raise ApiError(error_code)


def parse_decimal(value: Any) -> Decimal:
    """A price given to the control API: a number, a string or a Quotation."""
    if isinstance(value, dict):
        return parse_quotation(value, 30018)
    try:
        return Decimal(str(value))
    except InvalidOperation as exc:
        raise ValueError(f"not a number: {value!r}") from exc


def timestamp(moment: datetime) -> str:
    """RFC 3339 UTC with milliseconds, like ``2021-11-07T12:49:35.896Z``."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def parse_timestamp(value: Any, error_code: int) -> datetime:
    if not isinstance(value, str):
        raise ApiError(error_code)
    text = value.strip().replace("Z", "+00:00").replace("z", "+00:00")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ApiError(error_code) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
