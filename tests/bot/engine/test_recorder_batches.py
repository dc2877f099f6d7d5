"""The recorder flushes the journal in batches (POST records/): a burst after an outage takes a
few requests, not one per record; what the Base could not take stays journaled, in order."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from bot.base_client.errors import BaseRejected
from bot.base_client.types import NewFill, NewOrder, OrderRecord
from bot.engine import events
from bot.engine.clock import SystemClock
from bot.engine.journal import Journal
from bot.engine.recorder import BaseRecorder
from tests.bot.engine.conftest import RecordingNotifier, eventually
from tests.support.fake_base import FakeBase


def burst(recorder: BaseRecorder, base: FakeBase, orders: int) -> None:
    sber = base.add_instrument(ticker="SBER", lot=10)
    for n in range(orders):
        cid = f"00000000-0000-4000-8000-{n:012d}"
        recorder.record_order(
            NewOrder(cid, sber.id, "buy", "limit", Decimal("100.00"), 1, "prepared")
        )
        recorder.record_fill(NewFill(cid, f"T{n}", 10, Decimal("100.00"), datetime.now(UTC)))


async def test_a_burst_goes_in_batches_and_every_record_arrives(tmp_path: Path) -> None:
    base = FakeBase()
    journal = Journal(tmp_path, fsync=False)
    recorder = BaseRecorder(base, journal, RecordingNotifier(), SystemClock(), batch_size=100)
    burst(recorder, base, 150)  # 300 records
    recorder.start()
    await asyncio.wait_for(recorder.wait_flushed(), 10)
    await recorder.close()
    assert base.batches == [100, 100, 100]
    assert len(base.orders) == 150 and len(base.fills) == 150
    assert len(Journal(tmp_path)) == 0  # every record acknowledged on disk too


async def test_a_record_the_base_cannot_take_now_keeps_it_and_the_rest(tmp_path: Path) -> None:
    """A 5xx for one record of a batch: the records before it are done, it and the rest stay
    journaled (in order) and go again; nothing is counted twice."""
    failures = [True]

    class Hiccup(FakeBase):
        async def record_fill(self, fill: NewFill) -> Any:
            if fill.trade_id == "T3" and failures.pop() if failures else False:
                from bot.base_client.errors import BaseUnavailable

                raise BaseUnavailable("database restarting")
            return await super().record_fill(fill)

    base = Hiccup()
    notifier = RecordingNotifier()
    journal = Journal(tmp_path, fsync=False)
    recorder = BaseRecorder(base, journal, notifier, SystemClock(), retry_initial=0.01)
    burst(recorder, base, 6)
    recorder.start()
    await asyncio.wait_for(recorder.wait_flushed(), 10)
    await recorder.close()
    assert base.batches[0] == 12 and base.batches[1] == 12 - 7  # T3's fill is the 8th record
    assert len(base.fills) == 6
    assert notifier.of(events.BaseUnavailable) and notifier.of(events.BaseRestored)


async def test_a_base_without_the_batch_endpoint_gets_one_record_a_request(
    tmp_path: Path,
) -> None:
    sent: list[str] = []

    class OldBase(FakeBase):
        async def record_batch(self, records: Any) -> Any:
            raise BaseRejected(404, "not_found", "Not found.")

        async def record_order(self, order: NewOrder) -> OrderRecord:
            sent.append("order")
            return await super().record_order(order)

    base = OldBase()
    recorder = BaseRecorder(
        base, Journal(tmp_path, fsync=False), RecordingNotifier(), SystemClock()
    )
    burst(recorder, base, 3)
    recorder.start()
    await eventually(lambda: len(base.fills) == 3, "all three fills")
    await recorder.close()
    assert sent == ["order"] * 3


async def test_a_stale_status_update_after_the_fill_is_no_alarm(tmp_path: Path) -> None:
    """After a crash with a lost PostOrder answer, "sent" can reach the journal after "filled":
    the Base refuses it (409, a final status never changes) although nothing is wrong. It is
    dropped quietly — no alert, no dead letter; a genuine conflict still alerts."""
    from bot.base_client.types import OrderUpdate

    base = FakeBase()
    notifier = RecordingNotifier()
    journal = Journal(tmp_path, fsync=False)
    recorder = BaseRecorder(base, journal, notifier, SystemClock(), retry_initial=0.01)
    sber = base.add_instrument(ticker="SBER", lot=10)
    cid = "00000000-0000-4000-8000-000000000001"
    recorder.record_order(NewOrder(cid, sber.id, "buy", "limit", Decimal("100.00"), 1, "prepared"))
    recorder.update_order(OrderUpdate(cid, "filled", broker_order_id="B-1", lots_executed=1))
    recorder.update_order(OrderUpdate(cid, "sent", broker_order_id="B-1"))  # the late answer
    recorder.update_order(OrderUpdate(cid, "new", broker_order_id="B-2"))  # not ours: conflict
    recorder.start()
    await asyncio.wait_for(recorder.wait_flushed(), 10)
    await recorder.close()
    assert base.orders[cid].status == "filled"
    parked = journal.parked()
    assert [p["data"]["broker_order_id"] for p in parked] == ["B-2"]
    assert len(notifier.of(events.Alert)) == 1
