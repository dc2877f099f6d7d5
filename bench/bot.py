"""Bot benchmarks: the real bot process, the engine under load, and the hot path's latency.

1. The real bot (`python -m bot run`) against a fake Telegram Bot API (tests/support/
   fake_bot_api.py), the simulator and the Base (separate processes, loopback): time from start
   to its first getUpdates; resident memory (RSS) idle with the catalogue loaded (/update), then
   with 100 sell/buy jobs (/buy, one lot each, resting orders); its CPU with no job running and
   with 50 spreads waiting for their price (/spreads, targets out of reach).
2. The engine in a child process (the whole bot stack imported) running 100 concurrent sell/buy
   jobs while the simulator's books move: CPU per job per minute (broker limits x100).
3. Sell/buy book change -> replacement order: from the control call that moves the best bid
   away from a resting buy (a move the job makes at once; one to a better price waits for the
   price to hold a second, bot/engine/order_moves.py) to the new PostOrder LEAVING THE HTTP
   TRANSPORT (after the rate limiter, with the broker's real limits, at a pace under them; the
   job's own cap of 12 orders a minute raised for the bench's 90 samples), beside the floor
   measured in the same run: the same book
   update reaching a bare WebSocket subscriber plus one bare REST round trip (the engine must
   learn of the change, then cancel its order, then place the new one).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import time
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import httpx
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
    import bot.app
    import bot.telegram.polling  # noqa: F401  (the real bot process has aiogram loaded)
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


async def _latency() -> dict[str, Any]:
    from bench._transport import BareBooks, TimedTransport, bare_round_trip
    from bench.spreads import simulator
    from bot.broker.client import TInvestClient
    from bot.broker.config import BrokerConfig
    from bot.engine.interface import SellBuyOrder
    from bot.engine.options import EngineOptions
    from bot.engine.trader import Engine
    from tests.support.fake_base import FakeBase

    class Silent:
        async def notify(self, event: Any) -> None:
            return None

    async with simulator() as url:
        ws_url = f"ws{url[4:]}/ws"
        config = replace(
            BrokerConfig.simulator(token="bench", account_id="sim-account-1"),
            rest_url=f"{url}/rest",
            ws_url=ws_url,
        )
        transport = TimedTransport()
        client = TInvestClient(config, http_transport=transport)  # the broker's real limits
        base = FakeBase()
        # a job places at most 12 orders a minute (bot.engine.order_moves): the bench's 90
        # samples in about a minute need more; the broker's own limits stay real
        opts = replace(
            EngineOptions(),
            catalogue_refresh_at=None,
            poll_interval=1.0,
            order_moves_per_minute=LATENCY_SAMPLES + 5,
        )
        engine = Engine(
            client, base, Silent(), account_id="sim-account-1", mode="paper", options=opts
        )
        session = aiohttp.ClientSession()
        bare = BareBooks(ws_url, "bench")
        http = httpx.AsyncClient(headers={"Authorization": "Bearer bench"})
        try:
            await engine.start()
            await engine.update_catalogue()
            sber = next(i for i in base.instruments_by_id.values() if i.ticker == "SBER")
            await bare.start([sber.uid])

            async def book(bid: Decimal) -> None:
                body = {
                    "instrumentId": sber.uid,
                    "bids": [{"price": str(bid), "quantity": 100}],
                    "asks": [{"price": str(bid + Decimal(5)), "quantity": 100}],
                }
                async with session.post(f"{url}/control/book", json=body) as resp:
                    assert resp.status == 200, await resp.text()

            def at(price: Decimal) -> Any:
                return lambda sent: sent.instrument == sber.uid and sent.price == price

            bid = Decimal("250.00")
            t0 = time.perf_counter()
            await book(bid)
            await engine.start_sellbuy(SellBuyOrder("buy", "SBER", amount=10 * sber.lot))
            await transport.wait_first("PostOrder", t0, at(bid), 10)
            samples: list[float] = []
            floor: list[float] = []
            for _ in range(LATENCY_SAMPLES):
                # the best bid goes away: the job follows at once (a better price must hold for
                # a second first, by design, so that one would measure the hold)
                bid -= Decimal("0.01")
                await asyncio.sleep(0.1)  # a pace under the broker's limits
                t0 = time.perf_counter()
                await book(bid)
                sent = await transport.wait_first("PostOrder", t0, at(bid), 10)
                seen = await bare.wait_first(sber.uid, t0, lambda b, _a, p=bid: b == p, 10)
                samples.append(sent.at - t0)
                floor.append(seen - t0 + await bare_round_trip(http, config.rest_url, sber.uid))
            return {"samples": samples, "floor": floor}
        finally:
            await engine.close()
            await client.close()
            await session.close()
            await bare.close()
            await http.aclose()


# ---------------------------------------------------------------- the real bot process

OWNER = 777001
TELEGRAM_TOKEN = "123456:bench-token"
REAL_JOBS = 100
REAL_SPREADS = 50
CPU_WINDOW = 20.0


async def _real_bot() -> dict[str, Any]:
    import tempfile

    import psutil
    from aiohttp import web as aioweb

    from tests.e2e.stack import manage, running_stack
    from tests.support.fake_bot_api import FakeBotApi

    class TimedBotApi(FakeBotApi):
        first_poll: float | None = None

        async def handle(self, request: aioweb.Request) -> aioweb.Response:
            if request.match_info["method"] == "getUpdates" and self.first_poll is None:
                self.first_poll = time.perf_counter()
                await self._notify()
            return await super().handle(request)

    api = TimedBotApi(TELEGRAM_TOKEN)
    app = aioweb.Application()
    app.router.add_post("/bot{token}/{method}", api.handle)
    runner = aioweb.AppRunner(app, shutdown_timeout=1)
    await runner.setup()
    site = aioweb.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    api.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
    out: dict[str, Any] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="bench-bot-") as tmp:
            async with running_stack(Path(tmp)) as stack:
                env = stack.bot_env(
                    TELEGRAM_BOT_TOKEN=TELEGRAM_TOKEN,
                    TELEGRAM_OWNER_IDS=str(OWNER),
                    TELEGRAM_API_URL=api.url,
                    LOG_LEVEL="WARNING",
                )
                started = time.perf_counter()
                bot = stack.start("bot", ["-m", "bot", "run"], env)
                await api.wait_until(lambda: api.first_poll is not None, 60, "the first poll")
                assert api.first_poll is not None
                out["first_poll_s"] = api.first_poll - started
                proc = psutil.Process(bot.popen.pid)
                times = proc.cpu_times()
                out["first_poll_cpu_s"] = times.user + times.system  # about: read a bit later

                def cpu() -> float:
                    times = proc.cpu_times()
                    return times.user + times.system

                async def cpu_share(seconds: float) -> float:
                    c0, t0 = cpu(), time.perf_counter()
                    await asyncio.sleep(seconds)
                    return (cpu() - c0) / (time.perf_counter() - t0)

                out["start_rss_mb"] = proc.memory_info().rss / 2**20
                api.push_text(OWNER, "/update")
                await api.wait_for_text("Catalogue updated", timeout=120)
                await asyncio.sleep(3)
                out["idle_rss_mb"] = proc.memory_info().rss / 2**20
                out["idle_cpu"] = await cpu_share(CPU_WINDOW)

                # 100 sell/buy jobs, one lot each, resting at the best bid
                async with httpx.AsyncClient(
                    base_url=stack.base_url, headers={"Authorization": f"Token {stack.base_token}"}
                ) as base:
                    body = (
                        await base.get(
                            "instruments/",
                            params={"kind": "share", "active": "true", "page_size": 1000},
                        )
                    ).json()
                shares = [i for i in body["results"] if i["api_trade_available"]]
                for share in shares[:REAL_JOBS]:
                    api.push_text(OWNER, f"/buy {share['lot']} {share['ticker']}")

                def started_jobs() -> int:
                    return sum(c.text.count("Started #") for c in api.sent())

                with contextlib.suppress(AssertionError):
                    await api.wait_until(lambda: started_jobs() >= REAL_JOBS, 180, "100 jobs")
                await asyncio.sleep(5)
                out["jobs"] = started_jobs()
                if os.environ.get("BENCH_BOT_DEBUG"):
                    print("\n".join(c.text for c in api.sent()[-40:]), file=sys.stderr)
                out["jobs_rss_mb"] = proc.memory_info().rss / 2**20
                api.push_text(OWNER, "/stop")
                await api.wait_for_text("Stopping every running task", timeout=30)
                await asyncio.sleep(5)

                # 50 spreads waiting for a price they will not see
                made = manage(["shell", "-c", _MAKE_SPREADS], stack_db_env(stack))
                out["spreads"] = int(made.strip().splitlines()[-1])
                api.push_text(OWNER, "/spreads")
                await api.wait_for_text("Starting every active spread", timeout=30)
                await asyncio.sleep(8)  # subscriptions settle
                out["spreads_cpu"] = await cpu_share(CPU_WINDOW)
                out["spreads_rss_mb"] = proc.memory_info().rss / 2**20
    finally:
        await runner.cleanup()
    return out


def stack_db_env(stack: Any) -> dict[str, str]:
    return {
        "DATABASE_URL": f"sqlite:///{stack.tmp / 'base.sqlite3'}",
        "TRADEMAN_ENV": "development",
    }


_MAKE_SPREADS = f"""
from decimal import Decimal
from trademan.base.models import Instrument, Spread
shares = {{i.ticker: i for i in Instrument.objects.filter(kind="share", active=True)}}
made = 0
for future in Instrument.objects.filter(kind="future", active=True).order_by("expiration", "id"):
    near = shares.get(future.basic_asset)
    if near is None or Spread.objects.filter(far=future).exists() or not future.basic_asset_size:
        continue
    Spread.objects.create(far=future, near=near, direction="sell", amount=future.lot,
                          target_price=Decimal(10) ** 12)
    made += 1
    if made >= {REAL_SPREADS}:
        break
print(made)
"""


def main() -> None:
    real = asyncio.run(_real_bot())
    print(
        f"real bot process (python -m bot run, fake Bot API, simulator, Base): first poll "
        f"{real['first_poll_s']:.2f} s after start ({real['first_poll_cpu_s']:.2f} s of CPU); "
        f"RSS {real['start_rss_mb']:.1f} MB at the first poll, "
        f"{real['idle_rss_mb']:.1f} MB idle with the catalogue loaded, "
        f"{real['jobs_rss_mb']:.1f} MB with {real['jobs']} sell/buy jobs, "
        f"{real['spreads_rss_mb']:.1f} MB with {real['spreads']} spreads waiting"
    )
    print(
        f"real bot process CPU: {100 * real['idle_cpu']:.1f} % of a core with no job running, "
        f"{100 * real['spreads_cpu']:.1f} % with {real['spreads']} spreads waiting for their "
        f"price (over {CPU_WINDOW:.0f} s each)"
    )
    figures = asyncio.run(_memory_and_cpu())
    print(
        f"engine child: {figures.get('jobs_started')} concurrent sell/buy jobs (on average "
        f"{figures.get('jobs_average')} running over {WINDOW:.0f} s; every book moved every "
        f"{JOBS / MOVES_PER_SECOND:.0f} s, {figures.get('orders_posted')} orders placed in all; "
        f"broker limits x{RATE_SCALE:.0f}): RSS idle {figures.get('idle_rss_mb')} MB, busy "
        f"{figures.get('busy_rss_mb')} MB, CPU {figures.get('cpu_s_per_job_min')} s per job per "
        f"minute; finished: {figures.get('finished')}"
    )
    if os.environ.get("BENCH_BOT_SKIP_LATENCY"):
        return
    from bench._transport import figures as describe

    latency = asyncio.run(_latency())
    print(
        "sell/buy book change -> replacement PostOrder leaving the transport (real limits; "
        "floor = bare WebSocket delivery + one bare REST round trip):"
    )
    print(
        describe("book change -> order out", latency["samples"], latency["floor"], LATENCY_SAMPLES)
    )


if __name__ == "__main__":
    main()
