"""Issue 8, item 1 for sell/buy: `/sellbuy` typed at any moment of a restart never starts a
task again from Base totals that miss what the resumed job journaled (its last fills, its
switch-off): the amount is bought once."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bot.base_client.types import NewFill
from bot.engine import events
from bot.engine.interface import JobInfo, SellBuyOrder, UserError
from bot.engine.trader import Engine
from tests.bot.engine.conftest import FAST, EngineFactory, RecordingNotifier, eventually
from tests.bot.engine.fake_broker import FakeBroker
from tests.bot.engine.test_failures import Frozen, FrozenBroker
from tests.support.fake_base import FakeBase

MOMENTS = ["before_start", "during_start", "resumed_running", "resumed_done", "flushed"]


def slow_fills(base: FakeBase) -> tuple[asyncio.Event, asyncio.Event]:
    """(hold, release): once `hold` is set the Base takes no new fill until `release` is (fills
    it already holds, recorded again by a resumed job, pass)."""
    original = base.record_fill
    hold, release = asyncio.Event(), asyncio.Event()

    async def record_fill(fill: NewFill) -> Any:
        if hold.is_set() and (fill.order, fill.trade_id) not in base.fills:
            await release.wait()
        return await original(fill)

    base.record_fill = record_fill  # type: ignore[method-assign]
    return hold, release


async def sellbuy_command(engine: Engine) -> list[JobInfo] | str:
    try:
        return list(await engine.start_sellbuy_all())
    except UserError as exc:
        return exc.key


@pytest.mark.parametrize("moment", MOMENTS)
async def test_sellbuy_typed_at_any_moment_of_a_restart_buys_once(
    make_engine: EngineFactory,
    broker: FakeBroker,
    base: FakeBase,
    notifier: RecordingNotifier,
    tmp_path: Path,
    moment: str,
) -> None:
    state = tmp_path / "state"
    dying_broker = FrozenBroker(broker)
    dying_base = Frozen(base)
    first = make_engine(
        broker_=dying_broker,
        base_=dying_base,
        state_dir=state,
        options=replace(FAST, stop_timeout=0.2),
    )
    await first.start()
    info = await first.start_sellbuy(SellBuyOrder("buy", "SBER", amount=50))
    task_id = info.task_id
    assert task_id is not None
    await eventually(lambda: len(broker.live_orders()) == 1, "first order")
    order = broker.live_orders()[0]
    broker.fill(order, 2)
    await eventually(lambda: first.jobs()[0].executed == 20, "first engine saw the fill")
    await first.recorder.wait_flushed()
    dying_broker.frozen = True  # the process dies
    dying_base.freeze()

    hold, release = slow_fills(base)
    second = make_engine(state_dir=state)
    before = len(notifier.of(events.JobStarted))

    def resumed_done() -> bool:
        return any(f.outcome == "done" for f in notifier.of(events.JobFinished))

    async def finish_resumed() -> None:
        """The resumed job gets its last fill; the Base is slow to take it."""
        await eventually(
            lambda: any(j.rounds > 0 for j in second._registry.jobs()),
            "job resumed, its order adopted",
            diag=notifier.describe,
        )
        hold.set()
        broker.fill(broker.live_orders()[0], 3)
        await eventually(resumed_done, "the resumed job ended", diag=notifier.describe)

    command: asyncio.Task[list[JobInfo] | str]
    if moment == "before_start":
        command = asyncio.create_task(sellbuy_command(second))
        await second.start()
        await finish_resumed()
    elif moment == "during_start":
        starting = asyncio.create_task(second.start())
        await asyncio.sleep(0)
        command = asyncio.create_task(sellbuy_command(second))
        await starting
        await finish_resumed()
    elif moment == "resumed_running":
        await second.start()
        command = asyncio.create_task(sellbuy_command(second))
        await finish_resumed()
    else:
        await second.start()
        await finish_resumed()
        if moment == "flushed":
            release.set()
            await asyncio.wait_for(second.recorder.wait_flushed(), 10)
        command = asyncio.create_task(sellbuy_command(second))
    result = await asyncio.wait_for(command, 10)
    release.set()
    await asyncio.wait_for(second.recorder.wait_flushed(), 10)
    await second.wait_idle()

    assert result in ([], "no_active_tasks"), result
    assert len(notifier.of(events.JobStarted)[before:]) == 1
    bought = sum(o.executed for o in broker.orders.values())
    assert bought == 5, f"exactly 5 lots bought, got {bought}"
    assert base.progress(task_id)[0] == 50 and not base.tasks[task_id].active
