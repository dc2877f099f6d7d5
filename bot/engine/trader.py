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
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from datetime import datetime, timedelta
from datetime import time as dt_time
from decimal import ROUND_FLOOR, Decimal
from pathlib import Path
from typing import Any, Literal, TypeVar, cast

from bot.base_client.api import BaseApi
from bot.base_client.errors import BaseRejected, BaseUnavailable
from bot.base_client.types import Instrument, SellBuyTask, Spread, TradingSettings
from bot.broker import errors as broker_errors
from bot.broker.client import TInvestClient
from bot.broker.types import OrderState, Positions
from bot.engine import events, risk, text_keys
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
from bot.engine.jobs import Job, JobRegistry
from bot.engine.journal import Journal
from bot.engine.market import BookFeeds
from bot.engine.options import EngineOptions
from bot.engine.order_watch import OrderWatcher
from bot.engine.orders import CancelNotConfirmed, OrderDesk, TrackedOrder
from bot.engine.recorder import BaseRecorder
from bot.engine.scanners.desk import ScanDesk
from bot.engine.scanners.report import DividendReport, ScanReport
from bot.engine.sellbuy import SellBuyRun, SellBuySpec, passive_price
from bot.engine.sessions import MOSCOW, SessionCalendar
from bot.engine.spreads import job as spread_job
from bot.engine.spreads.legs import SpreadTuning
from bot.engine.spreads.order_events import OrderEventRouter
from bot.engine.spreads.prices import engine_spread_prices
from bot.engine.stops.desk import StopsBase, StopsDesk, StopsTuning
from bot.engine.tape.policy import TapeOptions
from bot.engine.tape.service import TapeService
from bot.engine.tape.whatif import WhatIfResult
from bot.engine.tinvest_port import TInvestPort
from bot.engine.views.desk import ViewsDesk

log = logging.getLogger(__name__)

RUNNING_FILE = "running.json"
# /stop and shutdown wait this long for spread jobs: a job being stopped first completes (and
# retries) the hedge of its last far fill, so the position is left neutral
SPREAD_STOP_TIMEOUT = 120.0
T = TypeVar("T")


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
        self._registry = JobRegistry(stop_timeout=self._options.stop_timeout)
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
        self._running_tasks: set[int] = self._load_running()
        self._running_spreads: set[int] = self._load_running("spread")
        self.views = ViewsDesk(self._ctx, base, self._registry)  # /portfolio /orders /stats /chart
        self._background: list[asyncio.Task[None]] = []
        self._started = False
        self._closed = False

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
                return
            except BaseUnavailable:
                self._recorder.mark_down()
                await self._clock.sleep(self._options.base_retry_max)

    async def _reconcile(self) -> None:
        """Resume the sell/buy tasks that were running (or still have open orders): each job
        first learns the fate of its open orders from the broker and records missed fills."""
        tasks = await self._base.active_tasks()
        settings = await self._base.settings()
        resumed = 0
        to_resume = [
            task for task in tasks.sellbuy if task.id in self._running_tasks or task.open_orders
        ]
        positions: Positions | None = None
        if to_resume:
            try:
                positions = await self._positions()  # one read for every task resumed
            except UserError:  # the broker did not answer: resume anyway, risk from zero
                log.warning("no positions at start; assuming none")
        for task in to_resume:
            if self._registry.running_key(f"sellbuy:{task.id}") is not None:
                continue
            position = 0 if positions is None else _balance(positions, task.instrument)
            try:
                self._start_task(task, settings, position)
            except UserError as exc:  # started meanwhile (a race with /sellbuy): go on
                log.warning("sell/buy task %s not resumed: %s", task.id, exc)
                continue
            resumed += 1
        forgotten = self._running_tasks - {t.id for t in tasks.sellbuy}
        for task_id in forgotten:
            self._running_tasks.discard(task_id)
        self._save_running()
        if resumed:
            log.info("resumed %d sell/buy job(s) after a restart", resumed)
        await self._resume_spreads(tasks.spreads, settings)
        await self._settle_orphans({t.id for t in tasks.sellbuy}, {s.id for s in tasks.spreads})

    async def _resume_spreads(self, spreads: Sequence[Spread], settings: TradingSettings) -> None:
        """Resume the spreads that were running, have open orders or unbalanced legs: each job
        adopts its open orders and hedges any imbalance before trading on."""
        jobs = await spread_job.resume_spreads(
            self._registry,
            self._ctx,
            spreads,
            settings,
            running=set(self._running_spreads),
            tuning=self._spread_tuning,
            order_events=self._order_events,
        )
        for job in jobs:
            self._track_spread(job)
        self._running_spreads &= {s.id for s in spreads}
        self._save_running()
        if jobs:
            log.info("resumed %d spread job(s) after a restart", len(jobs))

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
                self._running_tasks.discard(info.task_id)
            if info.task_id is not None and info.kind == "spread":
                self._running_spreads.discard(info.task_id)
        self._save_running()
        return infos

    async def wait_idle(self) -> None:
        await self._registry.wait_idle()

    async def start_sellbuy_all(self) -> list[JobInfo]:
        self._require_base()
        tasks = await self._base_call(self._base.active_tasks())
        settings = await self._base_call(self._base.settings())
        if not tasks.sellbuy:
            raise UserError(text_keys.NO_ACTIVE_TASKS)
        # one positions read for all tasks, before any starts: a broker failure then refuses the
        # command as a whole instead of leaving jobs running that the reply never names
        positions = await self._positions()
        started: list[JobInfo] = []
        for task in tasks.sellbuy:
            if self._registry.running_key(f"sellbuy:{task.id}") is not None:
                continue
            position = _balance(positions, task.instrument)
            started.append(self._start_task(task, settings, position).info())
        return started

    async def start_sellbuy(self, order: SellBuyOrder) -> JobInfo:
        self._require_base()
        instrument = await self._instrument(order.ticker)
        self._check_tradable(instrument, order.direction)
        if order.limit_price is not None:
            increment = instrument.min_price_increment
            if order.limit_price <= 0 or (increment > 0 and order.limit_price % increment != 0):
                raise UserError(
                    text_keys.BAD_LIMIT_PRICE,
                    ticker=instrument.ticker,
                    price=order.limit_price,
                    increment=increment,
                )
        price = await self._reference_price(instrument, order.direction, order.limit_price)
        lot = instrument.lot
        if order.money is not None:
            if order.money <= 0:
                raise UserError(text_keys.NOT_POSITIVE, ticker=instrument.ticker)
            lot_price = risk.piece_value(instrument, price) * lot
            lots = int((order.money / lot_price).to_integral_value(rounding=ROUND_FLOOR))
            if lots < 1:
                raise UserError(
                    text_keys.SUM_BELOW_LOT,
                    ticker=instrument.ticker,
                    sum=order.money,
                    lot=lot,
                    lot_price=lot_price.quantize(Decimal("0.01")),
                )
            amount = lots * lot
        else:
            amount = order.amount or 0
            if amount <= 0:
                raise UserError(text_keys.NOT_POSITIVE, ticker=instrument.ticker)
            if amount % lot:
                raise UserError(
                    text_keys.NOT_WHOLE_LOTS, ticker=instrument.ticker, amount=amount, lot=lot
                )
        settings = await self._base_call(self._base.settings())
        position = await self._position(instrument)
        covered = self._check_short(instrument, order.direction, amount, position)
        self._check_risk(settings, instrument, price, amount, order.direction, position)
        task = await self._base_call(
            self._base.create_sellbuy(
                instrument_id=instrument.id,
                direction=order.direction,
                amount=amount,
                limit_price=order.limit_price,
                covered=covered,
            )
        )
        return self._start_task(task, settings, position).info()

    async def start_dump(self, ticker: str) -> JobInfo:
        self._require_base()
        instrument = await self._instrument(ticker)
        position = await self._position(instrument)
        amount = abs(position) - abs(position) % instrument.lot
        if amount <= 0:
            raise UserError(text_keys.NO_POSITION, ticker=instrument.ticker)
        direction: Literal["buy", "sell"] = "sell" if position > 0 else "buy"
        self._check_tradable(instrument, direction)
        price = await self._reference_price(instrument, direction, None)
        settings = await self._base_call(self._base.settings())
        self._check_risk(settings, instrument, price, amount, direction, position)
        task = await self._base_call(
            self._base.create_sellbuy(
                instrument_id=instrument.id,
                direction=direction,
                amount=amount,
                limit_price=None,
                covered=direction == "sell",  # closing a long: the position covers the sale
            )
        )
        return self._start_task(task, settings, position).info()

    async def start_spreads_all(self) -> list[JobInfo]:
        self._require_base()
        infos = await self._base_call(
            spread_job.start_spreads_all(
                self._registry,
                self._ctx,
                self._base,
                tuning=self._spread_tuning,
                order_events=self._order_events,
            )
        )
        for info in infos:
            job = self._registry.get(info.job_id)
            if job is not None:
                self._track_spread(job)
        return infos

    async def spread_prices(self) -> list[SpreadQuote]:
        self._require_base()
        tasks = await self._base_call(self._base.active_tasks())
        if not tasks.spreads:
            raise UserError(text_keys.NO_ACTIVE_SPREADS)
        try:
            return await engine_spread_prices(self._ctx, tasks.spreads)
        except broker_errors.BrokerError as exc:
            raise UserError(
                text_keys.BROKER_ERROR, message=exc.user_message(), code=exc.api_code or ""
            ) from exc

    async def scan(self, rate: Decimal | None = None) -> ScanReport:
        self._require_base()
        return await self.scanners.scan(rate)

    async def dividend_scan(self, top: int = 50) -> DividendReport:
        self._require_base()
        return await self.scanners.dividend_scan(top)

    async def whatif(self, spread_id: int, target: Decimal, days: int = 1) -> WhatIfResult:
        return await self.tape.whatif(spread_id, target, days)

    async def update_catalogue(self) -> CatalogueUpdate:
        self._require_base()
        try:
            instruments = await self._broker.instruments()
        except broker_errors.BrokerError as exc:
            raise UserError(
                text_keys.BROKER_ERROR, message=exc.user_message(), code=exc.api_code or ""
            ) from exc
        payload, counts = catalogue_payload(instruments)
        if not payload:
            raise UserError(text_keys.CATALOGUE_EMPTY)
        result = await self._base_call(self._base.sync_instruments(payload, complete=True))
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

    def _start_task(self, task: SellBuyTask, settings: TradingSettings, position: int) -> Job:
        spec = SellBuySpec(
            task_id=task.id,
            instrument=task.instrument,
            direction=task.direction,
            amount=task.amount,
            limit_price=task.limit_price,
            executed=task.executed,
            average_price=task.average_price,
            open_orders=task.open_orders,
            start_position=position,
        )

        async def run(job: Job) -> None:
            try:
                await SellBuyRun(self._ctx, spec, job, settings).run()
            finally:
                if not job.stopping or self._closed:
                    # finished on its own (or engine shutdown): no longer to resume
                    self._running_tasks.discard(task.id)
                    self._save_running()

        job = self._registry.start(
            key=spec.key,
            kind="sellbuy",
            title=spec.title,
            amount=spec.amount,
            started_at=self._clock.now(),
            run=run,
            task_id=task.id,
        )
        self._running_tasks.add(task.id)
        self._save_running()
        return job

    def _track_spread(self, job: Job) -> None:
        """Remember a running spread (resumed after a crash) until it ends on its own."""
        if job.task_id is None or job.task is None:
            return
        spread_id = job.task_id
        self._running_spreads.add(spread_id)
        self._save_running()

        def ended(_task: object) -> None:
            if not job.stopping or self._closed:
                self._running_spreads.discard(spread_id)
                self._save_running()

        job.task.add_done_callback(ended)

    def _order_stream(self) -> AsyncIterator[OrderState]:
        """The account's order states, each also given to the sell/buy jobs' watcher."""
        return _Tee(self._broker.order_states(self._account_id), self._orders.put)

    def _require_base(self) -> None:
        if self._recorder.is_down:
            raise UserError(text_keys.BASE_UNAVAILABLE)

    async def _base_call(self, call: Awaitable[T]) -> T:
        try:
            return await call
        except BaseUnavailable as exc:
            self._recorder.mark_down()
            raise UserError(text_keys.BASE_UNAVAILABLE) from exc
        except BaseRejected as exc:
            raise UserError(text_keys.BASE_REJECTED, message=exc.message) from exc

    async def _instrument(self, ticker: str) -> Instrument:
        name = ticker.strip().upper()
        instrument = await self._base_call(self._base.instrument_by_ticker(name))
        if instrument is None or not instrument.active:
            raise UserError(text_keys.UNKNOWN_TICKER, ticker=name)
        return instrument

    @staticmethod
    def _check_short(instrument: Instrument, direction: str, amount: int, position: int) -> bool:
        """Whether a sale is covered by the long position; refuse an uncovered sale of a share
        that cannot be shorted (futures can always be sold)."""
        if direction != "sell":
            return False
        covered = position >= amount
        if not covered and instrument.kind == "share" and not instrument.short_enabled:
            raise UserError(
                text_keys.NOT_SHORTABLE,
                ticker=instrument.ticker,
                amount=amount,
                position=max(position, 0),
            )
        return covered

    @staticmethod
    def _check_tradable(instrument: Instrument, direction: str) -> None:
        allowed = instrument.api_trade_available and (
            instrument.buy_available if direction == "buy" else instrument.sell_available
        )
        if not allowed:
            raise UserError(text_keys.NOT_TRADABLE, ticker=instrument.ticker)

    async def _reference_price(
        self, instrument: Instrument, direction: Literal["buy", "sell"], limit: Decimal | None
    ) -> Decimal:
        try:
            book = await self._broker.order_book(instrument.uid or instrument.figi, 1)
        except broker_errors.BrokerError as exc:
            raise UserError(
                text_keys.BROKER_ERROR, message=exc.user_message(), code=exc.api_code or ""
            ) from exc
        price = passive_price(book, direction, limit)
        if price is None:
            price = book.last_price
        if price is None or price <= 0:
            raise UserError(text_keys.NO_PRICE, ticker=instrument.ticker)
        return price

    async def _position(self, instrument: Instrument) -> int:
        return _balance(await self._positions(), instrument)

    async def _positions(self) -> Positions:
        try:
            return await self._broker.positions(account_id=self._account_id)
        except broker_errors.BrokerError as exc:
            raise UserError(
                text_keys.BROKER_ERROR, message=exc.user_message(), code=exc.api_code or ""
            ) from exc

    @staticmethod
    def _check_risk(
        settings: TradingSettings,
        instrument: Instrument,
        price: Decimal,
        amount: int,
        direction: str,
        position: int,
    ) -> None:
        after = position + (amount if direction == "buy" else -amount)
        refusal = risk.check_order(
            settings, instrument, price=price, pieces=amount, position_after=after
        )
        if refusal is not None:
            raise UserError(refusal.key, **refusal.params)

    # -- running jobs file (resumed after a crash) --------------------------------------------

    def _load_running(self, kind: str = "sellbuy") -> set[int]:
        if self._state_dir is None:
            return set()
        path = self._state_dir / RUNNING_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return set()
        return {int(x) for x in data.get(kind, [])}

    def _save_running(self) -> None:
        if self._state_dir is None:
            return
        self._state_dir.mkdir(parents=True, exist_ok=True)
        path = self._state_dir / RUNNING_FILE
        tmp = path.with_suffix(".tmp")
        running = {"sellbuy": sorted(self._running_tasks), "spread": sorted(self._running_spreads)}
        tmp.write_text(json.dumps(running), encoding="utf-8")
        tmp.replace(path)


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


def _balance(positions: Positions, instrument: Instrument) -> int:
    """The instrument's position in pieces (found by uid, else by figi)."""
    return positions.balance(instrument.uid) or positions.balance(instrument.figi)


def next_local_time(now: datetime, at: dt_time) -> datetime:
    """The next moment (UTC) when Moscow wall-clock time is `at` (a datetime.time)."""
    local = now.astimezone(MOSCOW)
    candidate = datetime.combine(local.date(), at, MOSCOW)
    if candidate <= local:
        candidate += timedelta(days=1)
    return candidate.astimezone(now.tzinfo)
