"""Risk checks from the Base's trading settings: the value of one order and the position per
instrument. Values are in roubles (futures converted from points)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from bot.base_client.types import Instrument, TradingSettings
from bot.engine import text_keys


@dataclass(frozen=True, slots=True)
class RiskRefusal:
    key: str
    params: dict[str, str]


def piece_value(instrument: Instrument, price: Decimal) -> Decimal:
    """Roubles per piece at `price` (futures: points converted with the increment's value)."""
    if (
        instrument.kind == "future"
        and instrument.min_price_increment_amount is not None
        and instrument.min_price_increment > 0
    ):
        return price / instrument.min_price_increment * instrument.min_price_increment_amount
    return price


def check_order(
    settings: TradingSettings,
    instrument: Instrument,
    *,
    price: Decimal,
    pieces: int,
    position_after: int,
) -> RiskRefusal | None:
    """None when an order of `pieces` at `price` is within the limits; `position_after` is the
    signed position in pieces if the order filled completely."""
    value = piece_value(instrument, price) * pieces
    if value > settings.max_order_value:
        return RiskRefusal(
            text_keys.RISK_ORDER_VALUE,
            {
                "ticker": instrument.ticker,
                "value": _money(value),
                "limit": _money(settings.max_order_value),
            },
        )
    position_value = piece_value(instrument, price) * abs(position_after)
    if position_value > settings.max_position_value:
        return RiskRefusal(
            text_keys.RISK_POSITION_VALUE,
            {
                "ticker": instrument.ticker,
                "value": _money(position_value),
                "limit": _money(settings.max_position_value),
            },
        )
    return None


def _money(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01")))
