"""Spread maths: pure functions on Decimal, no I/O.

Vocabulary (see SPEC "Spread"):

- the *far* leg is a future; the *near* leg is its underlying share or a nearer future;
- `ratio` is near pieces per far piece;
- the spread price is roubles per far piece: ``far price − ratio × near price`` with futures
  converted from points to roubles;
- selling the spread sells the far leg (a resting limit at the best ask) and buys the near leg
  (a marketable hedge that walks the asks); buying it does the opposite.

Book levels are ``Level(price, lots)`` with prices per piece in the instrument's quote unit
(points for futures) and quantities in lots, best level first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_DOWN, Decimal, localcontext
from typing import Literal, Protocol

from bot.broker.money import align_price, points_to_money

Direction = Literal["buy", "sell"]
LegName = Literal["far", "near"]
InstrumentKind = Literal["share", "future"]

_PREC = 60  # enough for any product of int64 prices and sizes


class SpreadError(ValueError):
    """A spread that cannot be traded as described; `key` names a text in bot.texts."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(f"{key}: {params}")
        self.key = key
        self.params = {name: str(value) for name, value in params.items()}


@dataclass(frozen=True, slots=True)
class LegSpec:
    """What the maths needs to know about one leg's instrument."""

    ticker: str
    kind: InstrumentKind
    lot: int
    min_price_increment: Decimal
    min_price_increment_amount: Decimal | None = None  # roubles per increment (futures)
    basic_asset_size: Decimal | None = None  # underlying pieces per contract (futures)

    def __post_init__(self) -> None:
        if self.lot <= 0:
            raise SpreadError("spread_bad_lot", ticker=self.ticker, lot=self.lot)
        if self.min_price_increment <= 0:
            raise SpreadError("spread_bad_increment", ticker=self.ticker)


class LevelLike(Protocol):
    """One book level: price per piece (quote units) and quantity in lots. The broker's
    `PriceLevel` fits."""

    @property
    def price(self) -> Decimal: ...

    @property
    def lots(self) -> int: ...


class BookLike(Protocol):
    """Bids best (highest) first, asks best (lowest) first. The broker's `OrderBook` fits."""

    @property
    def bids(self) -> Sequence[LevelLike]: ...

    @property
    def asks(self) -> Sequence[LevelLike]: ...


@dataclass(frozen=True, slots=True)
class Level:
    price: Decimal
    lots: int


@dataclass(frozen=True, slots=True)
class Book:
    """A plain book (tests, polling adapters)."""

    bids: tuple[Level, ...] = ()
    asks: tuple[Level, ...] = ()


# --------------------------------------------------------------------------- directions


def leg_directions(direction: Direction) -> tuple[Direction, Direction]:
    """(far, near) order directions for a spread direction: selling the spread sells far."""
    return ("sell", "buy") if direction == "sell" else ("buy", "sell")


def opposite(direction: Direction) -> Direction:
    return "buy" if direction == "sell" else "sell"


# --------------------------------------------------------------------------- ratio and sizes


def derive_ratio(far: LegSpec, near: LegSpec, override: Decimal | None = None) -> Decimal:
    """Near pieces per far piece.

    - an override wins (must be positive);
    - future vs share: the future's underlying size (e.g. 100 shares per contract);
    - future vs future: far size / near size (usually 1).
    """
    if override is not None:
        if override <= 0:
            raise SpreadError("spread_bad_ratio", ratio=override)
        return override
    if far.kind != "future":
        raise SpreadError("spread_far_not_future", ticker=far.ticker)
    far_size = far.basic_asset_size
    if far_size is None or far_size <= 0:
        raise SpreadError("spread_no_basic_asset_size", ticker=far.ticker)
    if near.kind == "share":
        return tidy(far_size)
    near_size = near.basic_asset_size
    if near_size is None or near_size <= 0:
        raise SpreadError("spread_no_basic_asset_size", ticker=near.ticker)
    with localcontext() as ctx:
        ctx.prec = _PREC
        return tidy(far_size / near_size)


def tidy(value: Decimal) -> Decimal:
    """Drop trailing zeros without switching to exponent notation (1E+3 → 1000)."""
    value = value.normalize()
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent > 0:
        return value.quantize(Decimal(1))
    return value


def _exact_int(value: Decimal) -> int | None:
    return int(value) if value == value.to_integral_value() else None


def near_pieces_for(far_pieces: int, ratio: Decimal, near_lot: int) -> int:
    """Exact near pieces for `far_pieces`; SpreadError unless it is a whole number of near lots."""
    with localcontext() as ctx:
        ctx.prec = _PREC
        pieces = _exact_int(Decimal(far_pieces) * ratio)
    if pieces is None or pieces % near_lot:
        raise SpreadError(
            "spread_near_not_whole_lots", far=far_pieces, ratio=ratio, near_lot=near_lot
        )
    return pieces


def far_pieces_for(near_pieces: int, ratio: Decimal, far_lot: int) -> int:
    """The reverse: far pieces hedged by `near_pieces`; SpreadError unless whole far lots."""
    if ratio <= 0:
        raise SpreadError("spread_bad_ratio", ratio=ratio)
    with localcontext() as ctx:
        ctx.prec = _PREC
        pieces = _exact_int(Decimal(near_pieces) / ratio)
    if pieces is None or pieces % far_lot:
        raise SpreadError(
            "spread_far_not_whole_lots", near=near_pieces, ratio=ratio, far_lot=far_lot
        )
    return pieces


def check_amount(amount: int, ratio: Decimal, far: LegSpec, near: LegSpec) -> int:
    """Validate a spread amount (far pieces); return the near amount in pieces."""
    if amount <= 0:
        raise SpreadError("spread_bad_amount", amount=amount)
    if amount % far.lot:
        raise SpreadError("spread_amount_not_whole_lots", amount=amount, lot=far.lot)
    return near_pieces_for(amount, ratio, near.lot)


def hedge_target_pieces(far_executed: int, ratio: Decimal, near_lot: int) -> int:
    """Near pieces that should be held against `far_executed` far pieces: far × ratio rounded to
    the nearest whole near lot (a tie rounds down, so a hedge is never larger than needed).

    Being computed from the far total every time, the rounding remainder never accumulates."""
    with localcontext() as ctx:
        ctx.prec = _PREC
        lots = (Decimal(far_executed) * ratio / near_lot).to_integral_value(
            rounding=ROUND_HALF_DOWN
        )
    return int(lots) * near_lot


@dataclass(frozen=True, slots=True)
class Unhedged:
    """What the near leg still needs. `lots` > 0: hedge that many near lots now; `lots` < 0:
    the near leg is ahead (over-hedged). `remainder` is the exposure in near pieces that whole
    lots cannot cover (|remainder| ≤ half a lot), kept for the record."""

    lots: int
    pieces: int
    remainder: Decimal


def unhedged(far_executed: int, near_executed: int, ratio: Decimal, near_lot: int) -> Unhedged:
    """Unhedged quantity = far executed × ratio − near executed, in whole near lots."""
    target = hedge_target_pieces(far_executed, ratio, near_lot)
    with localcontext() as ctx:
        ctx.prec = _PREC
        remainder = tidy(Decimal(far_executed) * ratio - target)
    pieces = target - near_executed
    # near_executed is whole lots at the broker; round towards zero defensively otherwise.
    lots = int(Decimal(pieces) / near_lot) if pieces % near_lot else pieces // near_lot
    return Unhedged(lots=lots, pieces=pieces, remainder=remainder)


# --------------------------------------------------------------------------- prices


def to_roubles(leg: LegSpec, price: Decimal) -> Decimal:
    """Price of one piece in roubles: futures points → roubles, shares unchanged."""
    if leg.kind == "future":
        if leg.min_price_increment_amount is None:
            raise SpreadError("spread_no_increment_amount", ticker=leg.ticker)
        return points_to_money(price, leg.min_price_increment, leg.min_price_increment_amount)
    return price


def spread_price(
    far: LegSpec, near: LegSpec, ratio: Decimal, far_price: Decimal, near_price: Decimal
) -> Decimal:
    """far price − ratio × near price, roubles per far piece (inputs in quote units)."""
    with localcontext() as ctx:
        ctx.prec = _PREC
        return tidy(to_roubles(far, far_price) - ratio * to_roubles(near, near_price))


def walk_book(levels: Sequence[LevelLike], lots: int) -> Decimal | None:
    """Volume-weighted price of taking `lots` from `levels` (best first); None when the book
    cannot fill them. For zero lots, the best price (None on an empty side)."""
    if lots <= 0:
        return levels[0].price if levels else None
    left = lots
    total = Decimal(0)
    with localcontext() as ctx:
        ctx.prec = _PREC
        for level in levels:
            if level.lots <= 0:
                continue
            take = min(left, level.lots)
            total += level.price * take
            left -= take
            if left == 0:
                return tidy(total / lots)
    return None


def worst_level(levels: Sequence[LevelLike], lots: int) -> Decimal | None:
    """Price of the deepest level needed to take `lots`; None when the book cannot fill them."""
    left = lots
    for level in levels:
        if level.lots <= 0:
            continue
        left -= level.lots
        if left <= 0:
            return level.price
    return None


def passive_price(
    levels: Sequence[LevelLike], own_price: Decimal | None = None, own_lots: int = 0
) -> Decimal | None:
    """The best price of a side once our own resting order (`own_lots` at `own_price`) is taken
    out of it: where a passive order should stand. None on an empty side."""
    for level in levels:
        lots = level.lots
        if own_price is not None and level.price == own_price:
            lots -= min(own_lots, lots)
        if lots > 0:
            return level.price
    return None


def meets_target(direction: Direction, executable: Decimal, target: Decimal) -> bool:
    """Selling the spread wants it high (≥ target); buying wants it low (≤ target)."""
    return executable >= target if direction == "sell" else executable <= target


@dataclass(frozen=True, slots=True)
class Executable:
    """The executable spread for a far order of `far_lots` lots.

    `spread` is None when it cannot be priced: `reason` is "no_far_price" (the far side is
    empty) or "not_enough_depth" (the near book cannot absorb the hedge)."""

    spread: Decimal | None
    far_price: Decimal | None
    near_price: Decimal | None  # VWAP of the hedge, quote units
    far_lots: int
    near_lots: int
    reason: str | None = None


def executable_spread(
    direction: Direction,
    far: LegSpec,
    near: LegSpec,
    ratio: Decimal,
    far_book: BookLike,
    near_book: BookLike,
    far_lots: int,
    far_price: Decimal | None = None,
) -> Executable:
    """The spread we would realise now per far piece: far leg at the passive price of our
    resting order (best ask when selling far, best bid when buying it — or `far_price` when
    given), near leg at the VWAP its hedge would pay walking the opposite side of the near book
    for the hedge of `far_lots` far lots."""
    far_dir, near_dir = leg_directions(direction)
    if far_price is None:
        far_price = passive_price(far_book.asks if far_dir == "sell" else far_book.bids)
    near_lots = hedge_target_pieces(far_lots * far.lot, ratio, near.lot) // near.lot
    near_side = near_book.asks if near_dir == "buy" else near_book.bids
    near_price = walk_book(near_side, near_lots)
    if far_price is None:
        return Executable(None, None, near_price, far_lots, near_lots, "no_far_price")
    if near_price is None:
        return Executable(None, far_price, None, far_lots, near_lots, "not_enough_depth")
    value = spread_price(far, near, ratio, far_price, near_price)
    return Executable(value, far_price, near_price, far_lots, near_lots)


def max_far_lots(
    direction: Direction,
    far: LegSpec,
    near: LegSpec,
    ratio: Decimal,
    far_book: BookLike,
    near_book: BookLike,
    target: Decimal,
    limit_lots: int,
    far_price: Decimal | None = None,
) -> tuple[int, Executable | None]:
    """The largest far order (in lots, ≤ `limit_lots`) whose executable spread meets `target`,
    with its Executable; (0, None) when not even one lot does. Deeper hedges only get worse, so
    a binary search is exact."""
    best: tuple[int, Executable | None] = (0, None)
    lo, hi = 1, limit_lots
    while lo <= hi:
        mid = (lo + hi) // 2
        ex = executable_spread(direction, far, near, ratio, far_book, near_book, mid, far_price)
        if ex.spread is not None and meets_target(direction, ex.spread, target):
            best = (mid, ex)
            lo = mid + 1
        else:
            hi = mid - 1
    return best


def hedge_limit_price(
    near_dir: Direction, near_book: BookLike, lots: int, increment: Decimal, slip_ticks: int
) -> Decimal | None:
    """A marketable limit price for a hedge of `lots`: the deepest level it needs (or the last
    level of the book when it is too thin) crossed by `slip_ticks` increments, aligned to the
    increment away from the book. None when the side is empty (send a market order)."""
    side = near_book.asks if near_dir == "buy" else near_book.bids
    levels = [lv for lv in side if lv.lots > 0]
    if not levels:
        return None
    deepest = worst_level(levels, lots)
    if deepest is None:
        deepest = levels[-1].price
    with localcontext() as ctx:
        ctx.prec = _PREC
        if near_dir == "buy":
            return align_price(deepest + increment * slip_ticks, increment, "ceil")
        return align_price(deepest - increment * slip_ticks, increment, "floor")


def average_spread(
    far: LegSpec,
    near: LegSpec,
    ratio: Decimal,
    far_average: Decimal | None,
    near_average: Decimal | None,
) -> Decimal | None:
    """Realised spread per far piece from the legs' average fill prices (quote units)."""
    if far_average is None or near_average is None:
        return None
    return spread_price(far, near, ratio, far_average, near_average)


def vwap_add(average: Decimal | None, quantity: int, price: Decimal, fill_quantity: int) -> Decimal:
    """The new average after adding `fill_quantity` at `price` to `quantity` at `average`."""
    with localcontext() as ctx:
        ctx.prec = _PREC
        if average is None or quantity <= 0:
            return price
        total = average * quantity + price * fill_quantity
        return tidy(total / (quantity + fill_quantity))


__all__ = [
    "Book",
    "BookLike",
    "Direction",
    "Executable",
    "LegName",
    "LegSpec",
    "Level",
    "LevelLike",
    "SpreadError",
    "Unhedged",
    "average_spread",
    "check_amount",
    "derive_ratio",
    "executable_spread",
    "far_pieces_for",
    "hedge_limit_price",
    "hedge_target_pieces",
    "leg_directions",
    "max_far_lots",
    "meets_target",
    "near_pieces_for",
    "opposite",
    "passive_price",
    "spread_price",
    "tidy",
    "to_roubles",
    "unhedged",
    "vwap_add",
    "walk_book",
    "worst_level",
]
