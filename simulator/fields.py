"""Reading request fields with the broker's error codes for missing or invalid values."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from simulator.codec import parse_int64, parse_quotation, parse_timestamp
from simulator.errors import MALFORMED, ApiError, malformed


class Fields:
    def __init__(self, body: Any) -> None:
        if not isinstance(body, dict):
            raise malformed("the body must be a JSON object")
        self.body: dict[str, Any] = body

    def has(self, key: str) -> bool:
        value = self.body.get(key)
        return value is not None and value != ""

    def string(self, key: str, missing: int | None = None, invalid: int | None = None) -> str:
        value = self.body.get(key)
        if value is None or value == "":
            if missing is not None:
                raise ApiError(missing)
            return ""
        if not isinstance(value, str):
            raise _bad(key, invalid)
        return value

    def strings(self, key: str, invalid: int | None = None) -> list[str]:
        value = self.body.get(key)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise _bad(key, invalid)
        return value

    def enum(
        self,
        key: str,
        allowed: tuple[str, ...],
        missing: int | None = None,
        invalid: int | None = None,
        default: str = "",
    ) -> str:
        value = self.body.get(key)
        if (
            value is None
            or value == ""
            or (isinstance(value, str) and value.endswith("UNSPECIFIED"))
        ):
            if missing is not None:
                raise ApiError(missing)
            return default
        if value not in allowed:
            raise _bad(key, invalid)
        return str(value)

    def int64(self, key: str, missing: int | None = None, invalid: int | None = None) -> int | None:
        value = self.body.get(key)
        if value is None or value == "":
            if missing is not None:
                raise ApiError(missing)
            return None
        try:
            return parse_int64(value, invalid or MALFORMED)
        except ApiError as err:
            raise _bad(key, invalid) from err

    def int32(self, key: str, invalid: int | None = None) -> int | None:
        value = self.body.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise _bad(key, invalid)
        return value

    def quotation(self, key: str, invalid: int) -> Decimal | None:
        value = self.body.get(key)
        if value is None:
            return None
        return parse_quotation(value, invalid)

    def timestamp(self, key: str, invalid: int) -> datetime | None:
        value = self.body.get(key)
        if value is None or value == "":
            return None
        return parse_timestamp(value, invalid)

    def instrument_id(self, required: bool = True) -> str:
        value = self.body.get("instrumentId") or self.body.get("figi")
        if not value:
            if required:
                raise ApiError(30093)
            return ""
        if not isinstance(value, str):
            raise ApiError(30093)
        return value


def _bad(key: str, code: int | None) -> ApiError:
    return ApiError(code) if code is not None else malformed(f"`{key}` is invalid")
