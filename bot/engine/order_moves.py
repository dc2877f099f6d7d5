"""When a resting order may be moved: never for a flicker (pure; times in seconds).

A resting limit order (a spread's far leg, a sell/buy job's order) follows the best price. Each
move is a cancel and a new order: with the broker's ~100 orders a minute, and the account graded
on filled / placed, an order must not be moved for a price that flickers between two neighbours.

Rules (`MoveRules`, configurable):
- never re-placed at the price it already stands at;
- moved to a new price only once that price has been the wanted one for `hold` seconds without a
  break (a different wanted price restarts the wait);
- at most `per_minute` orders placed per minute for one order's job (placements after a move or a
  pull, and the first one, all count); when spent, the order stays where it is (or, pulled, stays
  out) until the oldest placement of the minute is a minute old;
- an order whose price is no longer executable is pulled at once, whatever the hold and budget
  (the caller decides what "executable" means; see the spread machine and the sell/buy job), and
  after such a pull the next placement waits `hold` seconds (a flicker of the target does not
  pull and place every few milliseconds).

Default: hold 1 s, 12 placements a minute (one order's job uses at most an eighth of the
broker's order budget, and a flicker of up to a second never moves anything).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from decimal import Decimal

WINDOW = 60.0  # the budget's window, seconds


@dataclass(frozen=True, slots=True)
class MoveRules:
    hold: float = 1.0  # seconds a new price must hold before the order moves to it
    per_minute: int = 12  # orders placed per minute, at most


class MoveGate:
    def __init__(self, rules: MoveRules | None = None) -> None:
        self.rules = rules or MoveRules()
        self._pending: tuple[Decimal, float] | None = None
        self._placed: deque[float] = deque()
        self._cool_until = 0.0

    def settled(self, price: Decimal, now: float) -> bool:
        """Whether `price`, the price the order should stand at now, has been so for `hold`
        seconds. Call it at every decision while the order stands elsewhere."""
        if self._pending is None or self._pending[0] != price:
            self._pending = (price, now)
        return now - self._pending[1] >= self.rules.hold

    def steady(self) -> None:
        """The order stands where it should: no move pending."""
        self._pending = None

    def may_place(self, now: float) -> bool:
        """Whether an order may be placed now (budget and the wait after a pull)."""
        self._expire(now)
        return now >= self._cool_until and len(self._placed) < self.rules.per_minute

    def may_move(self, price: Decimal, now: float) -> bool:
        """Whether the standing order may be moved to `price` now: the price has held and a new
        order may be placed."""
        return self.settled(price, now) and self.may_place(now)

    def placed(self, now: float) -> None:
        self._placed.append(now)
        self._pending = None

    def pulled(self, now: float) -> None:
        """The order was pulled (no longer executable): the next placement waits `hold`."""
        self._cool_until = now + self.rules.hold
        self._pending = None

    def wake_at(self, now: float) -> float | None:
        """When, after `now`, a decision could change with no new input (a hold maturing, the
        wait after a pull ending, the budget coming back)."""
        times: list[float] = []
        if self._pending is not None:
            times.append(self._pending[1] + self.rules.hold)
        times.append(self._cool_until)
        if len(self._placed) >= self.rules.per_minute and self._placed:
            times.append(self._placed[0] + WINDOW)
        later = [t for t in times if t > now]
        return min(later) if later else None

    def _expire(self, now: float) -> None:
        while self._placed and now - self._placed[0] >= WINDOW:
            self._placed.popleft()
