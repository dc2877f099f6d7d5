"""Stop-order bulk commands against the in-process simulator with its real limits.

The simulator enforces the documented budgets (StopOrders 50/min shared by PostStopOrder,
GetStopOrders and CancelStopOrder; CancelOrder 100/min) and both clocks run scaled (one broker
minute lasts 60 x TIME_SCALE seconds on both sides). Times are taken when each request leaves
the client's transport.

1. /stops placing 500 stop orders: achieved rate against the allowed rate (ideal finish of the
   stop-order requests sent / actual), duplicates, orders unaccounted for, 429s.
2. The same with 5 % of PostStopOrder answered 5xx and 2 % of the answers lost after the order
   was accepted.
3. /cancel of 500 orders and 500 stop orders: time against the minimum the two budgets allow.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
from aiohttp import web

from bot.base_client.types import TradingSettings
from bot.broker.client import TInvestClient
from bot.broker.config import BrokerConfig, RetryPolicy, Timeouts
from bot.engine import events
from bot.engine.options import EngineOptions
from bot.engine.stops.desk import StopsTuning
from bot.engine.trader import Engine
from simulator.app import SIM_KEY, create_app
from simulator.config import SimConfig
from simulator.exchange import NewOrder
from simulator.orders import STOP_ACTIVE, STOP_BUY, STOP_TAKE_PROFIT, StopOrder
from tests.support.fake_stops_base import StopsBase

START = datetime(2026, 3, 11, 9, 0, tzinfo=UTC)  # a Wednesday, main session
TIME_SCALE = 0.05  # a broker minute lasts 3 s
ORDERS = 500
STOP_LIMIT = 50
CANCEL_LIMIT = 100
LEVELS = (Decimal(10), Decimal(15), Decimal(20), Decimal(25), Decimal(30))


class _SendTimes(httpx.AsyncBaseTransport):
    """Notes when each request (retries included) leaves the client, by method."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.times: dict[str, list[float]] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        method = request.url.path.rsplit("/", 1)[-1]
        self.times.setdefault(method, []).append(time.monotonic())
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()

    def of(self, *methods: str) -> list[float]:
        return sorted(t for m in methods for t in self.times.get(m, []))


class _Quiet:
    def __init__(self) -> None:
        self.events: list[events.Event] = []
        self.done = asyncio.Event()

    async def notify(self, event: events.Event) -> None:
        self.events.append(event)
        if isinstance(event, events.BulkFinished):
            self.done.set()


async def _start() -> tuple[web.AppRunner, web.Application, str]:
    config = SimConfig(
        port=0, start_time=START, rate_scale=1.0, walk_interval=0, money=Decimal(10) ** 12
    )
    app = create_app(config)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    sim = app[SIM_KEY]
    t0 = time.monotonic()
    sim.clock.now = lambda: START + timedelta(seconds=(time.monotonic() - t0) / TIME_SCALE)
    return runner, app, f"http://127.0.0.1:{port}"


def _busiest(times: list[float], window: float) -> int:
    best = j = 0
    for i, t in enumerate(times):
        while times[j] <= t - window:
            j += 1
        best = max(best, i - j + 1)
    return best


def _ideal(requests: int, limit: int) -> float:
    """Broker seconds before the last of `requests` may start under a `limit`/min window."""
    return ((requests - 1) // limit) * 60.0 if requests else 0.0


async def _rig(base_url: str, sent: _SendTimes) -> tuple[Engine, TInvestClient, _Quiet]:
    cfg = BrokerConfig(
        token="bench",
        account_id="sim-account-1",
        rest_url=f"{base_url}/rest",
        ws_url=f"{base_url}/ws",
        rate_limit_time_scale=TIME_SCALE,
        retry=RetryPolicy(attempts=3, backoff_initial=0.01, backoff_max=0.05),
        timeouts=Timeouts(order=10),
    )
    client = TInvestClient(cfg, http_transport=sent)
    notifier = _Quiet()
    engine = Engine(
        client,
        StopsBase(),
        notifier,
        account_id="sim-account-1",
        mode="paper",
        options=EngineOptions(catalogue_refresh_at=None, journal_fsync=False),
        stops_tuning=StopsTuning(progress_interval=1e9, poll_interval=3600.0, retry_pause=0.01),
    )
    return engine, client, notifier


async def place(title: str, errors: float, lost: float) -> None:
    runner, app, url = await _start()
    sim = app[SIM_KEY]
    sent = _SendTimes()
    engine, client, notifier = await _rig(url, sent)
    try:
        base = engine.stops._base  # type: ignore[attr-defined]
        base.trading_settings = TradingSettings(
            long_levels=LEVELS, max_bulk_value=Decimal(10) ** 12, bulk_confirm_threshold=10**6
        )
        shares = [s for s in sim.exchange.catalogue.shares if s.api_trade_available]
        base.lists["whitelist"] = [
            base.add_instrument(
                ticker=s.ticker,
                uid=s.uid,
                figi=s.figi,
                lot=s.lot,
                min_price_increment=s.min_price_increment,
                exchange="MOEX",
            )
            for s in shares
        ]
        await engine.start()
        plan = await engine.stops.plan_bulk("stops")
        plan = replace(plan, orders=plan.orders[:ORDERS])
        assert plan.count == ORDERS, f"only {plan.count} orders planned"
        sim.faults.error_rate = {"PostStopOrder": errors} if errors else {}
        sim.faults.lose_stop_order_rate = lost
        sim.faults.lose_mode = "close"
        logging.getLogger("bot").setLevel(logging.CRITICAL)
        engine.stops.run(plan)
        await asyncio.wait_for(notifier.done.wait(), 600)
        summary = next(e for e in notifier.events if isinstance(e, events.BulkFinished))
        # every request of the shared budget counts, from the first (the activation watcher's
        # first poll at start) to the last: the first window is theirs together
        stop_times = sent.of("PostStopOrder", "GetStopOrders", "CancelStopOrder")
        elapsed = (stop_times[-1] - stop_times[0]) / TIME_SCALE
        ideal = _ideal(len(stop_times), STOP_LIMIT)
        # the floor, measured in the same run: how long this stack (client and in-process
        # simulator on one event loop) takes to send one window's burst of 50
        first_window = [t for t in stop_times if t < stop_times[0] + 30 * TIME_SCALE]
        floor = (first_window[-1] - first_window[0]) / TIME_SCALE
        placed = [s for s in sim.exchange.stop_orders.values() if s.status == STOP_ACTIVE]
        per_key = Counter((s.instrument.uid, s.stop_price, s.lots) for s in placed)
        duplicates = sum(n - 1 for n in per_key.values() if n > 1)
        planned = Counter((o.instrument_uid, o.stop_price, o.lots) for o in plan.orders)
        unaccounted = sum((planned - per_key).values()) - len(summary.failures)
        stats = client.stats
        print(
            f"\n{title}: {ORDERS} stop orders, limit {STOP_LIMIT}/min, clock x{1 / TIME_SCALE:.0f}"
        )
        print(f"  stop-order requests sent  {len(stop_times):6d} (retries included)")
        print(f"  elapsed                   {elapsed:8.1f} broker s (first to last request)")
        print(f"  ideal for those requests  {ideal:8.1f} broker s (the last may start then)")
        print(
            f"  burst floor               {floor:8.1f} broker s (one window's {len(first_window)}"
            " requests sent by this stack, measured in the first window)"
        )
        print(
            f"  achieved / allowed rate   {ideal / elapsed if elapsed else 1.0:8.3f} "
            f"({(ideal + floor) / elapsed if elapsed else 1.0:.3f} against ideal + floor)"
        )
        busiest = _busiest(stop_times, 60 * TIME_SCALE)
        print(
            f"  busiest broker minute     {busiest:6d} requests sent (limit {STOP_LIMIT}; "
            "client send times, a few ms of jitter; the simulator's own count is the 429s)"
        )
        print(f"  placed                    {len(placed):6d}")
        print(f"  failed (named in summary) {len(summary.failures):6d}")
        print(f"  duplicates                {duplicates:6d} (must be 0)")
        print(f"  unaccounted for           {unaccounted:6d} (must be 0)")
        print(f"  429s received             {stats['rate_limited']:6d}")
        print(f"  transport retries         {stats['retries']:6d}")
        if duplicates or unaccounted:
            raise SystemExit("duplicate or unaccounted stop orders")
    finally:
        await engine.close()
        await runner.cleanup()


async def cancel() -> None:
    runner, app, url = await _start()
    sim = app[SIM_KEY]
    ex = sim.exchange
    sent = _SendTimes()
    engine, client, notifier = await _rig(url, sent)
    try:
        account = sim.config.account_id
        shares = [s for s in ex.catalogue.shares if s.api_trade_available]
        for n in range(ORDERS):
            inst = shares[n % len(shares)]
            last = ex.market.quote(inst).last_price
            bid = inst.round_price(last * Decimal("0.995"))
            ex.post_order(
                NewOrder(
                    account,
                    inst.uid,
                    str(uuid.uuid4()),
                    "ORDER_DIRECTION_BUY",
                    "ORDER_TYPE_LIMIT",
                    1,
                    bid,
                )
            )
            stop_price = inst.round_price(last * Decimal("0.8"))
            ex.post_stop_order(
                StopOrder(
                    stop_order_id="",
                    request_id=str(uuid.uuid4()),
                    account_id=account,
                    instrument=inst,
                    direction=STOP_BUY,
                    stop_type=STOP_TAKE_PROFIT,
                    lots=1,
                    stop_price=stop_price,
                    price=None,
                    expiration_type="STOP_ORDER_EXPIRATION_TYPE_GOOD_TILL_CANCEL",
                    expire_at=None,
                    exchange_order_type="EXCHANGE_ORDER_TYPE_MARKET",
                    created=ex.clock.now(),
                )
            )
        active_orders = len(ex.active_orders(account))
        active_stops = sum(1 for s in ex.stop_orders.values() if s.status == STOP_ACTIVE)
        await engine.start()
        logging.getLogger("bot").setLevel(logging.CRITICAL)
        started = time.monotonic()
        await engine.stops.run_cancel()
        await asyncio.wait_for(notifier.done.wait(), 600)
        elapsed = (time.monotonic() - started) / TIME_SCALE
        summary = next(e for e in notifier.events if isinstance(e, events.BulkFinished))
        stop_requests = len(sent.of("GetStopOrders", "CancelStopOrder"))
        minimum = max(_ideal(stop_requests, STOP_LIMIT), _ideal(active_orders, CANCEL_LIMIT))
        left_orders = len(ex.active_orders(account))
        left_stops = sum(1 for s in ex.stop_orders.values() if s.status == STOP_ACTIVE)
        print(f"\n/cancel of {active_orders} orders and {active_stops} stop orders")
        print(f"  elapsed                   {elapsed:8.1f} broker s (command to summary)")
        print(
            f"  minimum the budgets allow {minimum:8.1f} broker s "
            f"(stop-order requests {stop_requests} at {STOP_LIMIT}/min, "
            f"CancelOrder {active_orders} at {CANCEL_LIMIT}/min, in parallel)"
        )
        print(f"  minimum / elapsed         {minimum / elapsed:8.3f}")
        print(
            f"  cancelled                 {summary.orders_done} orders, "
            f"{summary.stops_done} stop orders; failed {len(summary.failures)}"
        )
        print(
            f"  left active               {left_orders} orders, {left_stops} stop orders "
            "(must be 0)"
        )
        print(f"  429s received             {client.stats['rate_limited']:6d}")
        if left_orders or left_stops:
            raise SystemExit("/cancel left orders behind")
    finally:
        await engine.close()
        await runner.cleanup()


def main() -> None:
    logging.getLogger("bot").setLevel(logging.CRITICAL)
    logging.getLogger("simulator").setLevel(logging.ERROR)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    asyncio.run(place("/stops", 0.0, 0.0))
    asyncio.run(place("/stops with 5 % 5xx and 2 % lost answers", 0.05, 0.02))
    asyncio.run(cancel())


if __name__ == "__main__":
    main()
