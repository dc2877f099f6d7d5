"""Spread jobs under load: 50 spreads against the simulator (a separate process) while books
update at 200 messages a second, with the broker client's documented rate limits.

Figures (p50/p99 over the 50 spreads), with market data from the stream and from polling (order
states come from the order-state stream in both, the production setup):
- executable -> far order out: from the book update that makes a spread executable (taken just
  before the control call that publishes it) to the far leg's PostOrder LEAVING THE HTTP
  TRANSPORT (after the rate limiter: what the broker sees);
- far fill -> hedge out: from the book update that fills the far order at the exchange to the
  hedge's PostOrder leaving the transport;
- beside each, the floor measured in the same run: the same book update reaching a bare
  WebSocket subscriber (bench/_transport.py), and the ratio to it (with polling, the engine
  learns of a book by the poll instead, so the ratio there shows the poll's cost);
- CPU of the bot process (the simulator runs in its own process and is not counted).

The Base is a no-op stand-in (records go nowhere); sessions are always open.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp

from bench._transport import BareBooks, TimedTransport, figures
from bot.base_client.types import (
    ActiveTasks,
    BaseHealth,
    FillRecorded,
    Instrument,
    Spread,
    TradingSettings,
)
from bot.broker.client import TInvestClient
from bot.broker.config import BrokerConfig
from bot.broker.types import InstrumentKind
from bot.engine.options import EngineOptions
from bot.engine.sessions import SessionState
from bot.engine.spreads.job import start_spread
from bot.engine.spreads.legs import SpreadTuning, leg_spec
from bot.engine.spreads.maths import spread_price
from bot.engine.spreads.order_events import OrderEventRouter
from bot.engine.tape.policy import TapeOptions
from bot.engine.tinvest_port import TInvestPort
from bot.engine.trader import Engine

SPREADS = 50
UPDATES_PER_SECOND = 200
POLL_INTERVAL = 0.5
TOKEN = "bench-token"
ACCOUNT = "sim-account-1"


class NullBase:
    """Accepts every record; knows no tasks."""

    async def health(self) -> BaseHealth:
        return BaseHealth(ok=True, latency_ms=0.0, database="ok")

    async def active_tasks(self) -> ActiveTasks:
        return ActiveTasks(sellbuy=(), spreads=())

    async def settings(self) -> TradingSettings:
        return TradingSettings(max_order_value=Decimal(10**12), max_position_value=Decimal(10**12))

    async def open_orders(self, task_kind: str | None = None) -> list[Any]:
        return []

    async def record_fill(self, fill: Any) -> FillRecorded:
        return FillRecorded(created=True)

    def __getattr__(self, name: str) -> Any:
        async def nothing(*args: Any, **kwargs: Any) -> None:
            return None

        return nothing


class TimedPort(TInvestPort):
    """The engine's broker port, with or without the book stream; PostOrders are timed where
    they leave the HTTP transport (TimedTransport)."""

    def __init__(self, client: TInvestClient, transport: TimedTransport, *, stream: bool) -> None:
        super().__init__(client)
        self._stream = stream
        self._transport = transport

    @property
    def has_book_stream(self) -> bool:
        return self._stream and super().has_book_stream

    @property
    def posts(self) -> dict[str, list[float]]:
        out: dict[str, list[float]] = {}
        for sent in self._transport.sent:
            if sent.method == "PostOrder":
                out.setdefault(sent.instrument, []).append(sent.at)
        return out

    def first_post_after(self, uid: str, moment: float) -> float | None:
        found = self._transport.first("PostOrder", moment, lambda s: s.instrument == uid)
        return None if found is None else found.at


@dataclass
class Pair:
    spread: Spread
    near_bids: list[tuple[str, int]]
    near_asks: list[tuple[str, int]]
    near_asks_executable: list[tuple[str, int]]
    far_bids: list[tuple[str, int]]
    far_asks: list[tuple[str, int]]
    far_price: Decimal
    far_lots: int


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.asynccontextmanager
async def simulator() -> AsyncIterator[str]:
    port = _free_port()
    proc = subprocess.Popen(  # noqa: ASYNC220 - started once, waited for below
        [
            sys.executable,
            "-m",
            "simulator",
            "--port",
            str(port),
            "--seed",
            "1",
            "--always-open",
            "--rate-scale",
            "0",
            "--walk-interval",
            "0",
            "--money",
            "100000000000",
        ],
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


def _base_instrument(i: Any, ident: int) -> Instrument:
    future = i.kind == InstrumentKind.FUTURES
    return Instrument(
        id=ident,
        figi=i.figi,
        uid=i.uid,
        ticker=i.ticker,
        class_code=i.class_code,
        name=i.name,
        kind="future" if future else "share",
        lot=i.lot,
        min_price_increment=i.min_price_increment,
        min_price_increment_amount=i.min_price_increment_amount if future else None,
        basic_asset=i.basic_asset,
        basic_asset_size=i.basic_asset_size if future else None,
    )


async def build_pairs(client: TInvestClient) -> list[Pair]:
    shares = {s.ticker: s for s in await client.shares()}
    futures = [f for f in await client.futures() if f.basic_asset in shares]
    by_asset: dict[str, list[Any]] = {}
    for f in futures:
        by_asset.setdefault(f.basic_asset, []).append(f)
    for group in by_asset.values():
        group.sort(key=lambda f: f.expiration_date or datetime.max)
    legs: list[tuple[Any, Any]] = []
    for asset, group in sorted(by_asset.items()):
        if len(group) >= 2:
            legs.append((group[1], shares[asset]))  # a later future against its share
    for asset, group in sorted(by_asset.items()):
        if len(legs) >= SPREADS:
            break
        legs.append((group[0], shares[asset]))  # the nearest future against the same share
    legs = legs[:SPREADS]
    pairs: list[Pair] = []
    ident = 1
    for n, (far_raw, near_raw) in enumerate(legs):
        far = _base_instrument(far_raw, ident)
        near = _base_instrument(near_raw, ident + 1)
        ident += 2
        far_spec, near_spec = leg_spec(far), leg_spec(near)
        if near.kind == "share":
            ratio = far.basic_asset_size or Decimal(1)
        else:
            ratio = (far.basic_asset_size or Decimal(1)) / (near.basic_asset_size or Decimal(1))
        far_book = await client.get_order_book(far.uid, 10)
        near_book = await client.get_order_book(near.uid, 10)
        f_price = far_book.asks[0].price
        a0 = near_book.asks[0].price
        a1 = a0 - near.min_price_increment * 10
        s0 = spread_price(far_spec, near_spec, ratio, f_price, a0)
        s1 = spread_price(far_spec, near_spec, ratio, f_price, a1)
        target = (s0 + s1) / 2
        amount = next(
            p for p in range(1, 1000) if (Decimal(p) * ratio) % near.lot == 0 and p % far.lot == 0
        )
        near_inc = near.min_price_increment
        far_inc = far.min_price_increment
        spread = Spread(
            id=n + 1,
            far=far,
            near=near,
            direction="sell",
            amount=amount,
            target_price=target,
            ratio=ratio,
            ratio_override=None,
            active=True,
            far_executed=0,
            far_average=None,
            near_executed=0,
            near_average=None,
            average_spread=None,
            created_at=None,
        )
        pairs.append(
            Pair(
                spread=spread,
                near_bids=[(str(a1 - near_inc * 5), 100_000)],
                near_asks=[(str(a0), 100_000), (str(a0 + near_inc * 5), 1000)],
                near_asks_executable=[(str(a1), 100_000), (str(a1 + near_inc * 5), 1000)],
                far_bids=[(str(f_price - far_inc * 10), 1000)],
                far_asks=[(str(f_price), 1000), (str(f_price + far_inc * 5), 1000)],
                far_price=f_price,
                far_lots=amount // far.lot,
            )
        )
    return pairs


class Books:
    """Sets books through the simulator's control API; remembers each one for the noise."""

    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        self.session = session
        self.url = url
        self.books: dict[str, tuple[list[tuple[str, int]], list[tuple[str, int]]]] = {}
        self.sent = 0

    async def set(self, uid: str, bids: list[tuple[str, int]], asks: list[tuple[str, int]]) -> None:
        self.books[uid] = (bids, asks)
        body = {
            "instrumentId": uid,
            "bids": [{"price": p, "quantity": q} for p, q in bids],
            "asks": [{"price": p, "quantity": q} for p, q in asks],
        }
        async with self.session.post(f"{self.url}/control/book", json=body) as resp:
            await resp.read()
            if resp.status != 200:
                raise RuntimeError(f"control/book answered {resp.status}")
        self.sent += 1

    async def noise(self, stop: asyncio.Event, rng: random.Random) -> None:
        """UPDATES_PER_SECOND updates of the second ask level (which changes no decision)."""
        period = 1.0 / UPDATES_PER_SECOND
        next_at = time.perf_counter()
        while not stop.is_set():
            uid = rng.choice(list(self.books))
            bids, asks = self.books[uid]
            if len(asks) > 1:
                asks = [asks[0], (asks[1][0], rng.randint(100, 2000)), *asks[2:]]
            await self.set(uid, bids, asks)
            next_at += period
            delay = next_at - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)


MODES = {
    "stream": "book stream + order-state stream",
    "polling": f"books polled every {POLL_INTERVAL} s + order-state stream",
}


async def run_mode(
    url: str,
    mode: str,
    *,
    tape: TapeOptions | None = None,
    state_dir: Path | None = None,
    label: str = "",
) -> dict[str, list[float]]:
    """One run; `tape`/`state_dir` switch the market recorder on (bench/recorder.py)."""
    config = replace(
        BrokerConfig.simulator(token=TOKEN, account_id=ACCOUNT),
        rest_url=f"{url}/rest",
        ws_url=url.replace("http", "ws", 1) + "/ws",
    )
    transport = TimedTransport()
    # the documented rate limits, as with the real broker
    client = TInvestClient(config, http_transport=transport)
    port = TimedPort(client, transport, stream=mode == "stream")
    bare = BareBooks(config.ws_url, TOKEN)
    options = EngineOptions(
        poll_interval=POLL_INTERVAL,
        catalogue_refresh_at=None,
        stop_timeout=5.0,
        journal_fsync=state_dir is None,
    )
    engine = Engine(
        port,
        NullBase(),
        _Silent(),
        account_id=ACCOUNT,
        mode="paper",
        options=options,
        state_dir=state_dir,
        tape=tape or TapeOptions(enabled=False),
    )
    tuning = SpreadTuning(tick_interval=0.2)
    router = OrderEventRouter()
    follow = asyncio.create_task(router.run(lambda: client.order_state_stream(ACCOUNT)))

    async def always_open(instrument: Instrument) -> SessionState:
        return SessionState(open=True, opens_at=None)

    def first_after(uid: str, moment: float) -> float | None:
        return port.first_post_after(uid, moment)

    rng = random.Random(7)
    stop_noise = asyncio.Event()
    async with aiohttp.ClientSession() as session:
        await session.post(f"{url}/control/reset", json={"seed": 1})
        books = Books(session, url)
        pairs = await build_pairs(client)
        for pair in pairs:
            await books.set(pair.spread.near.uid, pair.near_bids, pair.near_asks)
            await books.set(pair.spread.far.uid, pair.far_bids, pair.far_asks)
        await bare.start(
            sorted({p.spread.near.uid for p in pairs} | {p.spread.far.uid for p in pairs})
        )
        await engine.start()
        settings = await NullBase().settings()
        for pair in pairs:
            start_spread(
                engine._registry,
                engine._ctx,
                pair.spread,
                settings,
                tuning=tuning,
                read_session=always_open,
                order_events=router,
            )
        await asyncio.sleep(2.0)  # subscriptions settle; nothing is executable yet
        if port.posts:
            raise RuntimeError("a spread was executable before its time")
        noise = asyncio.create_task(books.noise(stop_noise, rng))
        cpu0, wall0 = time.process_time(), time.perf_counter()
        sent0 = books.sent

        # 1. the near book moves so that the spread becomes executable (spreads sharing a
        #    near leg become executable together)
        marks: dict[int, float] = {}
        by_near: dict[str, list[Pair]] = {}
        for pair in pairs:
            by_near.setdefault(pair.spread.near.uid, []).append(pair)
        for uid, group in by_near.items():
            moment = time.perf_counter()
            for pair in group:
                marks[pair.spread.id] = moment
            await books.set(uid, group[0].near_bids, group[0].near_asks_executable)
            await asyncio.sleep(0.04)
        await _until(lambda: all(port.posts.get(p.spread.far.uid) for p in pairs), 20)
        executable = [
            t - marks[p.spread.id]
            for p in pairs
            if (t := first_after(p.spread.far.uid, marks[p.spread.id])) is not None
        ]
        executable_floor = [
            t - marks[p.spread.id]
            for p in pairs
            if (
                t := bare.first(
                    p.spread.near.uid,
                    marks[p.spread.id],
                    lambda _b, a, p=p: a == Decimal(p.near_asks_executable[0][0]),
                )
            )
            is not None
        ]

        # 2. someone takes each far order: time to the hedge
        await asyncio.sleep(1.0)  # the far orders are acknowledged
        for pair in pairs:
            marks[pair.spread.id] = time.perf_counter()
            bids = [(str(pair.far_price), pair.far_lots), *pair.far_bids]
            await books.set(pair.spread.far.uid, bids, pair.far_asks)
            near = pair.spread.near.uid
            if len(by_near[near]) > 1:  # a shared near leg: one hedge at a time, to tell them apart
                moment = marks[pair.spread.id]
                await _until(lambda near=near, moment=moment: first_after(near, moment), 10)
            await asyncio.sleep(0.04)
        await _until(
            lambda: all(first_after(p.spread.near.uid, marks[p.spread.id]) for p in pairs), 30
        )
        hedge = [
            t - marks[p.spread.id]
            for p in pairs
            if (t := first_after(p.spread.near.uid, marks[p.spread.id])) is not None
        ]
        hedge_floor = [
            t - marks[p.spread.id]
            for p in pairs
            if (
                # the fill consumes the new bid at once: the first far update after the mark
                t := bare.first(p.spread.far.uid, marks[p.spread.id], lambda _b, _a: True)
            )
            is not None
        ]
        cpu = time.process_time() - cpu0
        wall = time.perf_counter() - wall0
        rate = (books.sent - sent0) / wall
        stop_noise.set()
        await noise
        await asyncio.wait_for(engine.close(), 120)
        follow.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await follow
        await client.close()
        await bare.close()

    print(f"{len(pairs)} spreads; {MODES[mode]}{label}; books updated at {rate:.0f}/s")
    print(figures("executable -> far order out", executable, executable_floor, len(pairs)))
    print(figures("far fill   -> hedge out    ", hedge, hedge_floor, len(pairs)))
    print(f"  bot CPU: {cpu:.2f} s over {wall:.1f} s = {100 * cpu / wall:.0f} % of one core")
    return {"executable": executable, "hedge": hedge, "cpu": [cpu], "wall": [wall]}


async def _until(condition: Any, seconds: float) -> None:
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline and not condition():  # noqa: ASYNC110 - a bench poll
        await asyncio.sleep(0.05)


class _Silent:
    async def notify(self, event: Any) -> None:
        return None


async def _main() -> None:
    async with simulator() as url:
        for mode in MODES:
            await run_mode(url, mode)


def main() -> None:
    if os.environ.get("BENCH_SPREADS_QUIET"):
        import logging

        logging.disable(logging.WARNING)
    asyncio.run(_main())


if __name__ == "__main__":
    main()
