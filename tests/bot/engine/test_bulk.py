"""The bulk executor: every item accounted for, unknown outcomes sent again, stop honoured."""

from __future__ import annotations

import asyncio
from collections import Counter

from bot.broker import errors as broker_errors
from bot.broker import ratelimit
from bot.engine.bulk import BulkRun, BulkStatus, ItemFailed


async def test_unknown_outcomes_are_sent_again_and_refusals_are_final() -> None:
    calls: Counter[int] = Counter()

    async def call(item: int) -> None:
        calls[item] += 1
        if item % 5 == 0 and calls[item] < 3:  # a lost answer, twice
            raise broker_errors.OrderOutcomeUnknown("lost", request_id=str(item))
        if item == 7:
            raise ItemFailed("refused", "30053")
        if item == 8 and calls[item] == 1:
            raise broker_errors.InternalError("boom")

    run: BulkRun[int] = BulkRun(priority=0, estimate=lambda n: float(n), retry_pause=0)
    result = await run.run(list(range(20)), call)
    assert sorted(result.succeeded) == [i for i in range(20) if i != 7]
    assert [(f.item, f.reason, f.code) for f in result.failed] == [(7, "refused", "30053")]
    assert calls[0] == calls[5] == 3 and calls[8] == 2 and calls[1] == 1
    assert result.not_sent == [] and not result.stopped


async def test_an_item_unknown_after_every_attempt_is_reported_not_dropped() -> None:
    async def call(item: int) -> None:
        raise broker_errors.OrderOutcomeUnknown("lost", request_id=str(item))

    run: BulkRun[int] = BulkRun(priority=0, estimate=float, attempts=3, retry_pause=0)
    result = await run.run([1], call)
    assert [f.item for f in result.failed] == [1]


async def test_stop_sends_nothing_new_and_lists_what_was_not_sent() -> None:
    stop = asyncio.Event()
    started: list[int] = []

    async def call(item: int) -> None:
        started.append(item)
        if len(started) == 3:
            stop.set()
        await asyncio.sleep(0)

    run: BulkRun[int] = BulkRun(priority=0, estimate=float, stop=stop, concurrency=1)
    result = await run.run(list(range(10)), call)
    assert result.stopped
    assert started == [0, 1, 2]
    assert sorted(result.succeeded) == [0, 1, 2] and sorted(result.not_sent) == list(range(3, 10))


async def test_progress_and_priority_reach_the_workers() -> None:
    reports: list[BulkStatus] = []
    priorities: set[int] = set()

    async def call(item: int) -> None:
        priorities.add(ratelimit.current_priority())

    async def progress(status: BulkStatus) -> None:
        reports.append(status)

    run: BulkRun[int] = BulkRun(
        priority=ratelimit.PRIORITY_CANCEL,
        estimate=lambda n: n * 1.2,
        on_progress=progress,
        progress_interval=0,
    )
    await run.run(list(range(5)), call)
    assert priorities == {ratelimit.PRIORITY_CANCEL}
    assert reports[-1] == BulkStatus(5, 0, 5, 0.0, finished=True)
    assert all(r.done + r.failed <= r.total for r in reports)
