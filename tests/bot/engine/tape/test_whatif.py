"""/whatif on the shipped recording (tests/support/tape_scenario.py has the books by hand):
the live spread job against the simulator replaying it gives the fills worked out by hand."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from bot.base_client.types import TradingSettings
from bot.engine.tape import format as fmt
from bot.engine.tape.whatif import WhatIfError, run_whatif
from tests.support import tape_scenario as scenario

FILES = fmt.day_files(scenario.DATA)


async def test_a_modest_target_fills_everything_in_two_steps() -> None:
    # t=10: spread 560 ≥ 550: sell 5 SRM6 at 25 560 (the ask). t=20: bids 25 560 × 3 take 3 of
    # them (hedged at 250.00: spread 560); the ask is now 25 570 (570 ≥ 550), so the other 2 move
    # there; t=30: bids 25 575 take them (spread 570). 5 pieces, (3×560 + 2×570) / 5 = 564.
    result = await run_whatif(scenario.spread(), Decimal(550), TradingSettings(), FILES)
    far = [(f.at, f.pieces, f.price) for f in result.far_fills]
    assert far == [
        (scenario.at(20), 3, Decimal(25560)),
        (scenario.at(30), 2, Decimal(25570)),
    ]
    near = [(f.at, f.pieces, f.price) for f in result.fills if f.leg == "near"]
    assert near == [
        (scenario.at(20), 300, Decimal("250.00")),
        (scenario.at(30), 200, Decimal("250.00")),
    ]
    assert result.filled == 5 and result.average_spread == Decimal(564)
    assert result.first_at == scenario.at(20) and result.last_at == scenario.at(30)
    assert result.days == ["2026-03-11"]


async def test_a_greedier_target_waits_for_the_better_ask() -> None:
    # 560 < 565 at t=10; at t=20 the ask 25 570 gives 570: sell 5 there; t=30 fills them all.
    result = await run_whatif(scenario.spread(), Decimal(565), TradingSettings(), FILES)
    assert [(f.at, f.pieces, f.price) for f in result.far_fills] == [
        (scenario.at(30), 5, Decimal(25570))
    ]
    assert result.filled == 5 and result.average_spread == Decimal(570)


async def test_a_target_never_reached_fills_nothing() -> None:
    result = await run_whatif(scenario.spread(), Decimal(600), TradingSettings(), FILES)
    assert result.fills == [] and result.filled == 0 and result.average_spread is None


async def test_a_leg_missing_from_the_recording_is_said() -> None:
    other = scenario.spread()
    near = replace(other.near, ticker="GAZP", uid="x", figi="y")
    with pytest.raises(WhatIfError) as caught:
        await run_whatif(replace(other, near=near), Decimal(550), TradingSettings(), FILES)
    assert caught.value.key == "tape.whatif_no_recording"
    assert caught.value.params == {"ticker": "GAZP"}
