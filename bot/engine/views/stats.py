"""Pure: the Base's /stats answer (docs/base-api.md, Stats) as typed data for rendering."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from bot.base_client.types import dec, opt_dec

PERIODS = ("today", "week", "month", "all")


@dataclass(frozen=True, slots=True)
class Improvement:
    fills: int
    pieces: int
    roubles: Decimal
    bp: Decimal | None


@dataclass(frozen=True, slots=True)
class StatsRow:
    task_kind: str
    task_id: int
    leg: str | None
    ticker: str
    direction: str
    fills: int
    pieces: int
    volume: Decimal
    commission: Decimal
    average_price: Decimal | None
    improvement: Improvement | None


@dataclass(frozen=True, slots=True)
class SpreadResult:
    task_id: int
    title: str
    target: Decimal
    average_spread: Decimal | None
    better_than_target: Decimal | None
    far_pieces: int


@dataclass(frozen=True, slots=True)
class Stats:
    period: str
    rows: tuple[StatsRow, ...]
    improvement: Improvement
    spreads: tuple[SpreadResult, ...]
    fills: int
    volume: Decimal
    commission: Decimal
    commission_unknown: int = 0  # orders whose commission is not known yet (not in the sums)


def _improvement(data: Any) -> Improvement | None:
    if not isinstance(data, dict):
        return None
    return Improvement(
        fills=int(data.get("fills", 0)),
        pieces=int(data.get("pieces", 0)),
        roubles=dec(data.get("roubles", "0")),
        bp=opt_dec(data.get("bp")),
    )


def stats_from_json(data: dict[str, Any]) -> Stats:
    totals = data.get("totals") or {}
    return Stats(
        period=str(data.get("period", "")),
        rows=tuple(
            StatsRow(
                task_kind=str(r.get("task_kind") or ""),
                task_id=int(r.get("task_id") or 0),
                leg=r.get("leg"),
                ticker=str(r["ticker"]),
                direction=str(r["direction"]),
                fills=int(r["fills"]),
                pieces=int(r["pieces"]),
                volume=dec(r["volume"]),
                commission=dec(r["commission"]),
                average_price=opt_dec(r.get("average_price")),
                improvement=_improvement(r.get("improvement")),
            )
            for r in data.get("rows") or ()
        ),
        improvement=_improvement(data.get("improvement")) or Improvement(0, 0, Decimal(0), None),
        spreads=tuple(
            SpreadResult(
                task_id=int(s["task_id"]),
                title=str(s.get("title", "")),
                target=dec(s["target"]),
                average_spread=opt_dec(s.get("average_spread")),
                better_than_target=opt_dec(s.get("better_than_target")),
                far_pieces=int(s.get("far_pieces", 0)),
            )
            for s in data.get("spreads") or ()
        ),
        fills=int(totals.get("fills", 0)),
        volume=dec(totals.get("volume", "0")),
        commission=dec(totals.get("commission", "0")),
        commission_unknown=int(totals.get("commission_unknown", 0)),
    )
