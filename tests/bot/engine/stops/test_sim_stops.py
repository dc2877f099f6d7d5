"""The stop-order family with the real broker client against the simulator (in-process)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bot.base_client.types import Instrument
from bot.broker.client import TInvestClient
from bot.broker.config import BrokerConfig, RetryPolicy
from bot.broker.errors import InvalidArgument, OrderOutcomeUnknown
from bot.engine import events
from bot.engine.interface import UserError
from bot.engine.stops.desk import StopsTuning
from bot.engine.tinvest_port import TInvestPort
from bot.engine.trader import Engine
from simulator.orders import STOP_ACTIVE, STOP_BUY, STOP_TAKE_PROFIT
from tests.bot.engine.conftest import FAST, RecordingNotifier, eventually
from tests.support.fake_stops_base import StopsBase
from tests.support.sim import DEFAULT_START, SimHandle, running_simulator

FAST_STOPS = StopsTuning(
    concurrency=8, attempts=6, retry_pause=0.01, progress_interval=0.0, poll_interval=0.02
)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.moment = now

    def now(self) -> datetime:
        return self.moment

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(min(max(seconds, 0.0), 0.02))


@dataclass
class Rig:
    sim: SimHandle
    base: StopsBase
    notifier: RecordingNotifier
    clock: Clock
    engines: list[Engine]
    clients: list[TInvestClient]

    def client(self, **cfg: Any) -> TInvestClient:
        cfg.setdefault("rate_limit_time_scale", 0.0005)  # the simulator's limits are off here
        client = TInvestClient(
            BrokerConfig(
                token=self.sim.token,
                account_id=self.sim.account_id,
                rest_url=self.sim.rest_url,
                ws_url=self.sim.ws_url,
                retry=RetryPolicy(attempts=2, backoff_initial=0.01, backoff_max=0.02),
                **cfg,
            )
        )
        self.clients.append(client)
        return client

    def engine(self, *, state_dir: Path | None = None, broker: Any = None) -> Engine:
        engine = Engine(
            broker or self.client(),
            self.base,
            self.notifier,
            account_id=self.sim.account_id,
            mode="paper",
            clock=self.clock,
            state_dir=state_dir,
            options=replace(FAST, journal_fsync=False),
            stops_tuning=FAST_STOPS,
        )
        self.engines.append(engine)
        return engine

    def whitelist(self, count: int) -> list[Instrument]:
        shares = [s for s in self.sim.simulator.exchange.catalogue.shares if s.api_trade_available]
        chosen = shares[:count]
        out = []
        for share in chosen:
            out.append(
                self.base.add_instrument(
                    ticker=share.ticker,
                    uid=share.uid,
                    figi=share.figi,
                    lot=share.lot,
                    min_price_increment=share.min_price_increment,
                    short_enabled=share.short_enabled,
                    exchange="MOEX",
                )
            )
        self.base.lists["whitelist"] = out
        return out

    def stops(self, status: str | None = STOP_ACTIVE) -> list[Any]:
        return [
            s
            for s in self.sim.simulator.exchange.stop_orders.values()
            if status is None or s.status == status
        ]


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    async with running_simulator(start_time=DEFAULT_START) as sim:
        rig = Rig(sim, StopsBase(), RecordingNotifier(), Clock(DEFAULT_START), [], [])
        try:
            yield rig
        finally:
            for engine in rig.engines:
                await asyncio.wait_for(engine.close(), 10)
            for client in rig.clients:
                await client.close()


async def finished(rig: Rig, count: int = 1) -> list[events.BulkFinished]:
    await eventually(
        lambda: len(rig.notifier.of(events.BulkFinished)) >= count,
        "bulk command finished",
        within=20,
        diag=rig.notifier.describe,
    )
    result: list[events.BulkFinished] = rig.notifier.of(events.BulkFinished)
    return result


async def test_stops_on_dozens_of_shares_places_exactly_the_plan(rig: Rig) -> None:
    rig.whitelist(40)
    engine = rig.engine()
    await engine.start()
    plan = await engine.stops.plan_bulk("stops")
    assert plan.count > 40
    assert not rig.stops(), "a plan sends nothing"
    engine.stops.run(plan)
    (summary,) = await finished(rig)
    assert summary.done == plan.count and not summary.failures
    placed = rig.stops()
    assert len(placed) == plan.count
    want = sorted((o.instrument_uid, o.stop_price, o.lots, o.expire_at) for o in plan.orders)
    got = sorted((s.instrument.uid, s.stop_price, s.lots, s.expire_at) for s in placed)
    assert got == want
    assert {(s.stop_type, s.direction) for s in placed} == {(STOP_TAKE_PROFIT, STOP_BUY)}
    assert len({s.request_id for s in placed}) == len(placed)


async def test_lost_answers_and_5xx_end_in_exactly_one_order_each(rig: Rig) -> None:
    rig.whitelist(10)
    rig.sim.simulator.faults.lose_stop_order_rate = 0.2
    rig.sim.simulator.faults.error_rate = {"PostStopOrder": 0.2}
    engine = rig.engine()
    await engine.start()
    plan = await engine.stops.plan_bulk("stops")
    engine.stops.run(plan)
    (summary,) = await finished(rig)
    assert summary.done == plan.count, summary
    placed = rig.stops()
    assert len(placed) == plan.count  # no duplicate, none missing
    assert sorted((s.instrument.uid, s.stop_price) for s in placed) == sorted(
        (o.instrument_uid, o.stop_price) for o in plan.orders
    )


async def test_budget_is_never_exceeded(rig: Rig) -> None:
    """Real limits scaled down (StopOrders 5/min) with the clocks of both sides scaled alike:
    the simulator never answers 429."""
    sim = rig.sim.simulator
    sim.limiter.scale = 0.1
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    scale = 0.01
    sim.clock.now = lambda: DEFAULT_START + timedelta(seconds=(loop.time() - t0) / scale)
    rig.whitelist(4)
    client = rig.client(rate_limit_scale=0.1, rate_limit_time_scale=scale)
    engine = rig.engine(broker=client)
    await engine.start()
    plan = await engine.stops.plan_bulk("stops")
    engine.stops.run(plan)
    await finished(rig)
    assert len(rig.stops()) == plan.count
    assert client.stats["rate_limited"] == 0


async def test_cancel_leaves_nothing_and_twice_is_harmless(rig: Rig) -> None:
    rig.whitelist(8)
    engine = rig.engine()
    await engine.start()
    engine.stops.run(await engine.stops.plan_bulk("stops"))
    await finished(rig)
    assert rig.stops()
    cancel_plan = await engine.stops.plan_cancel()
    assert cancel_plan.stops == len(rig.stops())
    rig.base.down = True  # /cancel works without the Base
    await engine.stops.run_cancel()
    (_, summary) = await finished(rig, 2)
    assert summary.stops_done == cancel_plan.stops and not summary.failures
    assert rig.stops() == []
    await engine.stops.run_cancel()
    third = (await finished(rig, 3))[2]
    assert third.done == 0 and not third.failures


async def test_stash_cancel_restore_gives_back_the_same_set_and_restore_twice_places_nothing(
    rig: Rig,
) -> None:
    rig.whitelist(6)
    engine = rig.engine()
    await engine.start()
    engine.stops.run(await engine.stops.plan_bulk("stops"))
    await finished(rig)
    before = sorted((s.instrument.uid, s.direction, s.stop_price, s.lots) for s in rig.stops())
    saved = await engine.stops.stash()
    assert saved.saved == len(before)
    await engine.stops.run_cancel()
    await finished(rig, 2)
    assert rig.stops() == []
    with pytest.raises(UserError):  # nothing active: the stash is not replaced with nothing
        await engine.stops.stash()
    assert len(rig.base.stash_rows) == len(before)
    plan = await engine.stops.plan_restore()
    assert plan.needs_confirmation and plan.count == len(before)
    engine.stops.run(plan)
    await finished(rig, 3)
    after = sorted((s.instrument.uid, s.direction, s.stop_price, s.lots) for s in rig.stops())
    assert after == before
    again = await engine.stops.plan_restore()
    assert again.count == 0 and again.already_active == len(before)


async def test_stop_in_the_middle_sends_nothing_more(rig: Rig) -> None:
    rig.whitelist(30)
    rig.sim.simulator.faults.latency = {"PostStopOrder": 0.05}
    engine = rig.engine()
    await engine.start()
    plan = await engine.stops.plan_bulk("stops")
    info = engine.stops.run(plan)
    assert info.job_id.startswith("B")
    assert any(j.job_id == info.job_id for j in engine.jobs())
    await eventually(lambda: len(rig.stops()) >= 5, "some stops placed")
    await engine.stop(info.job_id)
    (summary,) = await finished(rig)
    assert summary.outcome == "stopped"
    placed = len(rig.stops())
    assert summary.done == placed and summary.not_sent == plan.count - placed
    await asyncio.sleep(0.2)
    assert len(rig.stops()) == placed


async def test_restart_in_the_middle_neither_duplicates_nor_forgets(
    rig: Rig, tmp_path: Path
) -> None:
    rig.whitelist(20)
    rig.sim.simulator.faults.latency = {"PostStopOrder": 0.05}
    first = rig.engine(state_dir=tmp_path)
    await first.start()
    plan = await first.stops.plan_bulk("stops")
    info = first.stops.run(plan)
    await eventually(lambda: len(rig.stops()) >= 5, "some stops placed")
    job = next(j for j in first._registry.jobs() if j.job_id == info.job_id)
    assert job.task is not None
    job.task.cancel()  # a crash: nothing settles, nothing is told
    await asyncio.sleep(0.1)
    rig.sim.simulator.faults.latency = {}
    second = rig.engine(state_dir=tmp_path)
    await second.start()
    await finished(rig)
    placed = rig.stops()
    assert len(placed) == plan.count
    assert len({s.request_id for s in placed}) == plan.count


async def test_a_fired_stop_is_reported_with_its_order(rig: Rig) -> None:
    rig.whitelist(1)
    engine = rig.engine()
    await engine.start()
    made = await engine.stops.plan_bulk("stops")
    engine.stops.run(made)
    await finished(rig)
    stop = rig.stops()[0]
    await asyncio.sleep(0.1)  # the watcher has learnt what had fired before
    await rig.sim.set_price(
        stop.instrument.uid, stop.stop_price - stop.instrument.min_price_increment
    )
    await eventually(
        lambda: rig.notifier.of(events.StopActivated),
        "activation noticed",
        within=10,
        diag=rig.notifier.describe,
    )
    notice = rig.notifier.of(events.StopActivated)[0]
    assert notice.ticker == stop.instrument.ticker and notice.direction == "buy"
    assert notice.order_status in ("new", "filled", "partially_filled")


class DuplicateAnsweringPort(TInvestPort):
    """The real client, but each stop order's answer is lost once, and the same id sent again is
    answered the way the real broker may answer a repeated key (head-orders.md): 30057,
    "duplicate order, report not found" - never with the order's id."""

    def __init__(self, client: TInvestClient) -> None:
        super().__init__(client)
        self.seen: set[str] = set()

    async def post_stop_order(self, **kw: Any) -> str:
        request_id = kw["request_id"]
        if request_id in self.seen:
            raise InvalidArgument("duplicate", api_code="30057", method="PostStopOrder")
        self.seen.add(request_id)
        await super().post_stop_order(**kw)
        raise OrderOutcomeUnknown("answer lost", request_id=request_id, method="PostStopOrder")


async def test_a_duplicate_id_answer_counts_as_placed_not_failed(rig: Rig) -> None:
    """Regression: 30057 for a stop order sent again with its id was a final refusal, so every
    order placed behind a lost answer was reported as failed."""
    rig.whitelist(3)
    port = DuplicateAnsweringPort(rig.client())
    engine = rig.engine(broker=port)
    await engine.start()
    plan = await engine.stops.plan_bulk("stops")
    engine.stops.run(plan)
    (summary,) = await finished(rig)
    assert summary.done == plan.count and not summary.failures, summary
    assert len(rig.stops()) == plan.count


async def test_orders_reported_failed_are_never_sent_at_the_next_start(
    rig: Rig, tmp_path: Path
) -> None:
    """Regression: stops whose outcome stayed unknown were kept and sent again at the next start,
    days later, although the owner had been told they failed (and may have run /cancel)."""
    rig.whitelist(2)
    rig.sim.simulator.faults.error_rate = {"PostStopOrder": 1.0}
    first = rig.engine(state_dir=tmp_path)
    await first.start()
    plan = await first.stops.plan_bulk("stops")
    first.stops.run(plan)
    (summary,) = await finished(rig)
    assert summary.done == 0 and len(summary.failures) == plan.count
    await first.close()
    rig.sim.simulator.faults.error_rate = {}
    second = rig.engine(state_dir=tmp_path)
    await second.start()
    assert second.jobs() == []
    assert rig.stops(None) == []


async def test_cancel_drops_planned_stops_a_crash_left_behind(rig: Rig, tmp_path: Path) -> None:
    """Regression: stops planned before /cancel were sent at the next start after it."""
    rig.whitelist(10)
    rig.sim.simulator.faults.latency = {"PostStopOrder": 0.05}
    first = rig.engine(state_dir=tmp_path)
    await first.start()
    info = first.stops.run(await first.stops.plan_bulk("stops"))
    await eventually(lambda: len(rig.stops()) >= 2, "some stops placed")
    job = next(j for j in first._registry.jobs() if j.job_id == info.job_id)
    assert job.task is not None
    job.task.cancel()  # stuck, then cancelled (the registry's last resort): nothing settles
    await asyncio.gather(job.task, return_exceptions=True)
    rig.sim.simulator.faults.latency = {}
    await first.stops.run_cancel()
    await finished(rig)
    assert rig.stops() == []
    await first.close()
    second = rig.engine(state_dir=tmp_path)
    await second.start()
    assert second.jobs() == []
    assert rig.stops() == []


async def test_every_stop_order_is_recorded_in_the_base_and_updated(rig: Rig) -> None:
    """The Base stores every order the bot placed: stop orders with their type, stop price,
    expiry and bulk command; placed ones get the broker's id, /cancel and activations close them."""
    rig.whitelist(3)
    engine = rig.engine()
    await engine.start()
    plan = await engine.stops.plan_bulk("stops")
    engine.stops.run(plan)
    await finished(rig)
    await engine.recorder.wait_flushed()
    records = list(rig.base.orders.values())
    assert len(records) == plan.count
    by_id = {s.stop_order_id: s for s in rig.stops()}
    for record in records:
        assert record.order_type == "take_profit" and record.bulk_command == "stops"
        assert record.status == "new" and record.broker_order_id in by_id
        placed = by_id[record.broker_order_id]
        assert (record.stop_price, record.lots, record.expire_at) == (
            placed.stop_price,
            placed.lots,
            placed.expire_at,
        )
        assert placed.request_id == record.client_order_id
    fired = rig.stops()[0]
    watcher = engine.stops.watcher
    await eventually(lambda: watcher._seen is not None, "the watcher's first poll")
    await rig.sim.set_price(
        fired.instrument.uid, fired.stop_price - fired.instrument.min_price_increment
    )
    await eventually(
        lambda: rig.base.orders[fired.request_id].status == "triggered",
        "fired stop recorded",
        within=10,
    )
    await engine.stops.run_cancel()
    await finished(rig, 2)
    await engine.recorder.wait_flushed()
    statuses = sorted(r.status for r in rig.base.orders.values())
    assert statuses.count("triggered") >= 1
    assert set(statuses) <= {"triggered", "cancelled"} and "cancelled" in statuses


async def test_stops_cancelled_in_the_app_or_expired_are_closed_in_the_base(rig: Rig) -> None:
    """The owner cancels one of the bot's stop orders in the broker's app, and another one's
    date passes: the Base stops showing them as placed (no request beyond the watcher's poll)."""
    rig.whitelist(1)
    engine = rig.engine()
    await engine.start()
    plan = await engine.stops.plan_bulk("stops")
    engine.stops.run(plan)
    await finished(rig)
    await engine.recorder.wait_flushed()
    cancelled, expired, kept = rig.stops()[:3]
    exchange = rig.sim.simulator.exchange
    exchange.cancel_stop_order(rig.sim.account_id, cancelled.stop_order_id)
    expired.expire_at = rig.sim.simulator.clock.now() - timedelta(seconds=1)
    exchange.tick()
    await eventually(
        lambda: (
            rig.base.orders[cancelled.request_id].status == "cancelled"
            and rig.base.orders[expired.request_id].status == "expired"
        ),
        "the Base told",
        within=10,
    )
    assert rig.base.orders[cancelled.request_id].message == "cancelled outside the bot"
    assert rig.base.orders[kept.request_id].status == "new"
    # a /cancel afterwards cancels only what is still active, and closes it as /cancel
    await engine.stops.run_cancel()
    await finished(rig, 2)
    await engine.recorder.wait_flushed()
    assert rig.base.orders[kept.request_id].status == "cancelled"
    assert rig.base.orders[expired.request_id].status == "expired"


async def test_stops_not_sent_are_recorded_as_such(rig: Rig) -> None:
    rig.whitelist(2)
    rig.sim.simulator.faults.error_rate = {"PostStopOrder": 1.0}
    engine = rig.engine()
    await engine.start()
    plan = await engine.stops.plan_bulk("stops")
    engine.stops.run(plan)
    await finished(rig)
    await engine.recorder.wait_flushed()
    assert [r.status for r in rig.base.orders.values()] == ["rejected"] * plan.count


async def test_restore_keeps_the_settings_limits(rig: Rig) -> None:
    """Regression: /restore placed whatever was stashed, above the settings' limits of one order
    and of a bulk command."""
    rig.whitelist(4)
    engine = rig.engine()
    await engine.start()
    placed = await engine.stops.plan_bulk("stops")
    engine.stops.run(placed)
    await finished(rig)
    await engine.stops.stash()
    await engine.stops.run_cancel()
    await finished(rig, 2)
    biggest = max(o.value for o in placed.orders)
    settings = rig.base.trading_settings
    rig.base.trading_settings = replace(settings, max_order_value=biggest - 1)
    plan = await engine.stops.plan_restore()
    assert plan.count < len(rig.base.stash_rows)
    assert {s.reason for s in plan.skipped} == {"stops.skip_order_value"}
    rig.base.trading_settings = replace(settings, max_bulk_value=Decimal(1000))
    with pytest.raises(UserError) as refused:
        await engine.stops.plan_restore()
    assert refused.value.key == "stops.bulk_value_too_big"


class GatedPort(TInvestPort):
    """The real client, where every stop order after the first `open` waits (as for a rate slot
    that does not come) before it is sent."""

    def __init__(self, client: TInvestClient, open_: int) -> None:
        super().__init__(client)
        self.open = open_
        self.gate = asyncio.Event()
        self.waiting = 0

    async def post_stop_order(self, **kw: Any) -> str:
        if self.open <= 0:
            self.waiting += 1
            await self.gate.wait()
        self.open -= 1
        return await super().post_stop_order(**kw)


async def test_a_stopped_command_cancelled_for_slowness_sends_nothing_at_the_next_start(
    rig: Rig, tmp_path: Path
) -> None:
    """Regression: /stop of a bulk command whose requests wait for rate slots ends, after the
    stop timeout, in the job being cancelled; every stop journaled and not yet sent stayed
    pending and the next start placed them all."""
    rig.whitelist(20)
    port = GatedPort(rig.client(), 3)
    first = rig.engine(state_dir=tmp_path, broker=port)
    await first.start()
    plan = await first.stops.plan_bulk("stops")
    info = first.stops.run(plan)
    await eventually(lambda: len(rig.stops()) == 3 and port.waiting > 0, "the rest waits")
    job = next(j for j in first._registry.jobs() if j.job_id == info.job_id)
    assert job.task is not None
    job.stop_requested.set()  # /stop...
    job.task.cancel()  # ...and the registry's last resort while requests wait
    await asyncio.gather(job.task, return_exceptions=True)
    await first.close()
    placed = {s.request_id for s in rig.stops()}
    assert len(placed) == 3 < plan.count
    second = rig.engine(state_dir=tmp_path)
    await second.start()
    assert second.jobs() == []
    assert {s.request_id for s in rig.stops()} == placed
