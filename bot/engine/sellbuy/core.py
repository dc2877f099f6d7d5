"""Sell/buy decisions with no I/O: the best passive price, sizing by sum (a budget to buy, fixed
lots to sell), the short check, the spread-leg check of /dump, and the checks of an instrument
and of the risk limits.

A sum to buy is a budget: the cost of the fills plus the cost of the order standing never exceed
it. Cost is price × pieces (futures converted to roubles), without the broker's commission: the
bot does not know the account's tariff, and the commission is charged on top by the broker (the
README says so). When the price rises the job buys fewer lots; what it could not buy is said in
the final report.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from bot.base_client.types import Instrument, Spread, TradingSettings
from bot.broker.error_codes import is_permanent
from bot.broker.types import OrderBook
from bot.engine import risk, text_keys
from bot.engine.events import Direction
from bot.engine.interface import UserError


def passive_price(book: OrderBook, direction: Direction, limit: Decimal | None) -> Decimal | None:
    """Best bid when buying, best ask when selling, never past `limit`; None without a price."""
    if direction == "buy":
        best = book.best_bid
        if best is None:
            return limit
        return best if limit is None else min(best, limit)
    best = book.best_ask
    if best is None:
        return limit
    return best if limit is None else max(best, limit)


def refused_for_good(api_code: str | None) -> bool:
    """Whether an order refused with this code makes its task useless until the owner changes it
    (bot.broker.error_codes.PERMANENT_CODES; everything else is retried)."""
    return is_permanent(api_code)


# -- sizing ----------------------------------------------------------------------------------


def lot_cost(instrument: Instrument, price: Decimal) -> Decimal:
    """Roubles for one lot at `price`."""
    return risk.piece_value(instrument, price) * instrument.lot


def lots_for_sum(instrument: Instrument, money: Decimal, price: Decimal) -> int:
    """Whole lots `money` pays for at `price` (0 when not even one)."""
    cost = lot_cost(instrument, price)
    if cost <= 0:
        return 0
    return int((money / cost).to_integral_value(rounding=ROUND_FLOOR))


def budget_lots(
    instrument: Instrument, budget: Decimal, spent: Decimal, price: Decimal, lots_left: int
) -> int:
    """Lots of the next buy order at `price`: what is left of the budget after the fills so far
    (`spent`) pays for, at most the lots left of the amount."""
    return max(0, min(lots_left, lots_for_sum(instrument, budget - spent, price)))


def fill_cost(instrument: Instrument, price: Decimal, pieces: int) -> Decimal:
    return risk.piece_value(instrument, price) * pieces


# -- shorts ----------------------------------------------------------------------------------


def short_increase(position: int, direction: Direction, amount: int) -> int:
    """Pieces by which a sale of `amount` opens or increases a short from `position` (signed
    pieces held); 0 for a buy or a sale the long position covers."""
    if direction != "sell":
        return 0
    after = position - amount
    if after >= 0:
        return 0
    return -after - max(0, -position)


def check_shortable(
    instrument: Instrument, direction: Direction, amount: int, position: int
) -> bool:
    """Whether a sale is covered by the long position; refuse an uncovered sale of a share that
    cannot be shorted (futures can always be sold)."""
    if direction != "sell":
        return False
    covered = position >= amount
    if not covered and instrument.kind == "share" and not instrument.short_enabled:
        raise UserError(
            text_keys.NOT_SHORTABLE,
            ticker=instrument.ticker,
            amount=amount,
            position=max(position, 0),
        )
    return covered


# -- /dump and the spreads' legs ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LegHolding:
    spread_id: int
    pieces: int  # signed: what the spread's leg holds in the instrument


def spread_holdings(spreads: Iterable[Spread], instrument_id: int) -> list[LegHolding]:
    """What each spread's legs hold in one instrument (signed pieces, from the legs' totals):
    the far leg trades the spread's direction, the near leg the opposite one."""
    held: list[LegHolding] = []
    for spread in spreads:
        sign = 1 if spread.direction == "buy" else -1
        pieces = 0
        if spread.far.id == instrument_id:
            pieces += sign * spread.far_executed
        if spread.near.id == instrument_id:
            pieces -= sign * spread.near_executed
        if pieces:
            held.append(LegHolding(spread.id, pieces))
    return held


def dumped_from_legs(position: int, holdings: Iterable[LegHolding]) -> int:
    """Pieces of `position` that closing it would take from spreads' legs holding the same side
    (0 when no spread holds that side)."""
    same_side = sum(h.pieces for h in holdings if (h.pieces > 0) == (position > 0))
    return min(abs(same_side), abs(position))


# -- instrument and limits ----------------------------------------------------------------------


def check_tradable(instrument: Instrument, direction: Direction) -> None:
    allowed = instrument.api_trade_available and (
        instrument.buy_available if direction == "buy" else instrument.sell_available
    )
    if not allowed:
        raise UserError(text_keys.NOT_TRADABLE, ticker=instrument.ticker)


def check_limit_price(instrument: Instrument, limit: Decimal | None) -> None:
    if limit is None:
        return
    increment = instrument.min_price_increment
    if limit <= 0 or (increment > 0 and limit % increment != 0):
        raise UserError(
            text_keys.BAD_LIMIT_PRICE,
            ticker=instrument.ticker,
            price=limit,
            increment=increment,
        )


def check_risk(
    settings: TradingSettings,
    instrument: Instrument,
    price: Decimal,
    amount: int,
    direction: Direction,
    position: int,
) -> None:
    after = position + (amount if direction == "buy" else -amount)
    refusal = risk.check_order(
        settings, instrument, price=price, pieces=amount, position_after=after
    )
    if refusal is not None:
        raise UserError(refusal.key, **refusal.params)
