"""Stop-order plans: pure maths, no I/O.

A plan is the list of stop orders a bulk command would place (instrument, direction, type, stop
price aligned to the increment, lots, expiry) plus what it skipped and refused, and why. In the
broker's terms a buy triggered below the market and a sell triggered above it are take-profit
orders (a stop-loss there is refused with 30053), good-till-date.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Literal

from bot.base_client.types import Instrument
from bot.engine.events import Direction

StopKind = Literal["take_profit", "stop_loss", "stop_limit"]
PlanKind = Literal["stops", "shorts", "nuke", "restore"]
NUKE_LEVELS: tuple[Decimal, ...] = (Decimal(100), Decimal(99), Decimal(95), Decimal(93))
WEEKEND = (5, 6)


@dataclass(frozen=True, slots=True)
class PlannedStop:
    """One stop order to place. Prices per instrument (roubles for shares)."""

    instrument_uid: str
    ticker: str
    direction: Direction
    kind: StopKind
    stop_price: Decimal
    lots: int
    lot: int
    expire_at: datetime | None
    level: Decimal | None = None  # % of the price it was computed from (None: restored)
    instrument_id: int | None = None  # the Base's id (for the stash)
    price: Decimal | None = None  # the limit of a stop-limit order

    @property
    def value(self) -> Decimal:
        return self.stop_price * self.lots * self.lot

    @property
    def key(self) -> tuple[str, str, str, Decimal, int]:
        """What makes two stops "the same order" for /restore."""
        return (self.instrument_uid, self.direction, self.kind, self.stop_price, self.lots)


@dataclass(frozen=True, slots=True)
class Skipped:
    """An order not planned: `reason` is a text key (stops.skip_*), `params` fill it in."""

    ticker: str
    reason: str
    params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class StopPlan:
    kind: PlanKind
    orders: tuple[PlannedStop, ...]
    skipped: tuple[Skipped, ...] = ()
    levels: tuple[Decimal, ...] = ()
    stop_sum: Decimal | None = None
    expire_at: datetime | None = None
    seconds: float = 0.0  # at the broker's rate (filled in by the driver)
    needs_confirmation: bool = False
    already_active: int = 0  # /restore: stashed orders skipped because they are active

    @property
    def count(self) -> int:
        return len(self.orders)

    @property
    def total_value(self) -> Decimal:
        return sum((o.value for o in self.orders), Decimal(0))

    @property
    def instruments(self) -> int:
        return len({o.instrument_uid for o in self.orders})


@dataclass(frozen=True, slots=True)
class CancelPlan:
    """What /cancel would cancel now, and the time both budgets need at least."""

    orders: int
    stops: int
    seconds: float


@dataclass(frozen=True, slots=True)
class StashResult:
    saved: int
    replaced: int


def align_down(price: Decimal, increment: Decimal) -> Decimal:
    if increment <= 0:
        return price
    return (price / increment).to_integral_value(rounding=ROUND_FLOOR) * increment


def align_up(price: Decimal, increment: Decimal) -> Decimal:
    if increment <= 0:
        return price
    return (price / increment).to_integral_value(rounding=ROUND_CEILING) * increment


def level_price(current: Decimal, percent: Decimal, direction: Direction) -> Decimal:
    """`percent` below (buy) or above (sell) the current price, unaligned."""
    factor = (Decimal(100) - percent) if direction == "buy" else (Decimal(100) + percent)
    return current * factor / Decimal(100)


def stop_price(
    current: Decimal, percent: Decimal, direction: Direction, increment: Decimal
) -> Decimal:
    """The level's stop price on the increment, never on the wrong side of the level: a buy is
    rounded down, a sell up."""
    raw = level_price(current, percent, direction)
    return align_down(raw, increment) if direction == "buy" else align_up(raw, increment)


def lots_for(money: Decimal, price: Decimal, lot: int) -> int:
    """The largest whole number of lots `money` buys at `price` (0 when not even one)."""
    if price <= 0 or lot <= 0 or money <= 0:
        return 0
    return int((money / (price * lot)).to_integral_value(rounding=ROUND_FLOOR))


def expiry(now: datetime, ttl_days: int) -> datetime:
    return now + timedelta(days=max(ttl_days, 1))


def stop_day_open(day: date, holidays: Iterable[date] = ()) -> bool:
    """Whether the broker's stop-order service works on that (Moscow) day: not on weekends
    and exchange holidays."""
    return day.weekday() not in WEEKEND and day not in set(holidays)


def refusal(instrument: Instrument, direction: Direction, *, shorts: bool) -> Skipped | None:
    """Why this instrument cannot carry such a stop, or None."""
    if not instrument.api_trade_available:
        return Skipped(instrument.ticker, "stops.skip_not_api")
    if direction == "buy" and not instrument.buy_available:
        return Skipped(instrument.ticker, "stops.skip_not_buyable")
    if direction == "sell" and not instrument.sell_available:
        return Skipped(instrument.ticker, "stops.skip_not_sellable")
    if shorts and not instrument.short_enabled:
        return Skipped(instrument.ticker, "stops.skip_not_shortable")
    return None


def level_orders(
    instrument: Instrument,
    current: Decimal | None,
    levels: Sequence[Decimal],
    direction: Direction,
    money: Decimal,
    expire_at: datetime,
) -> tuple[list[PlannedStop], list[Skipped]]:
    """One take-profit stop per level for `money` each; zero-lot levels are skipped."""
    if current is None or current <= 0:
        return [], [Skipped(instrument.ticker, "stops.skip_no_price")]
    orders: list[PlannedStop] = []
    skipped: list[Skipped] = []
    for percent in levels:
        price = stop_price(current, percent, direction, instrument.min_price_increment)
        if price <= 0:
            skipped.append(Skipped(instrument.ticker, "stops.skip_no_price"))
            continue
        lots = lots_for(money, price, instrument.lot)
        if lots < 1:
            skipped.append(
                Skipped(
                    instrument.ticker,
                    "stops.skip_zero_lots",
                    {"level": str(percent), "price": str(price), "lot": str(instrument.lot)},
                )
            )
            continue
        orders.append(
            PlannedStop(
                instrument_uid=instrument.uid,
                ticker=instrument.ticker,
                direction=direction,
                kind="take_profit",
                stop_price=price,
                lots=lots,
                lot=instrument.lot,
                expire_at=expire_at,
                level=percent,
                instrument_id=instrument.id,
            )
        )
    return orders, skipped


def bulk_plan(
    kind: Literal["stops", "shorts"],
    instruments: Sequence[Instrument],
    prices: dict[str, Decimal],
    levels: Sequence[Decimal],
    money: Decimal,
    expire_at: datetime,
) -> StopPlan:
    """/stops (buys below) or /shorts (sells above) over `instruments` (whitelist minus the
    blacklist, already filtered), priced from `prices` by uid."""
    direction: Direction = "buy" if kind == "stops" else "sell"
    orders: list[PlannedStop] = []
    skipped: list[Skipped] = []
    for instrument in instruments:
        refused = refusal(instrument, direction, shorts=kind == "shorts")
        if refused is not None:
            skipped.append(refused)
            continue
        mine, missed = level_orders(
            instrument, prices.get(instrument.uid), levels, direction, money, expire_at
        )
        orders += mine
        skipped += missed
    return StopPlan(
        kind=kind,
        orders=tuple(orders),
        skipped=tuple(skipped),
        levels=tuple(levels),
        stop_sum=money,
        expire_at=expire_at,
    )


def nuke_plan(
    instrument: Instrument, current: Decimal, money: Decimal, expire_at: datetime
) -> StopPlan | Skipped:
    """Four buy stops at 100, 99, 95 and 93 % of the price, `money` split in four; refused
    (a Skipped) when a quarter buys less than one lot at any level."""
    refused = refusal(instrument, "buy", shorts=False)
    if refused is not None:
        return refused
    quarter = money / 4
    orders: list[PlannedStop] = []
    for pct in NUKE_LEVELS:
        price = align_down(current * pct / Decimal(100), instrument.min_price_increment)
        lots = lots_for(quarter, price, instrument.lot)
        if lots < 1:
            lot_price = (price * instrument.lot).quantize(Decimal("0.01"))
            return Skipped(
                instrument.ticker,
                "stops.nuke_too_small",
                {"sum": str(quarter.quantize(Decimal("0.01"))), "lot_price": str(lot_price)},
            )
        orders.append(
            PlannedStop(
                instrument_uid=instrument.uid,
                ticker=instrument.ticker,
                direction="buy",
                kind="take_profit",
                stop_price=price,
                lots=lots,
                lot=instrument.lot,
                expire_at=expire_at,
                level=pct,
                instrument_id=instrument.id,
            )
        )
    return StopPlan(
        kind="nuke",
        orders=tuple(orders),
        levels=NUKE_LEVELS,
        stop_sum=money,
        expire_at=expire_at,
    )


def still_missing(
    stops: Sequence[PlannedStop], active: Iterable[tuple[str, str, str, Decimal, int]]
) -> list[bool]:
    """For each stop, whether it is still to place: False for as many stops of one key as there
    are active stop orders of that key (the same rule as `restore_plan`)."""
    remaining: dict[tuple[str, str, str, Decimal, int], int] = {}
    for key in active:
        remaining[key] = remaining.get(key, 0) + 1
    out: list[bool] = []
    for stop in stops:
        if remaining.get(stop.key, 0) > 0:
            remaining[stop.key] -= 1
            out.append(False)
        else:
            out.append(True)
    return out


def restore_plan(
    stashed: Sequence[PlannedStop], active: Iterable[tuple[str, str, str, Decimal, int]]
) -> StopPlan:
    """The stashed orders that are not active now (same instrument, direction, type, price and
    lots), each once (a stash holding the same order twice places it twice only if it is
    active fewer times)."""
    remaining: dict[tuple[str, str, str, Decimal, int], int] = {}
    for key in active:
        remaining[key] = remaining.get(key, 0) + 1
    orders: list[PlannedStop] = []
    already = 0
    for stop in stashed:
        if remaining.get(stop.key, 0) > 0:
            remaining[stop.key] -= 1
            already += 1
            continue
        orders.append(stop)
    expires = [o.expire_at for o in orders if o.expire_at is not None]
    return StopPlan(
        kind="restore",
        orders=tuple(orders),
        expire_at=max(expires) if expires else None,
        already_active=already,
        needs_confirmation=True,
    )


def over_threshold(plan: StopPlan, confirm_threshold: int) -> bool:
    """Whether the plan has more orders than the settings' bulk limit (then it is confirmed)."""
    return plan.count > confirm_threshold
