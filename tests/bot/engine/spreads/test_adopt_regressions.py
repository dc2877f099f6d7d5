"""A spread restarted while its hedge's fate cannot be read from the broker: the hedge may be
live, so it is never written off as "not sent" (which would hedge twice)."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from bot.base_client.types import NewFill, NewOrder, OrderUpdate
from bot.broker import errors
from bot.engine import events, text_keys
from bot.engine.clock import SystemClock
from bot.engine.journal import Journal
from bot.engine.options import EngineOptions
from bot.engine.recorder import BaseRecorder
from bot.engine.spreads import machine as m
from bot.engine.spreads.job import SpreadRun
from bot.engine.spreads.legs import spread_config
from tests.bot.engine.conftest import RecordingNotifier, eventually
from tests.bot.engine.fake_broker import ACCOUNT, FakeBroker
from tests.bot.engine.spreads.harness import SpreadBase

D = Decimal
HEDGE_ID = "5b8f3f5e-0000-4000-8000-0000000000bb"


class ReadsFail(FakeBroker):
    """Every question about an order times out until `failing` is cleared."""

    def __init__(self) -> None:
        super().__init__(lot_sizes={"uid-near": 10, "uid-far": 1})
        self.failing = True
        self.reads = 0

    async def resolve_order(self, **kw: Any) -> Any:
        self.reads += 1
        if self.failing:
            raise errors.BrokerTimeout("no answer", method="GetOrderState")
        return await super().resolve_order(**kw)

    async def order_state(self, **kw: Any) -> Any:
        self.reads += 1
        if self.failing:
            raise errors.BrokerTimeout("no answer", method="GetOrderState")
        return await super().order_state(**kw)


async def _restarted_spread() -> tuple[SpreadRun, ReadsFail, Journal, RecordingNotifier]:
    """One far contract sold and its hedge (10 lots = 100 shares) sent just before a crash: the
    Base holds the hedge as "prepared", the broker holds it live."""
    base = SpreadBase()
    far = base.add_instrument(
        ticker="SRZ6",
        uid="uid-far",
        kind="future",
        lot=1,
        min_price_increment=D("1"),
        min_price_increment_amount=D("1"),
        basic_asset_size=D("100"),
    )
    near = base.add_instrument(ticker="SBER", uid="uid-near", lot=10, min_price_increment=D("0.01"))
    spread_id = base.add_spread(far, near, "sell", 5, "0")
    far_id = "5b8f3f5e-0000-4000-8000-0000000000aa"
    await base.record_order(
        NewOrder(far_id, far.id, "sell", "limit", D("25500"), 1, "prepared", "spread", spread_id)
    )
    await base.record_fill(NewFill(far_id, "T-far", 1, D("25500"), SystemClock().now()))
    await base.update_order(OrderUpdate(far_id, "filled", "F-far", 1))
    await base.record_order(
        NewOrder(
            HEDGE_ID, near.id, "buy", "limit", D("250.00"), 10, "prepared", "spread", spread_id
        )
    )
    broker = ReadsFail()
    await broker.post_limit_order(
        account_id=ACCOUNT,
        instrument_id="uid-near",
        direction="buy",
        lots=10,
        price=D("250.00"),
        request_id=HEDGE_ID,
    )
    journal = Journal(None)
    notifier = RecordingNotifier()
    clock = SystemClock()
    ctx = SimpleNamespace(
        broker=broker,
        recorder=BaseRecorder(base, journal, notifier, clock),
        notifier=notifier,
        clock=clock,
        options=EngineOptions(poll_interval=0.01, resolve_interval=0.01, resolve_attempts=3),
        account_id=ACCOUNT,
        calendar=SimpleNamespace(state=None),
        notify=notifier.notify,
    )
    job = SimpleNamespace(job_id="1")
    run = SpreadRun(ctx, base.spread_view(spread_id), job, None)  # type: ignore[arg-type]
    return run, broker, journal, notifier


async def test_a_hedge_whose_state_cannot_be_read_at_restart_stays_in_flight() -> None:
    run, broker, journal, _ = await _restarted_spread()
    snapshots = await run._adopt()
    machine = m.SpreadMachine(spread_config(run.spread), lambda: "new", snapshots)
    updates = [e.data for e in journal.pending() if e.kind == "update"]
    live = [(o.request_id, o.lots) for o in broker.live_orders()]
    diag = f"live at broker: {live}; journaled updates: {updates}; snapshots: {snapshots}"
    assert machine.hedge_needed() == 0, f"the live hedge would be sent again\n{diag}"
    assert not any(u["status"] == "cancelled" for u in updates), diag
    assert [u["status"] for u in updates if u["client_order_id"] == HEDGE_ID] == ["unknown"], diag


async def test_an_unresolved_hedge_is_asked_again_alerted_and_adopted_when_the_broker_answers() -> (
    None
):
    run, broker, _, notifier = await _restarted_spread()
    await run._adopt()
    follow = asyncio.create_task(run._follow(HEDGE_ID))
    try:
        await eventually(
            lambda: any(
                e.reason_key == text_keys.ORDER_OUTCOME_UNKNOWN for e in notifier.of(events.Alert)
            ),
            "an alert that the hedge's fate is unknown",
            diag=notifier.describe,
        )
        order = run._orders[HEDGE_ID]
        assert order.status == "unknown" and not order.is_final
        broker.failing = False
        await eventually(lambda: order.broker_order_id is not None, "the hedge found at the broker")
        assert order.status == "new"
        assert len(broker.live_orders()) == 1, "exactly one hedge at the broker"
    finally:
        follow.cancel()
        await asyncio.gather(follow, return_exceptions=True)


async def test_restart_counts_the_hedge_from_its_fills_not_from_a_recorded_lots_executed() -> None:
    """Two far contracts sold; one hedge of 10 lots filled earlier; a second hedge of 10 lots
    has 2 lots traded at the broker while the Base holds lots_executed=1 for it (an update
    written before its trades were known) and none of its fills. 20 lots hedge 2 contracts:
    12 are done and 8 in flight, so nothing more may be sent."""
    base = SpreadBase()
    far = base.add_instrument(
        ticker="SRZ6",
        uid="uid-far",
        kind="future",
        lot=1,
        min_price_increment=D("1"),
        min_price_increment_amount=D("1"),
        basic_asset_size=D("100"),
    )
    near = base.add_instrument(ticker="SBER", uid="uid-near", lot=10, min_price_increment=D("0.01"))
    spread_id = base.add_spread(far, near, "sell", 5, "0")
    now = SystemClock().now()
    far_id, first_id = (
        "5b8f3f5e-0000-4000-8000-0000000000a1",
        "5b8f3f5e-0000-4000-8000-0000000000a2",
    )
    await base.record_order(
        NewOrder(far_id, far.id, "sell", "limit", D("25500"), 2, "prepared", "spread", spread_id)
    )
    await base.record_fill(NewFill(far_id, "T-far", 2, D("25500"), now))
    await base.update_order(OrderUpdate(far_id, "filled", "F-far", 2))
    await base.record_order(
        NewOrder(
            first_id, near.id, "buy", "limit", D("250.00"), 10, "prepared", "spread", spread_id
        )
    )
    await base.record_fill(NewFill(first_id, "T-near-1", 100, D("250.00"), now))
    await base.update_order(OrderUpdate(first_id, "filled", "N-1", 10))
    await base.record_order(
        NewOrder(
            HEDGE_ID, near.id, "buy", "limit", D("250.00"), 10, "prepared", "spread", spread_id
        )
    )
    broker = FakeBroker(lot_sizes={"uid-near": 10, "uid-far": 1})
    placed = await broker.post_limit_order(
        account_id=ACCOUNT,
        instrument_id="uid-near",
        direction="buy",
        lots=10,
        price=D("250.00"),
        request_id=HEDGE_ID,
    )
    broker.fill(broker.orders[placed.order_id], 2)
    await base.update_order(OrderUpdate(HEDGE_ID, "partially_filled", placed.order_id, 1))
    notifier = RecordingNotifier()
    clock = SystemClock()
    recorder = BaseRecorder(base, Journal(None), notifier, clock)
    recorder.start()
    ctx = SimpleNamespace(
        broker=broker,
        recorder=recorder,
        notifier=notifier,
        clock=clock,
        options=EngineOptions(poll_interval=0.01, resolve_interval=0.01, resolve_attempts=3),
        account_id=ACCOUNT,
        calendar=SimpleNamespace(state=None),
        notify=notifier.notify,
    )
    run = SpreadRun(ctx, base.spread_view(spread_id), SimpleNamespace(job_id="1"), None)  # type: ignore[arg-type]
    try:
        snapshots = await run._adopt()
    finally:
        await recorder.close()
    machine = m.SpreadMachine(spread_config(run.spread), lambda: "new", snapshots)
    diag = f"snapshots: {snapshots}; Base near: {base.leg_progress(spread_id, 'near')}"
    assert machine.executed("near") == 120, diag
    assert machine.hedge_needed() == 0, diag
    assert base.leg_progress(spread_id, "near")[0] == 120, "the learnt trades reached the Base"
