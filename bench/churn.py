"""Order churn: orders placed per filled lot when the best price flickers (issue 8, item 4).

A replay in simulated time (no network, seeded): the best price flickers between two
neighbouring prices every 20 ms (the case seen live: a far order cancelled and placed again
every ~20 ms), the underlying level steps one tick every 10 s (a real move the order must
follow), and every 0.5 s on average the other side takes one lot at the best price (ours when our
order stands there). Two order-move rules are replayed over 10 minutes each:
- before: the order follows every new best price at once (the old behaviour);
- after: bot.engine.order_moves defaults (the order stands at the least aggressive price wanted
  over the last second; at most 12 orders a minute; a far order whose target is gone is pulled
  at once).

Spread: the pure SpreadMachine (the job's decisions) selling a future against SBER; placements,
cancels and fills are answered at once. Sell/buy: the job's rule (stand at the best bid, move
when it changes) with the same gate. Figures: orders placed, lots filled, orders per filled lot,
the busiest minute's orders (the broker allows ~100 a minute for everything).
"""

from __future__ import annotations

import itertools
import random
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

from bot.engine.order_moves import MoveGate, MoveRules
from bot.engine.spreads.machine import (
    Action,
    Cancel,
    OrderUpdate,
    Place,
    SpreadConfig,
    SpreadMachine,
)
from bot.engine.spreads.maths import Book, LegSpec, Level

D = Decimal
STEP = 0.02  # seconds between book updates (the flicker)
DURATION = 300.0  # simulated seconds per run
TREND_EVERY = 10.0  # the level moves one tick this often
TAKE_PROBABILITY = STEP / 0.5  # one lot taken every 0.5 s on average
BEFORE = MoveRules(hold=0.0, per_minute=10**9)
AFTER = MoveRules()

SBER = LegSpec("SBER", "share", lot=10, min_price_increment=D("0.01"))
SRH7 = LegSpec("SRH7", "future", 1, D("1"), D("1"), basic_asset_size=D("100"))
NEAR = Book(bids=(Level(D("299.90"), 10_000),), asks=(Level(D("300.00"), 10_000),))


@dataclass
class Result:
    orders: int = 0
    cancels: int = 0
    lots: int = 0
    busiest_minute: int = 0

    @property
    def per_lot(self) -> float:
        return self.orders / self.lots if self.lots else float("inf")


def far_book(level: Decimal, flicker: bool, ours: Iterable[tuple[Decimal, int, int]] = ()) -> Book:
    """Asks at `level` (deep), on every other update 3 lots one tick better, and our own
    resting orders where they stand."""
    lots: Counter[Decimal] = Counter({level: 50})
    if flicker:
        lots[level - 1] += 3
    for price, size, done in ours:
        lots[price] += size - done
    asks = tuple(Level(price, n) for price, n in sorted(lots.items()))
    return Book(bids=(Level(level - 100, 50),), asks=asks)


def run_spread(rules: MoveRules, seed: int) -> Result:
    rng = random.Random(seed)
    config = SpreadConfig(
        spread_id=1,
        direction="sell",
        far=SRH7,
        near=SBER,
        ratio=D(100),
        amount=100_000,
        max_far_lots_per_order=5,
        target=D(1000),
        far_moves=rules,
    )
    ids = itertools.count(1)
    machine = SpreadMachine(config, lambda: f"o{next(ids)}")
    result = Result()
    minutes: Counter[int] = Counter()
    far_orders: dict[str, tuple[Decimal, int, int]] = {}  # id -> price, lots, executed
    now = 0.0

    later: list[Action] = []  # the exchange answers at the next step (~20 ms later)

    def answer(actions: list[Action]) -> None:
        later.extend(actions)

    def deliver() -> None:
        actions = list(later)
        later.clear()
        for action in actions:
            if isinstance(action, Place):
                if action.leg == "far":
                    assert action.price is not None
                    result.orders += 1
                    minutes[int(now // 60)] += 1
                    far_orders[action.client_order_id] = (action.price, action.lots, 0)
                    answer(machine.on_order(OrderUpdate(action.client_order_id, "new", 0), now))
                else:  # a hedge fills at once
                    update = OrderUpdate(action.client_order_id, "filled", action.lots, D(300))
                    answer(machine.on_order(update, now))
            elif isinstance(action, Cancel) and action.client_order_id in far_orders:
                result.cancels += 1
                _price, _lots, done = far_orders.pop(action.client_order_id)
                update = OrderUpdate(action.client_order_id, "cancelled", done)
                answer(machine.on_order(update, now))

    answer(machine.on_session("far", True, now) + machine.on_session("near", True, now))
    answer(machine.on_book("near", NEAR, now))
    level = D(31500)
    flicker = False
    while now < DURATION:
        now += STEP
        if now % TREND_EVERY < STEP:
            level -= 1
        flicker = not flicker
        deliver()
        book = far_book(level, flicker, far_orders.values())
        answer(machine.on_book("far", book, now) + machine.on_tick(now))
        if rng.random() < TAKE_PROBABILITY and far_orders:
            best = book.asks[0].price
            cid, (price, lots, done) = next(iter(far_orders.items()))
            if price <= best:  # ours is the best ask: the buyer takes a lot from it
                done += 1
                result.lots += 1
                status = "filled" if done >= lots else "partially_filled"
                if done >= lots:
                    del far_orders[cid]
                else:
                    far_orders[cid] = (price, lots, done)
                answer(machine.on_order(OrderUpdate(cid, status, done, price), now))
    result.busiest_minute = max(minutes.values(), default=0)
    return result


def run_sellbuy(rules: MoveRules, seed: int) -> Result:
    """A buy job standing at the best bid (its rule, bot.engine.sellbuy.job, replayed)."""
    rng = random.Random(seed)
    gate = MoveGate(rules, "buy")
    result = Result()
    minutes: Counter[int] = Counter()
    now = 0.0
    level = D("100.00")
    flicker = False
    standing: Decimal | None = None

    def place(price: Decimal) -> None:
        nonlocal standing
        gate.placed(now)
        standing = price
        result.orders += 1
        minutes[int(now // 60)] += 1

    while now < DURATION:
        now += STEP
        if now % TREND_EVERY < STEP:
            level += D("0.01")
        flicker = not flicker
        best = level + (D("0.01") if flicker else 0)  # a better bid appears and goes
        target = gate.held(best, now)
        if standing is None:
            if gate.may_place(now):
                place(target)
        elif target != standing and gate.may_place(now):
            result.cancels += 1
            standing = None
            place(target)
        if rng.random() < TAKE_PROBABILITY and standing is not None and standing >= best:
            result.lots += 1  # a seller hits our bid (the job then places the rest again)
            standing = None
    result.busiest_minute = max(minutes.values(), default=0)
    return result


def report(name: str, run: Callable[[MoveRules, int], Result]) -> None:
    print(f"{name}: {DURATION / 60:.0f} min simulated, flicker every {STEP * 1000:.0f} ms")
    print(f"  {'rule':<8}{'orders':>9}{'cancels':>9}{'lots':>7}{'orders/lot':>12}{'max/min':>9}")
    for label, rules in (("before", BEFORE), ("after", AFTER)):
        r = run(rules, 1)
        print(
            f"  {label:<8}{r.orders:>9}{r.cancels:>9}{r.lots:>7}{r.per_lot:>12.2f}"
            f"{r.busiest_minute:>9}"
        )


def main() -> None:
    report("spread far leg", run_spread)
    report("sell/buy order", run_sellbuy)


if __name__ == "__main__":
    main()
