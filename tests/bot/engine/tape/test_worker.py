"""/whatif in a worker process (bot/engine/tape/worker.py): the same answer as the run in this
process, and every way the child can end — out of memory, killed, too slow, its caller
cancelled, the bot shutting down — is a clear refusal, with no child left behind and this
process unharmed."""

from __future__ import annotations

import asyncio
import os
import shutil
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from bot.base_client.types import Spread, TradingSettings
from bot.engine.interface import UserError
from bot.engine.tape import format as fmt
from bot.engine.tape.policy import TapeOptions
from bot.engine.tape.service import TapeService
from bot.engine.tape.whatif import WhatIfError, WhatIfResult, run_whatif
from bot.engine.tape.worker import WhatIfRequest, run_in_worker
from bot.texts import Texts
from tests.support import tape_scenario as scenario
from tests.support.fake_base import FakeBase

SHIPPED = tuple(fmt.day_files(scenario.DATA))
BUSY_SECONDS = 600
BUSY_SETTINGS = TradingSettings(max_position_value=Decimal(10**9))
TINY = 1024 * 1024  # 1 MB of address space: far less than any what-if needs


@pytest.fixture(scope="module")
def busy(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ...]:
    folder = tmp_path_factory.mktemp("tape")
    scenario.synthetic_day(folder, BUSY_SECONDS)
    return tuple(fmt.day_files(folder))


def _same(result: WhatIfResult) -> WhatIfResult:
    return replace(result, wall_seconds=0.0)  # all but the time it took


def _request(files: tuple[Path, ...] = SHIPPED, **changes: object) -> WhatIfRequest:
    request = WhatIfRequest(scenario.spread(), Decimal(550), TradingSettings(), files)
    return replace(request, **changes)  # type: ignore[arg-type]


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.mark.parametrize("target", [550, 565, 600])
async def test_the_worker_answers_as_the_run_in_this_process(target: int) -> None:
    here = await run_whatif(scenario.spread(), Decimal(target), TradingSettings(), list(SHIPPED))
    there = await run_in_worker(_request(target=Decimal(target), memory_bytes=768 << 20))
    assert _same(there) == _same(here)
    assert there.days == ["2026-03-11"]


async def test_the_worker_answers_as_the_run_in_this_process_on_a_busy_recording(
    busy: tuple[Path, ...],
) -> None:
    spread = scenario.spread(target="560", amount=100_000)
    here = await run_whatif(spread, Decimal(560), BUSY_SETTINGS, list(busy))
    request = WhatIfRequest(spread, Decimal(560), BUSY_SETTINGS, busy, memory_bytes=768 << 20)
    there = await run_in_worker(request)
    assert len(here.far_fills) >= 10  # a live, moving order that fills
    assert _same(there) == _same(here)


async def test_a_refusal_of_the_what_if_comes_back_with_its_key() -> None:
    spread = scenario.spread()
    other = replace(spread, near=replace(spread.near, ticker="GAZP", uid="x", figi="y"))
    with pytest.raises(WhatIfError) as caught:
        await run_in_worker(_request(spread=other))
    assert (caught.value.key, caught.value.params) == (
        "tape.whatif_no_recording",
        {"ticker": "GAZP"},
    )


async def test_a_worker_out_of_memory_is_told_and_this_process_goes_on() -> None:
    with pytest.raises(WhatIfError) as caught:
        await run_in_worker(_request(memory_bytes=TINY))
    assert caught.value.key == "tape.whatif_out_of_memory"
    assert caught.value.params == {"memory": "1", "days": "1", "id": "7", "target": "550"}
    for language, words in (("en", "Try fewer days"), ("ru", "меньше дней")):
        text = Texts(language)(caught.value.key, **caught.value.params)
        assert words in text and "/whatif 7 550 1" in text and "{" not in text
    # this process is fine: the next what-if runs, with the default cap
    result = await run_in_worker(_request(memory_bytes=TapeOptions().whatif_memory_mb << 20))
    assert result.filled == 5


async def test_a_killed_worker_is_told() -> None:
    procs: list[asyncio.subprocess.Process] = []

    def kill(proc: asyncio.subprocess.Process) -> None:
        procs.append(proc)
        proc.kill()

    with pytest.raises(WhatIfError) as caught:
        await run_in_worker(_request(), started=kill)
    assert (caught.value.key, caught.value.params) == ("tape.whatif_died", {"how": "SIGKILL"})
    assert _gone(procs[0].pid)


async def test_a_worker_too_slow_is_killed_and_told(busy: tuple[Path, ...]) -> None:
    procs: list[asyncio.subprocess.Process] = []
    with pytest.raises(WhatIfError) as caught:
        await run_in_worker(_request(busy), time_limit=0.001, started=procs.append)
    assert (caught.value.key, caught.value.params) == ("tape.whatif_timeout", {"minutes": "1"})
    assert procs[0].returncode is not None and _gone(procs[0].pid)


async def test_cancelling_the_what_if_kills_its_worker(busy: tuple[Path, ...]) -> None:
    running = asyncio.Event()
    procs: list[asyncio.subprocess.Process] = []

    def started(proc: asyncio.subprocess.Process) -> None:
        procs.append(proc)
        running.set()

    task = asyncio.create_task(run_in_worker(_request(busy), started=started))
    await running.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert procs[0].returncode is not None and _gone(procs[0].pid)


class _Base(FakeBase):
    async def spreads(self) -> list[Spread]:
        return [scenario.spread()]


async def test_the_bot_shutting_down_kills_a_running_worker(
    tmp_path: Path, busy: tuple[Path, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "tape").mkdir()
    for path in busy:
        shutil.copy(path, tmp_path / "tape" / path.name)
    running = asyncio.Event()
    procs: list[asyncio.subprocess.Process] = []
    real = run_in_worker

    async def watched(request: WhatIfRequest, **kwargs: object) -> WhatIfResult:
        def started(proc: asyncio.subprocess.Process) -> None:
            procs.append(proc)
            running.set()

        return await real(request, started=started, time_limit=None)

    monkeypatch.setattr("bot.engine.tape.service.run_in_worker", watched)
    service = TapeService(None, _Base(), tmp_path)
    task = asyncio.create_task(service.whatif(7, Decimal(560), 1))
    await running.wait()
    await service.close()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert procs[0].returncode is not None and _gone(procs[0].pid)


async def test_the_service_says_out_of_memory_in_the_owners_words(tmp_path: Path) -> None:
    (tmp_path / "tape").mkdir()
    for path in SHIPPED:
        shutil.copy(path, tmp_path / "tape" / path.name)
    service = TapeService(None, _Base(), tmp_path, TapeOptions(whatif_memory_mb=1))
    with pytest.raises(UserError) as caught:
        await service.whatif(7, Decimal(550), 3)
    assert caught.value.key == "tape.whatif_out_of_memory"
    assert caught.value.params == {"memory": "1", "days": "1", "id": "7", "target": "550"}
