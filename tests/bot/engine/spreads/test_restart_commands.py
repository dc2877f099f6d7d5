"""Issue 8, item 1: a spread's near leg hedged twice after a restart.

The far order fills while the bot is dead; the restarted engine resumes the spread, hedges and
switches it off, but the Base is slow to take those records. `/spreads` typed at any moment of
that restart must not start a second job from the Base's old totals (far 2, near 0) and hedge
again: the near leg is bought exactly once.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.base_client.types import NewFill
from bot.engine import events
from bot.engine.interface import JobInfo, UserError
from tests.bot.engine.spreads.harness import World, eventually, eventually_async
from tests.bot.engine.spreads.test_job_sim import fill_far, live_far, setup_books

MOMENTS = ["before_start", "during_start", "resumed_running", "resumed_done", "flushed"]


def slow_near_fills(w: World) -> asyncio.Event:
    """The Base takes no fill of the near leg (SBER) until the returned event is set."""
    base = w.base
    original = base.record_fill
    release = asyncio.Event()

    async def record_fill(fill: NewFill) -> Any:
        order = base.orders.get(fill.order)
        if order is not None and order.instrument == w.sber.id:
            await release.wait()
        return await original(fill)

    base.record_fill = record_fill  # type: ignore[method-assign]
    return release


async def spreads_command(engine: Any) -> list[JobInfo] | str:
    try:
        return list(await engine.start_spreads_all())
    except UserError as exc:
        return exc.key


@pytest.mark.parametrize("moment", MOMENTS)
async def test_spreads_typed_at_any_moment_of_a_restart_hedges_once(
    world: World, moment: str
) -> None:
    w = world
    await setup_books(w)
    spread_id = w.base.add_spread(w.far, w.sber, "sell", amount=2, target="350")
    engine, _broker = w.engine()
    await engine.start()
    w.run_spread(engine, spread_id)
    await eventually_async(lambda: live_far(w), "far order placed")
    await w.kill(engine)
    await fill_far(w, 2)  # the whole far amount fills while nobody watches
    assert (await w.positions()).get("SBER", 0) == 0

    release = slow_near_fills(w)
    engine2, _broker2 = w.engine()
    before = len(w.notifier.of(events.JobStarted))

    def resumed_done() -> bool:
        return any(f.outcome == "done" for f in w.notifier.of(events.JobFinished))

    command: asyncio.Task[list[JobInfo] | str]
    if moment == "before_start":
        command = asyncio.create_task(spreads_command(engine2))
        await engine2.start()
    elif moment == "during_start":
        starting = asyncio.create_task(engine2.start())
        await asyncio.sleep(0)
        command = asyncio.create_task(spreads_command(engine2))
        await starting
    else:
        await engine2.start()
        if moment in ("resumed_done", "flushed"):
            await eventually(
                resumed_done, "the resumed job hedged and ended", diag=w.notifier.describe
            )
        if moment == "flushed":
            release.set()
            await asyncio.wait_for(engine2.recorder.wait_flushed(), 10)
        command = asyncio.create_task(spreads_command(engine2))
    result = await asyncio.wait_for(command, 30)
    release.set()
    await eventually(resumed_done, "the spread job ended done", diag=w.notifier.describe)
    await asyncio.wait_for(engine2.recorder.wait_flushed(), 10)
    await engine2.wait_idle()

    assert result in ([], "no_active_spreads"), result
    started = w.notifier.of(events.JobStarted)[before:]
    assert len(started) == 1, [s.title for s in started]
    held = await w.positions()
    assert (held.get("SRM6", 0), held.get("SBER", 0)) == (-2, 200), held
    assert w.base.leg_progress(spread_id, "near")[0] == 200
    assert not w.base.spreads[spread_id].active
    # and a /spreads now finds nothing to do
    assert await spreads_command(engine2) == "no_active_spreads"


async def test_a_far_leg_refused_for_good_switches_the_spread_off(world: World) -> None:
    w = world
    await setup_books(w)
    spread_id = w.base.add_spread(w.far, w.sber, "sell", amount=2, target="350")
    engine, broker = w.engine()
    await engine.start()
    broker.reject[w.far.uid] = 1
    broker.reject_code[w.far.uid] = "30099"  # the price is outside the instrument's limits
    started = await engine.start_spreads_all()
    assert [j.job_id for j in started] == [f"S{spread_id}"]
    await engine.wait_idle()
    await asyncio.wait_for(engine.recorder.wait_flushed(), 10)
    task = w.base.spreads[spread_id]
    assert not task.active
    assert task.disabled_reason == (
        "broker refused (30099): the price is outside the instrument's limits"
    )
    assert await spreads_command(engine) == "no_active_spreads"
