"""Seeded random sequences of book moves, fills and lost answers: whatever happens, a job never
has two live orders, never buys more than its amount, and the Base ends up with every fill."""

from __future__ import annotations

import random
from dataclasses import replace
from decimal import Decimal

import pytest

from bot.engine.interface import SellBuyOrder
from bot.engine.sellbuy import passive_price
from tests.bot.engine.conftest import FAST, EngineFactory, eventually
from tests.bot.engine.fake_broker import FakeBroker
from tests.support.fake_base import FakeBase

TICK = Decimal("0.01")


@pytest.mark.parametrize("seed", range(6))
async def test_random_market_never_breaks_the_rules(
    seed: int, make_engine: EngineFactory, broker: FakeBroker, base: FakeBase
) -> None:
    rng = random.Random(seed)
    direction = rng.choice(["buy", "sell"])
    limit = Decimal("100.05") if rng.random() < 0.5 else None
    bid = Decimal("100.00")
    broker.set_book("uid-sber", bid, bid + 10 * TICK)
    # the walk moves the book more often than the budget of orders a minute allows: lifted here,
    # where following every price is the point (the budget has its own tests)
    engine = make_engine(options=replace(FAST, order_moves_per_minute=100_000))
    await engine.start()
    info = await engine.start_sellbuy(
        SellBuyOrder(direction, "SBER", amount=200, limit_price=limit),  # type: ignore[arg-type]
        allow_short=200,
    )
    assert info.task_id is not None
    history: list[str] = []

    def executed_lots() -> int:
        return sum(o.executed for o in broker.orders.values())

    def settled() -> bool:
        """The job has caught up: one live order at the price it should stand at."""
        if not engine.jobs():
            return True
        live = broker.live_orders()
        book = broker.books["uid-sber"]
        target = passive_price(book, direction, limit)  # type: ignore[arg-type]
        return (
            len(live) == 1
            and live[0].price == target
            and live[0].lots == (20 - executed_lots() + live[0].executed)
        )

    for _step in range(25):
        await eventually(settled, f"job settled (seed {seed}): {history}")
        action = rng.random()
        if action < 0.4:
            bid += TICK * rng.choice([-2, -1, 1, 2])
            broker.set_book("uid-sber", bid, bid + 10 * TICK)
            history.append(f"book {bid}")
        elif action < 0.75 and broker.live_orders():
            order = broker.live_orders()[0]
            lots = rng.randint(1, max(1, (order.lots - order.executed) // 2))
            broker.fill(order, lots)
            history.append(f"fill {lots}")
        elif action < 0.9:
            broker.lose_next_posts += 1
            bid += TICK
            broker.set_book("uid-sber", bid, bid + 10 * TICK)
            history.append(f"lost answer, book {bid}")
        else:
            broker.drop_next_posts += 1
            bid -= TICK
            broker.set_book("uid-sber", bid, bid + 10 * TICK)
            history.append(f"lost request, book {bid}")
        assert executed_lots() <= 20, history
        assert broker.max_live["uid-sber"] <= 1, history

    # finish: fill whatever is left
    while engine.jobs():
        await eventually(settled, f"job settled at the end (seed {seed}): {history}")
        if engine.jobs() and broker.live_orders():
            order = broker.live_orders()[0]
            broker.fill(order, order.lots - order.executed)
    await engine.wait_idle()
    await engine.recorder.wait_flushed()
    assert executed_lots() == 20, history
    assert broker.max_live["uid-sber"] == 1, history
    executed, _average = base.progress(info.task_id)
    assert executed == 200, (executed, history)
    pieces = sum(f.quantity for f in base.task_fills(info.task_id))
    assert pieces == 200
    if limit is not None:
        prices = {o.price for o in broker.orders.values()}
        assert (
            all(p <= limit for p in prices)
            if direction == "buy"
            else all(p >= limit for p in prices)
        ), (prices, history)
