"""Pure: a task's chart as data (the Base's stored history plus what is not sent yet)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from bot.base_client.types import opt_dec, parse_time
from bot.engine.views.series import QuotePoint


@dataclass(frozen=True, slots=True)
class ChartFill:
    at: datetime
    price: Decimal  # for a spread: the realised spread of a far fill (RUB per far piece)
    quantity: int = 0


@dataclass(frozen=True, slots=True)
class Chart:
    task_kind: str  # "spread" | "sellbuy"
    task_id: int
    title: str
    direction: str
    target: Decimal | None
    points: tuple[QuotePoint, ...]
    fills: tuple[ChartFill, ...]


def chart_from_json(data: dict[str, Any], unsent: Iterable[QuotePoint] = ()) -> Chart:
    """The Base's chart answer (docs/base-api.md, charts/) merged with points not sent yet."""
    stored = [
        QuotePoint(
            at=parse_time(p["at"]),
            sell=opt_dec(p.get("sell")),
            buy=opt_dec(p.get("buy")),
            target=opt_dec(p.get("target")),
        )
        for p in data.get("points") or ()
    ]
    return Chart(
        task_kind=str(data["task_kind"]),
        task_id=int(data["task_id"]),
        title=str(data.get("title") or ""),
        direction=str(data.get("direction") or ""),
        target=opt_dec(data.get("target")),
        points=merge_points(stored, unsent),
        fills=tuple(
            ChartFill(parse_time(f["at"]), opt_dec(f["price"]) or Decimal(0), int(f["quantity"]))
            for f in data.get("fills") or ()
        ),
    )


def merge_points(*parts: Iterable[QuotePoint]) -> tuple[QuotePoint, ...]:
    """Points of several sources in time order, one per moment."""
    by_time: dict[datetime, QuotePoint] = {}
    for part in parts:
        for point in part:
            by_time[point.at] = point
    return tuple(by_time[t] for t in sorted(by_time))
