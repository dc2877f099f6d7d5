"""/whatif: spread N's job, with another target, over recorded days against a replaying simulator.

The simulator (`simulator`, replaying the legs' recorded events step by step) runs in the
process of the run (/whatif's worker process, `worker.py`, never the live bot's), with no
socket: the broker client's requests are answered by the simulator's own REST code
(`_SimulatorLink`). Its books follow the recording and its clock moves only when this
driver says. The spread job is the live one (`bot.engine.spreads.job` and its `SpreadMachine`),
with the real broker client, an in-memory Base and a virtual clock.

The driver is a discrete-event loop. Nothing in a what-if waits for real time or a socket, so
"nothing left to do" is exact: no callback ready in the event loop. The engine's requests wait
in a queue and are answered one at a time, in the order asked, each once the engine has done
all it can (as with a broker whose answers take milliseconds while the engine's work takes
microseconds). When no request waits, both clocks move to the next recorded moment (no sooner
than the job's next tick where the recording is denser, `_next_step`), or further while the job
is idle, as far as its own maths shows it could not have acted (`timeline.LegTimeline
.jump_target`), and the job hears at once of the orders that move filled (as the order-state
stream would tell it). Fills, their times and the average spread come from the job's own
events. Every run of the same what-if gives the same answer, however loaded the machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import json
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

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
from bot.broker import parse as broker_parse
from bot.broker.client import TInvestClient
from bot.broker.config import BrokerConfig
from bot.broker.types import OrderBook, PostOrderResult
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
from bot.engine.spreads.legs import SpreadTuning, spread_title
from bot.engine.tape import format as fmt
from bot.engine.tape.timeline import LegTimeline, scan
from bot.engine.tinvest_port import TInvestPort

if TYPE_CHECKING:  # the simulator is imported when a what-if runs (a bot may lack it)
    from simulator.instruments import Instrument as SimInstrument
    from simulator.replay import TapeRecord
    from simulator.state import Simulator

log = logging.getLogger(__name__)

_T = TypeVar("_T")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

ACCOUNT = "whatif-account"
TOKEN = "whatif"  # the in-process simulator's own token, not a secret
MONEY = "1000000000000"  # funds never limit a what-if
SIM_URL = "http://whatif.simulator"  # never dialled: the transport answers in-process
# requests answered in a row without the clock moving before the driver moves it anyway (as real
# time would pass): a job that keeps sending orders never stalls the replay
SETTLE_ROUNDS = 1000
# passes of the event loop while the engine works on one answer, at most
QUIET_PASSES = 10_000
# passes per answer on an event loop that does not show its ready callbacks
FIXED_PASSES = 100
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


class _SimulatorLink(httpx.AsyncBaseTransport):
    """The engine's questions to the replaying simulator in this process: the broker client's
    HTTP requests, answered by the simulator's REST code (`simulator.rest.respond`: the same
    requests and JSON answers as over a socket, with no socket and no other process), and the
    books the port's stream asks for (read from the simulator as GetOrderBook answers them).

    Questions wait in a queue until the driver answers them, one at a time in the order they
    were asked, each once the engine has nothing else to do (`settle`): as with a real broker,
    whose answers take milliseconds while the engine's own work takes microseconds, every
    reaction of the job to one answer happens before the next answer comes. That order does not
    depend on how fast this machine is, so every run gives the same answers in the same order."""

    def __init__(self, sim: Simulator) -> None:
        from simulator import rest

        self._sim = sim
        self._respond = rest.respond
        self._queue: deque[tuple[Callable[[], Awaitable[Any]], asyncio.Future[Any]]] = deque()
        self._released = False

    @property
    def pending(self) -> bool:
        return bool(self._queue)

    async def ask(self, question: Callable[[], Awaitable[_T]]) -> _T:
        """The answer to `question`, once the driver has come to it (at once after `release`)."""
        if self._released:
            return await question()
        future: asyncio.Future[_T] = asyncio.get_running_loop().create_future()
        self._queue.append((question, future))
        return await future

    async def release(self) -> None:
        """The replay is over: answer what waits, and every later question at once (a job being
        torn down, e.g. cancelling its order, must not wait for a driver that has stopped)."""
        self._released = True
        while self._queue:
            await self.answer_next()

    async def answer_next(self) -> None:
        """Answer the oldest question still waiting (one whose asker gave up is dropped: it
        never reached the simulator)."""
        while self._queue:
            question, future = self._queue.popleft()
            if future.done():
                continue
            try:
                answer = await question()
            except Exception as exc:
                future.set_exception(exc)
            else:
                future.set_result(answer)
            return

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        raw = await request.aread()
        return await self.ask(lambda: self._http(request, raw))

    async def _http(self, request: httpx.Request, raw: bytes) -> httpx.Response:
        token = request.headers.get("authorization", "").partition(" ")[2].strip()
        full = request.url.path.rpartition("/rest/")[2]
        answer = await self._respond(self._sim, token, full, raw)
        return httpx.Response(
            answer.status,
            headers={**answer.headers, "content-type": "application/json"},
            content=json.dumps(answer.body, ensure_ascii=False).encode(),
        )

    async def book(self, instrument_id: str, depth: int) -> OrderBook | None:
        """The book GetOrderBook would answer now, read as the broker client reads it; None
        when the simulator refuses (the caller then asks over HTTP, for the client's error)."""
        from simulator.errors import ApiError

        body = {"instrumentId": instrument_id, "depth": depth}
        try:
            data = self._sim.api.call("MarketDataService", "GetOrderBook", body, "whatif")
        except ApiError:
            return None
        return broker_parse.order_book(json.loads(json.dumps(data)))


class _ReplayPort(TInvestPort):
    """The broker port of a what-if. Its book "stream" behaves like the broker's (a new book
    when the market moved or the job's own orders changed it) but every book is a request, so
    the driver can wait for each one: the driver says when the clock moved, the port itself
    when an order was placed or cancelled. Order states are asked (the driver tells the job at
    once about the orders a clock move changed)."""

    def __init__(
        self, client: TInvestClient, link: _SimulatorLink, legs: tuple[Instrument, Instrument]
    ) -> None:
        super().__init__(client)
        self._link = link
        self._dirty: dict[str, asyncio.Event] = {}
        # the feed id (bot.engine.market) of each leg, by ticker and class and by uid
        self._feed_of: dict[tuple[str, str] | str, str] = {}
        for leg in legs:
            self._feed_of[(leg.ticker, leg.class_code)] = self._feed_of[leg.uid] = (
                leg.uid or leg.figi
            )
        # the instrument of each order placed (by broker and by request id): a cancel changes
        # that book only
        self._instrument_of: dict[str, str] = {}

    def touch(self, instrument_id: str | None = None) -> None:
        """The book of `instrument_id` (of every instrument when None) may have changed."""
        for ident, event in self._dirty.items():
            if instrument_id is None or ident == instrument_id:
                event.set()

    def touch_replayed(self, instruments: list[SimInstrument]) -> None:
        """The simulator's `instruments` were replayed: their books may have changed (a book
        nothing changed would read the same, and the feed would pass nothing on). The books are
        asked for in the order the feeds started, whatever order the recording has."""
        keys = {
            self._feed_of.get((inst.ticker, inst.class_code)) or self._feed_of.get(inst.uid)
            for inst in instruments
        }
        if None in keys:  # not a leg (cannot be: the recording holds the legs only)
            self.touch()
            return
        for ident, event in self._dirty.items():
            if ident in keys:
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

    async def order_book(self, instrument_id: str, depth: int = 10) -> OrderBook:
        # a book is data only: read straight from the simulator, in its turn among the requests
        book = await self._link.ask(lambda: self._link.book(instrument_id, depth))
        return book if book is not None else await super().order_book(instrument_id, depth)

    @property
    def has_order_stream(self) -> bool:
        return False

    async def post_limit_order(self, **kwargs: Any) -> PostOrderResult:
        instrument_id: str = kwargs["instrument_id"]
        self._instrument_of[kwargs["request_id"]] = instrument_id
        try:
            result = await super().post_limit_order(**kwargs)
            self._instrument_of[result.order_id] = instrument_id
            return result
        finally:
            self.touch(instrument_id)

    async def cancel_order(self, *, account_id: str, order_id: str) -> None:
        try:
            await super().cancel_order(account_id=account_id, order_id=order_id)
        finally:
            self.touch(self._instrument_of.get(order_id))

    async def cancel_order_by_request_id(self, *, account_id: str, request_id: str) -> None:
        try:
            await super().cancel_order_by_request_id(account_id=account_id, request_id=request_id)
        finally:
            self.touch(self._instrument_of.get(request_id))


async def settle(transport: _SimulatorLink) -> None:
    """Return when every task of the what-if waits for the virtual clock: run the engine until
    nothing is left to do, answer the oldest request waiting, and again, until no request waits.
    A job that never stops sending requests gets SETTLE_ROUNDS answers before the driver moves
    the clock anyway (as real time would pass), so it never stalls the replay."""
    for _ in range(SETTLE_ROUNDS):
        await _quiet()
        if not transport.pending:
            return
        await transport.answer_next()
    await _quiet()


async def _quiet() -> None:
    """Return once no callback is ready to run in the event loop: every task waits, for an
    answer, the virtual clock or the driver (nothing in a what-if waits for real time or a
    socket), so nothing moves until the driver does. A job that never stops working is cut off
    after QUIET_PASSES passes of the loop."""
    loop = asyncio.get_running_loop()
    # the default loop's queue of callbacks ready to run (CPython's asyncio); an event loop
    # without one gets a fixed number of passes
    ready = getattr(loop, "_ready", None)
    for _ in range(QUIET_PASSES if ready is not None else FIXED_PASSES):
        await asyncio.sleep(0)
        if ready is not None and not ready:
            return


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


# ---------------------------------------------------------------------------- the simulator


def replaying_simulator(records: list[TapeRecord]) -> Simulator:
    """A simulator in this process replaying `records` (the legs' events in time order) step by
    step: its clock is frozen at the recording's start and moves only by `_move`."""
    from simulator.config import SimConfig
    from simulator.replay import Replay
    from simulator.state import Simulator

    config = SimConfig(
        always_open=True,
        rate_scale=0,  # limits off (the bot's own limiter still runs, scaled out of the way)
        walk_interval=0,
        token=TOKEN,
        account_id=ACCOUNT,
        money=Decimal(MONEY),
        replay_speed="step",
    )
    return Simulator(config, replay=Replay(records, "step"))


# ---------------------------------------------------------------------------- the run


async def run_whatif(
    spread: Spread,
    target: Decimal,
    settings: TradingSettings,
    files: list[Path],
    *,
    tuning: SpreadTuning | None = None,
    skip: bool = True,
) -> WhatIfResult:
    """Spread `spread` with `target` over the recorded `files` (day files of the tape).
    `skip=False` steps through every recorded moment (tests compare it with the skipping run)."""
    started = time.perf_counter()
    try:
        import simulator.app  # noqa: F401  (the replay runs in it)
    except ImportError:
        raise WhatIfError("tape.whatif_no_simulator") from None
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
    tuning = tuning or SpreadTuning()
    timeline = await asyncio.to_thread(
        scan, files, trial, tuning.far_moves.hold, tuning.tick_interval
    )
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
    sim = replaying_simulator(timeline.records)
    timeline.records = []  # the simulator holds them now
    await _drive(sim, trial, settings, timeline, result, tuning, skip)
    result.wall_seconds = time.perf_counter() - started
    return result


async def _drive(
    sim: Simulator,
    spread: Spread,
    settings: TradingSettings,
    timeline: LegTimeline,
    result: WhatIfResult,
    tuning: SpreadTuning,
    skip: bool,
) -> None:
    moments = timeline.moments
    config = BrokerConfig(
        token=TOKEN,
        account_id=ACCOUNT,
        rest_url=f"{SIM_URL}/rest",
        ws_url=f"{SIM_URL.replace('http', 'ws', 1)}/ws",
        rate_limit_scale=1000.0,
        rate_limit_global_per_second=None,
    )
    clock = VirtualClock(moments[0])
    transport = _SimulatorLink(sim)
    client = TInvestClient(config, http_transport=transport)
    port = _ReplayPort(client, transport, (spread.far, spread.near))
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
        _move(sim, clock, moments[0], runs, port)
        recorder.start()
        job = spread_job.start_spread(
            registry, ctx, spread, settings, tuning=tuning, on_run=runs.append
        )
        assert job.task is not None
        upcoming = 1
        tick = timedelta(seconds=tuning.tick_interval)
        # the first step all of whose decisions were the idle job's (`LegTimeline.jump_target`)
        idle_since: datetime | None = None
        while not job.task.done():
            await settle(transport)
            if job.task.done():
                break
            now = clock.now()
            while upcoming < len(moments) and moments[upcoming] <= now:
                upcoming += 1
            if upcoming >= len(moments):
                break  # the recording is over
            idle = bool(runs) and _idle(runs[0])
            jump = None
            if skip and idle and idle_since is not None and now - idle_since >= timeline.hold:
                # nothing open and nothing to hedge: jump as far as the job cannot tell
                jump = timeline.jump_target(upcoming - 1, now, tick)
            if jump is not None:
                target = idle_since = moments[jump]
            else:
                target = _next_step(now, moments[upcoming], tick)
                idle_since = (idle_since or target) if idle else None
            _move(sim, clock, target, runs, port)
            result.steps += 1
        job.stop_requested.set()
        for _ in range(STOP_STEPS):
            await settle(transport)
            if job.task.done():
                break
            deadline = clock.next_deadline()
            if deadline is None:
                break
            _move(sim, clock, deadline, runs, port)
        if not job.task.done():
            job.task.cancel()
        await transport.release()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await job.task
    finally:
        await transport.release()
        await registry.stop()
        await ctx.feeds.close()
        await recorder.close()
        await client.close()
    _collect(notifier.events, result)


def _next_step(now: datetime, moment: datetime, tick: timedelta) -> datetime:
    """The next step of the clock: the next recorded moment, but no sooner than the next
    multiple of the job's tick interval (where the recording changes faster than the job looks
    at the clock, the replay moves at the job's pace). A pure function of the recording, so a
    job that skipped a quiet stretch steps exactly as one that did not, once past it."""
    if tick <= timedelta(0):
        return moment
    grid = (now - _EPOCH) // tick + 1
    return max(moment, _EPOCH + grid * tick)


def _idle(run: spread_job.SpreadRun) -> bool:
    """Nothing open, nothing to hedge, and no timer of the machine's own (a retry) pending."""
    machine = run.machine
    return (
        machine is not None
        and machine.finished is None
        and not machine.open_orders()
        and machine.unhedged_pieces() == 0
        and machine.wake_at() is None
        and not run.job.stopping
    )


def _move(
    sim: Simulator,
    clock: VirtualClock,
    moment: datetime,
    runs: list[spread_job.SpreadRun],
    port: _ReplayPort,
) -> None:
    """Both clocks to `moment`: the simulator applies the recording up to it (resting orders
    meet each book), the engine's timers due by then fire, and the job hears at once about the
    orders that changed."""
    from simulator.control import replay_until

    move = replay_until(sim, moment)
    clock.advance(moment)
    port.touch_replayed(move.instruments)
    for request_id in move.orders:
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
