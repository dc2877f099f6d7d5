"""When a resting order may be moved: never for a flicker (pure; times in seconds).

A resting limit order (a spread's far leg, a sell/buy job's order) follows the best price. Each
move is a cancel and a new order: with the broker's ~100 orders a minute, and the account graded
on filled / placed, an order must not be moved for a price that flickers between two neighbours.

Rules (`MoveRules`, configurable):
- the order stands at the *held* price: the least aggressive of the prices it should have stood
  at during the last `hold` seconds (selling: the highest, buying: the lowest). A better price
  that flickers in and out never becomes the held price; one that stays for `hold` seconds does;
  a move to a less aggressive price (the market going away) is taken at once;
- never re-placed at the price it already stands at;
- at most `per_minute` orders placed a minute for one job's order (the first, those after a move
  or a pull); when spent, the order stays where it is (or, pulled, stays out) until the oldest
  placement of the minute is a minute old;
- an order that is no longer executable is pulled at once, whatever the hold and the budget
  (the caller says what that means: a spread's far order whose target is no longer met at its
  price; a sell/buy order within the owner's limit never is), and after such a pull the next
  placement waits `hold` seconds, so a flickering target does not pull and place every few
  milliseconds.

Default: hold 1 s, 12 placements a minute (one job uses at most an eighth of the broker's
~100 orders a minute, and a flicker shorter than a second never moves anything).
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
    """The move rules of one job's order. `direction` is the order's side."""

    def __init__(self, rules: MoveRules | None = None, direction: str = "buy") -> None:
        self.rules = rules or MoveRules()
        self._selling = direction == "sell"
        self._seen: deque[tuple[float, Decimal]] = deque()  # (since, wanted price)
        self._placed: deque[float] = deque()
        self._cool_until = 0.0

    def held(self, price: Decimal, now: float) -> Decimal:
        """Record `price`, where the order should stand now (the best price), and return the
        held price: the least aggressive one wanted during the last `hold` seconds."""
        if not self._seen or self._seen[-1][1] != price:
            self._seen.append((now, price))
        start = now - self.rules.hold
        while len(self._seen) > 1 and self._seen[1][0] <= start:
            self._seen.popleft()
        prices = [p for _t, p in self._seen]
        return max(prices) if self._selling else min(prices)

    def may_place(self, now: float) -> bool:
        """Whether an order may be placed now (budget and the wait after a pull)."""
        while self._placed and now - self._placed[0] >= WINDOW:
            self._placed.popleft()
        return now >= self._cool_until and len(self._placed) < self.rules.per_minute

    def placed(self, now: float) -> None:
        self._placed.append(now)

    def pulled(self, now: float) -> None:
        """The order was pulled (no longer executable): the next placement waits `hold`."""
        self._cool_until = now + self.rules.hold

    def wake_at(self, now: float) -> float | None:
        """When, after `now`, a decision could change with no new input (an old price leaving
        the hold window, the wait after a pull ending, the budget coming back)."""
        times = [self._cool_until]
        if len(self._seen) > 1:
            times.append(self._seen[1][0] + self.rules.hold)
        if len(self._placed) >= self.rules.per_minute and self._placed:
            times.append(self._placed[0] + WINDOW)
        later = [t for t in times if t > now]
        return min(later) if later else None
