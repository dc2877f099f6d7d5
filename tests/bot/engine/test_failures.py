"""Crash and restart, Base outage, lost order answers, trading sessions."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from bot.base_client.types import Instrument
from bot.engine import events, text_keys
from bot.engine.interface import SellBuyOrder
from tests.bot.engine.conftest import FAST, EngineFactory, RecordingNotifier, eventually
from tests.bot.engine.fake_broker import FakeBroker, closed_until
from tests.support.fake_base import FakeBase


class Frozen:
    """Delegates to `target` until `freeze()`; then every call hangs forever, as if the process
    had died mid-flight (nothing it does afterwards reaches anyone)."""

    def __init__(self, target: Any) -> None:
        self._target = target
        self._frozen = False

    def freeze(self) -> None:
        self._frozen = True

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._target, name)
        if not callable(attr) or not asyncio.iscoroutinefunction(attr):
            return attr

        async def call(*args: Any, **kwargs: Any) -> Any:
            if self._frozen:
                await asyncio.Event().wait()
            return await attr(*args, **kwargs)

        return call


class FrozenBroker(FakeBroker):
    """A FakeBroker view that hangs once frozen (shares the exchange state of `inner`)."""

    def __init__(self, inner: FakeBroker) -> None:
        self.__dict__.update(inner.__dict__)
        self.frozen = False

    async def _hang(self) -> None:
        if self.frozen:
            await asyncio.Event().wait()

    async def post_limit_order(self, **kw: Any) -> Any:
        await self._hang()
        return await super().post_limit_order(**kw)

    async def cancel_order(self, **kw: Any) -> None:
        await self._hang()
        await super().cancel_order(**kw)

    async def order_state(self, **kw: Any) -> Any:
        await self._hang()
        return await super().order_state(**kw)

    async def order_book(self, instrument_id: str, depth: int = 10) -> Any:
        await self._hang()
        return await super().order_book(instrument_id, depth)


async def test_restart_mid_job_resumes_without_over_buying(
    make_engine: EngineFactory,
    broker: FakeBroker,
    base: FakeBase,
    notifier: RecordingNotifier,
    tmp_path: Path,
) -> None:
    state = tmp_path / "state"
    dying_broker = FrozenBroker(broker)
    dying_base = Frozen(base)
    first = make_engine(
        broker_=dying_broker,
        base_=dying_base,
        state_dir=state,
        options=replace(FAST, stop_timeout=0.2),  # it hangs forever once "dead"
    )
    await first.start()
    info = await first.start_sellbuy(SellBuyOrder("buy", "SBER", amount=50))
    assert info.task_id is not None
    await eventually(lambda: len(broker.live_orders()) == 1, "first order")
    order = broker.live_orders()[0]
    broker.fill(order, 2)
    await eventually(lambda: first.jobs()[0].executed == 20, "first engine saw the fill")

    # the process dies: nothing it does from now on reaches the broker or the Base
    dying_broker.frozen = True
    dying_base.freeze()
    broker.fill(order, 1)  # a fill while the bot is down
    journal = state / "journal.jsonl"
    assert journal.exists()

    second = make_engine(state_dir=state)
    await second.start()
    await eventually(lambda: len(second.jobs()) == 1, "job resumed", diag=notifier.describe)
    resumed = second.jobs()[0]
    assert resumed.task_id == info.task_id
    await eventually(lambda: second.jobs()[0].executed == 30, "missed fill recorded")
    assert len(broker.live_orders()) == 1, "the live order was adopted, not doubled"
    broker.fill(broker.live_orders()[0], 5)
    await second.wait_idle()

    bought = sum(o.executed for o in broker.orders.values())
    assert bought == 5, f"exactly 5 lots bought, got {bought}"
    await second.recorder.wait_flushed()
    assert base.progress(info.task_id)[0] == 50
    assert sorted(f.quantity for f in base.task_fills(info.task_id)) == [10, 20, 20]


async def test_base_outage_keeps_records_and_places_no_new_orders(
    make_engine: EngineFactory,
    broker: FakeBroker,
    base: FakeBase,
    notifier: RecordingNotifier,
    tmp_path: Path,
) -> None:
    engine = make_engine(state_dir=tmp_path)
    await engine.start()
    info = await engine.start_sellbuy(SellBuyOrder("buy", "SBER", amount=50))
    assert info.task_id is not None
    await eventually(lambda: len(broker.live_orders()) == 1, "first order")
    await engine.recorder.wait_flushed()

    base.down = True
    order = broker.live_orders()[0]
    broker.fill(order, 2)
    await eventually(
        lambda: bool(notifier.of(events.BaseUnavailable)), "outage noticed", diag=notifier.describe
    )
    assert notifier.of(events.BaseUnavailable)[0].pending_records >= 1
    # the book moves: while the Base is down the job must not place a new order
    broker.set_book("uid-sber", "100.20", "100.50")
    reads = broker.book_reads
    await eventually(lambda: broker.book_reads >= reads + 5, "engine watched the book")
    assert len(broker.orders) == 1 and order.active
    broker.fill(order, 1)  # fills still count while the Base is away
    await eventually(lambda: engine.jobs()[0].executed == 30, "fill counted locally")
    assert base.progress(info.task_id)[0] == 0
    stopped_jobs = engine.jobs()

    base.down = False
    await eventually(
        lambda: bool(notifier.of(events.BaseRestored)), "Base back", diag=notifier.describe
    )
    assert notifier.of(events.BaseRestored)[0].flushed_records >= 2
    assert base.progress(info.task_id)[0] == 30, "nothing lost"
    await eventually(
        lambda: any(o.price == Decimal("100.20") for o in broker.live_orders()),
        "order moved once the Base is back",
    )
    broker.fill(broker.live_orders()[0], 2)
    await engine.wait_idle()
    await engine.recorder.wait_flushed()
    assert base.progress(info.task_id)[0] == 50
    assert stopped_jobs


async def test_stop_works_while_the_base_is_down(
    make_engine: EngineFactory, broker: FakeBroker, base: FakeBase, tmp_path: Path
) -> None:
    engine = make_engine(state_dir=tmp_path)
    await engine.start()
    info = await engine.start_sellbuy(SellBuyOrder("buy", "SBER", amount=50))
    await eventually(lambda: len(broker.live_orders()) == 1, "first order")
    base.down = True
    await engine.stop()
    assert broker.live_orders() == [] and engine.jobs() == []
    assert engine.recorder.pending >= 1, "the cancel is journaled for the Base"
    base.down = False
    await engine.recorder.wait_flushed()
    assert info.task_id is not None
    assert [o.status for o in base.task_orders(info.task_id)] == ["cancelled"]


async def test_lost_answer_is_resolved_to_exactly_one_order(
    make_engine: EngineFactory, broker: FakeBroker, base: FakeBase, notifier: RecordingNotifier
) -> None:
    broker.lose_next_posts = 1  # the order is placed but its answer is lost
    engine = make_engine()
    await engine.start()
    info = await engine.start_sellbuy(SellBuyOrder("buy", "SBER", amount=20))
    await eventually(lambda: bool(engine.jobs() and broker.orders), "order sent")
    await eventually(
        lambda: bool(notifier.of(events.Alert)), "unknown outcome reported", diag=notifier.describe
    )
    assert notifier.of(events.Alert)[0].reason_key == text_keys.ORDER_OUTCOME_UNKNOWN
    await eventually(lambda: len(broker.live_orders()) == 1, "order known")
    broker.fill(broker.live_orders()[0], 2)
    await engine.wait_idle()
    assert len(broker.orders) == 1, "exactly one order at the broker"
    assert len(set(broker.posts)) == 1
    await engine.recorder.wait_flushed()
    assert info.task_id is not None
    records = base.task_orders(info.task_id)
    assert [(r.status, r.broker_order_id) for r in records] == [("filled", "X1")]


async def test_lost_request_is_sent_again_with_the_same_id(
    make_engine: EngineFactory, broker: FakeBroker
) -> None:
    broker.drop_next_posts = 1  # the request never reached the broker
    engine = make_engine()
    await engine.start()
    await engine.start_sellbuy(SellBuyOrder("buy", "SBER", amount=20))
    await eventually(lambda: len(broker.live_orders()) == 1, "order placed on retry")
    assert len(broker.posts) == 2 and broker.posts[0] == broker.posts[1], broker.posts
    assert len(broker.orders) == 1
    await engine.stop()


async def test_job_waits_for_the_session_and_says_when_it_opens(
    make_engine: EngineFactory, broker: FakeBroker, notifier: RecordingNotifier
) -> None:
    opens_at = datetime.now(UTC) + timedelta(seconds=0.3)
    broker.schedule = closed_until(opens_at)
    engine = make_engine()
    await engine.start()
    info = await engine.start_sellbuy(SellBuyOrder("buy", "SBER", amount=20))
    await eventually(lambda: bool(notifier.of(events.SessionWait)), "session wait reported")
    wait = notifier.of(events.SessionWait)[0]
    assert (wait.ticker, wait.opens_at, wait.job_id) == ("SBER", opens_at, info.job_id)
    assert engine.jobs()[0].state == "waiting"
    assert broker.posts == [], "no order outside the session"
    await eventually(lambda: len(broker.live_orders()) == 1, "order once the session opens")
    assert datetime.now(UTC) >= opens_at
    await engine.stop()


async def test_broker_session_refusal_waits_and_retries(
    make_engine: EngineFactory, broker: FakeBroker, notifier: RecordingNotifier
) -> None:
    broker.reject_next = "30097"  # inappropriate trading session
    engine = make_engine()
    await engine.start()
    await engine.start_sellbuy(SellBuyOrder("buy", "SBER", amount=20))
    await eventually(lambda: len(broker.live_orders()) == 1, "placed after the refusal")
    refusals = notifier.of(events.OrderRefused)
    assert [r.reason_key for r in refusals] == [text_keys.OUTSIDE_SESSION]
    await engine.stop()


async def test_broker_rejection_fails_the_job_with_the_reason(
    make_engine: EngineFactory, broker: FakeBroker, notifier: RecordingNotifier
) -> None:
    broker.reject_next = "30034"  # not enough money
    engine = make_engine()
    await engine.start()
    await engine.start_sellbuy(SellBuyOrder("buy", "SBER", amount=20))
    await engine.wait_idle()
    finished = notifier.of(events.JobFinished)[-1]
    assert (finished.outcome, finished.reason_key) == ("failed", text_keys.ORDER_REJECTED)
    assert finished.params["ticker"] == "SBER" and finished.params["code"] == "30034"


async def test_catalogue_update_syncs_shares_and_futures(
    make_engine: EngineFactory, broker: FakeBroker, base: FakeBase, sber: Instrument
) -> None:
    from bot.broker.types import Instrument as BrokerInstrument
    from bot.broker.types import InstrumentKind

    broker.catalogue = [
        BrokerInstrument(
            kind=InstrumentKind.SHARE,
            figi="F1",
            uid="uid-sber",
            ticker="SBER",
            class_code="TQBR",
            name="Sber",
            lot=10,
            currency="RUB",
            min_price_increment=Decimal("0.01"),
        ),
        BrokerInstrument(
            kind=InstrumentKind.FUTURES,
            figi="F2",
            uid="uid-srz6",
            ticker="SRZ6",
            class_code="SPBFUT",
            name="SBRF-12.26",
            lot=1,
            currency="RUB",
            min_price_increment=Decimal(1),
            basic_asset="SBER",
            basic_asset_size=Decimal(100),
            min_price_increment_amount=Decimal(1),
        ),
        BrokerInstrument(
            kind=InstrumentKind.BOND,
            figi="F3",
            uid="uid-bond",
            ticker="SU26238",
            class_code="TQOB",
            name="OFZ",
            lot=1,
            currency="RUB",
            min_price_increment=Decimal("0.001"),
        ),
    ]
    engine = make_engine()
    result = await engine.update_catalogue()
    assert (result.created, result.unchanged, result.deactivated) == (1, 1, 0)
    assert result.details == {"shares": 1, "futures": 1}
    future = next(i for i in base.synced if i["ticker"] == "SRZ6")
    assert future["kind"] == "future" and future["basic_asset_size"] == "100"
    assert future["min_price_increment"] == "1"


async def test_stop_while_the_broker_never_answers_leaves_nothing_behind(
    make_engine: EngineFactory, broker: FakeBroker, base: FakeBase
) -> None:
    broker.drop_next_posts = 10**6  # every order request is lost before it arrives
    engine = make_engine()
    await engine.start()
    info = await engine.start_sellbuy(SellBuyOrder("buy", "SBER", amount=20))
    await eventually(lambda: len(broker.posts) >= 2, "the same request retried")
    assert len(set(broker.posts)) == 1, "always the same idempotency key"
    await engine.stop()
    assert engine.jobs() == [] and broker.orders == {}
    await engine.recorder.wait_flushed()
    assert info.task_id is not None
    records = base.task_orders(info.task_id)
    assert [(r.status, r.message) for r in records] == [("cancelled", "not sent")]


async def test_start_settles_open_orders_of_deactivated_tasks(
    make_engine: EngineFactory,
    broker: FakeBroker,
    base: FakeBase,
    notifier: RecordingNotifier,
    sber: Instrument,
) -> None:
    from bot.base_client.types import NewOrder, OrderUpdate

    task_id = base.add_sellbuy(sber, "buy", 50)
    request_id = "5b8f3f5e-0000-4000-8000-000000000001"
    await base.record_order(
        NewOrder(
            request_id,
            sber.id,
            "buy",
            "limit",
            Decimal("100.00"),
            5,
            "prepared",
            "sellbuy",
            task_id,
        )
    )
    placed = await broker.post_limit_order(
        account_id="acc-1",
        instrument_id="uid-sber",
        direction="buy",
        lots=5,
        price=Decimal("100.00"),
        request_id=request_id,
    )
    await base.update_order(OrderUpdate(request_id, "new", placed.order_id, 0))
    broker.fill(broker.orders[placed.order_id], 2)  # filled while the bot was away
    base.tasks[task_id].active = False  # and the owner deactivated the task meanwhile

    engine = make_engine()
    await engine.start()
    assert engine.jobs() == [], "an inactive task is not resumed"
    assert broker.live_orders() == [], "its order, watched by nobody, was cancelled"
    await engine.recorder.wait_flushed()
    assert base.progress(task_id)[0] == 20, "the fills made while away are recorded"
    assert base.orders[request_id].status == "cancelled"
    alert = notifier.of(events.Alert)[-1]
    assert (alert.reason_key, alert.params) == (text_keys.RECONCILED, {"orders": "1", "fills": "1"})
