"""/whatif on a busy recording (tests/support/tape_scenario.py `synthetic_day`: both legs'
books change every second): the same what-if gives the same answer at every run, and jumping
over the stretches where the job is idle gives the answer of a run that steps through every
recorded moment."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from bot.base_client.types import TradingSettings
from bot.engine.tape import format as fmt
from bot.engine.tape.whatif import WhatIfResult, run_whatif
from tests.support import tape_scenario as scenario

SECONDS = 600
# a far order's worth of position never stops the job here (the default limit would)
SETTINGS = TradingSettings(max_position_value=Decimal(10**9))
AMOUNT = 100_000  # never reached: the job trades the whole stretch


@pytest.fixture(scope="module")
def busy(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("tape")
    scenario.synthetic_day(folder, SECONDS)
    return fmt.day_files(folder)


def _fills(result: WhatIfResult) -> list[tuple[object, ...]]:
    return [(f.at, f.leg, f.pieces, f.price, f.executed) for f in result.fills]


async def _whatif(
    files: list[Path], target: int, direction: str = "sell", *, skip: bool = True
) -> WhatIfResult:
    spread = replace(scenario.spread(target=str(target), amount=AMOUNT), direction=direction)
    return await run_whatif(spread, Decimal(target), SETTINGS, files, skip=skip)


async def test_every_run_gives_the_same_fills_times_and_prices(busy: list[Path]) -> None:
    # target 560: met about half the time, so a far order stands most of the stretch and is
    # moved as the ask moves; its fills are hedged at once
    runs = [await _whatif(busy, 560) for _ in range(3)]
    first = runs[0]
    prices = {f.price for f in first.far_fills}
    assert len(first.far_fills) >= 10 and len(prices) >= 5  # a live, moving order that fills
    assert any(f.leg == "near" for f in first.fills)
    for other in runs[1:]:
        assert _fills(other) == _fills(first)
        assert (other.filled, other.average_spread, other.steps) == (
            first.filled,
            first.average_spread,
            first.steps,
        )


@pytest.mark.parametrize(("direction", "target"), [("sell", 580), ("buy", 560)])
async def test_skipping_idle_stretches_changes_no_fill(
    busy: list[Path], direction: str, target: int
) -> None:
    # the job is idle (nothing open, nothing to hedge) much of the stretch: the replay jumps
    # there, and must give exactly the fills of a replay that stops at every recorded moment
    skipping = await _whatif(busy, target, direction)
    stepping = await _whatif(busy, target, direction, skip=False)
    assert stepping.steps == SECONDS - 1  # every recorded moment after the first
    assert skipping.steps < stepping.steps * 2 // 3  # it did skip
    assert len(stepping.far_fills) >= 5  # orders were live in between
    assert _fills(skipping) == _fills(stepping)
    assert skipping.average_spread == stepping.average_spread
