"""What Trademan did over a period (the /stats command and the dashboard): reads only.

Per task and instrument: fills, pieces, volume (RUB), commission (RUB, as the broker charged the
orders), average price. For sell/buy tasks the price improvement of each fill over crossing the
spread when its order was placed (the opposite best price recorded with the order): buying,
`opposite − price`; selling, `price − opposite`; summed in roubles and in basis points of what
crossing would have cost. For spreads the realised average spread over the period's fills
against the target.

Periods: `today` since Moscow midnight, `week` the last 7 days, `month` the last 30 days, `all`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.utils import timezone

from trademan.base.models import Fill, Instrument, Order, Spread

PERIODS = ("today", "week", "month", "all")
MOSCOW = ZoneInfo("Europe/Moscow")
KOPECK = Decimal("0.01")
BP_QUANTUM = Decimal("0.1")
AVERAGE_QUANTUM = Decimal("0.000001")


def period_start(period: str, now: datetime | None = None) -> datetime | None:
    """The first moment (UTC) of a period; None for `all`. ValueError for an unknown name."""
    now = now or timezone.now()
    if period == "today":
        local = now.astimezone(MOSCOW)
        return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(now.tzinfo)
    if period == "week":
        return now - timedelta(days=7)
    if period == "month":
        return now - timedelta(days=30)
    if period == "all":
        return None
    raise ValueError(f"period must be one of {', '.join(PERIODS)}")


@dataclass
class Improvement:
    fills: int = 0
    pieces: int = 0
    roubles: Decimal = Decimal(0)
    crossing_value: Decimal = Decimal(0)  # what crossing the spread would have cost (RUB)

    def add(
        self, instrument: Instrument, direction: str, qty: int, price: Decimal, opposite: Decimal
    ) -> None:
        paid = instrument.price_in_roubles(price) * qty
        crossing = instrument.price_in_roubles(opposite) * qty
        self.fills += 1
        self.pieces += qty
        self.roubles += crossing - paid if direction == "buy" else paid - crossing
        self.crossing_value += crossing

    def merge(self, other: Improvement) -> None:
        self.fills += other.fills
        self.pieces += other.pieces
        self.roubles += other.roubles
        self.crossing_value += other.crossing_value

    @property
    def bp(self) -> Decimal | None:
        if not self.crossing_value:
            return None
        return (self.roubles / self.crossing_value * 10000).quantize(
            BP_QUANTUM, rounding=ROUND_HALF_UP
        )

    def as_dict(self) -> dict[str, object]:
        return {
            "fills": self.fills,
            "pieces": self.pieces,
            "roubles": self.roubles.quantize(KOPECK, rounding=ROUND_HALF_UP),
            "bp": self.bp,
        }


@dataclass
class Row:
    task_kind: str
    task_id: int
    leg: str
    instrument: Instrument
    direction: str
    fills: int = 0
    pieces: int = 0
    value: Decimal = Decimal(0)  # sum of price x pieces in the instrument's units
    volume: Decimal = Decimal(0)  # RUB
    commission: Decimal = Decimal(0)
    improvement: Improvement | None = None
    orders: set[int] = field(default_factory=set)

    @property
    def average_price(self) -> Decimal | None:
        if not self.pieces:
            return None
        return (self.value / self.pieces).quantize(AVERAGE_QUANTUM, rounding=ROUND_HALF_UP)

    def as_dict(self) -> dict[str, object]:
        return {
            "task_kind": self.task_kind,
            "task_id": self.task_id,
            "leg": self.leg or None,
            "ticker": self.instrument.ticker,
            "direction": self.direction,
            "fills": self.fills,
            "pieces": self.pieces,
            "volume": self.volume.quantize(KOPECK, rounding=ROUND_HALF_UP),
            "commission": self.commission.quantize(KOPECK, rounding=ROUND_HALF_UP),
            "average_price": self.average_price,
            "improvement": None if self.improvement is None else self.improvement.as_dict(),
        }


def _spread_rows(spread: Spread, rows: list[Row]) -> dict[str, object] | None:
    far = next((r for r in rows if r.leg == "far"), None)
    near = next((r for r in rows if r.leg == "near"), None)
    ratio = spread.ratio
    realised = None
    if far and near and far.average_price is not None and near.average_price is not None and ratio:
        realised = (
            spread.far.price_in_roubles(far.average_price)
            - ratio * spread.near.price_in_roubles(near.average_price)
        ).quantize(KOPECK, rounding=ROUND_HALF_UP)
    better = None
    if realised is not None:
        gap = realised - spread.target_price
        better = gap if spread.direction == "sell" else -gap
    return {
        "task_id": spread.pk,
        "title": f"{spread.direction} {spread.far.ticker}/{spread.near.ticker}",
        "direction": spread.direction,
        "target": spread.target_price,
        "average_spread": realised,
        "better_than_target": better,
        "far_pieces": far.pieces if far else 0,
        "near_pieces": near.pieces if near else 0,
    }


def stats(period: str, now: datetime | None = None) -> dict[str, object]:
    """The period's results as plain data (the API serialises it; the dashboard shows it)."""
    since = period_start(period, now)
    fills = Fill.objects.select_related("order", "order__instrument")
    if since is not None:
        fills = fills.filter(executed_at__gte=since)
    rows: dict[tuple[str, int, str, int], Row] = {}
    commissions: dict[int, Decimal] = {}
    unknown: set[int] = set()  # orders whose commission the bot has not learnt yet
    for fill in fills.order_by("executed_at", "id"):
        order: Order = fill.order
        kind = order.task_kind or ""
        task_id = order.task_id or 0
        key = (kind, task_id, order.leg, order.instrument_id)
        row = rows.get(key)
        if row is None:
            row = rows[key] = Row(kind, task_id, order.leg, order.instrument, order.direction)
        instrument = order.instrument
        row.fills += 1
        row.pieces += fill.quantity
        row.value += fill.price * fill.quantity
        row.volume += instrument.price_in_roubles(fill.price) * fill.quantity
        if order.pk not in row.orders:
            row.orders.add(order.pk)
            row.commission += order.commission or 0
            commissions[order.pk] = order.commission or Decimal(0)
            if order.commission is None:
                unknown.add(order.pk)
        if kind == "sellbuy" and order.opposite_price is not None:
            if row.improvement is None:
                row.improvement = Improvement()
            row.improvement.add(
                instrument, order.direction, fill.quantity, fill.price, order.opposite_price
            )
    ordered = sorted(rows.values(), key=lambda r: (r.task_kind, -r.task_id, r.leg))
    improvement = Improvement()
    for row in ordered:
        if row.improvement is not None:
            improvement.merge(row.improvement)
    spreads = []
    spread_ids = {r.task_id for r in ordered if r.task_kind == "spread"}
    for spread in Spread.objects.filter(pk__in=spread_ids).select_related("far", "near"):
        summary = _spread_rows(
            spread, [r for r in ordered if r.task_kind == "spread" and r.task_id == spread.pk]
        )
        if summary is not None:
            spreads.append(summary)
    spreads.sort(key=lambda s: -int(str(s["task_id"])))
    return {
        "period": period,
        "since": since,
        "rows": [r.as_dict() for r in ordered],
        "improvement": improvement.as_dict(),
        "spreads": spreads,
        "totals": {
            "fills": sum(r.fills for r in ordered),
            "volume": sum((r.volume for r in ordered), Decimal(0)).quantize(
                KOPECK, rounding=ROUND_HALF_UP
            ),
            "commission": sum(commissions.values(), Decimal(0)).quantize(
                KOPECK, rounding=ROUND_HALF_UP
            ),
            "commission_unknown": len(unknown),
        },
    }


def chart(task_kind: str, task_id: int) -> dict[str, object] | None:
    """A task's quote history (what the bot sent) and its fills, for a chart; None when there
    is no such task. Spread fills are marked at the realised spread of each far fill: its price
    against the first near (hedge) fill after it, or the near leg's average when none."""
    from trademan.base.models import QuotePoint, SellBuyTask

    points = [
        {"at": p.at, "sell": p.sell, "buy": p.buy, "target": p.target}
        for p in QuotePoint.objects.filter(task_kind=task_kind, task_id=task_id).order_by("at")
    ]
    if task_kind == "sellbuy":
        task = SellBuyTask.objects.select_related("instrument").filter(pk=task_id).first()
        if task is None:
            return None
        fills = [
            {
                "at": f.executed_at,
                "leg": None,
                "ticker": task.instrument.ticker,
                "direction": task.direction,
                "quantity": f.quantity,
                "price": f.price,
            }
            for f in Fill.objects.filter(sellbuy=task).order_by("executed_at", "id")
        ]
        return {
            "task_kind": task_kind,
            "task_id": task_id,
            "title": f"{task.direction} {task.amount} {task.instrument.ticker}",
            "direction": task.direction,
            "target": task.limit_price,
            "points": points,
            "fills": fills,
        }
    spread = Spread.objects.select_related("far", "near").filter(pk=task_id).first()
    if spread is None:
        return None
    ratio = spread.ratio or Decimal(1)
    all_fills = list(Fill.objects.filter(spread=spread).order_by("executed_at", "id"))
    near_fills = [f for f in all_fills if f.leg == "near"]
    near_average = spread.near_average
    marks = []
    for fill in all_fills:
        if fill.leg != "far":
            continue
        hedge = next((n for n in near_fills if n.executed_at >= fill.executed_at), None)
        near_price = hedge.price if hedge is not None else near_average
        if near_price is None:
            continue
        value = spread.far.price_in_roubles(fill.price) - ratio * spread.near.price_in_roubles(
            near_price
        )
        marks.append(
            {
                "at": fill.executed_at,
                "leg": "far",
                "ticker": spread.far.ticker,
                "direction": spread.direction,
                "quantity": fill.quantity,
                "price": value.quantize(KOPECK, rounding=ROUND_HALF_UP),
            }
        )
    return {
        "task_kind": task_kind,
        "task_id": task_id,
        "title": f"{spread.direction} {spread.far.ticker}/{spread.near.ticker}",
        "direction": spread.direction,
        "target": spread.target_price,
        "points": points,
        "fills": marks,
    }
