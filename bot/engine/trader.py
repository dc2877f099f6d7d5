"""`Engine`: the Trader the Telegram layer and the console talk to (bot.engine.interface).

    engine = Engine(broker_client, base_client, notifier, account_id=..., mode="paper",
                    state_dir=Path("var/bot"))
    await engine.start()   # flush the local journal, reconcile and resume unfinished jobs,
                           # schedule the daily catalogue refresh
    ...
    await engine.close()   # stop every job cleanly (live orders cancelled), flush, release

Commands that start trading need the Base (UserError('base_unavailable') otherwise); `stop` and
`jobs` work without it.

Spreads (bot.engine.spreads): `start_spreads_all` (/spreads) and `spread_prices` (/sprices);
`start` resumes the spreads that were running, have open orders or unbalanced legs; `stop` and
`close` give spread jobs `spread_stop_timeout` seconds to leave their legs hedged. One
order-state stream per engine (when the broker has one) feeds both the sell/buy jobs' watcher
and the spread jobs' OrderEventRouter.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from datetime import datetime, timedelta
from datetime import time as dt_time
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, cast

from bot.base_client.api import BaseApi
from bot.base_client.errors import BaseUnavailable
from bot.broker import errors as broker_errors
from bot.broker.client import TInvestClient
from bot.broker.types import OrderState
from bot.engine import events, text_keys
from bot.engine.broker_port import BrokerPort
from bot.engine.catalogue import catalogue_payload
from bot.engine.clock import Clock, SystemClock, sleep_until
from bot.engine.context import EngineContext
from bot.engine.interface import (
    CatalogueUpdate,
    ComponentHealth,
    Health,
    JobInfo,
    Notifier,
    SellBuyOrder,
    SpreadQuote,
    UserError,
)
from bot.engine.jobs import JobRegistry
from bot.engine.journal import Journal
from bot.engine.market import BookFeeds
from bot.engine.options import EngineOptions
from bot.engine.order_watch import OrderWatcher
from bot.engine.orders import CancelNotConfirmed, OrderDesk, TrackedOrder
from bot.engine.recorder import BaseRecorder
from bot.engine.running import RunningFile
from bot.engine.scanners.desk import ScanDesk
from bot.engine.scanners.report import DividendReport, ScanReport
from bot.engine.sellbuy.desk import SellBuyDesk, broker_refusal
from bot.engine.sessions import MOSCOW, SessionCalendar
from bot.engine.spreads.desk import SpreadDesk
from bot.engine.spreads.legs import SpreadTuning
from bot.engine.spreads.order_events import OrderEventRouter
from bot.engine.spreads.prices import engine_spread_prices
from bot.engine.startup import StartGate
from bot.engine.stops.desk import StopsBase, StopsDesk, StopsTuning
from bot.engine.tape.policy import TapeOptions
from bot.engine.tape.service import TapeService
from bot.engine.tape.whatif import WhatIfResult
from bot.engine.tinvest_port import TInvestPort
from bot.engine.views.desk import ViewsDesk

log = logging.getLogger(__name__)

# /stop and shutdown wait this long for spread jobs: a job being stopped first completes (and
# retries) the hedge of its last far fill, so the position is left neutral
SPREAD_STOP_TIMEOUT = 120.0


def as_port(broker: TInvestClient | BrokerPort) -> BrokerPort:
    if isinstance(broker, BrokerPort):
        return broker
    return TInvestPort(broker)


class Engine:
    """Implements bot.engine.interface.Trader.

    `broker` is the T-Invest client (bot.broker.client.TInvestClient) or any
    bot.engine.broker_port.BrokerPort. `state_dir` holds the local journal of Base records and
    the list of running jobs; None keeps them in memory (tests only: a crash would lose them).
    """

    def __init__(
        self,
        broker: TInvestClient | BrokerPort,
        base: BaseApi,
        notifier: Notifier,
        *,
        account_id: str,
        mode: Literal["paper", "live"],
        clock: Clock | None = None,
        state_dir: Path | None = None,
        options: EngineOptions | None = None,
        spread_tuning: SpreadTuning | None = None,
        spread_stop_timeout: float = SPREAD_STOP_TIMEOUT,
        tape: TapeOptions | None = None,
        stops_tuning: StopsTuning | None = None,
    ) -> None:
        self._broker = as_port(broker)
        self._base = base
        self._notifier = notifier
        self._account_id = account_id
        self._mode: Literal["paper", "live"] = mode
        self._clock: Clock = clock or SystemClock()
        self._state_dir = state_dir
        self._options = options or EngineOptions()
        self._journal = Journal(state_dir, fsync=self._options.journal_fsync)
        self._recorder = BaseRecorder(
            base,
            self._journal,
            notifier,
            self._clock,
            retry_initial=self._options.base_retry_initial,
            retry_max=self._options.base_retry_max,
            probe_interval=self._options.base_probe_interval,
        )
        self._registry = JobRegistry(
            stop_timeout=self._options.stop_timeout, settle=self._recorder_settled
        )
        self._gate = StartGate(self._recorder)
        self._feeds = BookFeeds(
            self._broker,
            depth=self._options.book_depth,
            poll_interval=self._options.poll_interval,
            clock=self._clock,
        )
        self._orders = OrderWatcher(self._broker, account_id)
        self._ctx = EngineContext(
            broker=self._broker,
            desk=OrderDesk(
                self._broker,
                self._recorder,
                notifier,
                self._clock,
                self._options,
                account_id=account_id,
            ),
            recorder=self._recorder,
            calendar=SessionCalendar(self._broker, self._clock),
            feeds=self._feeds,
            orders=self._orders,
            notifier=notifier,
            clock=self._clock,
            options=self._options,
            account_id=account_id,
        )
        self.scanners = ScanDesk(
            self._broker, base, self._clock, on_base_down=self._recorder.mark_down
        )
        self._hook_rate_limits(broker)
        # the market recorder (bot.engine.tape) and /whatif
        self.tape = TapeService(broker, base, state_dir, tape)
        # /stops, /shorts, /nuke, /cancel, /stash, /restore and stop activations
        self.stops = StopsDesk(
            self._ctx,
            cast(StopsBase, base),
            self._registry,
            stop_jobs=self.stop,
            limiter=getattr(broker, "limiter", None),
            state_dir=state_dir,
            tuning=stops_tuning,
            base_down=lambda: self._recorder.is_down,
        )
        self._spread_tuning = spread_tuning
        self._spread_stop_timeout = spread_stop_timeout
        # one order-state stream per engine: it feeds the sell/buy jobs' watcher and the spreads
        self._order_events = OrderEventRouter()
        self._running = RunningFile(state_dir)
        self.sellbuy = SellBuyDesk(
            self._ctx,
            base,
            self._registry,
            self._gate,
            self._running,
            closing=lambda: self._closed,
        )
        self.spreads = SpreadDesk(
            self._ctx,
            base,
            self._registry,
            self._gate,
            self._running,
            tuning=spread_tuning,
            order_events=self._order_events,
            closing=lambda: self._closed,
        )
        self.views = ViewsDesk(self._ctx, base, self._registry)  # /portfolio /orders /stats /chart
        self._background: list[asyncio.Task[None]] = []
        self._started = False
        self._closed = False

    def _recorder_settled(self) -> Callable[[], Coroutine[Any, Any, None]]:
        """What a job's key waits for when the job ends: its records in the Base."""
        mark = self._recorder.mark()
        return lambda: self._recorder.wait_flushed_through(mark)

    def _hook_rate_limits(self, broker: object) -> None:
        """Report the broker client's long rate-limit waits as RateLimitWait events (unless the
        application already set its own hook)."""
        limiter = getattr(broker, "limiter", None)
        if limiter is None or getattr(limiter, "on_wait", None) is not None:
            return

        def on_wait(method: str, seconds: float) -> None:
            event = events.RateLimitWait(
                job_id=None, at=self._clock.now(), method=method, seconds=seconds
            )
            with contextlib.suppress(RuntimeError):  # no running loop: nothing to tell
                asyncio.get_running_loop().create_task(self._ctx.notify(event))

        limiter.on_wait = on_wait

    # -- life cycle -----------------------------------------------------------------------

    @property
    def recorder(self) -> BaseRecorder:
        return self._recorder

    async def start(self) -> None:
        """Flush what the journal owes the Base, reconcile unfinished jobs with the broker and
        resume them, and schedule the daily catalogue refresh. With the Base down, the
        reconciliation runs in the background as soon as it is back."""
        if self._started:
            return
        self._started = True
        self._recorder.start()
        self.tape.start()
        await self.stops.start()
        if self._broker.has_order_stream:
            self._spawn(self._order_events.run(self._order_stream), "order-events")
        if self._options.catalogue_refresh_at is not None:
            self._spawn(self._daily_refresh(), "catalogue-refresh")
        self.views.start(self._spawn)
        try:
            await asyncio.wait_for(self._recorder.wait_flushed(), self._options.stop_timeout)
            await self._reconcile()
            self._gate.open()
        except (TimeoutError, BaseUnavailable):
            log.warning("Base unavailable at start; reconciling when it is back")
            self._recorder.mark_down()
            self._spawn(self._reconcile_later(), "reconcile")

    async def _reconcile_later(self) -> None:
        while True:
            await self._recorder.wait_up()
            await self._recorder.wait_flushed()
            try:
                await self._reconcile()
                self._gate.open()
                return
            except BaseUnavailable:
                self._recorder.mark_down()
                await self._clock.sleep(self._options.base_retry_max)

    async def _reconcile(self) -> None:
        """Resume the sell/buy tasks and spreads that were running (or still have open orders),
        then settle the orders of tasks switched off meanwhile."""
        tasks = await self._base.active_tasks()
        settings = await self._base.settings()
        resumed = await self.sellbuy.resume(tasks.sellbuy, settings)
        if resumed:
            log.info("resumed %d sell/buy job(s) after a restart", resumed)
        resumed = await self.spreads.resume(tasks.spreads, settings)
        if resumed:
            log.info("resumed %d spread job(s) after a restart", resumed)
        await self._settle_orphans({t.id for t in tasks.sellbuy}, {s.id for s in tasks.spreads})

    async def _settle_orphans(
        self, active_task_ids: set[int], active_spread_ids: set[int] | None = None
    ) -> None:
        """Open orders of sell/buy tasks that are no longer active (deactivated while the bot
        was away): learn their fate from the broker, record their fills, cancel what still
        lives. Nobody watches them otherwise."""
        records = await self._base.open_orders("sellbuy")
        orphans = [r for r in records if r.task_id not in active_task_ids]
        if active_spread_ids is not None:  # and of spreads switched off meanwhile
            spread_records = await self._base.open_orders("spread")
            orphans += [r for r in spread_records if r.task_id not in active_spread_ids]
        fills_found = 0
        desk = self._ctx.desk
        for record in orphans:
            try:
                instrument = await self._base.instrument(record.instrument)
                order = TrackedOrder.from_record(
                    record, instrument, lots_executed=record.lots_executed
                )
                fills_found += len(await desk.sync(order))
                if order.broker_order_id is None and order.status in ("prepared", "unknown"):
                    desk.mark_not_sent(order)
                elif not order.is_final:
                    fills_found += len(await desk.cancel(order))
            except (broker_errors.BrokerError, CancelNotConfirmed) as exc:
                log.error("could not settle order %s: %s", record.client_order_id, exc)
        if orphans:
            await self._ctx.notify(
                events.Alert(
                    job_id=None,
                    at=self._clock.now(),
                    reason_key=text_keys.RECONCILED,
                    params={"orders": str(len(orphans)), "fills": str(fills_found)},
                )
            )

    async def close(self) -> None:
        """Stop every job cleanly (live orders cancelled), flush the journal (bounded), release
        connections. Jobs stopped here are not resumed at the next start."""
        if self._closed:
            return
        self._closed = True
        await self.stop()
        await self.stops.close()
        for task in self._background:
            task.cancel()
        if self._background:
            await asyncio.wait(self._background, timeout=5.0)
        if not self._recorder.is_down:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._recorder.wait_flushed(), self._options.stop_timeout)
        await self._registry.close()
        await self._recorder.close()
        await self.tape.close()
        await self._orders.close()
        await self._feeds.close()

    def _spawn(self, coro: Coroutine[object, object, None], name: str) -> None:
        task = asyncio.create_task(coro, name=name)
        self._background.append(task)

    # -- queries --------------------------------------------------------------------------

    def jobs(self) -> list[JobInfo]:
        return [job.info() for job in self._registry.jobs()]

    async def health(self) -> Health:
        base = await self._base_health()
        broker = await self._broker_health()
        return Health(mode=self._mode, base=base, broker=broker, account_id=self._account_id)

    async def _base_health(self) -> ComponentHealth:
        started = time.perf_counter()
        try:
            result = await self._base.health()
        except BaseUnavailable as exc:
            return ComponentHealth(ok=False, latency_ms=None, detail=str(exc))
        latency = round((time.perf_counter() - started) * 1000, 1)
        detail = "" if result.ok else f"database: {result.database}"
        if self._recorder.pending:
            detail = (detail + f"; {self._recorder.pending} record(s) to flush").lstrip("; ")
        return ComponentHealth(ok=result.ok, latency_ms=latency, detail=detail)

    async def _broker_health(self) -> ComponentHealth:
        started = time.perf_counter()
        try:
            accounts = await self._broker.accounts()
        except broker_errors.BrokerError as exc:
            return ComponentHealth(ok=False, latency_ms=None, detail=exc.user_message())
        latency = round((time.perf_counter() - started) * 1000, 1)
        account = next((a for a in accounts if a.id == self._account_id), None)
        if account is None:
            return ComponentHealth(
                ok=False, latency_ms=latency, detail=f"account {self._account_id} not found"
            )
        if not account.can_trade:
            return ComponentHealth(
                ok=False,
                latency_ms=latency,
                detail=f"account {self._account_id}: {account.access_level.value}",
            )
        return ComponentHealth(ok=True, latency_ms=latency)

    # -- commands -------------------------------------------------------------------------

    async def stop(self, job_id: str | None = None) -> list[JobInfo]:
        """Every job is asked to stop at once; spread jobs get `spread_stop_timeout` to leave
        their legs hedged (a failing hedge is retried meanwhile) before the registry's own
        bounded stop cancels what is left."""
        if job_id is None:
            targets = self._registry.jobs()
        else:
            one = self._registry.get(job_id)
            if one is None:
                raise UserError(text_keys.JOB_NOT_FOUND, job_id=job_id)
            targets = [one]
        for job in targets:
            job.state = "stopping"
            job.stop_requested.set()
        infos = [job.info() for job in targets]
        spreads = [j.task for j in targets if j.kind == "spread" and j.task is not None]
        if spreads:
            await asyncio.wait(spreads, timeout=self._spread_stop_timeout)
        if job_id is None:
            await self._registry.stop()
        elif self._registry.get(job_id) is not None:
            await self._registry.stop(job_id)
        for info in infos:
            if info.task_id is not None and info.kind == "sellbuy":
                self._running.sellbuy.discard(info.task_id)
            if info.task_id is not None and info.kind == "spread":
                self._running.spread.discard(info.task_id)
        self._running.save()
        return infos

    async def wait_idle(self) -> None:
        await self._registry.wait_idle()

    async def start_sellbuy_all(self) -> list[JobInfo]:
        return await self.sellbuy.start_all()

    async def start_sellbuy(self, order: SellBuyOrder, *, allow_short: int = 0) -> JobInfo:
        return await self.sellbuy.start_one(order, allow_short=allow_short)

    async def start_dump(self, ticker: str, *, allow_spread_legs: int = 0) -> JobInfo:
        return await self.sellbuy.start_dump(ticker, allow_spread_legs=allow_spread_legs)

    async def start_spreads_all(self) -> list[JobInfo]:
        return await self.spreads.start_all()

    async def spread_prices(self) -> list[SpreadQuote]:
        self._gate.require_base()
        tasks = await self._gate.base_call(self._base.active_tasks())
        if not tasks.spreads:
            raise UserError(text_keys.NO_ACTIVE_SPREADS)
        try:
            return await engine_spread_prices(self._ctx, tasks.spreads)
        except broker_errors.BrokerError as exc:
            raise broker_refusal(exc) from exc

    async def scan(self, rate: Decimal | None = None) -> ScanReport:
        self._gate.require_base()
        return await self.scanners.scan(rate)

    async def dividend_scan(self, top: int = 50) -> DividendReport:
        self._gate.require_base()
        return await self.scanners.dividend_scan(top)

    async def whatif(self, spread_id: int, target: Decimal, days: int = 1) -> WhatIfResult:
        return await self.tape.whatif(spread_id, target, days)

    async def update_catalogue(self) -> CatalogueUpdate:
        self._gate.require_base()
        try:
            instruments = await self._broker.instruments()
        except broker_errors.BrokerError as exc:
            raise broker_refusal(exc) from exc
        payload, counts = catalogue_payload(instruments)
        if not payload:
            raise UserError(text_keys.CATALOGUE_EMPTY)
        result = await self._gate.base_call(self._base.sync_instruments(payload, complete=True))
        return CatalogueUpdate(
            created=result.created,
            updated=result.updated,
            deactivated=result.deactivated,
            unchanged=result.unchanged,
            details=counts,
        )

    async def _daily_refresh(self) -> None:
        at = self._options.catalogue_refresh_at
        assert at is not None
        while True:
            await sleep_until(self._clock, next_local_time(self._clock.now(), at))
            try:
                result = await self.update_catalogue()
                log.info("catalogue refreshed: %s", result)
            except (UserError, Exception) as exc:
                log.warning("daily catalogue refresh failed: %s", exc)
                message = exc.key if isinstance(exc, UserError) else str(exc)
                await self._ctx.notify(
                    events.Alert(
                        job_id=None,
                        at=self._clock.now(),
                        reason_key=text_keys.CATALOGUE_FAILED,
                        params={"message": message},
                    )
                )
            await self._clock.sleep(60)

    # -- helpers --------------------------------------------------------------------------

    def _order_stream(self) -> AsyncIterator[OrderState]:
        """The account's order states, each also given to the sell/buy jobs' watcher."""
        return _Tee(self._broker.order_states(self._account_id), self._orders.put)


class _Tee:
    """An async iterator passing each item to `also` on its way (one stream, two readers)."""

    def __init__(self, inner: AsyncIterator[OrderState], also: Callable[[OrderState], None]):
        self._inner = inner
        self._also = also

    def __aiter__(self) -> _Tee:
        return self

    async def __anext__(self) -> OrderState:
        state = await self._inner.__anext__()
        self._also(state)
        return state

    async def close(self) -> None:
        closer: Any = getattr(self._inner, "aclose", None)
        if closer is not None:
            await closer()


def next_local_time(now: datetime, at: dt_time) -> datetime:
    """The next moment (UTC) when Moscow wall-clock time is `at` (a datetime.time)."""
    local = now.astimezone(MOSCOW)
    candidate = datetime.combine(local.date(), at, MOSCOW)
    if candidate <= local:
        candidate += timedelta(days=1)
    return candidate.astimezone(now.tzinfo)
