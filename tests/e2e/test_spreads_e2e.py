"""End to end: /sprices and /spreads typed in `python -m bot console`, against the simulator and
the real Base (its spread records, legs and deactivation) as processes on loopback."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.stack import Stack, manage, running_stack
from tests.e2e.test_console_e2e import open_console, sim_live_orders

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(400)]

CREATE_SPREAD = """
from decimal import Decimal
from trademan.base.models import Instrument, Spread
near = Instrument.objects.get(ticker="SBER", kind="share")
far = Instrument.objects.filter(
    kind="future", basic_asset__in=("SBER", near.uid), basic_asset_size=100, active=True
).order_by("expiration").last()
spread = Spread.objects.create(
    far=far, near=near, direction="sell", amount=2, target_price=Decimal("350")
)
print(spread.pk, far.ticker)
"""


async def set_book(
    control: httpx.AsyncClient, uid: str, bids: list[tuple[str, int]], asks: list[tuple[str, int]]
) -> None:
    body = {
        "instrumentId": uid,
        "bids": [{"price": p, "quantity": q} for p, q in bids],
        "asks": [{"price": p, "quantity": q} for p, q in asks],
    }
    answer = await control.post("/control/book", json=body)
    assert answer.status_code == 200, answer.text


async def until(condition: Any, what: str, timeout: float = 60.0) -> None:  # noqa: ASYNC109
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await condition():
        assert loop.time() < deadline, what
        await asyncio.sleep(0.2)


async def test_spread_priced_run_hedged_and_switched_off_in_the_base(tmp_path: Path) -> None:
    async with running_stack(tmp_path) as stack:
        await run_spread(stack, tmp_path)


async def run_spread(stack: Stack, tmp_path: Path) -> None:
    console = await open_console(stack)
    console.type("/update")
    await console.wait_for("Catalogue updated:")
    db_env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'base.sqlite3'}",
        "TRADEMAN_ENV": "development",
    }
    created = manage(["shell", "-c", CREATE_SPREAD], db_env).strip().splitlines()[-1].split()
    spread_id, ticker = int(created[0]), created[1]  # an SBER future (100 shares) the sim lists

    headers = {"Authorization": f"Token {stack.base_token}"}
    async with (
        httpx.AsyncClient(base_url=stack.base_url, headers=headers, timeout=10) as base,
        httpx.AsyncClient(base_url=stack.sim_url, timeout=10) as control,
    ):
        far = (await base.get(f"instruments/by-ticker/{ticker}/")).json()
        near = (await base.get("instruments/by-ticker/SBER/")).json()
        await set_book(control, near["uid"], [("249.90", 1000)], [("250.00", 1000)])
        await set_book(control, far["uid"], [("25300", 10)], [("25400", 10)])

        console.type("/sprices")
        # selling: 25 400 − 100 × 250.00; buying: 25 300 − 100 × 249.90
        await console.wait_for(
            f"#S{spread_id} {ticker}/SBER sell: 400.00 RUB (target 350 ✓) · buy: 310.00 RUB (✓)"
            " · for 2 pieces: sell 400.00 RUB / buy 310.00 RUB"
        )

        console.type("/spreads")
        await console.wait_for(f"Started #S{spread_id}: sell spread {ticker}/SBER, [0/2].")

        async def far_live() -> bool:
            return bool(await sim_live_orders(stack, ticker))

        await until(far_live, "the far order was never placed")
        # someone buys both far contracts at our ask
        await set_book(control, far["uid"], [("25400", 2), ("25300", 10)], [("25400", 10)])
        await console.wait_for(f"✅ #S{spread_id} sell spread {ticker}/SBER done: [2/2]")
        await console.wait_for("avg spread 400")

        async def switched_off() -> bool:
            record = (await base.get(f"spreads/{spread_id}/")).json()
            return record["active"] is False

        await until(switched_off, "the spread is still active in the Base")
        record = (await base.get(f"spreads/{spread_id}/")).json()
        assert (record["far_executed"], record["near_executed"]) == (2, 200), record
        orders = (await base.get("orders/", params={"task_kind": "spread"})).json()["results"]
        assert {o["leg"] for o in orders} == {"far", "near"}, orders
        assert await sim_live_orders(stack, ticker) == []

    assert f"far leg: sold 2 {ticker} @ 25,400" in console.output, console.output
    assert "near leg: bought 200 SBER @ 250" in console.output, console.output
    console.type("/spreads")
    await console.wait_for("No active spreads in the Base.")
    assert console.process.stdin is not None
    console.process.stdin.close()
    assert await console.finish() == 0, console.output
