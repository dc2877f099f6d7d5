"""Regressions from the engine review: an order whose fate is unknown is never written off,
an accepted order stays tracked whatever the follow-up read does, restart progress comes from
fills, and records the Base refuses are kept (retried or parked), never dropped."""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from bot.base_client.errors import BaseRejected
from bot.base_client.types import Instrument, NewFill, NewOrder, OrderUpdate
from bot.broker import errors
from bot.broker.client import TInvestClient
from bot.broker.config import BrokerConfig
from bot.broker.types import OrderDirection, OrderState, OrderStatus, OrderType
from bot.engine import events
from bot.engine.clock import SystemClock
from bot.engine.interface import SellBuyOrder
from bot.engine.journal import DEAD_LETTER_FILE, Journal
from bot.engine.orders import OrderDesk, TrackedOrder
from bot.engine.recorder import BaseRecorder
from bot.engine.tinvest_port import TInvestPort
from tests.bot.engine.conftest import FAST, EngineFactory, RecordingNotifier, eventually
from tests.bot.engine.fake_broker import ACCOUNT, FakeBroker
from tests.support.fake_base import FakeBase
from tests.support.sim import running_simulator

ORDER_ID = "5b8f3f5e-0000-4000-8000-0000000000aa"


def _wrap(cls: type[FakeBroker], inner: FakeBroker) -> Any:
    """`inner` (the shared fixture's broker, with its books) with `cls`'s faults on top."""
    wrapped = cls.__new__(cls)
    wrapped.__dict__.update(inner.__dict__)
    return wrapped


class FillsAtOnceThenReadsFail(FakeBroker):
    """Accepts an order, one lot trades at once, then GetOrderState fails until `failing`
    is cleared."""

    failing = False

    async def post_limit_order(self, **kw: Any) -> Any:
        result = await super().post_limit_order(**kw)
        self.fill(self.by_request[kw["request_id"]], 1)
        self.failing = True
        return replace(result, lots_executed=1, status=OrderStatus.PARTIALLY_FILLED)

    async def order_state(self, **kw: Any) -> Any:
        if self.failing:
            raise errors.BrokerTimeout("no answer", method="GetOrderState")
        return await super().order_state(**kw)


async def test_an_accepted_order_stays_the_jobs_live_order_when_its_first_read_fails(
    make_engine: EngineFactory, broker: FakeBroker, base: FakeBase, notifier: RecordingNotifier
) -> None:
    b: FillsAtOnceThenReadsFail = _wrap(FillsAtOnceThenReadsFail, broker)
    engine = make_engine(broker_=b)
    await engine.start()
    info = await engine.start_sellbuy(SellBuyOrder("buy", "SBER", amount=50))
    task_id = info.task_id
    assert task_id is not None
    await eventually(lambda: b.failing, "the order accepted, its state unreadable")
    await engine.recorder.wait_flushed()
    records = base.task_orders(task_id)
    diag = f"{records}\n{notifier.describe()}"
    assert not notifier.of(events.JobFinished), f"the job gave up on a live order\n{diag}"
    assert [(r.status, r.broker_order_id is not None) for r in records] == [
        ("partially_filled", True)
    ], diag
    b.failing = False  # the broker answers again: the fill is counted, the job goes on

    def finish_live() -> bool:
        for order in b.live_orders():
            b.fill(order, order.lots - order.executed)
        return bool(notifier.of(events.JobFinished))

    await eventually(finish_live, "the job done", diag=notifier.describe)
    assert len(b.posts) == len(set(b.posts)), "an order was sent twice"
    assert sum(o.executed for o in b.orders.values()) * 10 == 50
    assert notifier.of(events.JobFinished)[-1].outcome == "done"
    await engine.recorder.wait_flushed()
    assert base.progress(task_id)[0] == 50


class AnswersLostAndUnresolvable(FakeBroker):
    """PostOrder places the order but its answer is lost; asking by request id errors."""

    async def resolve_order(self, **kw: Any) -> Any:
        if self.unreachable:
            raise errors.BrokerTimeout("no answer", method="GetOrderState")
        return await super().resolve_order(**kw)

    async def cancel_order_by_request_id(self, **kw: Any) -> None:
        if self.unreachable:
            raise errors.BrokerTimeout("no answer", method="CancelOrder")
        await super().cancel_order_by_request_id(**kw)

    unreachable = True


async def test_stopping_while_an_order_outcome_is_unknown_keeps_it_unknown_for_the_next_start(
    make_engine: EngineFactory, broker: FakeBroker, base: FakeBase, tmp_path: Path
) -> None:
    b: AnswersLostAndUnresolvable = _wrap(AnswersLostAndUnresolvable, broker)
    b.lose_next_posts = 1
    engine = make_engine(broker_=b, state_dir=tmp_path)
    await engine.start()
    info = await engine.start_sellbuy(SellBuyOrder("buy", "SBER", amount=20))
    task_id = info.task_id
    assert task_id is not None
    await eventually(lambda: len(b.posts) >= 1, "the order sent")
    await engine.stop()
    await engine.recorder.wait_flushed()
    records = base.task_orders(task_id)
    diag = f"live at broker: {b.live_orders()}\nBase: {records}"
    assert [(r.status, r.message == "not sent") for r in records] == [("unknown", False)], diag
    await engine.close()

    b.unreachable = False  # next start: the broker answers and the order is adopted
    again = make_engine(broker_=b, state_dir=tmp_path)
    await again.start()
    await eventually(
        lambda: [r.status for r in base.task_orders(task_id)] == ["new"],
        "the unknown order resolved as live",
        diag=lambda: f"{base.task_orders(task_id)}",
    )
    assert len(b.live_orders()) == 1 and len(set(b.posts)) == 1, "a second order was sent"
    await again.stop()


async def test_restart_counts_fills_not_the_recorded_lots_executed(
    make_engine: EngineFactory, broker: FakeBroker, base: FakeBase, sber: Instrument, tmp_path: Path
) -> None:
    """The Base holds lots_executed=1 for an order (an update written before its trade was
    known) but not the fill; then the bot restarted. The job must still buy exactly 20."""
    task_id = base.add_sellbuy(sber, "buy", 20)  # 2 lots of 10
    await base.record_order(
        NewOrder(
            ORDER_ID, sber.id, "buy", "limit", Decimal("100.00"), 2, "prepared", "sellbuy", task_id
        )
    )
    placed = await broker.post_limit_order(
        account_id=ACCOUNT,
        instrument_id="uid-sber",
        direction="buy",
        lots=2,
        price=Decimal("100.00"),
        request_id=ORDER_ID,
    )
    broker.fill(broker.orders[placed.order_id], 1)
    await base.update_order(OrderUpdate(ORDER_ID, "partially_filled", placed.order_id, 1))
    (tmp_path / "running.json").write_text(json.dumps({"sellbuy": [task_id]}))
    engine = make_engine(state_dir=tmp_path)
    await engine.start()
    await eventually(lambda: len(engine.jobs()) == 1, "the task resumed")

    def fill_all() -> bool:
        for order in broker.live_orders():
            broker.fill(order, order.lots - order.executed)
        return not engine.jobs()

    await eventually(fill_all, "the job done")
    await engine.recorder.wait_flushed()
    bought = sum(o.executed for o in broker.orders.values()) * 10
    assert bought == 20, f"task of 20 pieces, bought {bought}; Base: {base.progress(task_id)}"
    assert base.progress(task_id)[0] == 20


def _state(lots_executed: int, status: OrderStatus) -> OrderState:
    return OrderState(
        order_id="X1",
        request_id=ORDER_ID,
        status=status,
        direction=OrderDirection.BUY,
        order_type=OrderType.LIMIT,
        lots_requested=2,
        lots_executed=lots_executed,
    )


async def test_the_base_never_hears_of_executed_lots_its_fills_do_not_cover(
    base: FakeBase, sber: Instrument, broker: FakeBroker
) -> None:
    """A pushed state says one lot traded but carries no trade details yet: the Base's
    lots_executed stays at what its fills cover; when the trade arrives it is recorded once."""
    journal = Journal(None)
    recorder = BaseRecorder(base, journal, RecordingNotifier(), SystemClock())
    desk = OrderDesk(broker, recorder, RecordingNotifier(), SystemClock(), FAST, account_id=ACCOUNT)
    recorder.start()
    placed = await broker.post_limit_order(
        account_id=ACCOUNT,
        instrument_id="uid-sber",
        direction="buy",
        lots=2,
        price=Decimal("100.00"),
        request_id=ORDER_ID,
    )
    order = TrackedOrder(ORDER_ID, sber, "buy", Decimal("100.00"), 2, broker_order_id="X1")
    recorder.record_order(
        NewOrder(ORDER_ID, sber.id, "buy", "limit", Decimal("100.00"), 2, "prepared", None, None)
    )
    desk.adopt(order, _state(1, OrderStatus.PARTIALLY_FILLED))
    await recorder.wait_flushed()
    assert base.orders[ORDER_ID].lots_executed == 0, base.orders[ORDER_ID]
    broker.fill(broker.orders[placed.order_id], 1)
    fills = desk.adopt(order, await broker.order_state(account_id=ACCOUNT, order_id="X1"))
    again = desk.adopt(order, await broker.order_state(account_id=ACCOUNT, order_id="X1"))
    await recorder.wait_flushed()
    await recorder.close()
    assert [f.pieces for f in fills] == [10] and again == []
    assert base.orders[ORDER_ID].lots_executed == 1
    assert [(f.trade_id, f.quantity) for f in base.fills.values()] == [(fills[0].trade_id, 10)]


async def test_a_base_that_refuses_service_keeps_every_record_and_says_it_is_unavailable() -> None:
    """401 after a token change (or 403/429): the Base is unusable, not the record wrong."""
    accepted: list[str] = []

    class AuthFails(FakeBase):
        refusing = True

        async def record_fill(self, fill: Any) -> Any:
            if self.refusing:
                raise BaseRejected(401, "not_authenticated", "Invalid token.")
            accepted.append(fill.trade_id)
            return None

    base = AuthFails()
    journal = Journal(None)
    notifier = RecordingNotifier()
    recorder = BaseRecorder(
        base, journal, notifier, SystemClock(), retry_initial=0.01, retry_max=0.02
    )
    recorder.start()
    recorder.record_fill(
        NewFill(
            order=ORDER_ID,
            trade_id="T1",
            quantity=10,
            price=Decimal("100"),
            executed_at=datetime.now(UTC),
        )
    )
    await eventually(
        lambda: recorder.is_down, "the Base reported unavailable", diag=notifier.describe
    )
    assert len(journal) == 1, "the fill was dropped after a 401 from the Base"
    assert notifier.of(events.BaseUnavailable)
    base.refusing = False
    await asyncio.wait_for(recorder.wait_flushed(), 5)
    await recorder.close()
    assert accepted == ["T1"]


async def test_a_refused_order_and_its_fills_are_parked_beside_the_journal(tmp_path: Path) -> None:
    """400: the order record itself is invalid. It and its fill go to the dead-letter file (with
    an alert), never silently deleted; other records flow on."""
    sent: list[str] = []

    class RefusesOrder(FakeBase):
        async def record_order(self, order: Any) -> Any:
            raise BaseRejected(400, "validation_error", "bad order")

        async def record_fill(self, fill: Any) -> Any:
            sent.append(fill.order)
            return None

    journal = Journal(tmp_path, fsync=False)
    notifier = RecordingNotifier()
    recorder = BaseRecorder(RefusesOrder(), journal, notifier, SystemClock(), retry_initial=0.01)
    recorder.start()
    recorder.record_order(
        NewOrder(ORDER_ID, 1, "buy", "limit", Decimal("100.00"), 2, "prepared", None, None)
    )
    now = datetime.now(UTC)
    recorder.record_fill(NewFill(ORDER_ID, "T1", 10, Decimal("100"), now))
    recorder.record_fill(NewFill("other-order", "T2", 10, Decimal("100"), now))
    await asyncio.wait_for(recorder.wait_flushed(), 5)
    await recorder.close()
    parked = [json.loads(line) for line in (tmp_path / DEAD_LETTER_FILE).read_text().splitlines()]
    assert [(p["kind"], p["data"].get("trade_id")) for p in parked] == [
        ("order", None),
        ("fill", "T1"),
    ]
    assert all(p["reason"] for p in parked)
    assert sent == ["other-order"], "a fill of a refused order was sent, or another one lost"
    assert len(notifier.of(events.Alert)) == 2
    assert Journal(tmp_path).parked() == parked


async def test_a_fill_without_trade_details_is_priced_per_piece_as_the_simulator_reports() -> None:
    """A finished order whose state carries no trades (and no averagePositionPrice): the fill is
    priced from executedOrderPrice, which the simulator (like the broker) gives per piece."""
    async with running_simulator() as sim:
        info = await sim.instrument("SBER_TQBR")
        await sim.set_book("SBER_TQBR", [("250.00", 50)], [("250.50", 50)])
        base = FakeBase()
        sber = base.add_instrument(
            ticker="SBER",
            uid=info["uid"],
            figi=info["figi"],
            lot=int(info["lot"]),
            min_price_increment=Decimal(info["minPriceIncrement"]),
        )
        client = TInvestClient(
            BrokerConfig(
                token=sim.token,
                account_id=sim.account_id,
                rest_url=sim.rest_url,
                ws_url=sim.ws_url,
            )
        )
        try:
            port = TInvestPort(client)
            placed = await port.post_limit_order(
                account_id=sim.account_id,
                instrument_id=sber.uid,
                direction="buy",
                lots=2,
                price=Decimal("251.00"),
                request_id=ORDER_ID,
            )
            state = await port.order_state(account_id=sim.account_id, order_id=placed.order_id)
        finally:
            await client.close()
    assert state.status == OrderStatus.FILL, state
    bare = replace(state, trades=(), average_position_price=None)
    recorder = BaseRecorder(base, Journal(None), RecordingNotifier(), SystemClock())
    desk = OrderDesk(
        port, recorder, RecordingNotifier(), SystemClock(), FAST, account_id=sim.account_id
    )
    order = TrackedOrder(
        ORDER_ID, sber, "buy", Decimal("251.00"), 2, broker_order_id=placed.order_id
    )
    fills = desk.adopt(order, bare)
    assert [(f.pieces, f.price) for f in fills] == [(2 * sber.lot, Decimal("250.50"))], state


async def test_a_fill_whose_journal_write_failed_is_recorded_on_the_next_read(
    base: FakeBase, sber: Instrument, broker: FakeBroker
) -> None:
    class FailsOnce(Journal):
        failed = False

        def append(self, kind: Any, data: dict[str, Any]) -> Any:
            if kind == "fill" and not self.failed:
                self.failed = True
                raise OSError("disk full")
            return super().append(kind, data)

    journal = FailsOnce(None)
    recorder = BaseRecorder(base, journal, RecordingNotifier(), SystemClock())
    desk = OrderDesk(broker, recorder, RecordingNotifier(), SystemClock(), FAST, account_id=ACCOUNT)
    placed = await broker.post_limit_order(
        account_id=ACCOUNT,
        instrument_id="uid-sber",
        direction="buy",
        lots=2,
        price=Decimal("100.00"),
        request_id=ORDER_ID,
    )
    broker.fill(broker.orders[placed.order_id], 1)
    order = TrackedOrder(
        ORDER_ID, sber, "buy", Decimal("100.00"), 2, broker_order_id=placed.order_id
    )
    state = await broker.order_state(account_id=ACCOUNT, order_id=placed.order_id)
    with contextlib.suppress(OSError):  # the journal write of the fill failed
        desk.adopt(order, state)
    fills = desk.adopt(order, state)
    journaled = [e.data["trade_id"] for e in journal.pending() if e.kind == "fill"]
    assert [f.pieces for f in fills] == [10] and len(journaled) == 1, (fills, journaled)


class FirstPositionsReadWaits(FakeBroker):
    """The first positions read (the start-up reconciliation's) waits for `go`."""

    reached: asyncio.Event
    go: asyncio.Event

    async def positions(self, *, account_id: str) -> Any:
        if not self.reached.is_set():
            self.reached.set()
            await self.go.wait()
        return await super().positions(account_id=account_id)


async def test_start_goes_on_when_sellbuy_all_started_a_task_during_reconciliation(
    make_engine: EngineFactory, broker: FakeBroker, base: FakeBase, sber: Instrument, tmp_path: Path
) -> None:
    first = base.add_sellbuy(sber, "buy", 20)
    second = base.add_sellbuy(sber, "buy", 30)
    (tmp_path / "running.json").write_text(json.dumps({"sellbuy": [first, second]}))
    b: FirstPositionsReadWaits = _wrap(FirstPositionsReadWaits, broker)
    b.reached, b.go = asyncio.Event(), asyncio.Event()
    engine = make_engine(broker_=b, state_dir=tmp_path)
    starting = asyncio.create_task(engine.start())
    await asyncio.wait_for(b.reached.wait(), 5)
    # the owner's /sellbuy, meanwhile: it waits for the start-up reconciliation to end
    command = asyncio.create_task(engine.start_sellbuy_all())
    await asyncio.sleep(0)
    assert not command.done()
    b.go.set()
    await asyncio.wait_for(starting, 10)  # no UserError escapes the start-up
    started = await asyncio.wait_for(command, 10)
    running = sorted(j.title for j in engine.jobs())
    assert started == [] and running == ["buy 20 SBER", "buy 30 SBER"], running
    await engine.stop()


class CancelsByRequestId(AnswersLostAndUnresolvable):
    """Offers CancelOrder with orderIdType REQUEST (cancel by our idempotency key)."""

    async def cancel_order_by_request_id(self, *, account_id: str, request_id: str) -> None:
        self.cancelled_by_request.append(request_id)
        order = self.by_request.get(request_id)
        if order is not None and order.active:
            order.status = OrderStatus.CANCELLED

    cancelled_by_request: list[str]


async def test_stopping_with_an_unresolved_order_cancels_it_by_request_id(
    make_engine: EngineFactory, broker: FakeBroker, base: FakeBase
) -> None:
    b: CancelsByRequestId = _wrap(CancelsByRequestId, broker)
    b.cancelled_by_request = []
    b.lose_next_posts = 1
    engine = make_engine(broker_=b)
    await engine.start()
    info = await engine.start_sellbuy(SellBuyOrder("buy", "SBER", amount=20))
    task_id = info.task_id
    assert task_id is not None
    await eventually(lambda: len(b.posts) >= 1, "the order sent")
    await engine.stop()
    await engine.recorder.wait_flushed()
    assert set(b.cancelled_by_request) == set(b.posts[:1]), b.cancelled_by_request
    assert not b.live_orders(), "the order whose answer was lost is still live"
    assert [r.status for r in base.task_orders(task_id)] == ["unknown"]


async def test_the_broker_port_cancels_a_live_order_by_our_request_id() -> None:
    """An order whose broker id we never learnt can still be pulled: CancelOrder by request id."""
    async with running_simulator() as sim:
        info = await sim.instrument("SBER_TQBR")
        await sim.set_book("SBER_TQBR", [("250.00", 50)], [("250.50", 50)])
        client = TInvestClient(
            BrokerConfig(
                token=sim.token, account_id=sim.account_id, rest_url=sim.rest_url, ws_url=sim.ws_url
            )
        )
        try:
            port = TInvestPort(client)
            await port.post_limit_order(
                account_id=sim.account_id,
                instrument_id=info["uid"],
                direction="buy",
                lots=1,
                price=Decimal("249.00"),
                request_id=ORDER_ID,
            )
            await port.cancel_order_by_request_id(account_id=sim.account_id, request_id=ORDER_ID)
            state = await port.resolve_order(account_id=sim.account_id, request_id=ORDER_ID)
        finally:
            await client.close()
    assert state is not None and state.status == OrderStatus.CANCELLED, state
