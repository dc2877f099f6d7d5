"""Broker client benchmarks against the in-process simulator.

1. Round trip per call (client + simulator on loopback): p50/p99 for GetOrderBook,
   GetLastPrices and PostOrder, next to the same requests sent with bare httpx (the client's
   own overhead is the difference).
2. A burst of 500 order placements from 50 concurrent callers under the real Orders limits
   (PostOrder 300/min) with a scaled clock (one broker minute lasts 60 x TIME_SCALE seconds on
   both sides), with a few responses lost on purpose: achieved rate as a fraction of the
   allowed rate, 429s seen, retries, and duplicates (must be 0).
"""

from __future__ import annotations

import asyncio
import logging
import statistics
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
from aiohttp import web

from bot.broker.client import TInvestClient
from bot.broker.config import BrokerConfig, RetryPolicy, Timeouts
from bot.broker.types import OrderDirection
from simulator.app import SIM_KEY, create_app
from simulator.config import SimConfig

START = datetime(2026, 3, 11, 9, 0, tzinfo=UTC)  # a Wednesday, main session
PREFIX = "tinkoff.public.invest.api.contract.v1."
ROUND_TRIPS = 200
BURST = 500
CALLERS = 50
TIME_SCALE = 0.25  # a broker minute lasts 15 s (the in-process simulator keeps up)
LOST_RESPONSES = 10
POST_ORDER_LIMIT = 300


def _scale_clock(app: web.Application, scale: float = TIME_SCALE) -> None:
    """Make the simulator's clock run 1/scale times faster than the wall clock (its
    rate-limit windows, sessions and resets follow it)."""
    sim = app[SIM_KEY]
    t0 = time.monotonic()
    sim.clock.now = lambda: START + timedelta(seconds=(time.monotonic() - t0) / scale)


async def _start(config: SimConfig) -> tuple[web.AppRunner, web.Application, str]:
    app = create_app(config)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, app, f"http://127.0.0.1:{port}"


def _pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(int(q * len(ordered)), len(ordered) - 1)]


class _SendTimes(httpx.AsyncBaseTransport):
    """Notes when each PostOrder request (retries included) leaves the client."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.times: list[float] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/PostOrder"):
            self.times.append(time.monotonic())
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def _busiest(times: list[float], window: float) -> int:
    times = sorted(times)
    best = j = 0
    for i, t in enumerate(times):
        while times[j] <= t - window:
            j += 1
        best = max(best, i - j + 1)
    return best


async def _timed_pair(
    n: int, first: Callable[[], Awaitable[Any]], second: Callable[[], Awaitable[Any]]
) -> tuple[list[float], list[float]]:
    """Alternate the two calls so both see the same simulator state (its books fill up)."""
    for _ in range(20):  # warm up connections and caches
        await first()
        await second()
    a: list[float] = []
    b: list[float] = []
    for _ in range(n):
        for call, out in ((first, a), (second, b)):
            t = time.perf_counter()
            await call()
            out.append((time.perf_counter() - t) * 1000)
    return a, b


async def round_trips() -> None:
    runner, app, base = await _start(
        SimConfig(port=0, start_time=START, rate_scale=0, walk_interval=0)
    )
    # with limits off the simulator still counts x-ratelimit-remaining down within its minute
    # (and the client honours "remaining: 0"); a fast clock (a minute = 0.6 s) resets that
    # minute before it runs out, so no call waits for it
    _scale_clock(app, 0.01)
    try:
        # limits off on both sides: this measures latency, not pacing
        cfg = BrokerConfig(
            token="bench",
            account_id="sim-account-1",
            rest_url=f"{base}/rest",
            ws_url=f"{base}/ws",
            rate_limit_scale=1000,
            rate_limit_global_per_second=None,
        )
        async with TInvestClient(cfg) as client, httpx.AsyncClient() as raw:
            sber = await client.share_by(ticker="SBER", class_code="TQBR")
            book = await client.get_order_book(sber.uid, 1)
            assert book.best_bid is not None
            price = book.best_bid - Decimal(1)

            def raw_call(method: str, body: dict[str, Any]) -> Callable[[], Awaitable[Any]]:
                url = f"{base}/rest/{PREFIX}{method}"
                headers = {"Authorization": "Bearer bench"}

                async def go() -> Any:
                    r = await raw.post(url, json=body, headers=headers)
                    return r.json()

                return go

            def order_body() -> dict[str, Any]:
                return {
                    "instrumentId": sber.uid,
                    "quantity": "1",
                    "direction": "ORDER_DIRECTION_BUY",
                    "accountId": "sim-account-1",
                    "orderType": "ORDER_TYPE_LIMIT",
                    "orderId": str(uuid.uuid4()),
                    "price": {"units": str(int(price)), "nano": 0},
                }

            cases: list[tuple[str, Callable[[], Awaitable[Any]], Callable[[], Awaitable[Any]]]] = [
                (
                    "GetOrderBook(depth 10)",
                    lambda: client.get_order_book(sber.uid, 10),
                    raw_call(
                        "MarketDataService/GetOrderBook", {"instrumentId": sber.uid, "depth": 10}
                    ),
                ),
                (
                    "GetLastPrices(1)",
                    lambda: client.get_last_prices([sber.uid]),
                    raw_call("MarketDataService/GetLastPrices", {"instrumentId": [sber.uid]}),
                ),
                (
                    "PostOrder(limit)",
                    lambda: client.post_order(
                        instrument_id=sber.uid,
                        lots=1,
                        direction=OrderDirection.BUY,
                        price=price,
                        order_id=client.new_order_id(),
                    ),
                    lambda: raw.post(
                        f"{base}/rest/{PREFIX}OrdersService/PostOrder",
                        json=order_body(),
                        headers={"Authorization": "Bearer bench"},
                    ),
                ),
            ]
            print(f"round trip over loopback, {ROUND_TRIPS} sequential calls each (ms)")
            print(
                f"  {'method':<24}{'client p50':>11}{'p99':>8}{'bare httpx p50':>16}{'p99':>8}"
                f"{'client overhead p50':>21}"
            )
            for name, with_client, bare in cases:
                c, r = await _timed_pair(ROUND_TRIPS, with_client, bare)
                print(
                    f"  {name:<24}{_pct(c, 0.5):>11.2f}{_pct(c, 0.99):>8.2f}"
                    f"{_pct(r, 0.5):>16.2f}{_pct(r, 0.99):>8.2f}"
                    f"{statistics.median(c) - statistics.median(r):>21.2f}"
                )
    finally:
        await runner.cleanup()


async def burst() -> None:
    runner, app, base = await _start(
        SimConfig(
            port=0, start_time=START, rate_scale=1.0, walk_interval=0, money=Decimal(100_000_000)
        )
    )
    sim = app[SIM_KEY]
    _scale_clock(app)
    sim.faults.lose_post_order = LOST_RESPONSES
    sim.faults.lose_mode = "close"
    try:
        waits: list[float] = []
        cfg = BrokerConfig(
            token="bench",
            account_id="sim-account-1",
            rest_url=f"{base}/rest",
            ws_url=f"{base}/ws",
            rate_limit_time_scale=TIME_SCALE,
            rate_limit_report_threshold=0.0,
            retry=RetryPolicy(attempts=4, backoff_initial=0.01, backoff_max=0.05),
            timeouts=Timeouts(order=10),
        )
        sent = _SendTimes()
        async with TInvestClient(
            cfg, http_transport=sent, on_rate_limit_wait=lambda m, s: waits.append(s)
        ) as client:
            sber = await client.share_by(ticker="SBER", class_code="TQBR")
            book = await client.get_order_book(sber.uid, 1)
            assert book.best_bid is not None
            price = book.best_bid - Decimal(1)
            keys = [client.new_order_id() for _ in range(BURST)]
            unknown = 0

            async def caller(mine: list[str]) -> None:
                nonlocal unknown
                for key in mine:
                    try:
                        await client.post_order(
                            instrument_id=sber.uid,
                            lots=1,
                            direction=OrderDirection.BUY,
                            price=price,
                            order_id=key,
                        )
                    except Exception:
                        unknown += 1
                        state = await client.resolve_order(key)
                        if state is None:
                            raise

            t_start = time.monotonic()
            per = BURST // CALLERS
            await asyncio.gather(*(caller(keys[i * per : (i + 1) * per]) for i in range(CALLERS)))
            elapsed = time.monotonic() - t_start
            stats = client.stats
        placed = list(sim.exchange.orders.values())
        counts = Counter(o.request_id for o in placed if o.request_id in set(keys))
        duplicates = sum(n - 1 for n in counts.values() if n > 1)
        missing = sum(1 for k in keys if counts[k] == 0)
        broker_seconds = elapsed / TIME_SCALE
        # under a 300/min window the 500th order can start no earlier than one window in
        ideal = ((BURST - 1) // POST_ORDER_LIMIT) * 60.0
        rate = BURST / (broker_seconds / 60)
        print(
            f"\nburst: {BURST} PostOrder from {CALLERS} concurrent callers, limit "
            f"{POST_ORDER_LIMIT}/min, clock x{1 / TIME_SCALE:.0f}, {LOST_RESPONSES} responses "
            "lost on purpose"
        )
        print(f"  elapsed                 {broker_seconds:8.1f} broker s ({elapsed:.2f} s wall)")
        print(
            f"  achieved rate           {rate:8.1f} /min over the burst "
            f"(budget of the first minute + {POST_ORDER_LIMIT}/min after)"
        )
        print(
            f"  fraction of allowed     {ideal / broker_seconds:8.2f} (ideal finish "
            f"{ideal:.0f} broker s / actual; the in-process simulator's speed counts too)"
        )
        busiest = _busiest(sent.times, 60 * TIME_SCALE)
        print(
            f"  busiest broker minute   {busiest:8d} requests sent "
            f"({busiest / POST_ORDER_LIMIT:.0%} of the {POST_ORDER_LIMIT} allowed)"
        )
        print(f"  429s seen               {stats['rate_limited']:8d}")
        print(f"  retries                 {stats['retries']:8d}")
        print(f"  outcome unknown         {unknown:8d} (resolved by request id)")
        print(f"  rate-limit waits        {len(waits):8d} reported")
        print(f"  orders placed           {sum(counts.values()):8d}")
        print(f"  duplicates              {duplicates:8d} (must be 0)")
        print(f"  missing                 {missing:8d} (must be 0)")
        if duplicates or missing:
            raise SystemExit("duplicate or missing orders")
    finally:
        await runner.cleanup()


def main() -> None:
    logging.getLogger("bot.broker").setLevel(logging.ERROR)  # lost responses are expected
    t = time.perf_counter()
    asyncio.run(round_trips())
    print(f"  (round trips took {time.perf_counter() - t:.1f} s)")
    asyncio.run(burst())


if __name__ == "__main__":
    main()
