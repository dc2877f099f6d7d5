"""The recording as a what-if reads it: the two legs' events, the moments they changed, and
where the replay may jump over moments without the spread job noticing.

Skipping (the driver jumps the clock over recorded moments while the job is idle: no order
open, nothing to hedge) must not change anything the job does. While idle, the job's decisions
depend on the books it is shown, the time, and one piece of history: the far order's *held*
price (`bot.engine.order_moves.MoveGate`), the least aggressive of the passive prices it saw in
the last `hold` seconds and the one in force when they began. Placing needs a far lot that
meets the target at the held price, and that depends on the near book only (the far price is
given), monotonically in the price. So, per recorded moment k, with W(k) the passive far prices
of the moments from the one in force at t(k) - hold up to k, the job cannot place at k when the
best price of W(k) does not meet the target against the near book before or after k's events
(`quiet[k]`; a moment whose window holds an empty far side or starts before the recording is
never quiet).

Jumping from moment x (the job idle there, and idle since at least `hold` before x, so the
held price at x comes from idle moments) to moment y > x gives a job that sees the same books
as a job stepped through every moment from y on, and whose held-price history differs only by
the price of x standing in for the skipped ones; the difference is gone `hold` seconds after y.
The jump is exact when neither job can act in between: every moment after x and before
t(y) + hold is quiet, and the price of x does not meet the target against the near books from
x's on until t(y) + hold (nor does y's price against x's near book, the job's view between
y's far and near books). `jump_target` finds the latest such y.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, cast

from bot.base_client.types import Spread
from bot.broker.types import PriceLevel
from bot.engine.spreads.legs import spread_config
from bot.engine.spreads.machine import SpreadConfig
from bot.engine.spreads.maths import (
    BookLike,
    LegName,
    SpreadError,
    max_far_lots,
    passive_price,
)
from bot.engine.tape import format as fmt

if TYPE_CHECKING:  # the simulator is imported when a what-if runs (a bot may lack it)
    from simulator.replay import TapeRecord


@dataclass
class LegTimeline:
    """The moments the legs' books or prices changed (sorted), the events per leg ticker, and
    per moment: the near book in force once its events are in, the passive far price,
    and whether the job surely cannot place a far order then (`quiet`, see the module).
    `records` are the legs' events for the replaying simulator, in time order."""

    moments: list[datetime]
    counts: dict[str, int]
    near: list[BookLike | None]
    passive: list[Decimal | None]
    quiet: list[bool]
    config: SpreadConfig | None
    hold: timedelta
    records: list[TapeRecord] = field(default_factory=list)
    # the first moment after each one that is not quiet (len when none)
    _loud_after: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        loud_after = [len(self.moments)] * len(self.moments)
        nxt = len(self.moments)
        for k in range(len(self.moments) - 1, -1, -1):
            loud_after[k] = nxt
            if not self.quiet[k]:
                nxt = k
        self._loud_after = loud_after

    def meets(self, price: Decimal | None, near: BookLike | None) -> bool:
        """Whether one far lot at `price` meets the target against `near` (True when it cannot
        be told)."""
        return _meets(self.config, near, price)

    def jump_target(self, x: int, now: datetime, tick: timedelta) -> int | None:
        """The moment the replay may jump to from `now` (moment `x` in force), where the job is
        settled and idle and has been since at least `hold` before (see the module); None when
        no jump is exact. `tick` is the job's tick interval (see `whatif._next_step`). The
        latest such moment is tried first, then jumps half as long, and so on: the further the
        jump, the further apart the legs' books the job sees side by side on arrival."""
        moments, hold = self.moments, self.hold
        loud = self._loud_after[x]  # the job may act there: the jump must end `hold` before
        y = loud - 1
        if loud < len(moments):
            while y > x and moments[y] + hold >= moments[loud]:
                y -= 1
        while y > x + 1 and moments[y] - now >= max(hold, tick):
            # a step of the clock lands on y in the run that does not skip (`_next_step`)
            if moments[y] - moments[y - 1] >= 2 * tick and self._unseen(x, y):
                return y
            y = x + (y - x) // 2
        return None

    def _unseen(self, x: int, y: int) -> bool:
        """Whether the jump from x to y changes nothing the job does: its old far price (x's)
        meets the target against no near book from x's until `hold` after y, nor y's far price
        against x's near book (the job's view once y's far book is in, before its near one)."""
        moments, hold = self.moments, self.hold
        price = self.passive[x]
        if self.meets(price, self.near[x]) or self.meets(self.passive[y], self.near[x]):
            return False
        k = y
        while k < len(moments) and moments[k] < moments[y] + hold:
            if self.meets(price, self.near[k]):
                return False
            k += 1
        return True


def _meets(config: SpreadConfig | None, near: BookLike | None, price: Decimal | None) -> bool:
    """The job's own maths: one far lot at `price`, hedged in `near`, meets the target (the
    far book is not read when the far price is given)."""
    if config is None or near is None or price is None:
        return True  # cannot tell
    lots, _ = max_far_lots(
        config.direction, config.far, config.near, config.ratio, near, near, config.target, 1, price
    )
    return lots > 0


class _Levels:
    """Reads the price levels of the tape (as `format` does) into the broker's `PriceLevel`,
    one object per distinct level: a day's books repeat the same levels over and over, and the
    recording is held for the replay."""

    def __init__(self) -> None:
        self._known: dict[tuple[str, int], PriceLevel] = {}

    def __call__(self, raw: object) -> tuple[PriceLevel, ...]:
        if not isinstance(raw, list):
            return ()
        known = self._known
        out = []
        for item in raw:
            if not (isinstance(item, list) and len(item) == 2):
                continue
            price, lots = item
            if type(price) is str and type(lots) is int:
                level = known.get((price, lots))
                if level is None:
                    level = known[(price, lots)] = PriceLevel(Decimal(price), lots)
            else:
                level = PriceLevel(Decimal(str(price)), int(lots))
            out.append(level)
        return tuple(out)


def scan(files: list[Path], spread: Spread, hold: float, tick: float) -> LegTimeline:
    """Read the legs' events of the recording (`spread.target_price` is the target tried;
    `hold` the seconds a far price must hold before the job moves its order to it, `tick` the
    job's tick interval)."""
    from simulator.replay import TapeRecord

    legs: dict[tuple[str, str], LegName] = {
        (spread.far.ticker, spread.far.class_code): "far",
        (spread.near.ticker, spread.near.class_code): "near",
    }
    by_uid: dict[str, LegName] = {spread.far.uid: "far", spread.near.uid: "near"}

    def leg_of(ticker: str, class_code: str, uid: str) -> LegName | None:
        return legs.get((ticker, class_code)) or by_uid.get(uid)

    def keep(ticker: str, class_code: str, uid: str) -> bool:
        return leg_of(ticker, class_code, uid) is not None

    counts = {spread.far.ticker: 0, spread.near.ticker: 0}
    levels = _Levels()
    found: list[tuple[LegName, TapeRecord]] = []
    for path in files:
        for event in fmt.read_file(path, levels, keep):
            leg = leg_of(event.ticker, event.class_code, event.uid)
            assert leg is not None
            counts[spread.far.ticker if leg == "far" else spread.near.ticker] += 1
            record = TapeRecord(
                kind=event.kind,
                uid=event.uid,
                figi=event.figi,
                ticker=event.ticker,
                class_code=event.class_code,
                time=event.exchange_time or event.receive_time,
                bids=event.bids,
                asks=event.asks,
                price=event.price,
            )
            found.append((leg, record))
    found.sort(key=lambda item: item[1].time)  # stable: as the simulator orders a recording
    try:
        config: SpreadConfig | None = spread_config(spread)
    except SpreadError:
        config = None
    selling = config is None or config.far_direction == "sell"
    # the books are the records themselves: their levels are the broker's PriceLevel
    books: dict[LegName, BookLike | None] = {"far": None, "near": None}
    moments: list[datetime] = []
    near: list[BookLike | None] = []
    passive: list[Decimal | None] = []
    for index, (leg, record) in enumerate(found):
        if record.kind == "book":
            books[leg] = cast(BookLike, record)
        moment = record.time
        if index + 1 < len(found) and found[index + 1][1].time == moment:
            continue  # the books as they stand once every event of this moment is in
        moments.append(moment)
        near.append(books["near"])
        book = books["far"]
        passive.append(None if book is None else passive_price(book.asks if selling else book.bids))
    # the job decides at steps of the clock, at most a tick apart where the recording is denser:
    # the price in force `hold` before a decision is one of the moments a tick earlier
    quiet = _quiet(config, moments, near, passive, timedelta(seconds=hold + max(tick, 0)), selling)
    return LegTimeline(
        moments,
        counts,
        near,
        passive,
        quiet,
        config,
        timedelta(seconds=hold),
        [record for _leg, record in found],
    )


def _quiet(
    config: SpreadConfig | None,
    moments: list[datetime],
    near: list[BookLike | None],
    passive: list[Decimal | None],
    hold: timedelta,
    selling: bool,
) -> list[bool]:
    """Per moment k: the best passive price of W(k) (the moments from the one in force at
    t(k) - hold up to k) cannot place one far lot against the near book before or after k."""
    quiet: list[bool] = []
    start = -1  # the moment in force at t(k) - hold (-1: before the recording)
    best: deque[int] = deque()  # moments of the window, their prices ever less good
    empty: list[int] = [0]  # moments with no passive price, running count
    for k, price in enumerate(passive):
        empty.append(empty[-1] + (price is None))
        while start + 1 <= k and moments[start + 1] <= moments[k] - hold:
            start += 1
        if price is not None:
            while best and _better_or_equal(price, passive[best[-1]], selling):
                best.pop()
            best.append(k)
        while best and best[0] < start:
            best.popleft()
        if start < 0 or k == 0 or empty[k + 1] - empty[start] or not best:
            quiet.append(False)
            continue
        top = passive[best[0]]
        quiet.append(not _meets(config, near[k - 1], top) and not _meets(config, near[k], top))
    return quiet


def _better_or_equal(price: Decimal, other: Decimal | None, selling: bool) -> bool:
    """For the spread: selling the far leg wants it high, buying it low."""
    assert other is not None
    return price >= other if selling else price <= other
