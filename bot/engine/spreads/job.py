"""The spread job: binds the pure `SpreadMachine` to the engine.

Everything that decides is in `machine.py`; this module only carries its actions out with the
engine's pieces (the order desk for the lifecycle — journal before sending, unknown outcomes
resolved by request id, fills recorded once per trade id —, the shared book feeds with stream
and polling fallback, the session calendar, the risk checks, the registry's stop request) and
feeds back what happens. All inputs go through one queue, so the machine sees one event at a
time; broker calls run as tasks, so a hedge never waits behind a far-leg cancel.

Restart: the Base's spread carries the per-leg executed pieces and the orders still open. The
open orders are asked of the broker (by request id when the broker id is unknown): a recorded
order the broker never saw was not sent; the others are adopted, with fills the Base missed
recorded now. The machine then starts from the true per-leg totals: it hedges any imbalance at
once and never places more far pieces than the amount left.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext
from typing import Any

from bot.base_client.types import Instrument, OrderRecord, Spread, TradingSettings
from bot.broker import errors as broker_errors
from bot.broker.error_codes import is_permanent
from bot.broker.types import OrderBook, OrderState
from bot.engine import events, risk, text_keys
from bot.engine.context import EngineContext
from bot.engine.interface import UserError
from bot.engine.jobs import Job, JobRegistry
from bot.engine.market import BookFeed
from bot.engine.orders import (
    CancelNotConfirmed,
    Fill,
    OrderDesk,
    OrderOutcomeLost,
    OrderRefusedByBroker,
    TrackedOrder,
)
from bot.engine.sessions import SessionState
from bot.engine.spreads import machine as m
from bot.engine.spreads.legs import SpreadTuning, spread_config, spread_key, spread_title
from bot.engine.spreads.maths import LegName, SpreadError, hedge_target_pieces
from bot.engine.spreads.order_events import OrderEventRouter

log = logging.getLogger(__name__)

SessionReader = Callable[[Instrument], Awaitable[SessionState]]

# /spreads with no active spread in the Base (UserError key). params: none
NO_ACTIVE_SPREADS = "no_active_spreads"


@dataclass(frozen=True, slots=True)
class _Book:
    leg: LegName
    book: OrderBook


@dataclass(frozen=True, slots=True)
class _Session:
    leg: LegName
    state: SessionState


@dataclass(frozen=True, slots=True)
class _OrderChanged:
    mid: str


@dataclass(frozen=True, slots=True)
class _PlaceFailed:
    mid: str
    message: str
    permanent: bool


@dataclass(frozen=True, slots=True)
class _CapFar:
    mid: str
    lots: int


@dataclass(frozen=True, slots=True)
class _CancelFailed:
    mid: str


@dataclass(frozen=True, slots=True)
class _Tick:
    pass


@dataclass(frozen=True, slots=True)
class _Stop:
    pass


_Msg = _Book | _Session | _OrderChanged | _PlaceFailed | _CapFar | _CancelFailed | _Tick | _Stop


@dataclass(slots=True)
class _Tally:
    lots: int = 0
    value: Decimal = Decimal(0)

    def add(self, fill: Fill) -> None:
        self.lots += fill.lots
        with localcontext() as ctx:
            ctx.prec = 60
            self.value += fill.price * fill.lots

    @property
    def average(self) -> Decimal | None:
        if not self.lots:
            return None
        with localcontext() as ctx:
            ctx.prec = 60
            return self.value / self.lots


# the longest pause between questions about an order whose state the broker does not give
UNRESOLVED_MAX_INTERVAL = 30.0
# seconds to wait at start for the Base to take the adopted fills and give the legs' totals
START_READ_TIMEOUT = 60.0


class SpreadRun:
    """One spread job. `run()` returns when the spread is done, stopped or failed."""

    def __init__(
        self,
        ctx: EngineContext,
        spread: Spread,
        job: Job,
        settings: TradingSettings,
        *,
        tuning: SpreadTuning | None = None,
        read_session: SessionReader | None = None,
        order_events: OrderEventRouter | None = None,
    ) -> None:
        self.ctx = ctx
        self._order_events = order_events
        self.spread = spread
        self.job = job
        self.settings = settings
        self.tuning = tuning or SpreadTuning()
        self._read_session = read_session or ctx.calendar.state
        self.title = spread_title(spread)
        self.machine: m.SpreadMachine | None = None
        self._orders: dict[str, TrackedOrder] = {}
        self._tallies: dict[str, _Tally] = {}
        self._mid_by_client: dict[str, str] = {}
        self._wake: dict[str, asyncio.Event] = {}
        self._inbox: asyncio.Queue[_Msg] = asyncio.Queue()
        self._tasks: set[asyncio.Task[None]] = set()
        self._sessions: dict[LegName, SessionState] = {}
        # the machine's id of an order IS its client UUID, passed to the desk, so an order whose
        # placement ended in an unexpected error can still be resolved by request id (never
        # re-sent)
        self.desk = OrderDesk(
            ctx.broker,
            ctx.recorder,
            ctx.notifier,
            ctx.clock,
            ctx.options,
            account_id=ctx.account_id,
        )
        self._far_position = 0
        self._far_start = 0
        self._refused_for_good: str | None = None  # the far leg's refusal that will not pass
        self._paused = False
        # observability (bench and tests): when each market event was seen and orders sent
        self.on_place: Callable[[m.Place], None] | None = None

    # ------------------------------------------------------------------ helpers

    def _instrument(self, leg: LegName) -> Instrument:
        return self.spread.far if leg == "far" else self.spread.near

    def _now(self) -> float:
        return self.ctx.clock.now().timestamp()

    def _new_mid(self) -> str:
        return str(uuid.uuid4())

    def _spawn(self, coro: Awaitable[None], name: str) -> None:
        task = asyncio.ensure_future(coro)
        task.set_name(f"spread-{self.spread.id}-{name}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _update(self, mid: str) -> m.OrderUpdate:
        order = self._orders[mid]
        tally = self._tallies.get(mid)
        return m.OrderUpdate(
            client_order_id=mid,
            status=order.status,
            lots_executed=order.lots_executed,
            average_price=tally.average if tally else None,
            message=order.message,
        )

    def _absorb(self, mid: str, fills: list[Fill]) -> None:
        tally = self._tallies.setdefault(mid, _Tally())
        for fill in fills:
            tally.add(fill)

    # ------------------------------------------------------------------ run

    async def run(self) -> None:
        ctx, job = self.ctx, self.job
        await ctx.notify(
            events.JobStarted(
                job_id=job.job_id,
                at=ctx.clock.now(),
                kind="spread",
                title=self.title,
                amount=self.spread.amount,
            )
        )
        try:
            config = spread_config(self.spread, self.tuning)
        except SpreadError as exc:
            await self._finished(m.Finish("failed", exc.key, exc.params))
            return
        feeds: list[BookFeed] = []
        finish = m.Finish("failed", text_keys.JOB_CRASHED, {"message": "interrupted"})
        try:
            snapshots = await self._adopt()
            self._far_position = await self._position(self.spread.far)
            self.machine = m.SpreadMachine(config, self._new_mid, snapshots)
            self._far_start = self.machine.executed("far")
            job.executed = self.machine.executed("far")
            job.average_price = self.machine.average_spread()
            for mid, order in self._orders.items():
                if not order.is_final:
                    self._spawn(self._follow(mid), f"follow-{mid}")
            for leg in ("far", "near"):
                feed = ctx.feeds.acquire(self._instrument(leg).uid or self._instrument(leg).figi)
                feeds.append(feed)
                self._spawn(self._watch_book(leg, feed), f"book-{leg}")
            self._spawn(self._watch_sessions(), "sessions")
            self._spawn(self._ticker(), "ticker")
            self._spawn(self._watch_stop(), "stop")
            finish = await self._loop()
        except asyncio.CancelledError:
            finish = m.Finish("stopped", text_keys.STOPPED_BY_OWNER)
            raise
        except Exception as exc:
            log.exception("spread job %s failed", job.job_id)
            finish = m.Finish("failed", text_keys.JOB_CRASHED, {"message": str(exc)})
        finally:
            await asyncio.shield(self._cleanup(feeds, finish))

    async def _loop(self) -> m.Finish:
        machine = self.machine
        assert machine is not None
        await self._execute(machine.start(self._now()))
        while machine.finished is None:
            msg = await self._inbox.get()
            now = self._now()
            paused = self.ctx.recorder.is_down
            if paused != self._paused:
                self._paused = paused
                await self._execute(machine.pause_far(paused, now))
            await self._execute(self._dispatch(machine, msg, now))
        return machine.finished

    def _dispatch(self, machine: m.SpreadMachine, msg: _Msg, now: float) -> list[m.Action]:
        if isinstance(msg, _Book):
            return machine.on_book(msg.leg, msg.book, now)
        if isinstance(msg, _Session):
            self._sessions[msg.leg] = msg.state
            return machine.on_session(msg.leg, msg.state.open, now)
        if isinstance(msg, _OrderChanged):
            return machine.on_order(self._update(msg.mid), now)
        if isinstance(msg, _PlaceFailed):
            return machine.on_place_failed(msg.mid, msg.message, now, permanent=msg.permanent)
        if isinstance(msg, _CapFar):
            return machine.cap_far_lots(msg.mid, msg.lots, now)
        if isinstance(msg, _CancelFailed):
            return machine.on_cancel_failed(msg.mid, now)
        if isinstance(msg, _Stop):
            self.job.state = "stopping"
            return machine.stop(now)
        return machine.on_tick(now)

    async def _execute(self, actions: list[m.Action]) -> None:
        machine = self.machine
        assert machine is not None
        ctx, job = self.ctx, self.job
        for action in actions:
            if isinstance(action, m.Place):
                if self.on_place is not None:
                    self.on_place(action)
                self._spawn(self._place(action), f"place-{action.client_order_id}")
            elif isinstance(action, m.Cancel):
                self._spawn(
                    self._cancel(action.client_order_id), f"cancel-{action.client_order_id}"
                )
            elif isinstance(action, m.Filled):
                job.executed = machine.executed("far")
                job.average_price = machine.average_spread()
                await ctx.notify(
                    events.OrderFilled(
                        job_id=job.job_id,
                        at=ctx.clock.now(),
                        ticker=action.ticker,
                        direction=action.direction,
                        quantity=action.pieces,
                        price=action.price,
                        executed=action.executed,
                        amount=action.leg_amount,
                        average_price=action.average_price,
                        leg=action.leg,
                        average_spread=action.average_spread,
                    )
                )
            elif isinstance(action, m.Alert):
                await ctx.notify(
                    events.Alert(
                        job_id=job.job_id,
                        at=ctx.clock.now(),
                        reason_key=action.reason_key,
                        params=action.params,
                    )
                )
            elif isinstance(action, m.SessionClosed):
                job.state = "waiting"
                for leg in ("far", "near"):
                    instrument = self._instrument(leg)
                    if instrument.ticker not in action.tickers:
                        continue
                    state = self._sessions.get(leg)
                    await ctx.notify(
                        events.SessionWait(
                            job_id=job.job_id,
                            at=ctx.clock.now(),
                            ticker=instrument.ticker,
                            opens_at=state.opens_at if state else None,
                        )
                    )
        if machine.in_session and job.state == "waiting":
            job.state = "running"

    # ------------------------------------------------------------------ broker calls

    async def _place(self, action: m.Place) -> None:
        ctx, job = self.ctx, self.job
        mid = action.client_order_id
        instrument = self._instrument(action.leg)
        if not action.hedge:
            refusal = self._risk(action)
            cap = self._value_cap(action) if refusal is not None else 0
            if refusal is not None and refusal.key == text_keys.RISK_ORDER_VALUE and cap >= 1:
                # too big for one order: the far leg goes on in orders of at most `cap` lots
                self._inbox.put_nowait(_CapFar(mid, cap))
                return
            if refusal is not None:
                await ctx.notify(
                    events.OrderRefused(
                        job_id=job.job_id,
                        at=ctx.clock.now(),
                        ticker=instrument.ticker,
                        reason_key=refusal.key,
                        params=refusal.params,
                    )
                )
                self._inbox.put_nowait(_PlaceFailed(mid, refusal.key, permanent=True))
                return
        if action.price is None:  # the desk sends limit orders only; the machine never asks
            self._inbox.put_nowait(_PlaceFailed(mid, "no price", permanent=False))
            return
        try:
            order, fills = await self.desk.place(
                instrument=instrument,
                direction=action.direction,
                price=action.price,
                lots=action.lots,
                task_kind="spread",
                task_id=self.spread.id,
                job_id=job.job_id,
                leg=action.leg,
                client_order_id=mid,
            )
        except OrderOutcomeLost as exc:
            # the broker could not say whether it got it: in flight until it answers
            order, fills = exc.order, []
        except OrderRefusedByBroker as exc:
            params = exc.params()
            if not action.hedge:
                key = text_keys.OUTSIDE_SESSION if exc.session else text_keys.BROKER_ERROR
                await ctx.notify(
                    events.OrderRefused(
                        job_id=job.job_id,
                        at=ctx.clock.now(),
                        ticker=instrument.ticker,
                        reason_key=key,
                        params=params,
                    )
                )
            permanent = not (exc.session or exc.error.retryable or action.hedge)
            if not action.hedge and is_permanent(exc.error.api_code):
                # refused for good: the spread is switched off when the job ends on it
                meaning = exc.error.meaning or str(exc.error)
                self._refused_for_good = f"broker refused ({exc.error.api_code}): {meaning}"
            self._inbox.put_nowait(_PlaceFailed(mid, params["message"], permanent))
            return
        except Exception:
            # the order may have reached the broker (e.g. its state could not be read after it
            # was accepted): never guess — follow it by request id until the broker says
            log.exception("spread %s: placing %s ended unexpectedly", self.spread.id, mid)
            order = TrackedOrder(
                client_order_id=mid,
                instrument=instrument,
                direction=action.direction,
                price=action.price,
                lots=action.lots,
                task_kind="spread",
                task_id=self.spread.id,
                status="unknown",
            )
            self._orders[mid] = order
            self._inbox.put_nowait(_OrderChanged(mid))
            self._spawn(self._follow(mid), f"follow-{mid}")
            return
        if order.client_order_id != mid:  # the desk chose its own id: still followed by mid
            log.warning("spread %s: order %s placed as %s", self.spread.id, mid, order)
        self._orders[mid] = order
        self._absorb(mid, fills)
        self._inbox.put_nowait(_OrderChanged(mid))
        if not order.is_final:
            self._spawn(self._follow(mid), f"follow-{mid}")

    def _risk(self, action: m.Place) -> risk.RiskRefusal | None:
        machine = self.machine
        assert machine is not None and action.price is not None
        far = self.spread.far
        sign = 1 if action.direction == "buy" else -1
        done = machine.executed("far") - self._far_start
        after = self._far_position + sign * (done + action.lots * far.lot)
        return risk.check_order(
            self.settings,
            far,
            price=action.price,
            pieces=action.lots * far.lot,
            position_after=after,
        )

    def _value_cap(self, action: m.Place) -> int:
        """The most far lots one order may hold under the max value of one order."""
        assert action.price is not None
        far = self.spread.far
        lot_value = abs(risk.piece_value(far, action.price)) * far.lot
        if lot_value <= 0:
            return 0
        return int(self.settings.max_order_value // lot_value)

    async def _cancel(self, mid: str) -> None:
        order = self._orders.get(mid)
        if order is None:
            self._inbox.put_nowait(_CancelFailed(mid))
            return
        try:
            fills = await self.desk.cancel(order, job_id=self.job.job_id)
        except (CancelNotConfirmed, broker_errors.BrokerError) as exc:
            log.warning("spread %s: cancel %s not confirmed: %s", self.spread.id, mid, exc)
            self._inbox.put_nowait(_CancelFailed(mid))
            self._inbox.put_nowait(_OrderChanged(mid))
            return
        self._absorb(mid, fills)
        self._inbox.put_nowait(_OrderChanged(mid))

    def order_event(self, client_order_id: str, state: OrderState | None = None) -> None:
        """Something happened to this order. With its `state` (an order-state stream event) the
        state is applied at once through the desk (fills recorded once per trade id, no REST
        call); without, the order's state is asked of the broker now instead of at the next
        poll."""
        mid = self._mid_by_client.get(client_order_id)
        if mid is None:
            return
        order = self._orders.get(mid)
        if state is not None and order is not None and not order.is_final:
            before = (order.status, order.lots_executed)
            fills = self.desk.adopt(order, state)
            self._absorb(mid, fills)
            if fills or (order.status, order.lots_executed) != before:
                self._inbox.put_nowait(_OrderChanged(mid))
            return
        self._wake.setdefault(mid, asyncio.Event()).set()

    def _stream_event(self, state: Any) -> None:
        if isinstance(state, OrderState):
            self.order_event(state.request_id, state)

    async def _follow(self, mid: str) -> None:
        """Ask the broker for a live order's state until it is final: every poll interval, or
        at once when `order_event` says something happened."""
        order = self._orders[mid]
        self._mid_by_client[order.client_order_id] = mid
        wake = self._wake.setdefault(mid, asyncio.Event())
        router = self._order_events
        unseen = 0
        failures = 0  # questions in a row the broker did not answer
        alerted = False
        if router is not None:
            router.watch(order.client_order_id, self._stream_event)
        try:
            while not order.is_final:
                interval = self.ctx.options.poll_interval
                if router is not None and router.healthy and order.broker_order_id is not None:
                    interval = max(interval, self.tuning.safety_poll_interval)
                if failures:  # back off while the broker does not answer
                    interval = min(interval * 2 ** min(failures, 10), UNRESOLVED_MAX_INTERVAL)
                if not wake.is_set():
                    sleeper = asyncio.ensure_future(self.ctx.clock.sleep(interval))
                    waker = asyncio.ensure_future(wake.wait())
                    try:
                        await asyncio.wait({sleeper, waker}, return_when=asyncio.FIRST_COMPLETED)
                    finally:
                        sleeper.cancel()
                        waker.cancel()
                wake.clear()
                before = (order.status, order.lots_executed)
                try:
                    fills = await self.desk.sync(order)
                except broker_errors.BrokerError as exc:
                    log.info("spread %s: state of %s: %s", self.spread.id, mid, exc)
                    failures += 1
                    if (
                        not alerted
                        and order.broker_order_id is None
                        and failures >= max(self.ctx.options.resolve_attempts, 1)
                    ):
                        alerted = True  # its fate is unknown and it may be live: say so
                        await self.ctx.notify(
                            events.Alert(
                                job_id=self.job.job_id,
                                at=self.ctx.clock.now(),
                                reason_key=text_keys.ORDER_OUTCOME_UNKNOWN,
                                params={
                                    "ticker": order.instrument.ticker,
                                    "client_order_id": order.client_order_id,
                                },
                            )
                        )
                    continue
                except Exception:  # never stop following a live order
                    log.exception("spread %s: following %s", self.spread.id, mid)
                    await self.ctx.clock.sleep(interval)
                    continue
                failures = 0
                self._absorb(mid, fills)
                if order.broker_order_id is None and order.status in ("prepared", "unknown"):
                    unseen += 1
                    if unseen >= 2:  # asked twice by request id, never seen: it was not sent
                        self.desk.mark_not_sent(order)
                else:
                    unseen = 0
                if fills or (order.status, order.lots_executed) != before:
                    self._inbox.put_nowait(_OrderChanged(mid))
        finally:
            if router is not None:
                router.unwatch(order.client_order_id)
            self._mid_by_client.pop(order.client_order_id, None)
            self._wake.pop(mid, None)

    # ------------------------------------------------------------------ watchers

    async def _watch_book(self, leg: LegName, feed: BookFeed) -> None:
        """Pass each new book of the leg's shared feed (stream, or polling when the stream is
        down) to the machine."""
        version = 0
        never = asyncio.Event()
        while True:
            if feed.book is not None and feed.version != version:
                version = feed.version
                self._inbox.put_nowait(_Book(leg, feed.book))
            await feed.wait_newer(version, self.ctx.options.poll_interval, never)

    async def _watch_sessions(self) -> None:
        legs: tuple[LegName, LegName] = ("far", "near")
        while True:
            wait = self.tuning.session_check_interval
            for leg in legs:
                try:
                    state = await self._read_session(self._instrument(leg))
                except Exception as exc:
                    log.warning("spread %s: session of %s: %s", self.spread.id, leg, exc)
                    continue
                old = self._sessions.get(leg)
                if old is None or old.open != state.open or old.opens_at != state.opens_at:
                    self._sessions[leg] = state
                    self._inbox.put_nowait(_Session(leg, state))
                edge = state.closes_at if state.open else state.opens_at
                if edge is not None:
                    left = (edge - self.ctx.clock.now()).total_seconds()
                    wait = min(wait, max(left, 0.0) + 0.5)
            await self.ctx.clock.sleep(wait)

    async def _ticker(self) -> None:
        while True:
            await self.ctx.clock.sleep(self.tuning.tick_interval)
            self._inbox.put_nowait(_Tick())

    async def _watch_stop(self) -> None:
        await self.job.stop_requested.wait()
        self._inbox.put_nowait(_Stop())

    # ------------------------------------------------------------------ start and end

    async def _position(self, instrument: Instrument) -> int:
        try:
            positions = await self.ctx.broker.positions(account_id=self.ctx.account_id)
        except broker_errors.BrokerError as exc:
            log.warning("spread %s: positions: %s", self.spread.id, exc)
            return 0
        return positions.balance(instrument.uid) or positions.balance(instrument.figi)

    def _leg_of(self, record: OrderRecord) -> LegName:
        if record.leg in ("far", "near"):
            return "far" if record.leg == "far" else "near"
        return "far" if record.instrument == self.spread.far.id else "near"

    async def _adopt(self) -> list[m.OrderSnapshot]:
        """Snapshots of the spread's orders: the open ones asked of the broker, the rest folded
        into one executed total per leg from the Base."""
        spread = self.spread
        snapshots: list[m.OrderSnapshot] = []
        # lots of the open orders inside the Base's per-leg totals: as the Base stood at start
        # (`recorded`) and once the fills learnt now have reached it (`after`)
        recorded: dict[LegName, int] = {"far": 0, "near": 0}
        after: dict[LegName, int] = {"far": 0, "near": 0}
        learnt_trades = False
        for record in spread.open_orders:
            leg = self._leg_of(record)
            instrument = self._instrument(leg)
            order = TrackedOrder.from_record(record, instrument)
            try:
                fills = await self.desk.sync(order)
            except broker_errors.BrokerError as exc:
                # no answer is not "never seen": the order may be live. It stays open (unknown,
                # in flight for the machine's sizing, so nothing is sent again) and `_follow`
                # keeps asking, with back-off and an alert while it stays unresolved.
                log.warning("spread %s: state of %s: %s", spread.id, record.client_order_id, exc)
                fills = []
                order.lots_executed = record.lots_executed
                recorded[leg] += record.lots_executed
                after[leg] += record.lots_executed
                if order.broker_order_id is None:
                    self.desk.mark_unknown(order, "state could not be read at start")
            else:
                if order.broker_order_id is None and order.status in (
                    "prepared",
                    "unknown",
                    "sent",
                ):
                    # asked by request id, the broker said it has never seen it: not sent
                    self.desk.mark_not_sent(order)
                    continue
                # count what this order did from its fills (each recorded once, by trade id),
                # not from the record's lots_executed, which may be ahead of the fills the Base
                # holds: the broker lists every trade of the order, so once they are recorded
                # the Base holds exactly these
                traded = order.lots_recorded
                if traded:
                    learnt_trades = True
                    recorded[leg] += min(record.lots_executed, traded)
                    after[leg] += traded
                else:
                    recorded[leg] += record.lots_executed
                    after[leg] += record.lots_executed
            mid = record.client_order_id
            self._orders[mid] = order
            self._absorb(mid, fills)
            tally = self._tallies[mid]
            snapshots.append(
                m.OrderSnapshot(
                    client_order_id=mid,
                    leg=leg,
                    direction=record.direction,
                    lots=record.lots,
                    status=order.status,
                    lots_executed=order.lots_executed,
                    average_price=tally.average or record.price,
                    price=record.price,
                    # placed when the Base recorded it (journaled just before sending); unknown
                    # = now, so an adopted hedge is never cancelled and re-sent for nothing
                    placed_at=(record.created_at.timestamp() if record.created_at else self._now()),
                )
            )
        if learnt_trades:
            fresh = await self.ctx.recorder.read_spread(spread.id, START_READ_TIMEOUT)
            if fresh is not None:
                spread, recorded = fresh, after
        base_lots: dict[LegName, tuple[int, Decimal | None]] = {
            "far": (spread.far_executed // spread.far.lot, spread.far_average),
            "near": (spread.near_executed // spread.near.lot, spread.near_average),
        }
        directions = {
            "far": spread.direction,
            "near": "buy" if spread.direction == "sell" else "sell",
        }
        for leg, (lots, average) in base_lots.items():
            closed = lots - recorded[leg]
            if closed > 0:
                snapshots.append(
                    m.OrderSnapshot(
                        client_order_id=f"base-{leg}",
                        leg=leg,
                        direction="sell" if directions[leg] == "sell" else "buy",
                        lots=closed,
                        status="filled",
                        lots_executed=closed,
                        average_price=average,
                    )
                )
        return snapshots

    async def _cleanup(self, feeds: list[BookFeed], finish: m.Finish) -> None:
        ctx = self.ctx
        machine = self.machine
        # an interrupted job (crash, registry time-out) must not leave a far order behind
        if machine is not None and machine.finished is None:
            far = machine.far_order()
            order = self._orders.get(far.client_order_id) if far is not None else None
            if order is not None and not order.is_final:
                with contextlib.suppress(Exception):
                    await self.desk.cancel(order, job_id=self.job.job_id)
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for feed in feeds:
            await ctx.feeds.release(feed)
        if machine is not None and machine.finished is None and machine.unhedged_pieces() != 0:
            # interrupted with the legs out of balance: the owner must know (a restart of the
            # job hedges it: resume_spreads picks unbalanced spreads up)
            await ctx.notify(
                events.Alert(
                    job_id=self.job.job_id,
                    at=ctx.clock.now(),
                    reason_key=m.LEFT_UNHEDGED,
                    params={
                        "ticker": self.spread.near.ticker,
                        "pieces": str(machine.unhedged_pieces()),
                    },
                )
            )
        await self._finished(finish)

    async def _finished(self, finish: m.Finish) -> None:
        ctx, job, machine = self.ctx, self.job, self.machine
        if finish.outcome == "done":
            ctx.recorder.set_task_active("spread", self.spread.id, False)
        elif finish.reason_key == m.FAR_REFUSED and self._refused_for_good is not None:
            # /spreads must not start it again to be refused again; the admin shows why
            ctx.recorder.set_task_active(
                "spread", self.spread.id, False, reason=self._refused_for_good
            )
        executed = machine.executed("far") if machine else self.spread.far_executed
        await ctx.notify(
            events.JobFinished(
                job_id=job.job_id,
                at=ctx.clock.now(),
                kind="spread",
                title=self.title,
                outcome=finish.outcome,
                executed=executed,
                amount=self.spread.amount,
                average_price=machine.average("far") if machine else self.spread.far_average,
                reason_key=finish.reason_key,
                params=finish.params,
                average_spread=machine.average_spread() if machine else self.spread.average_spread,
            )
        )


def start_spread(
    registry: JobRegistry,
    ctx: EngineContext,
    spread: Spread,
    settings: TradingSettings,
    *,
    tuning: SpreadTuning | None = None,
    read_session: SessionReader | None = None,
    on_end: Callable[[Job], None] | None = None,
    on_run: Callable[[SpreadRun], None] | None = None,
    order_events: OrderEventRouter | None = None,
) -> Job:
    """Start one spread job in the registry (UserError 'job_already_running' if it runs).
    `on_run` receives the SpreadRun (e.g. to route order-state stream events to
    `SpreadRun.order_event`); `on_end` is called when the job ends."""

    async def run(job: Job) -> None:
        try:
            spread_run = SpreadRun(
                ctx,
                spread,
                job,
                settings,
                tuning=tuning,
                read_session=read_session,
                order_events=order_events,
            )
            if on_run is not None:
                on_run(spread_run)
            await spread_run.run()
        finally:
            if on_end is not None:
                on_end(job)

    return registry.start(
        key=spread_key(spread),
        kind="spread",
        title=spread_title(spread),
        amount=spread.amount,
        started_at=ctx.clock.now(),
        run=run,
        task_id=spread.id,
    )


async def resume_spreads(
    registry: JobRegistry,
    ctx: EngineContext,
    spreads: Sequence[Spread],
    settings: TradingSettings,
    *,
    running: set[int] | None = None,
    tuning: SpreadTuning | None = None,
    order_events: OrderEventRouter | None = None,
) -> list[Job]:
    """After a restart: resume the active spreads that were running (`running` ids) or still
    have open orders (each job reconciles its legs and hedges any imbalance first)."""
    resumed: list[Job] = []
    for spread in spreads:
        was_running = running is not None and spread.id in running
        if not was_running and not spread.open_orders and not _unbalanced(spread):
            continue
        if registry.running_key(spread_key(spread)) is not None:
            continue
        try:
            job = start_spread(
                registry, ctx, spread, settings, tuning=tuning, order_events=order_events
            )
        except UserError as exc:  # started meanwhile (a race with /spread): go on with the rest
            log.warning("spread %s not resumed: %s", spread.id, exc)
            continue
        resumed.append(job)
    return resumed


def _unbalanced(spread: Spread) -> bool:
    """True when the Base's per-leg totals say the near leg is not hedged."""
    try:
        config = spread_config(spread)
    except SpreadError:
        return False
    target = hedge_target_pieces(spread.far_executed, config.ratio, config.near.lot)
    return target != spread.near_executed
