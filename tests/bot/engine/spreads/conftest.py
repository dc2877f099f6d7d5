from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest

from tests.bot.engine.spreads.harness import Notifier, SpreadBase, World
from tests.support.sim import running_simulator

D = Decimal


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async with running_simulator() as sim:
        base = SpreadBase()
        found = {}
        for ticker in ("SBER_TQBR", "SRM6_SPBFUT", "SRH6_SPBFUT"):
            info = await sim.instrument(ticker)
            future = info["kind"] == "futures"
            found[info["ticker"]] = base.add_instrument(
                ticker=info["ticker"],
                uid=info["uid"],
                figi=info["figi"],
                class_code=info["classCode"],
                kind="future" if future else "share",
                lot=int(info["lot"]),
                min_price_increment=D(info["minPriceIncrement"]),
                min_price_increment_amount=D(info["minPriceIncrementAmount"]) if future else None,
                basic_asset=info["basicAsset"],
                basic_asset_size=D(info["basicAssetSize"]) if future else None,
                exchange="FORTS_EVENING" if future else "MOEX",
                short_enabled=True,
            )
        w = World(
            sim=sim,
            base=base,
            notifier=Notifier(),
            state_dir=tmp_path / "bot",
            sber=found["SBER"],
            far=found["SRM6"],
            near_future=found["SRH6"],
        )
        try:
            yield w
        finally:
            for engine, broker, _base in w.engines:
                await asyncio.wait_for(engine.close(), 30)
                await asyncio.wait_for(broker.inner.close(), 30)
