"""The scanners against the simulator: the real broker client, a FakeBase holding the
simulator's whole catalogue (as /update would store it), a clock at the simulator's time."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from bot.base_client.types import Instrument, TradingSettings
from bot.broker.client import TInvestClient
from bot.broker.config import BrokerConfig
from bot.engine.catalogue import catalogue_payload
from bot.engine.scanners.desk import ScanDesk
from bot.engine.tinvest_port import TInvestPort
from tests.support.fake_base import FakeBase
from tests.support.sim import DEFAULT_START, SimHandle, running_simulator

#: The simulator's carry rate (simulator.dividends.CARRY_RATE) in per cent.
SIM_CARRY_PERCENT = Decimal(16)


class FixedClock:
    def __init__(self, now: datetime) -> None:
        self.moment = now

    def now(self) -> datetime:
        return self.moment

    async def sleep(self, seconds: float) -> None:
        return None


@dataclass
class ScanRig:
    sim: SimHandle
    base: FakeBase
    client: TInvestClient
    desk: ScanDesk
    clock: FixedClock

    async def requests(self) -> dict[str, Any]:
        """The simulator's request counts since the last call (and starts afresh)."""
        data: dict[str, Any] = await self.sim.control("POST", "requests")
        return data


async def fill_base(base: FakeBase, client: TInvestClient) -> None:
    payload, _ = catalogue_payload([*(await client.shares()), *(await client.futures())])
    for index, item in enumerate(payload, start=1):
        instrument = Instrument.from_json({**item, "id": index})
        base.instruments_by_id[instrument.id] = instrument


@contextlib.asynccontextmanager
async def scan_rig(
    *,
    start: datetime = DEFAULT_START,
    scan_rate: Decimal = SIM_CARRY_PERCENT,
    reprice_books: int = 20,
    **sim_options: Any,
) -> AsyncIterator[ScanRig]:
    async with running_simulator(start_time=start, **sim_options) as sim:
        client = TInvestClient(
            BrokerConfig(
                token=sim.token,
                account_id=sim.account_id,
                rest_url=sim.rest_url,
                ws_url=sim.ws_url,
            )
        )
        try:
            base = FakeBase(TradingSettings(scan_rate=scan_rate))
            await fill_base(base, client)
            clock = FixedClock(start)
            desk = ScanDesk(TInvestPort(client), base, clock, reprice_books=reprice_books)
            rig = ScanRig(sim, base, client, desk, clock)
            await rig.requests()  # count from here
            yield rig
        finally:
            await client.close()
