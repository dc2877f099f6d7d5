"""/whatif: spread N's job, with another target, over recorded days against a replaying simulator.

The simulator runs as a child process (`python -m simulator --replay DAYS --speed step`): its
books follow the recording and its clock moves only when this driver says. The spread job is the
live one (`bot.engine.spreads.job` and its `SpreadMachine`), with the real broker client talking
to that simulator, an in-memory Base and a virtual clock. The driver is a discrete-event loop:
it lets every task run until nothing is left to do but wait (no request in flight), then moves
both clocks to the later of the job's next timer and the legs' next recorded change — skipping
the quiet stretches — and tells the job at once about the orders that move filled (as the
order-state stream would). Fills, their times and the average spread come from the job's own
events.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import os
import socket
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import httpx

from bot.base_client.types import (
    ActiveTasks,
    BaseHealth,
    FillRecorded,
    Instrument,
    NewFill,
    NewOrder,
    OrderRecord,
    OrderStatus,
    OrderUpdate,
    SellBuyTask,
    Spread,
    SyncResult,
    TradingSettings,
)
from bot.broker.client import TInvestClient
from bot.broker.config import BrokerConfig
from bot.broker.types import OrderBook, PostOrderResult, PriceLevel
from bot.engine import events
from bot.engine.context import EngineContext
from bot.engine.jobs import JobRegistry
from bot.engine.journal import Journal
from bot.engine.market import BookFeeds
from bot.engine.options import EngineOptions
from bot.engine.order_watch import OrderWatcher
from bot.engine.orders import OrderDesk
from bot.engine.recorder import BaseRecorder
from bot.engine.sessions import SessionCalendar
from bot.engine.spreads import job as spread_job
from bot.engine.spreads.legs import SpreadTuning, spread_config, spread_title
from bot.engine.spreads.machine import SpreadConfig
from bot.engine.spreads.maths import LegName, SpreadError, max_far_lots, passive_price
from bot.engine.tape import format as fmt
from bot.engine.tinvest_port import TInvestPort

log = logging.getLogger(__name__)

ACCOUNT = "whatif-account"
TOKEN = "whatif"  # the child simulator's own token, not a secret
MONEY = "1000000000000"  # funds never limit a what-if
START_TIMEOUT = 60.0
# requests in a row without the clock moving before the driver moves it anyway (as real time
# would pass): a job that keeps sending orders never stalls the replay
SETTLE_ROUNDS = 1000
# after the last recorded change the job is stopped; it gets this many timer steps to leave
STOP_STEPS = 200


class WhatIfError(Exception):
    """A what-if that cannot run; `key` names a text in bot/texts/tape.py."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = {k: str(v) for k, v in params.items()}


@dataclass(frozen=True, slots=True)
class WhatIfFill:
    at: datetime
    leg: str
    pieces: int
    price: Decimal
    executed: int  # far pieces after this fill (far fills)
    average_spread: Decimal | None


@dataclass
class WhatIfResult:
    spread_id: int
    title: str
    direction: str
    target: Decimal
    amount: int
    days: list[str]
    start: datetime
    end: datetime
    leg_events: int
    filled: int = 0  # far pieces
    average_spread: Decimal | None = None
    fills: list[WhatIfFill] = field(default_factory=list)
    outcome: str = ""
    wall_seconds: float = 0.0
    steps: int = 0

    @property
    def far_fills(self) -> list[WhatIfFill]:
        return [f for f in self.fills if f.leg == "far"]

    @property
    def first_at(self) -> datetime | None:
        far = self.far_fills
        return far[0].at if far else None

    @property
    def last_at(self) -> datetime | None:
        far = self.far_fills
        return far[-1].at if far else None


# ---------------------------------------------------------------------------- virtual time


class VirtualClock:
    """The engine's clock in a what-if: time moves only by `advance`; `sleep` waits for it."""

    def __init__(self, start: datetime) -> None:
        self._now = start
        self._sleepers: list[tuple[datetime, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()

    def now(self) -> datetime:
        return self._now

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(
            self._sleepers, (self._now + timedelta(seconds=seconds), next(self._seq), future)
        )
        await future

    def next_deadline(self) -> datetime | None:
        while self._sleepers and self._sleepers[0][2].done():
            heapq.heappop(self._sleepers)  # cancelled sleeps
        return self._sleepers[0][0] if self._sleepers else None

    def advance(self, moment: datetime) -> None:
        if moment > self._now:
            self._now = moment
        while self._sleepers and self._sleepers[0][0] <= self._now:
            _, _, future = heapq.heappop(self._sleepers)
            if not future.done():
                future.set_result(None)


class _CountingTransport(httpx.AsyncBaseTransport):
    """Counts the requests in flight, so the driver knows when the engine only waits, and sends
    them one at a time."""

    def __init__(self) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self.inflight = 0
        self._one = asyncio.Lock()
        self._idle = asyncio.Event()
        self._idle.set()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.inflight += 1
        self._idle.clear()
        try:
            # one request at a time, answered in the order sent: the job then sees the same
            # answers in the same order at every run (the simulator serves one at a time anyway)
            async with self._one:
                response = await self._inner.handle_async_request(request)
                await response.aread()
            return response
        finally:
            self.inflight -= 1
            if not self.inflight:
                self._idle.set()

    async def idle(self) -> None:
        await self._idle.wait()

    async def aclose(self) -> None:
        await self._inner.aclose()


class _ReplayPort(TInvestPort):
    """The broker port of a what-if. Its book "stream" behaves like the broker's (a new book
    when the market moved or the job's own orders changed it) but every book is a request, so
    the driver can wait for each one: the driver says when the clock moved, the port itself
    when an order was placed or cancelled. Order states are asked (the driver tells the job at
    once about the orders a clock move changed)."""

    def __init__(self, client: TInvestClient) -> None:
        super().__init__(client)
        self._dirty: dict[str, asyncio.Event] = {}

    def touch(self, instrument_id: str | None = None) -> None:
        """The book of `instrument_id` (of every instrument when None) may have changed."""
        for ident, event in self._dirty.items():
            if instrument_id is None or ident == instrument_id:
                event.set()

    @property
    def has_book_stream(self) -> bool:
        return True

    async def order_book_stream(
        self, instrument_id: str, depth: int = 10
    ) -> AsyncIterator[OrderBook]:
        event = self._dirty.setdefault(instrument_id, asyncio.Event())
        event.set()
        while True:
            await event.wait()
            event.clear()
            yield await self.order_book(instrument_id, depth)

    @property
    def has_order_stream(self) -> bool:
        return False

    async def post_limit_order(self, **kwargs: Any) -> PostOrderResult:
        try:
            return await super().post_limit_order(**kwargs)
        finally:
            self.touch(kwargs["instrument_id"])

    async def cancel_order(self, *, account_id: str, order_id: str) -> None:
        try:
            await super().cancel_order(account_id=account_id, order_id=order_id)
        finally:
            self.touch()

    async def cancel_order_by_request_id(self, *, account_id: str, request_id: str) -> None:
        try:
            await super().cancel_order_by_request_id(account_id=account_id, request_id=request_id)
        finally:
            self.touch()


async def settle(transport: _CountingTransport) -> None:
    """Return when every task only waits for the virtual clock (nothing runnable, no request in
    flight)."""
    quiet = rounds = 0
    while quiet < 3 and rounds < SETTLE_ROUNDS:
        rounds += 1
        for _ in range(30):
            await asyncio.sleep(0)
        if transport.inflight:
            await transport.idle()
            quiet = 0
        else:
            quiet += 1


# ---------------------------------------------------------------------------- the Base


class _MemoryBase:
    """The Base of a what-if: takes the job's records and forgets them."""

    def __init__(self, spread: Spread, settings: TradingSettings) -> None:
        self._spread = spread
        self._settings = settings

    async def health(self) -> BaseHealth:
        return BaseHealth(ok=True, latency_ms=0.0, database="ok")

    async def instrument_by_ticker(self, ticker: str) -> Instrument | None:
        for inst in (self._spread.far, self._spread.near):
            if inst.ticker == ticker:
                return inst
        return None

    async def instrument(self, instrument_id: int) -> Instrument:
        return self._spread.far if instrument_id == self._spread.far.id else self._spread.near

    async def instruments(self, **filters: Any) -> list[Instrument]:
        """The spread's two legs: the only instruments a what-if knows."""
        legs = [self._spread.far, self._spread.near]
        ticker = filters.get("ticker")
        return [leg for leg in legs if ticker is None or leg.ticker == ticker]

    async def open_orders(self, task_kind: str | None = None) -> list[OrderRecord]:
        return []

    async def sync_instruments(self, instruments: list[dict[str, Any]], *, complete: bool) -> Any:
        return SyncResult(0, 0, 0, 0)

    async def active_tasks(self) -> ActiveTasks:
        return ActiveTasks(sellbuy=(), spreads=(self._spread,))

    async def create_sellbuy(self, **kwargs: Any) -> SellBuyTask:
        raise NotImplementedError

    async def sellbuy(self, task_id: int) -> SellBuyTask:
        raise NotImplementedError

    async def set_sellbuy_active(
        self, task_id: int, active: bool, reason: str | None = None
    ) -> SellBuyTask:
        raise NotImplementedError

    async def spread(self, spread_id: int) -> Spread | None:
        return self._spread if spread_id == self._spread.id else None

    async def set_spread_active(
        self, spread_id: int, active: bool, reason: str | None = None
    ) -> Spread:
        return self._spread

    async def record_order(self, order: NewOrder) -> OrderRecord:
        return OrderRecord(
            client_order_id=order.client_order_id,
            instrument=order.instrument,
            direction=order.direction,
            order_type=order.order_type,
            price=order.price,
            lots=order.lots,
            status=order.status,
            task_kind=order.task_kind,
            task_id=order.task_id,
            leg=order.leg,
        )

    async def update_order(self, update: OrderUpdate) -> OrderRecord:
        return OrderRecord(
            client_order_id=update.client_order_id,
            instrument=0,
            direction="buy",
            order_type="limit",
            price=None,
            lots=0,
            status=cast(OrderStatus, update.status),  # a what-if places no stop orders
        )

    async def record_fill(self, fill: NewFill) -> FillRecorded:
        return FillRecorded(created=True)

    async def settings(self) -> TradingSettings:
        return self._settings

    async def order(self, client_order_id: str) -> OrderRecord | None:
        return None

    async def record_batch(
        self, records: list[tuple[str, dict[str, Any]]]
    ) -> list[tuple[int, dict[str, Any]]]:
        return [(200, {}) for _ in records]  # taken and forgotten, like every record here

    # the owner's views: a what-if shows nothing on the dashboard
    async def stats(self, period: str) -> Any:
        raise NotImplementedError("a what-if keeps no statistics")

    async def put_portfolio(self, snapshot: Any) -> None:
        return None

    async def post_quotes(self, series: list[Any]) -> int:
        return 0

    async def chart(self, task_kind: str, task_id: int) -> Any:
        return None

    async def orders_missing_commission(self) -> list[OrderRecord]:
        return []

    async def close(self) -> None:
        return None


class _Collector:
    """The job's events, kept."""

    def __init__(self) -> None:
        self.events: list[events.Event] = []

    async def notify(self, event: events.Event) -> None:
        self.events.append(event)


# ---------------------------------------------------------------------------- the recording


def select_days(folder: Path, days: int) -> list[Path]:
    """The last `days` day files of the tape folder (oldest first)."""
    files = fmt.day_files(folder)
    return files[-max(days, 1) :] if files else []


@dataclass
class LegTimeline:
    """The moments the legs' books or prices changed (sorted), the events per leg ticker, and
    at which moments the recorded books would make the job want a far order (the job's own
    maths: one far lot at the passive price meets the target)."""

    moments: list[datetime]
    counts: dict[str, int]
    tradable: list[bool]

    def next_tradable(self, index: int) -> int:
        """The first index from `index` on where the job could trade (len when none)."""
        while index < len(self.moments) and not self.tradable[index]:
            index += 1
        return index


def _book(event: fmt.TapeEvent) -> OrderBook:
    return OrderBook(
        instrument_uid=event.uid,
        figi=event.figi,
        depth=len(event.bids),
        bids=tuple(PriceLevel(p, q) for p, q in event.bids),
        asks=tuple(PriceLevel(p, q) for p, q in event.asks),
    )


def scan(files: list[Path], spread: Spread) -> LegTimeline:
    """Read the legs' events of the recording (`spread.target_price` is the target tried)."""
    legs: dict[tuple[str, str], LegName] = {
        (spread.far.ticker, spread.far.class_code): "far",
        (spread.near.ticker, spread.near.class_code): "near",
    }
    by_uid: dict[str, LegName] = {spread.far.uid: "far", spread.near.uid: "near"}
    counts = {spread.far.ticker: 0, spread.near.ticker: 0}
    found: list[tuple[datetime, LegName, fmt.TapeEvent]] = []
    for path in files:
        for event in fmt.read_file(path):
            leg = legs.get((event.ticker, event.class_code)) or by_uid.get(event.uid)
            if leg is None:
                continue
            counts[spread.far.ticker if leg == "far" else spread.near.ticker] += 1
            found.append((event.exchange_time or event.receive_time, leg, event))
    found.sort(key=lambda item: item[0])
    try:
        config = spread_config(spread)
    except SpreadError:
        config = None
    books: dict[LegName, OrderBook | None] = {"far": None, "near": None}
    moments: list[datetime] = []
    tradable: list[bool] = []
    for index, (moment, leg, event) in enumerate(found):
        if event.kind == "book":
            books[leg] = _book(event)
        if index + 1 < len(found) and found[index + 1][0] == moment:
            continue  # the books as they stand once every event of this moment is in
        moments.append(moment)
        tradable.append(_could_trade(config, books["far"], books["near"]))
    return LegTimeline(moments, counts, tradable)


def _could_trade(
    config: SpreadConfig | None, far: OrderBook | None, near: OrderBook | None
) -> bool:
    if config is None or far is None or near is None:
        return True  # cannot tell: never skip
    side = far.asks if config.far_direction == "sell" else far.bids
    price = passive_price(side)
    if price is None:
        return False
    lots, _ = max_far_lots(
        config.direction, config.far, config.near, config.ratio, far, near, config.target, 1, price
    )
    return lots > 0


# ---------------------------------------------------------------------------- the simulator


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.asynccontextmanager
async def replaying_simulator(files: list[Path]) -> AsyncIterator[str]:
    """A child simulator replaying `files` (speed "step"); yields its base URL."""
    with tempfile.TemporaryDirectory(prefix="whatif-") as tmp:
        for path in files:
            os.symlink(path.resolve(), Path(tmp) / path.name)
        port = _free_port()
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "simulator",
            "--port",
            str(port),
            "--replay",
            tmp,
            "--speed",
            "step",
            "--always-open",
            "--rate-scale",
            "0",
            "--walk-interval",
            "0",
            "--token",
            TOKEN,
            "--account-id",
            ACCOUNT,
            "--money",
            MONEY,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
        try:
            assert proc.stdout is not None
            async with asyncio.timeout(START_TIMEOUT):
                while True:
                    line = await proc.stdout.readline()
                    if not line:
                        raise WhatIfError("tape.whatif_no_simulator")
                    if b"simulator control" in line:
                        break
            yield f"http://127.0.0.1:{port}"
        except TimeoutError:
            raise WhatIfError("tape.whatif_no_simulator") from None
        finally:
            if proc.returncode is None:
                proc.terminate()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(10):
                        await proc.wait()
                if proc.returncode is None:
                    proc.kill()
                    await proc.wait()


# ---------------------------------------------------------------------------- the run


async def run_whatif(
    spread: Spread,
    target: Decimal,
    settings: TradingSettings,
    files: list[Path],
    *,
    tuning: SpreadTuning | None = None,
) -> WhatIfResult:
    """Spread `spread` with `target` over the recorded `files` (day files of the tape)."""
    started = time.perf_counter()
    trial = replace(
        spread,
        target_price=target,
        active=True,
        far_executed=0,
        far_average=None,
        near_executed=0,
        near_average=None,
        average_spread=None,
        open_orders=(),
    )
    timeline = await asyncio.to_thread(scan, files, trial)
    for ticker, count in timeline.counts.items():
        if not count:
            raise WhatIfError("tape.whatif_no_recording", ticker=ticker)
    moments = timeline.moments
    result = WhatIfResult(
        spread_id=spread.id,
        title=spread_title(trial),
        direction=spread.direction,
        target=target,
        amount=spread.amount,
        days=[fmt.day_of(p) for p in files],
        start=moments[0],
        end=moments[-1],
        leg_events=sum(timeline.counts.values()),
    )
    async with replaying_simulator(files) as url:
        await _drive(url, trial, settings, timeline, result, tuning or SpreadTuning())
    result.wall_seconds = time.perf_counter() - started
    return result


async def _drive(
    url: str,
    spread: Spread,
    settings: TradingSettings,
    timeline: LegTimeline,
    result: WhatIfResult,
    tuning: SpreadTuning,
) -> None:
    moments = timeline.moments
    transport = _CountingTransport()
    config = BrokerConfig(
        token=TOKEN,
        account_id=ACCOUNT,
        rest_url=f"{url}/rest",
        ws_url=f"ws{url[len('http') :]}/ws",
        rate_limit_scale=1000.0,
        rate_limit_global_per_second=None,
    )
    clock = VirtualClock(moments[0])
    client = TInvestClient(config, http_transport=transport)
    control = httpx.AsyncClient(base_url=f"{url}/control", timeout=30.0)
    port = _ReplayPort(client)
    notifier = _Collector()
    options = EngineOptions(catalogue_refresh_at=None, journal_fsync=False)
    base = _MemoryBase(spread, settings)
    recorder = BaseRecorder(base, Journal(None), notifier, clock, probe_interval=None)
    ctx = EngineContext(
        broker=port,
        desk=OrderDesk(port, recorder, notifier, clock, options, account_id=ACCOUNT),
        recorder=recorder,
        calendar=SessionCalendar(port, clock),
        feeds=BookFeeds(
            port, depth=options.book_depth, poll_interval=options.poll_interval, clock=clock
        ),
        orders=OrderWatcher(port, ACCOUNT),
        notifier=notifier,
        clock=clock,
        options=options,
        account_id=ACCOUNT,
    )
    registry = JobRegistry(stop_timeout=options.stop_timeout)
    runs: list[spread_job.SpreadRun] = []
    try:
        await _move(control, clock, moments[0], runs, port)
        recorder.start()
        job = spread_job.start_spread(
            registry, ctx, spread, settings, tuning=tuning, on_run=runs.append
        )
        assert job.task is not None
        upcoming = 1
        while not job.task.done():
            await settle(transport)
            if job.task.done():
                break
            while upcoming < len(moments) and moments[upcoming] <= clock.now():
                upcoming += 1
            if upcoming >= len(moments):
                break  # the recording is over
            if runs and _idle(runs[0]):
                # nothing open and nothing to hedge: until the recorded books would let the job
                # trade, its polls and timers change nothing — go straight there
                upcoming = min(timeline.next_tradable(upcoming), len(moments) - 1)
            deadline = clock.next_deadline()
            target = moments[upcoming] if deadline is None else max(deadline, moments[upcoming])
            await _move(control, clock, target, runs, port)
            result.steps += 1
        job.stop_requested.set()
        for _ in range(STOP_STEPS):
            await settle(transport)
            if job.task.done():
                break
            deadline = clock.next_deadline()
            if deadline is None:
                break
            await _move(control, clock, deadline, runs, port)
        if not job.task.done():
            job.task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await job.task
    finally:
        await registry.stop()
        await ctx.feeds.close()
        await recorder.close()
        await control.aclose()
        await client.close()
    _collect(notifier.events, result)


def _idle(run: spread_job.SpreadRun) -> bool:
    machine = run.machine
    return (
        machine is not None
        and machine.finished is None
        and not machine.open_orders()
        and machine.unhedged_pieces() == 0
        and not run.job.stopping
    )


async def _move(
    control: httpx.AsyncClient,
    clock: VirtualClock,
    moment: datetime,
    runs: list[spread_job.SpreadRun],
    port: _ReplayPort,
) -> None:
    """Both clocks to `moment`: the simulator applies the recording up to it (resting orders
    meet each book), the engine's timers due by then fire, and the job hears at once about the
    orders that changed."""
    response = await control.post("/replay", json={"until": moment.isoformat()})
    response.raise_for_status()
    clock.advance(moment)
    port.touch()
    for request_id in response.json().get("ordersChanged", []):
        for run in runs:
            run.order_event(request_id)


def _collect(seen: list[events.Event], result: WhatIfResult) -> None:
    for event in seen:
        if isinstance(event, events.OrderFilled):
            result.fills.append(
                WhatIfFill(
                    at=event.at,
                    leg=event.leg or "far",
                    pieces=event.quantity,
                    price=event.price,
                    executed=event.executed,
                    average_spread=event.average_spread,
                )
            )
        elif isinstance(event, events.JobFinished):
            result.filled = event.executed
            result.average_spread = event.average_spread
            result.outcome = event.outcome
    # a far fill's spread is known once it is hedged: give it the average after its hedge
    waiting: list[int] = []
    for index, fill in enumerate(result.fills):
        if fill.leg == "far":
            waiting.append(index)
        elif fill.average_spread is not None:
            for far in waiting:
                result.fills[far] = replace(result.fills[far], average_spread=fill.average_spread)
            waiting = []
