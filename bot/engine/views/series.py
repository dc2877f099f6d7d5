"""Pure: a task's executable price history, bounded and downsampled.

Samples come every few seconds; the series keeps at most one point per `step` seconds (the last
sample of each step) and at most `capacity` points: when full, every other old point is dropped
and the step doubles, so memory stays bounded however long a task runs, with coarser detail far
back. Points not yet sent to the Base wait in `pending` (bounded the same way).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class QuotePoint:
    at: datetime
    sell: Decimal | None  # executable to sell (spread) / best bid (sell/buy task)
    buy: Decimal | None  # executable to buy (spread) / best ask
    target: Decimal | None = None

    def to_json(self) -> dict[str, str | None]:
        def text(value: Decimal | None) -> str | None:
            return None if value is None else str(value)

        return {
            "at": self.at.isoformat(),
            "sell": text(self.sell),
            "buy": text(self.buy),
            "target": text(self.target),
        }


@dataclass
class QuoteSeries:
    step: float = 30.0  # seconds per point (grows when the series is thinned)
    capacity: int = 500
    points: list[QuotePoint] = field(default_factory=list)
    pending: list[QuotePoint] = field(default_factory=list)

    def add(self, point: QuotePoint) -> None:
        if point.sell is None and point.buy is None:
            return
        last = self.points[-1] if self.points else None
        if last is not None and (point.at - last.at).total_seconds() < self.step:
            if point.at < last.at:
                return  # late sample: never rewrite history
            self.points[-1] = point  # the same step: keep its latest sample
            if self.pending and self.pending[-1].at == last.at:
                self.pending[-1] = point
            else:
                self.pending.append(point)
            return
        self.points.append(point)
        self.pending.append(point)
        if len(self.points) > self.capacity:
            self.points = _thin(self.points)
            self.step *= 2
        if len(self.pending) > self.capacity:
            self.pending = _thin(self.pending)

    def take_pending(self) -> list[QuotePoint]:
        taken, self.pending = self.pending, []
        return taken

    def give_back(self, points: list[QuotePoint]) -> None:
        """Points that could not be sent: they go first again (bounded)."""
        merged = points + self.pending
        while len(merged) > self.capacity:
            merged = _thin(merged)
        self.pending = merged


def _thin(points: list[QuotePoint]) -> list[QuotePoint]:
    """Every other point, always keeping the newest."""
    kept = points[-1::-2][::-1]
    return kept
