"""Bot engine benchmarks against the in-process simulator (loopback), with the in-memory Base
(tests/support/fake_base.py) so the figures are the bot's own.

1. Resident memory (RSS) of an idle bot process: the bot stack imported (aiogram, broker
   client, engine), the engine started against the simulator, no jobs.
2. RSS of the same process running 100 concurrent sell/buy jobs while the simulator's books
   move (random walk), and CPU time per job per minute over the measuring window.
3. Time from an order-book change (the control call that moves the best bid) to the
   replacement order leaving the engine (cancel confirmed, PostOrder sent): p50 / p99.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import time
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from simulator.app import create_app
from simulator.config import SimConfig

JOBS = 100
RATE_SCALE = 100.0  # the broker client's limits x100: measure the engine, not the broker budget
MOVES_PER_SECOND = 10  # book changes driven by the parent (each of 100 books every 10 s);
# each change costs ~3 broker calls (cancel, its confirmation, the new order): 30 calls/s, under
# the client's global 50 requests/s
WINDOW = 20.0  # seconds of measuring CPU with the jobs running
LATENCY_SAMPLES = 90  # CancelOrder allows 100 a minute: stay inside the real budget
REPO = Path(__file__).resolve().parent.parent


async def _start_sim(config: SimConfig) -> tuple[web.AppRunner, str]:
    app = create_app(config)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}"


def _engine(url: str, rate_scale: float = 1.0, **options: Any) -> Any:
    from bot.broker.client import TInvestClient
    from bot.broker.config import BrokerConfig
    from bot.engine.options import EngineOptions
    from bot.engine.trader import Engine
    from tests.support.fake_base import FakeBase

    class Counting:
        def __init__(self) -> None:
            self.finished: dict[str, int] = {}

        async def notify(self, event: Any) -> None:
            if type(event).__name__ == "JobFinished":
                key = f"{event.outcome}:{event.reason_key or '-'}"
                self.finished[key] = self.finished.get(key, 0) + 1

    client = TInvestClient(
        BrokerConfig(
            rate_limit_scale=rate_scale,
            token="bench",
            account_id="sim-account-1",
            rest_url=f"{url}/rest",
            ws_url=f"ws{url[4:]}/ws",
        )
    )
    base = FakeBase()
    opts = replace(EngineOptions(), catalogue_refresh_at=None, **options)
    notifier = Counting()
    engine = Engine(client, base, notifier, account_id="sim-account-1", mode="paper", options=opts)
    engine.bench_notifier = notifier  # type: ignore[attr-defined]
    engine.bench_posts = 0  # type: ignore[attr-defined]
    port = engine._broker
    post = port.post_limit_order

    async def counted(**kw: Any) -> Any:
        engine.bench_posts += 1  # type: ignore[attr-defined]
        return await post(**kw)

    port.post_limit_order = counted  # type: ignore[method-assign]
    return engine, client, base


def _rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def _cpu() -> float:
    import psutil

    times = psutil.Process().cpu_times()
    return times.user + times.system


async def _child(url: str, jobs: int, window: float) -> None:
    """Runs in a separate process: the bot's memory and CPU without the simulator's."""
    import aiogram  # noqa: F401  (the real bot process has it loaded)

    import bot.app  # noqa: F401
    from bot.engine.interface import SellBuyOrder

    engine, client, base = _engine(url, rate_scale=RATE_SCALE)
    await engine.start()
    await engine.update_catalogue()
    await asyncio.sleep(2)
    print(json.dumps({"idle_rss_mb": round(_rss_mb(), 1)}), flush=True)

    shares = [i for i in base.instruments_by_id.values() if i.kind == "share"]
    sizes: dict[str, int] = {}
    for instrument in shares:
        if len(sizes) >= jobs:
            break
        book = await client.get_order_book(instrument.uid, 1)
        price = book.best_bid
        if price is None or price <= 0:
            continue
        lots = max(1, int(Decimal(2_000_000) / (price * instrument.lot)))
        sizes[instrument.ticker] = lots * instrument.lot

    prices: dict[str, list[str]] = {}
    for ticker, amount in sizes.items():
        await engine.start_sellbuy(SellBuyOrder("buy", ticker, amount=amount))
    for instrument in shares:
        if instrument.ticker in sizes:
            book = await client.get_order_book(instrument.uid, 1)
            prices[instrument.uid] = [str(book.best_bid), str(instrument.min_price_increment)]
    await asyncio.sleep(3)  # every job has placed its first order
    print(json.dumps({"drive": prices}), flush=True)  # the parent moves these books now
    cpu0, t0 = _cpu(), time.monotonic()
    job_seconds = 0.0
    while time.monotonic() - t0 < window:
        tick = time.monotonic()
        await asyncio.sleep(0.5)
        job_seconds += len(engine.jobs()) * (time.monotonic() - tick)
    cpu1, t1 = _cpu(), time.monotonic()
    if os.environ.get("BENCH_BOT_DEBUG"):
        for task in list(asyncio.all_tasks())[:400]:
            if task.get_name().startswith("job-"):
                coro: Any = task.get_coro()
                chain = []
                while coro is not None:
                    frame = getattr(coro, "cr_frame", None)
                    if frame is not None:
                        chain.append(f"{frame.f_code.co_name}:{frame.f_lineno}")
                    coro = getattr(coro, "cr_await", None)
                print("DEBUG", " > ".join(chain[2:]), file=sys.stderr)
    print(
        json.dumps(
            {
                "jobs_started": len(sizes),
                "jobs_average": round(job_seconds / (t1 - t0), 1),
                "busy_rss_mb": round(_rss_mb(), 1),
                "cpu_s_per_job_min": round((cpu1 - cpu0) / (job_seconds / 60), 4),
                "orders_posted": engine.bench_posts,
                "finished": engine.bench_notifier.finished,
            }
        ),
        flush=True,
    )
    await engine.close()
    await client.close()


def child_main() -> None:
    url, jobs, window = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    asyncio.run(_child(url, jobs, window))


async def _drive(url: str, books: dict[str, list[str]]) -> None:
    """Move every book's best bid by a tick back and forth, MOVES_PER_SECOND changes a second,
    without trades (asks stay well above): each change makes a job move its order."""
    async with aiohttp.ClientSession() as session:
        step = 0
        uids = list(books)
        while True:
            uid = uids[step % len(uids)]
            bid, tick = Decimal(books[uid][0]), Decimal(books[uid][1])
            bid += tick if (step // len(uids)) % 2 == 0 else 0
            body = {
                "instrumentId": uid,
                "bids": [{"price": str(bid), "quantity": 100}],
                "asks": [{"price": str(bid + 20 * tick), "quantity": 100}],
            }
            async with session.post(f"{url}/control/book", json=body) as resp:
                await resp.read()
            step += 1
            await asyncio.sleep(1 / MOVES_PER_SECOND)


async def _memory_and_cpu() -> dict[str, Any]:
    from datetime import UTC, datetime

    runner, url = await _start_sim(
        SimConfig(
            port=0,
            seed=1,
            always_open=True,
            rate_scale=RATE_SCALE,  # the simulator's limits (and its headers) match the client's
            walk_interval=0.0,
            money=Decimal(10**12),
            start_time=None,
        )
    )
    del datetime, UTC
    try:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            "from bench.bot import child_main; child_main()",
            url,
            str(JOBS),
            str(WINDOW),
            cwd=str(REPO),
            stdout=asyncio.subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )
        result: dict[str, Any] = {}
        driver: asyncio.Task[None] | None = None
        assert proc.stdout is not None
        async for line in proc.stdout:
            text = line.decode().strip()
            if not text.startswith("{"):
                continue
            data = json.loads(text)
            if "drive" in data:
                driver = asyncio.create_task(_drive(url, data["drive"]))
            else:
                result.update(data)
        await proc.wait()
        if driver is not None:
            driver.cancel()
        if proc.returncode != 0:
            raise RuntimeError(f"bench child exited with {proc.returncode}")
        return result
    finally:
        await runner.cleanup()


async def _latency() -> dict[str, float]:
    from bot.engine.interface import SellBuyOrder

    runner, url = await _start_sim(
        SimConfig(port=0, seed=1, always_open=True, rate_scale=0.0, start_time=None)
    )
    engine, client, base = _engine(url, poll_interval=1.0)
    session = aiohttp.ClientSession()
    try:
        await engine.start()
        await engine.update_catalogue()
        sber = next(i for i in base.instruments_by_id.values() if i.ticker == "SBER")
        port = engine._broker  # the engine's broker port: time the moment PostOrder leaves
        sent: dict[Decimal, float] = {}
        arrived = asyncio.Event()
        original = port.post_limit_order

        async def timed(**kw: Any) -> Any:
            sent.setdefault(kw["price"], time.perf_counter())
            arrived.set()
            return await original(**kw)

        port.post_limit_order = timed  # type: ignore[method-assign]

        async def book(bid: Decimal) -> None:
            body = {
                "instrumentId": sber.uid,
                "bids": [{"price": str(bid), "quantity": 100}],
                "asks": [{"price": str(bid + Decimal(5)), "quantity": 100}],
            }
            async with session.post(f"{url}/control/book", json=body) as resp:
                assert resp.status == 200, await resp.text()

        bid = Decimal("250.00")
        await book(bid)
        await engine.start_sellbuy(SellBuyOrder("buy", "SBER", amount=10 * sber.lot))
        while bid not in sent:
            await asyncio.wait_for(arrived.wait(), 10)
            arrived.clear()
        samples: list[float] = []
        for k in range(LATENCY_SAMPLES):
            bid = bid + Decimal("0.01") if k % 2 == 0 else bid - Decimal("0.02")
            sent.pop(bid, None)
            arrived.clear()
            t0 = time.perf_counter()
            await book(bid)
            while bid not in sent:
                await asyncio.wait_for(arrived.wait(), 10)
                arrived.clear()
            samples.append((sent[bid] - t0) * 1000)
            await asyncio.sleep(0.05)
        samples.sort()
        return {
            "p50_ms": round(statistics.median(samples), 2),
            "p99_ms": round(samples[int(len(samples) * 0.99) - 1], 2),
            "samples": len(samples),
        }
    finally:
        await engine.close()
        await client.close()
        await session.close()
        await runner.cleanup()


def main() -> None:
    figures = asyncio.run(_memory_and_cpu())
    print(f"idle bot process RSS: {figures.get('idle_rss_mb')} MB")
    print(
        f"{figures.get('jobs_started')} concurrent sell/buy jobs (on average "
        f"{figures.get('jobs_average')} running over {WINDOW:.0f} s; every book moved every "
        f"{JOBS / MOVES_PER_SECOND:.0f} s, {figures.get('orders_posted')} orders placed in all; "
        f"broker limits x{RATE_SCALE:.0f}): RSS {figures.get('busy_rss_mb')} MB, "
        f"CPU {figures.get('cpu_s_per_job_min')} s per job per minute; "
        f"finished: {figures.get('finished')}"
    )
    if os.environ.get("BENCH_BOT_SKIP_LATENCY"):
        return
    latency = asyncio.run(_latency())
    print(
        f"book change -> replacement order sent: p50 {latency['p50_ms']} ms, "
        f"p99 {latency['p99_ms']} ms over {latency['samples']} changes "
        "(includes the control call, stream delivery, cancel + its confirmation)"
    )


if __name__ == "__main__":
    main()
