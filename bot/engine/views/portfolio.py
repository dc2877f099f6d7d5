"""Pure: the account as the owner reads it — positions with unrealised P&L, cash, margin, total;
positions that are legs of a spread grouped under it with the spread's net.

Prices are in the instrument's quote units; `point_value` converts one quote unit to roubles
(1 for shares; `min_price_increment_amount / min_price_increment` for futures in points).
Quantities are in pieces, negative for a short. Money is Decimal throughout.

    value = quantity × current × point_value                        (signed: a short is negative)
    P&L   = (current − average) × quantity × point_value            (a short gains when it falls)
    P&L % = P&L / |average × quantity × point_value| × 100
    total = cash + Σ share values + Σ futures P&L                   (futures are margined: only
                                                                     their unrealised result counts)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

KOPECK = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class Holding:
    """One position as the broker reports it."""

    ticker: str
    quantity: Decimal  # pieces; negative = short
    average: Decimal | None  # quote units per piece
    current: Decimal | None  # quote units per piece
    is_future: bool = False
    point_value: Decimal = Decimal(1)  # roubles per quote unit
    uid: str = ""
    figi: str = ""


@dataclass(frozen=True, slots=True)
class PositionLine:
    ticker: str
    quantity: Decimal
    average: Decimal | None
    current: Decimal | None
    value: Decimal  # RUB, kopecks
    pnl: Decimal | None  # RUB, kopecks
    pnl_percent: Decimal | None  # 0.01 %
    is_future: bool = False
    uid: str = ""
    figi: str = ""


@dataclass(frozen=True, slots=True)
class SpreadLegs:
    """A spread whose legs are grouped: `label` e.g. "#3 sell SiM7/SiH7"."""

    spread_id: int
    label: str
    far_ids: frozenset[str]  # uid and figi of the far leg
    near_ids: frozenset[str]


@dataclass(frozen=True, slots=True)
class Group:
    """A spread's legs (label set) or one position on its own (label None)."""

    label: str | None
    lines: tuple[PositionLine, ...]
    spread_id: int | None = None

    @property
    def value(self) -> Decimal:
        return sum((line.value for line in self.lines), Decimal(0))

    @property
    def pnl(self) -> Decimal | None:
        values = [line.pnl for line in self.lines if line.pnl is not None]
        return sum(values, Decimal(0)) if values else None


@dataclass(frozen=True, slots=True)
class Margin:
    liquid: Decimal  # the broker's liquid portfolio
    used: Decimal  # starting margin
    free: Decimal  # liquid − used


@dataclass(frozen=True, slots=True)
class PortfolioView:
    groups: tuple[Group, ...]
    cash: tuple[tuple[str, Decimal], ...]  # (currency, amount), RUB first
    margin: Margin | None
    total: Decimal  # RUB
    taken_at: datetime
    notes: tuple[str, ...] = field(default=())

    @property
    def lines(self) -> list[PositionLine]:
        return [line for group in self.groups for line in group.lines]


def kopecks(value: Decimal) -> Decimal:
    return value.quantize(KOPECK, rounding=ROUND_HALF_UP)


def position_line(holding: Holding) -> PositionLine:
    """Value and unrealised P&L of one holding (P&L None without an average or a price)."""
    pv = holding.point_value
    current = holding.current
    value = Decimal(0) if current is None else holding.quantity * current * pv
    pnl: Decimal | None = None
    percent: Decimal | None = None
    if current is not None and holding.average is not None:
        raw = (current - holding.average) * holding.quantity * pv
        pnl = kopecks(raw)
        cost = abs(holding.average * holding.quantity * pv)
        if cost:
            percent = (raw / cost * 100).quantize(KOPECK, rounding=ROUND_HALF_UP)
    return PositionLine(
        ticker=holding.ticker,
        quantity=holding.quantity,
        average=holding.average,
        current=current,
        value=kopecks(value),
        pnl=pnl,
        pnl_percent=percent,
        is_future=holding.is_future,
        uid=holding.uid,
        figi=holding.figi,
    )


def _ids(line: PositionLine) -> set[str]:
    return {i for i in (line.uid, line.figi) if i}


def group_positions(
    lines: Iterable[PositionLine], spreads: Sequence[SpreadLegs] = ()
) -> tuple[Group, ...]:
    """Legs of a spread under the spread (far first), each spread taking a position once; then
    everything sorted by the size of its value, largest first."""
    left = list(lines)
    groups: list[Group] = []
    for spread in spreads:
        far = [line for line in left if _ids(line) & spread.far_ids]
        near = [line for line in left if _ids(line) & spread.near_ids and line not in far]
        if not far and not near:
            continue
        taken = far + near
        left = [line for line in left if line not in taken]
        groups.append(Group(spread.label, tuple(taken), spread.spread_id))
    groups.extend(Group(None, (line,)) for line in left)

    def size(group: Group) -> Decimal:
        return sum((abs(line.value) for line in group.lines), Decimal(0))

    return tuple(sorted(groups, key=size, reverse=True))


def total_value(lines: Iterable[PositionLine], cash: Iterable[tuple[str, Decimal]]) -> Decimal:
    """Cash in roubles plus share values plus futures P&L (kopecks)."""
    total = sum((amount for currency, amount in cash if currency == "RUB"), Decimal(0))
    for line in lines:
        if line.is_future:
            total += line.pnl or 0
        else:
            total += line.value
    return kopecks(total)


def build(
    holdings: Iterable[Holding],
    cash: Iterable[tuple[str, Decimal]],
    *,
    taken_at: datetime,
    margin: Margin | None = None,
    spreads: Sequence[SpreadLegs] = (),
) -> PortfolioView:
    lines = [position_line(h) for h in holdings if h.quantity != 0]
    cash_rows = sorted(
        ((c.upper(), kopecks(a)) for c, a in cash), key=lambda row: (row[0] != "RUB", row[0])
    )
    return PortfolioView(
        groups=group_positions(lines, spreads),
        cash=tuple(cash_rows),
        margin=margin,
        total=total_value(lines, cash_rows),
        taken_at=taken_at,
    )


def margin_of(liquid: Decimal | None, starting: Decimal | None) -> Margin | None:
    if liquid is None or starting is None:
        return None
    return Margin(liquid=kopecks(liquid), used=kopecks(starting), free=kopecks(liquid - starting))
