"""/whatif through the real dispatcher and a fake Telegram; the trader runs the real what-if, in
its worker process (bot/engine/tape/worker.py), on the shipped recording
(tests/support/tape_scenario.py)."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from bot.base_client.types import Spread
from bot.engine.tape import format as fmt
from bot.engine.tape.service import TapeService
from bot.engine.tape.whatif import WhatIfResult
from tests.support import tape_scenario as scenario
from tests.support.fake_base import FakeBase
from tests.support.fake_telegram import FakeTrader, Harness, make_harness


class _Base(FakeBase):
    async def spreads(self) -> list[Spread]:
        return [scenario.spread()]


@dataclass
class WhatIfTrader(FakeTrader):
    service: TapeService | None = None

    async def whatif(self, spread_id: int, target: Decimal, days: int = 1) -> WhatIfResult:
        self._call("whatif", (spread_id, target, days))
        assert self.service is not None
        return await self.service.whatif(spread_id, target, days)


async def _harness(tmp_path: Path, language: str) -> Harness:
    (tmp_path / "tape").mkdir(exist_ok=True)
    for path in fmt.day_files(scenario.DATA):
        shutil.copy(path, tmp_path / "tape" / path.name)
    trader = WhatIfTrader(service=TapeService(None, _Base(), tmp_path))
    return await make_harness(language, trader=trader)


@pytest.fixture
async def tg(tmp_path: Path) -> AsyncIterator[Harness]:
    harness = await _harness(tmp_path, "en")
    yield harness
    await harness.outbox.close(timeout=5)


async def test_whatif_answers_at_once_then_what_would_have_filled(tg: Harness) -> None:
    await tg.send("/whatif 7 550")
    replies = tg.replies()
    assert replies[0] == "Replaying spread #7 with target 550.00 over the last 1 recorded day(s)…"
    answer = replies[1:]
    assert answer[0] == (
        "What-if #7 sell spread SRM6/SBER at target 550.00: 2026-03-11 "
        "(12 changes of the legs' books)"
    )
    assert answer[1] == "5 of 5 pcs would have filled, average spread 564.00."
    assert answer[2] == "First fill 12:00:20, last 12:00:30 (Moscow time)."
    assert answer[4] == "12:00:20 3 pcs at 25,560 (spread so far 560.00)"
    assert answer[5] == "12:00:30 2 pcs at 25,570 (spread so far 564.00)"
    assert tg.trader.calls == [("whatif", (7, Decimal(550), 1))]


async def test_whatif_that_never_fills_says_so(tg: Harness) -> None:
    await tg.send("/whatif #7 600 2")
    assert any("Nothing would have filled" in line for line in tg.replies())


@pytest.mark.parametrize(
    ("text", "reply"),
    [
        ("/whatif", "Which spread and which target? /whatif N TARGET [DAYS]"),
        ("/whatif 7", "Which spread and which target?"),
        ("/whatif x 550", "x is not a spread number."),
        ("/whatif 7 abc", "abc is not a spread price."),
        ("/whatif 7 550 99", "Days must be a whole number from 1 to 30, not 99."),
        ("/whatif 7 550 1 2 3", "Too many arguments"),
        ("/whatif 9 550", "There is no spread #9 in the Base."),
    ],
)
async def test_bad_input_gets_one_line_and_runs_nothing(tg: Harness, text: str, reply: str) -> None:
    await tg.send(text)
    assert reply in tg.last()
    assert len(tg.replies()) == (2 if text.startswith("/whatif 9") else 1)


async def test_whatif_in_russian(tmp_path: Path) -> None:
    tg = await _harness(tmp_path, "ru")
    try:
        await tg.send("/whatif 7 565")
        assert "Исполнилось бы 5 из 5 шт., средний спред 570,00." in tg.replies()
        # the spread named in Russian, as in /tasks (not "sell SRM6/SBER")
        assert any(
            r.startswith("Что если #7 продажа спреда SRM6/SBER с целью 565,00: 2026-03-11")
            for r in tg.replies()
        )
        await tg.send("/help")
        assert any(r.startswith("/whatif N ЦЕЛЬ [ДНЕЙ]") for r in tg.replies())
    finally:
        await tg.outbox.close(timeout=5)
