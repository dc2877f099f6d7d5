"""The sell/buy job against the in-memory broker and Base."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

import pytest

from bot.engine import events, text_keys
from bot.engine.interface import SellBuyOrder, UserError
from tests.bot.engine.conftest import EngineFactory, RecordingNotifier, eventually
from tests.bot.engine.fake_broker import FakeBroker
from tests.support.fake_base import FakeBase


async def test_buys_in_steps_following_the_best_bid(
    make_engine: EngineFactory, broker: FakeBroker, base: FakeBase, notifier: RecordingNotifier
) -> None:
    engine = make_engine()
    await engine.start()
    info = await engine.start_sellbuy(SellBuyOrder(direction="buy", ticker="sber", amount=50))
    assert info.amount == 50 and info.kind == "sellbuy" and info.job_id == f"T{info.task_id}"

    await eventually(lambda: len(broker.live_orders()) == 1, "first order", diag=notifier.describe)
    first = broker.live_orders()[0]
    assert (first.direction, first.price, first.lots) == ("buy", Decimal("100.00"), 5)
    broker.fill(first, 2)  # 20 pieces at 100.00

    broker.set_book("uid-sber", "100.10", "100.50")  # a better bid appears: move up to it
    await eventually(
        lambda: any(o.price == Decimal("100.10") for o in broker.live_orders()),
        "order moved to the new best bid",
        diag=notifier.describe,
    )
    assert first.status.name == "CANCELLED"
    second = broker.live_orders()[0]
    assert second.lots == 3  # only what is left: the 2 filled lots were counted
    broker.fill(second, 3)

    await engine.wait_idle()
    assert broker.max_live["uid-sber"] == 1, "never two live orders of a job at once"
    task_id = info.task_id
    assert task_id is not None
    executed, average = base.progress(task_id)
    assert executed == 50
    assert average == (Decimal("100.00") * 20 + Decimal("100.10") * 30) / 50
    fills = notifier.of(events.OrderFilled)
    assert [(f.quantity, f.executed) for f in fills] == [(20, 20), (30, 50)]
    finished = notifier.of(events.JobFinished)
    assert len(finished) == 1 and finished[0].outcome == "done" and finished[0].executed == 50
    assert not base.tasks[task_id].active, "a finished task is deactivated"
    statuses = sorted(o.status for o in base.task_orders(task_id))
    assert statuses == ["cancelled", "filled"]


async def test_sell_stands_at_best_ask_and_never_below_limit(
    make_engine: EngineFactory, broker: FakeBroker, base: FakeBase, notifier: RecordingNotifier
) -> None:
    engine = make_engine()
    await engine.start()
    await engine.start_sellbuy(
        SellBuyOrder(direction="sell", ticker="SBER", amount=30, limit_price=Decimal("100.40")),
        allow_short=30,
    )
    await eventually(lambda: len(broker.live_orders()) == 1, "first order")
    assert broker.live_orders()[0].price == Decimal("100.50")

    broker.set_book("uid-sber", "100.00", "100.20")  # the ask falls below our limit
    await eventually(
        lambda: any(o.price == Decimal("100.40") for o in broker.live_orders()),
        "order at the limit",
        diag=notifier.describe,
    )
    broker.set_book("uid-sber", "100.00", "100.10")
    reads = broker.book_reads
    # The limit holds: after the engine has seen this book, no order is priced below 100.40.
    await eventually(lambda: broker.book_reads >= reads + 3, "engine read the new book")
    order = broker.live_orders()[0]
    broker.fill(order, 3)
    await engine.wait_idle()
    assert all(o.price >= Decimal("100.40") for o in broker.orders.values())
    assert broker.positions_pieces["uid-sber"] == -30


async def test_stop_cancels_the_live_order_and_keeps_progress(
    make_engine: EngineFactory, broker: FakeBroker, base: FakeBase, notifier: RecordingNotifier
) -> None:
    engine = make_engine()
    await engine.start()
    info = await engine.start_sellbuy(SellBuyOrder(direction="buy", ticker="SBER", amount=50))
    await eventually(lambda: len(broker.live_orders()) == 1, "first order")
    broker.fill(broker.live_orders()[0], 1)
    await eventually(lambda: engine.jobs()[0].executed == 10, "fill seen")

    stopped = await engine.stop(info.job_id)
    assert [s.job_id for s in stopped] == [info.job_id]
    assert broker.live_orders() == [], "the live order was cancelled"
    assert engine.jobs() == []
    finished = notifier.of(events.JobFinished)[-1]
    assert finished.outcome == "stopped" and finished.executed == 10
    await engine.recorder.wait_flushed()
    assert info.task_id is not None
    assert base.progress(info.task_id)[0] == 10
    assert base.tasks[info.task_id].active, "a stopped task stays active to be resumed"
    assert [o.status for o in base.task_orders(info.task_id)] == ["cancelled"]


async def test_stop_unknown_job_is_refused(make_engine: EngineFactory) -> None:
    engine = make_engine()
    with pytest.raises(UserError) as err:
        await engine.stop("42")
    assert err.value.key == text_keys.JOB_NOT_FOUND and err.value.params == {"job_id": "42"}


async def test_the_same_task_never_runs_twice(
    make_engine: EngineFactory, broker: FakeBroker, base: FakeBase, sber: object
) -> None:
    from bot.base_client.types import Instrument

    assert isinstance(sber, Instrument)
    base.add_sellbuy(sber, "buy", 20)
    base.add_sellbuy(sber, "sell", 10)
    engine = make_engine()
    await engine.start()
    first = await engine.start_sellbuy_all()
    assert sorted(j.title for j in first) == ["buy 20 SBER", "sell 10 SBER"]
    assert [j.job_id for j in first] == [f"T{j.task_id}" for j in first]
    again = await engine.start_sellbuy_all()
    assert again == [], "tasks already running are not started again"
    assert len(engine.jobs()) == 2
    await engine.stop()
    assert engine.jobs() == []


async def test_sellbuy_all_reads_positions_once_so_a_broker_hiccup_leaves_no_unnamed_job(
    make_engine: EngineFactory, broker: FakeBroker, base: FakeBase, sber: object
) -> None:
    """/sellbuy with two tasks: the broker's positions answer once, then fails. Every job that
    starts is named in the reply (before, the second read refused the command while the first
    job was already trading)."""
    from bot.base_client.types import Instrument
    from bot.broker import errors as broker_errors
    from bot.broker.types import Positions

    assert isinstance(sber, Instrument)
    base.add_sellbuy(sber, "buy", 20)
    base.add_sellbuy(sber, "sell", 10)
    engine = make_engine()
    await engine.start()
    answer_once = broker.positions
    reads: list[str] = []

    async def flaky_positions(*, account_id: str) -> Positions:
        reads.append(account_id)
        if len(reads) > 1:
            raise broker_errors.Unavailable("positions: connection reset")
        return await answer_once(account_id=account_id)

    broker.positions = flaky_positions  # type: ignore[method-assign]
    started = await engine.start_sellbuy_all()
    assert sorted(j.title for j in started) == ["buy 20 SBER", "sell 10 SBER"]
    assert sorted(j.job_id for j in engine.jobs()) == sorted(j.job_id for j in started), (
        f"running {engine.jobs()} vs reported {started}"
    )
    assert len(reads) == 1
    await engine.stop()


async def test_a_restart_reads_positions_once_for_all_resumed_tasks(
    make_engine: EngineFactory, broker: FakeBroker, base: FakeBase, sber: object, tmp_path: Path
) -> None:
    """Two tasks were running when the bot stopped: both resume, and the broker is asked for
    positions once, not once per task."""
    import json

    from bot.base_client.types import Instrument
    from bot.broker.types import Positions

    assert isinstance(sber, Instrument)
    first = base.add_sellbuy(sber, "buy", 20)
    second = base.add_sellbuy(sber, "sell", 10)
    (tmp_path / "running.json").write_text(json.dumps({"sellbuy": [first, second]}))
    answer = broker.positions
    reads: list[str] = []

    async def counted_positions(*, account_id: str) -> Positions:
        reads.append(account_id)
        return await answer(account_id=account_id)

    broker.positions = counted_positions  # type: ignore[method-assign]
    engine = make_engine(state_dir=tmp_path)
    await engine.start()
    await eventually(lambda: len(engine.jobs()) == 2, "both tasks resumed")
    assert sorted(j.task_id or 0 for j in engine.jobs()) == [first, second]
    assert len(reads) == 1, f"positions read {len(reads)} times at start"
    await engine.stop()


async def test_sellbuy_all_without_tasks_says_so(make_engine: EngineFactory) -> None:
    engine = make_engine()
    await engine.start()
    with pytest.raises(UserError) as err:
        await engine.start_sellbuy_all()
    assert err.value.key == text_keys.NO_ACTIVE_TASKS


async def test_close_is_prompt_after_work_with_default_timings(
    make_engine: EngineFactory, broker: FakeBroker
) -> None:
    from dataclasses import replace

    from tests.bot.engine.conftest import FAST

    engine = make_engine(options=replace(FAST, base_probe_interval=10.0, stop_timeout=30.0))
    await engine.start()
    await engine.start_sellbuy(SellBuyOrder(direction="buy", ticker="SBER", amount=10))
    await eventually(lambda: len(broker.live_orders()) == 1, "order placed")
    broker.fill(broker.live_orders()[0], 1)
    await engine.wait_idle()
    await asyncio.wait_for(engine.close(), 3.0)  # the flusher waits 10 s between probes
