"""Issue 8, item 9: the owner finds a task by the same number in the bot and in the admin: a
job's id is its Base task's id with a letter for the table (T sell/buy, S spread)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from bot.base_client.types import Instrument
from bot.engine import text_keys
from bot.engine.interface import SellBuyOrder, UserError
from bot.engine.jobs import Job, JobRegistry, job_ref
from tests.bot.engine.conftest import EngineFactory
from tests.bot.engine.fake_broker import FakeBroker
from tests.support.fake_base import FakeBase

AT = datetime(2026, 12, 1, tzinfo=UTC)


def test_job_refs() -> None:
    assert job_ref("sellbuy", 5, 1) == "T5"
    assert job_ref("spread", 5, 2) == "S5"
    assert job_ref("stops", None, 7) == "J7"  # a job with no Base task: a number of this run
    assert job_ref("sellbuy", None, 3) == "J3"


async def test_job_ids_are_the_base_task_numbers_and_stop_takes_them(
    make_engine: EngineFactory, broker: FakeBroker, base: FakeBase, sber: Instrument
) -> None:
    base.add_sellbuy(sber, "buy", 10)
    base.add_sellbuy(sber, "buy", 10)
    base.tasks.clear()  # tasks 1 and 2 were deleted: the next one is task 3
    engine = make_engine()
    await engine.start()
    info = await engine.start_sellbuy(SellBuyOrder("buy", "SBER", amount=20))
    assert info.task_id == 3 and info.job_id == "T3"
    assert [j.job_id for j in engine.jobs()] == ["T3"]
    with pytest.raises(UserError) as err:
        await engine.stop("S3")  # no spread 3 runs
    assert err.value.key == text_keys.JOB_NOT_FOUND
    stopped = await engine.stop("#t3")
    assert [s.job_id for s in stopped] == ["T3"] and engine.jobs() == []


async def test_a_bare_number_finds_the_one_job_with_it() -> None:
    registry = JobRegistry()
    release = asyncio.Event()

    async def run(job: Job) -> None:
        await release.wait()

    def start(kind: str, task_id: int) -> Job:
        return registry.start(
            key=f"{kind}:{task_id}",
            kind=kind,  # type: ignore[arg-type]
            title=kind,
            amount=1,
            started_at=AT,
            run=run,
            task_id=task_id,
        )

    start("sellbuy", 5)
    start("sellbuy", 7)
    spread = start("spread", 7)
    found = registry.get("5")
    assert found is not None and found.job_id == "T5"
    assert registry.get("7") is None, "T7 and S7: the letter is needed"
    assert registry.get("s7") is spread
    release.set()
    await registry.wait_idle()
