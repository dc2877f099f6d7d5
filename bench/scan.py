"""Market scanners: a whole-market /scan and /dscan against the simulator (a separate process,
its full catalogue, the documented rate limits on both sides, always open so that the best
candidates are re-priced from their order books).

Figures: the broker requests of each scan — the market-wide part (Shares, Futures,
GetLastPrices) and, reported separately, the order books of the re-pricing and /dscan's
GetDividends — counted by the simulator (GET /control/requests); the wall time of each scan
(median of RUNS); beside them the floor, one GetLastPrices round trip measured in the same run;
and the old way for comparison: one GetFuturesMargin per future, sequential, and the time the
documented Instruments limit (200 a minute) imposes on it (not run: it would only wait).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import aiohttp

from bot.base_client.types import Instrument, TradingSettings
from bot.broker.client import TInvestClient
from bot.broker.config import BrokerConfig
from bot.engine.catalogue import catalogue_payload
from bot.engine.clock import SystemClock
from bot.engine.scanners.desk import ScanDesk
from bot.engine.tinvest_port import TInvestPort

RUNS = 5
TOKEN = "bench-token"
INSTRUMENTS_PER_MINUTE = 200
#: Seconds between runs: one run's burst must not spend the next one's global 50/s budget.
PAUSE = 1.5
SIM_COMMAND = (
    *(sys.executable, "-m", "simulator", "--always-open"),
    *("--rate-scale", "1", "--walk-interval", "0"),
)


class CatalogueBase:
    """The Base as the scanners see it: the catalogue and the trading settings."""

    def __init__(self, catalogue: list[Instrument]) -> None:
        self.catalogue = catalogue

    async def settings(self) -> TradingSettings:
        return TradingSettings(scan_rate=Decimal(16))

    async def instruments(self, **filters: Any) -> list[Instrument]:
        return [i for i in self.catalogue if i.active]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.asynccontextmanager
async def simulator() -> AsyncIterator[str]:
    port = _free_port()
    proc = subprocess.Popen(  # noqa: ASYNC220 - started once, waited for below
        [*SIM_COMMAND, "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as session:
            for _ in range(200):
                with contextlib.suppress(aiohttp.ClientError):
                    async with session.get(f"{url}/control/state") as resp:
                        if resp.status == 200:
                            break
                await asyncio.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


async def _served(session: aiohttp.ClientSession, url: str) -> dict[str, int]:
    """Requests served since the last call, per method (and starts counting afresh)."""
    async with session.post(f"{url}/control/requests") as resp:
        data = await resp.json()
    counts: dict[str, int] = data["requests"]
    return {name.split("/")[-1]: n for name, n in counts.items()}


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


async def _main() -> None:
    async with simulator() as url, aiohttp.ClientSession() as control:
        config = BrokerConfig(token=TOKEN, account_id="sim-account-1", rest_url=f"{url}/rest")
        client = TInvestClient(config)
        try:
            shares, futures = await client.shares(), await client.futures()
            payload, counts = catalogue_payload([*shares, *futures])
            catalogue = [Instrument.from_json({**x, "id": n}) for n, x in enumerate(payload, 1)]
            desk = ScanDesk(TInvestPort(client), CatalogueBase(catalogue), SystemClock())  # type: ignore[arg-type]
            shown = f"{counts.get('shares', 0)} shares, {counts.get('futures', 0)} futures"
            print(f"catalogue: {shown}")

            one = [futures[0].uid]
            floor = []
            for _ in range(20):
                started = time.perf_counter()
                await client.get_last_prices(one)
                floor.append(time.perf_counter() - started)
            print(f"floor: one GetLastPrices round trip p50 {_ms(statistics.median(floor))}")
            await _served(control, url)

            for name in ("scan", "dscan"):
                walls: list[float] = []
                served: dict[str, int] = {}
                summary = ""
                for _ in range(RUNS):
                    await asyncio.sleep(PAUSE)
                    started = time.perf_counter()
                    if name == "scan":
                        report: Any = await desk.scan(Decimal(0))
                        summary = f"{report.pairs} pairs, {report.matched} beat 0 %"
                    else:
                        report = await desk.dividend_scan(50)
                        summary = f"{report.pairs} share-future pairs, top {len(report.rows)}"
                    walls.append(time.perf_counter() - started)
                    served = await _served(control, url)
                market = {k: served.get(k, 0) for k in ("Shares", "Futures", "GetLastPrices")}
                extra = {k: v for k, v in served.items() if k not in market}
                print(
                    f"/{name}: {summary}; broker requests: market-wide {sum(market.values())} "
                    f"({', '.join(f'{k} {v}' for k, v in market.items())}), re-pricing and "
                    f"look-ups {sum(extra.values())} "
                    f"({', '.join(f'{k} {v}' for k, v in sorted(extra.items())) or 'none'}); "
                    f"wall p50 {_ms(statistics.median(walls))}, max {_ms(max(walls))} "
                    f"over {RUNS} runs; repriced {report.repriced} pairs"
                )

            print(
                f"old way: one GetFuturesMargin per future: {len(futures)} sequential requests; "
                f"at the documented {INSTRUMENTS_PER_MINUTE}/min at least "
                f"{len(futures) * 60 / INSTRUMENTS_PER_MINUTE:.0f} s (560 futures on MOEX: "
                f"{560 * 60 / INSTRUMENTS_PER_MINUTE:.0f} s)"
            )
        finally:
            await client.close()


def main() -> None:
    asyncio.run(_main())
