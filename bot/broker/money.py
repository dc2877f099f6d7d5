"""Exact conversions between the wire's Quotation/MoneyValue and Decimal, price alignment,
futures points <-> roubles and lots <-> pieces.

Wire rules (T-Invest API v2): value = units + nano / 1e9; `units` is an int64 sent as a JSON
string, `nano` an int32 with |nano| < 1e9; both parts carry the same sign (-0.01 is
{"units": "-0", "nano": -10000000}). Nothing here ever goes through float.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import (
    ROUND_CEILING,
    ROUND_FLOOR,
    ROUND_HALF_UP,
    Context,
    Decimal,
    InvalidOperation,
    localcontext,
)
from typing import Any, Literal

NANO = 1_000_000_000
_NANO_DEC = Decimal(NANO)
INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)
# Enough digits for int64 units plus 9 decimals, with room for intermediate products.
_EXACT = Context(prec=60)

Rounding = Literal["floor", "ceil", "nearest"]
_ROUNDING = {"floor": ROUND_FLOOR, "ceil": ROUND_CEILING, "nearest": ROUND_HALF_UP}


class MoneyError(ValueError):
    """A value that cannot be represented exactly (or is malformed on the wire)."""


class NotWholeLotsError(MoneyError):
    """An amount in pieces that is not a whole number of lots."""

    def __init__(self, pieces: int, lot: int) -> None:
        super().__init__(f"{pieces} pieces is not a whole number of lots of {lot}")
        self.pieces = pieces
        self.lot = lot


def _to_int(value: Any, field: str) -> int:
    kind = type(value)
    if kind is int:  # the usual cases first (hot path: every price on the wire)
        return value
    if kind is str and value:
        try:
            return int(value)  # int() ignores surrounding whitespace itself
        except ValueError:
            raise MoneyError(f"{field}: expected an integer, got {value!r}") from None
    if value is None or value == "":
        return 0
    if isinstance(value, bool):
        raise MoneyError(f"{field}: expected an integer, got {value!r}")
    if isinstance(value, int):
        return value
    raise MoneyError(f"{field}: expected an integer, got {type(value).__name__}")


def parts_to_decimal(units: int, nano: int) -> Decimal:
    """units + nano/1e9, checking the wire rules (same sign, |nano| < 1e9)."""
    if not -NANO < nano < NANO:
        raise MoneyError(f"nano out of range: {nano} (|nano| must be below 1e9)")
    if (units > 0 and nano < 0) or (units < 0 and nano > 0):
        raise MoneyError(f"units ({units}) and nano ({nano}) differ in sign")
    if not INT64_MIN <= units <= INT64_MAX:
        raise MoneyError(f"units out of int64 range: {units}")
    # exact: an integer count of nanos, its exponent moved (the same value and the same
    # representation as units + nano x 1e-9, without a context switch per price)
    return Decimal(units * NANO + nano).scaleb(-9, _EXACT)


def quotation_to_decimal(q: Mapping[str, Any] | None) -> Decimal:
    """A wire Quotation or MoneyValue ({units, nano}) as an exact Decimal; missing parts are 0."""
    if q is None:
        return Decimal(0)
    if not isinstance(q, Mapping):
        raise MoneyError(f"expected a Quotation object, got {type(q).__name__}")
    units_raw = q.get("units")
    units = _to_int(units_raw, "units")
    nano = _to_int(q.get("nano"), "nano")
    if nano > 0 and isinstance(units_raw, str) and units_raw.strip().startswith("-"):
        raise MoneyError(f"units ({units_raw}) and nano ({nano}) differ in sign")
    return parts_to_decimal(units, nano)


def decimal_to_parts(value: Decimal | int | str) -> tuple[int, int]:
    """(units, nano) for a value, exact; raises MoneyError beyond 9 decimals or int64."""
    try:
        d = Decimal(value)
    except (InvalidOperation, ValueError, TypeError):
        raise MoneyError(f"not a number: {value!r}") from None
    if not d.is_finite():
        raise MoneyError(f"not a finite number: {value!r}")
    with localcontext(_EXACT):
        scaled = d * _NANO_DEC
        if scaled != scaled.to_integral_value():
            raise MoneyError(f"{value} has more than 9 decimal places and cannot be sent exactly")
        total = int(scaled)
    sign = -1 if total < 0 else 1
    units, nano = divmod(abs(total), NANO)
    units, nano = sign * units, sign * nano
    if not INT64_MIN <= units <= INT64_MAX:
        raise MoneyError(f"{value} is out of the int64 range")
    return units, nano


def decimal_to_quotation(value: Decimal | int | str) -> dict[str, Any]:
    """Wire Quotation: {"units": "<int64>", "nano": <int32>}; "-0" units for -1 < value < 0."""
    units, nano = decimal_to_parts(value)
    units_text = "-0" if units == 0 and nano < 0 else str(units)
    return {"units": units_text, "nano": nano}


def decimal_to_money_value(value: Decimal | int | str, currency: str) -> dict[str, Any]:
    """Wire MoneyValue: {"currency": "rub", "units": "...", "nano": ...}."""
    q = decimal_to_quotation(value)
    return {"currency": currency.lower(), **q}


def align_price(price: Decimal, increment: Decimal, rounding: Rounding = "nearest") -> Decimal:
    """Align `price` to a multiple of `increment` (floor/ceil towards -inf/+inf, or nearest with
    halves away from zero). The result carries the increment's exponent (e.g. 0.01 -> 2 places)."""
    if increment <= 0:
        raise MoneyError(f"price increment must be positive, got {increment}")
    with localcontext(_EXACT):
        steps = (price / increment).to_integral_value(rounding=_ROUNDING[rounding])
        aligned = steps * increment
        exp = increment.normalize().as_tuple().exponent
        if isinstance(exp, int) and exp < 0:
            aligned = aligned.quantize(Decimal(1).scaleb(exp))
        return aligned


def is_aligned(price: Decimal, increment: Decimal) -> bool:
    if increment <= 0:
        raise MoneyError(f"price increment must be positive, got {increment}")
    with localcontext(_EXACT):
        return price % increment == 0


def points_to_money(
    points: Decimal, min_price_increment: Decimal, min_price_increment_amount: Decimal
) -> Decimal:
    """A futures price in points in roubles: points / increment x increment value."""
    if min_price_increment <= 0:
        raise MoneyError(f"min price increment must be positive, got {min_price_increment}")
    with localcontext(_EXACT):
        return (points * min_price_increment_amount / min_price_increment).normalize()


def money_to_points(
    money: Decimal, min_price_increment: Decimal, min_price_increment_amount: Decimal
) -> Decimal:
    """Roubles back to points: money / increment value x increment (inverse of the above)."""
    if min_price_increment_amount <= 0:
        raise MoneyError(
            f"min price increment amount must be positive, got {min_price_increment_amount}"
        )
    with localcontext(_EXACT):
        return (money * min_price_increment / min_price_increment_amount).normalize()


def lots_to_pieces(lots: int, lot: int) -> int:
    if lot <= 0:
        raise MoneyError(f"lot size must be positive, got {lot}")
    return lots * lot


def pieces_to_lots(pieces: int, lot: int) -> int:
    """Exact: raises NotWholeLotsError unless `pieces` is a whole number of lots."""
    if lot <= 0:
        raise MoneyError(f"lot size must be positive, got {lot}")
    lots, rest = divmod(pieces, lot)
    if rest:
        raise NotWholeLotsError(pieces, lot)
    return lots


def pieces_to_lots_floor(pieces: int, lot: int) -> int:
    """The largest whole number of lots not above `pieces` (towards zero for negatives)."""
    if lot <= 0:
        raise MoneyError(f"lot size must be positive, got {lot}")
    return -((-pieces) // lot) if pieces < 0 else pieces // lot
