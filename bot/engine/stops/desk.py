"""`StopsDesk`: the stop-order commands' driver (the Engine composes one as `engine.stops`).

Each bulk command is planned first (`plan_bulk`, `plan_nuke`, `plan_restore`, `plan_cancel`:
nothing sent), shown to the owner, confirmed where needed, then run as a job (`run`,
`run_cancel`) through the bulk executor: ids "B1", "B2"... in /tasks, stopped by /stop.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, Protocol

from bot.base_client.errors import BaseRejected, BaseUnavailable
from bot.base_client.types import Instrument, NewOrder, OrderUpdate, TradingSettings, UpdateStatus
from bot.broker import errors as broker_errors
from bot.broker import ratelimit
from bot.broker.client import DUPLICATE_ORDER_CODE
from bot.broker.types import LastPrice, OrderState, StopOrder, StopOrderStatus, StopOrderType
from bot.engine import events, text_keys
from bot.engine.bulk import BulkResult, BulkRun, BulkStatus, ItemFailed
from bot.engine.context import EngineContext
from bot.engine.interface import JobInfo, UserError
from bot.engine.jobs import Job, JobRegistry
from bot.engine.sessions import HOLIDAYS, MOSCOW
from bot.engine.stops import plan as core
from bot.engine.stops.ledger import Prepared, StopLedger
from bot.engine.stops.plan import (
    CancelPlan,
    PlanKind,
    PlannedStop,
    Skipped,
    StashResult,
    StopPlan,
)
from bot.engine.stops.watch import ActivationWatcher

log = logging.getLogger(__name__)

STOP_SERVICE = ("StopOrdersService", "PostStopOrder")
CANCEL_ORDER = ("OrdersService", "CancelOrder")
PRIORITIES: dict[str, int] = {
    "cancel": ratelimit.PRIORITY_CANCEL,
    "nuke": ratelimit.PRIORITY_NUKE,
    "restore": ratelimit.PRIORITY_RESTORE,
    "stops": ratelimit.PRIORITY_STOPS,
    "shorts": ratelimit.PRIORITY_SHORTS,
}
TYPES = {
    "take_profit": StopOrderType.TAKE_PROFIT,
    "stop_loss": StopOrderType.STOP_LOSS,
    "stop_limit": StopOrderType.STOP_LIMIT,
}
KINDS = {wire: kind for kind, wire in TYPES.items()}
# how far before an order was journaled a stop order created at the broker may be it (clocks)
LOOKUP_SLACK = timedelta(minutes=5)
# broker refusals that are final (anything else unknown is sent again with the same id)
FINAL = (
    broker_errors.InvalidArgument,
    broker_errors.FailedPrecondition,
    broker_errors.NotFound,
    broker_errors.PermissionDenied,
    broker_errors.Unauthenticated,
)


class StopsBase(Protocol):
    """What the stop commands read from (and write to) the Base."""

    async def settings(self) -> TradingSettings: ...

    async def stop_lists(self) -> dict[str, list[Instrument]]: ...

    async def stash(self) -> dict[str, Any]: ...

    async def put_stash(self, orders: list[dict[str, Any]]) -> dict[str, Any]: ...

    async def instrument(self, instrument_id: int) -> Instrument: ...

    async def instrument_by_ticker(self, ticker: str) -> Instrument | None: ...


class Estimator(Protocol):
    def estimate(self, service: str, method: str, calls: int) -> float: ...


@dataclass(frozen=True, slots=True)
class StopsTuning:
    concurrency: int = 16
    attempts: int = 6
    retry_pause: float = 0.5
    progress_interval: float = 3.0
    poll_interval: float = 30.0  # activation polling (GetStopOrders, background priority)


class StopsDesk:
    def __init__(
        self,
        ctx: EngineContext,
        base: StopsBase,
        registry: JobRegistry,
        *,
        stop_jobs: Callable[[], Awaitable[object]],
        limiter: Estimator | None = None,
        state_dir: Path | None = None,
        tuning: StopsTuning | None = None,
        base_down: Callable[[], bool] = lambda: False,
    ) -> None:
        self._ctx = ctx
        self._base = base
        self._registry = registry
        self._stop_jobs = stop_jobs
        self._limiter = limiter
        self._tuning = tuning or StopsTuning()
        self._ledger = StopLedger(state_dir, fsync=ctx.options.journal_fsync)
        self._ids = itertools.count(1)
        self._base_down = base_down
        # broker ids of the stop orders this process placed: an order found by content for an
        # unknown outcome is never one of these
        self._placed_ids: set[str] = set()
        self.watcher = ActivationWatcher(
            ctx,
            poll_interval=self._tuning.poll_interval,
            on_fired=self._fired,
            on_ended=self._ended,
        )

    # -- life cycle -----------------------------------------------------------------------

    async def start(self) -> list[JobInfo]:
        """Resume the stops a crash left unresolved (same client UUIDs), then watch activations.
        Those of a command the owner had stopped are looked for at the broker, never sent."""
        pending = self._ledger.pending()
        stopped = [item for item in pending if item.stopped]
        if stopped:
            await self._resolve_stopped(stopped)
        pending = [item for item in pending if not item.stopped]
        infos: list[JobInfo] = []
        by_plan: dict[PlanKind, list[Prepared]] = {}
        for item in pending:
            by_plan.setdefault(item.plan, []).append(item)
        for kind, items in by_plan.items():
            plan = StopPlan(kind=kind, orders=tuple(i.stop for i in items))
            infos.append(self._start_job(plan, items, resumed=True))
        self.watcher.start()
        return infos

    async def close(self) -> None:
        await self.watcher.close()

    async def _resolve_stopped(self, items: list[Prepared]) -> None:
        try:
            found = await self._find_placed(items)
        except broker_errors.BrokerError as exc:
            log.warning("stopped stop orders not resolved now (next start): %s", exc)
            return
        for item in items:
            order = found.get(item.client_id)
            if order is None:
                self._ledger.settle(item)
                self._update(item, "cancelled", message="not sent: the command was stopped")
            else:
                self._placed(item, order.stop_order_id)

    # -- estimates ------------------------------------------------------------------------

    def _seconds(self, service: tuple[str, str], calls: int) -> float:
        if self._limiter is not None:
            return self._limiter.estimate(service[0], service[1], calls)
        limit = 50 if service[0] == "StopOrdersService" else 100
        return max(calls - limit, 0) / limit * 60.0

    # -- plans ----------------------------------------------------------------------------

    async def plan_bulk(self, kind: Literal["stops", "shorts"]) -> StopPlan:
        """/stops or /shorts over the whitelist minus the blacklist; nothing is sent."""
        settings, lists = await self._read(self._settings_and_lists())
        black = "stop_blacklist" if kind == "stops" else "short_blacklist"
        banned = {i.uid for i in lists.get(black, [])}
        candidates = [
            i for i in lists.get("whitelist", []) if i.uid not in banned and i.kind == "share"
        ]
        if not candidates:
            raise UserError("stops.empty_whitelist")
        open_ones, closed = await self._open_for_stops(candidates)
        if not open_ones:
            raise UserError("stops.closed_today")
        prices = await self._prices([i.uid for i in open_ones])
        levels = settings.long_levels if kind == "stops" else settings.short_levels
        plan = core.bulk_plan(
            kind,
            open_ones,
            prices,
            levels,
            settings.stop_sum,
            core.expiry(self._ctx.clock.now(), settings.order_ttl_days),
        )
        plan = self._risk(plan, settings, closed)
        return replace(
            plan,
            needs_confirmation=kind == "shorts"
            or core.over_threshold(plan, settings.bulk_confirm_threshold),
        )

    async def plan_nuke(self, ticker: str, money: Decimal) -> StopPlan:
        if money <= 0:
            raise UserError(text_keys.NOT_POSITIVE, ticker=ticker)
        settings = await self._read(self._base.settings())
        instrument = await self._read(self._base.instrument_by_ticker(ticker.strip().upper()))
        if instrument is None or not instrument.active:
            raise UserError(text_keys.UNKNOWN_TICKER, ticker=ticker.strip().upper())
        if instrument.kind != "share":
            raise UserError("stops.shares_only", ticker=instrument.ticker)
        _open, closed = await self._open_for_stops([instrument])
        if closed:
            raise UserError(closed[0].reason, ticker=instrument.ticker, **closed[0].params)
        prices = await self._prices([instrument.uid])
        current = prices.get(instrument.uid)
        if current is None:
            raise UserError(text_keys.NO_PRICE, ticker=instrument.ticker)
        expire_at = core.expiry(self._ctx.clock.now(), settings.order_ttl_days)
        made = core.nuke_plan(instrument, current, money, expire_at)
        if isinstance(made, Skipped):
            raise UserError(made.reason, ticker=made.ticker, **made.params)
        plan = self._risk(made, settings, [])
        return replace(
            plan, needs_confirmation=core.over_threshold(plan, settings.bulk_confirm_threshold)
        )

    async def plan_restore(self) -> StopPlan:
        settings = await self._read(self._base.settings())
        stash = await self._read(self._base.stash())
        rows = stash.get("orders") or []
        if not rows:
            raise UserError("stops.stash_empty")
        expire_at = core.expiry(self._ctx.clock.now(), settings.order_ttl_days)
        stashed: list[PlannedStop] = []
        for row in rows:
            instrument = await self._read(self._base.instrument(int(row["instrument"])))
            gtd = row.get("expiration_type") != "good_till_cancel"
            stashed.append(
                PlannedStop(
                    instrument_uid=instrument.uid,
                    ticker=instrument.ticker,
                    direction="sell" if row.get("direction") == "sell" else "buy",
                    kind=row.get("stop_order_type") or "take_profit",
                    stop_price=Decimal(str(row["stop_price"])),
                    lots=int(row["lots"]),
                    lot=instrument.lot,
                    expire_at=expire_at if gtd else None,
                    instrument_id=instrument.id,
                    price=None if row.get("price") in (None, "") else Decimal(str(row["price"])),
                )
            )
        active = await self._active_stops()
        plan = core.restore_plan(stashed, [self._key(s) for s in active])
        # a bulk stop command like the others: the settings' limits of one order and of the
        # whole command hold for what was stashed too
        return self._risk(plan, settings, [])

    async def plan_cancel(self) -> CancelPlan:
        orders, stops = await self._account_orders()
        return CancelPlan(
            orders=len(orders),
            stops=len(stops),
            seconds=max(
                self._seconds(CANCEL_ORDER, len(orders)), self._seconds(STOP_SERVICE, len(stops))
            ),
        )

    # -- running --------------------------------------------------------------------------

    def run(self, plan: StopPlan) -> JobInfo:
        """Place a (confirmed) plan as a bulk job: ids journaled first, then sent."""
        self._registry.check_free(f"stops:{plan.kind}")  # before any id is journaled
        if not plan.orders:
            raise UserError("stops.nothing_to_place")
        prepared = self._ledger.prepare(plan.kind, plan.orders, self._ctx.clock.now())
        return self._start_job(plan, prepared, resumed=False)

    def _start_job(self, plan: StopPlan, items: list[Prepared], *, resumed: bool) -> JobInfo:
        async def run(job: Job) -> None:
            todo = items
            if plan.kind == "restore":
                todo = await self._still_missing(items)
                job.amount = len(todo)
            await self._place_all(job, plan, todo)

        job = self._registry.start(
            key=f"stops:{plan.kind}",
            kind=plan.kind,
            title=f"/{plan.kind}",
            amount=len(items),
            started_at=self._ctx.clock.now(),
            run=run,
            job_id=self._next_id(),
        )
        if resumed:
            log.info("resuming %d %s stop order(s) after a restart", len(items), plan.kind)
        return job.info()

    def _next_id(self) -> str:
        while True:
            candidate = f"B{next(self._ids)}"
            if self._registry.get(candidate) is None:
                return candidate

    async def _still_missing(self, items: list[Prepared]) -> list[Prepared]:
        """/restore checks the account again when it runs, not only when it was planned: another
        /restore confirmed after this plan was made, or resumed after a crash, may have placed
        the same orders since. What is active now is settled and not sent (a failed check fails
        the job and leaves the ids pending for the next start: never a blind double)."""
        active = await self._active_stops()
        wanted = core.still_missing([i.stop for i in items], [self._key(s) for s in active])
        todo: list[Prepared] = []
        for item, missing in zip(items, wanted, strict=True):
            if missing:
                todo.append(item)
            else:
                self._ledger.settle(item)
        if len(todo) < len(items):
            log.info("/restore: %d stop order(s) already active, not sent", len(items) - len(todo))
        return todo

    async def _place_all(self, job: Job, plan: StopPlan, items: list[Prepared]) -> None:
        started = self._ctx.clock.now()
        settled: set[str] = set()  # client ids whose outcome is known
        entered: set[str] = set()  # client ids handed to the broker client (maybe sent)

        async def place(item: Prepared) -> None:
            if item.client_id not in entered:
                # recorded as it goes out (not all at once when the run starts: hundreds of
                # journal fsyncs in a row would hold up the event loop, and the hedges with it)
                entered.add(item.client_id)
                self._record(item)
            stop = item.stop
            try:
                stop_order_id = await self._ctx.broker.post_stop_order(
                    account_id=self._ctx.account_id,
                    instrument_id=stop.instrument_uid,
                    direction=stop.direction,
                    stop_type=TYPES[stop.kind],
                    lots=stop.lots,
                    stop_price=stop.stop_price,
                    expire_at=stop.expire_at,
                    request_id=item.client_id,
                    price=stop.price,
                )
            except broker_errors.InvalidArgument as exc:
                if exc.api_code == DUPLICATE_ORDER_CODE:
                    # the broker has seen this id (an earlier attempt got through) but does not
                    # say which order it made: found by content once the run ends
                    raise ItemFailed(exc.user_message(), exc.api_code) from exc
                settled.add(item.client_id)
                self._refused(item, exc.user_message())
                raise ItemFailed(exc.user_message(), exc.api_code or "") from exc
            except FINAL as exc:
                settled.add(item.client_id)
                self._refused(item, exc.user_message())
                raise ItemFailed(exc.user_message(), exc.api_code or "") from exc
            self._placed(item, stop_order_id)
            settled.add(item.client_id)
            job.executed += 1

        bulk: BulkRun[Prepared] = BulkRun(
            priority=PRIORITIES.get(plan.kind, ratelimit.PRIORITY_STOPS),
            estimate=lambda n: self._seconds(STOP_SERVICE, n),
            on_progress=self._progress(job),
            stop=job.stop_requested,
            concurrency=self._tuning.concurrency,
            attempts=self._tuning.attempts,
            retry_pause=self._tuning.retry_pause,
            progress_interval=self._tuning.progress_interval,
        )
        try:
            result = await bulk.run(items, place)
        except asyncio.CancelledError:
            if job.stop_requested.is_set():
                # stopped, and cancelled for not finishing in time (a request waiting for a
                # rate slot): what never reached the broker client is not sent, ever; what
                # maybe left is looked for at the next start instead of sent again
                for item in items:
                    if item.client_id in settled:
                        continue
                    if item.client_id in entered:
                        self._ledger.mark_stopped(item)
                    else:
                        self._ledger.settle(item)  # never sent, nor recorded
            raise
        for item in result.not_sent:
            self._ledger.settle(item)  # never sent (nor recorded): the owner stopped the command
        unresolved = [f.item for f in result.failed if f.item.client_id not in settled]
        if unresolved:
            with ratelimit.priority(PRIORITIES.get(plan.kind, ratelimit.PRIORITY_STOPS)):
                result = await self._resolve(job, result, unresolved)
        await self._finish(job, result, lambda p: p.stop, started)

    def _placed(self, item: Prepared, stop_order_id: str) -> None:
        self._ledger.settle(item)
        if stop_order_id:
            self._placed_ids.add(stop_order_id)
            if item.stop.instrument_id is not None:
                self._ledger.placed.add(stop_order_id, item.client_id)
        self._update(item, "new", broker_order_id=stop_order_id or None)

    def _refused(self, item: Prepared, reason: str) -> None:
        self._ledger.settle(item)
        self._update(item, "rejected", message=reason)

    def _not_found(self, item: Prepared) -> None:
        self._ledger.settle(item)
        self._update(item, "rejected", message="no answer from the broker; not found there")

    # -- the Base's records (through the engine's recorder: journaled, flushed off the hot path)

    def _record(self, item: Prepared) -> None:
        """Every stop order is recorded in the Base (as prepared) before it is sent."""
        stop = item.stop
        if stop.instrument_id is None:
            return
        self._ctx.recorder.record_order(
            NewOrder(
                client_order_id=item.client_id,
                instrument=stop.instrument_id,
                direction=stop.direction,
                order_type=stop.kind,
                price=stop.price if stop.kind == "stop_limit" else None,
                lots=stop.lots,
                stop_price=stop.stop_price,
                expire_at=stop.expire_at,
                bulk_command=item.plan,
            )
        )

    def _update(
        self,
        item: Prepared,
        status: UpdateStatus,
        *,
        broker_order_id: str | None = None,
        message: str | None = None,
    ) -> None:
        if item.stop.instrument_id is None:
            return
        self._update_id(item.client_id, status, broker_order_id=broker_order_id, message=message)

    def _update_id(
        self,
        client_id: str,
        status: UpdateStatus,
        *,
        broker_order_id: str | None = None,
        message: str | None = None,
    ) -> None:
        self._ctx.recorder.update_order(
            OrderUpdate(
                client_order_id=client_id,
                status=status,
                broker_order_id=broker_order_id,
                message=message,
            )
        )

    def _fired(self, stop: StopOrder) -> None:
        """The activation watcher saw a stop order fire: if it is ours, the Base is told."""
        client_id = self._ledger.placed.pop(stop.stop_order_id)
        if client_id is not None:
            self._update_id(
                client_id, "triggered", message=f"exchange order {stop.exchange_order_id}".strip()
            )

    def _ended(self, stop: StopOrder) -> None:
        """The watcher saw a stop order cancelled or expired: if it is ours and the Base still
        holds it as placed (cancelled in the broker's app, or its date passed), it is closed."""
        client_id = self._ledger.placed.pop(stop.stop_order_id)
        if client_id is None:
            return
        if stop.status == StopOrderStatus.EXPIRED:
            self._update_id(client_id, "expired")
        else:
            self._update_id(client_id, "cancelled", message="cancelled outside the bot")

    def _cancelled(self, stop: StopOrder) -> None:
        client_id = self._ledger.placed.pop(stop.stop_order_id)
        if client_id is not None:
            self._update_id(client_id, "cancelled", message="/cancel")

    async def _resolve(
        self, job: Job, result: BulkResult[Prepared], unresolved: list[Prepared]
    ) -> BulkResult[Prepared]:
        """The end of a run: the items whose outcome is still unknown (no answer after every
        attempt, or a duplicate id) are looked for at the broker; found ones count as placed,
        the others were not placed. Either way the run leaves nothing in the ledger, so a later
        start never sends an order the owner was told had failed (or stopped, or cancelled).
        When the broker cannot be read now they stay in the ledger (the next start sends them
        again with the same ids)."""
        try:
            found = await self._find_placed(unresolved)
        except broker_errors.BrokerError as exc:
            log.warning("unknown stop-order outcomes not resolved now: %s", exc)
            return result
        if not found:
            for item in unresolved:
                self._not_found(item)
            return result
        succeeded = list(result.succeeded)
        failed = []
        for failure in result.failed:
            order = found.get(failure.item.client_id)
            if order is None:
                failed.append(failure)
            else:
                succeeded.append(failure.item)
                self._placed(failure.item, order.stop_order_id)
                job.executed += 1
        for item in unresolved:
            if item.client_id not in found:
                self._not_found(item)
        return replace(result, succeeded=succeeded, failed=failed)

    async def _find_placed(self, items: list[Prepared]) -> dict[str, StopOrder]:
        """The broker's stop orders for items whose outcome is unknown, by client id.
        GetStopOrders does not return the client's idempotency key, so an item is matched by
        content (instrument, direction, type, stop price, lots) among the stop orders of any
        status created since it was journaled, never to an order known to be another's."""
        if not items:
            return {}
        times = [i.at for i in items if i.at is not None]
        since = min(times) - LOOKUP_SLACK if len(times) == len(items) else None
        orders: list[StopOrder] = await self._ctx.broker.stop_orders(
            account_id=self._ctx.account_id, status=StopOrderStatus.ALL, start=since
        )
        free = [o for o in orders if o.stop_order_id not in self._placed_ids]
        found: dict[str, StopOrder] = {}
        for item in items:
            for order in free:
                created = order.created_at
                if self._key(order) != item.stop.key:
                    continue
                if item.at is not None and created is not None and created < item.at - LOOKUP_SLACK:
                    continue
                found[item.client_id] = order
                free.remove(order)
                break
        return found

    async def _finish(
        self,
        job: Job,
        result: BulkResult[Any],
        stop_of: Callable[[Any], PlannedStop | None],
        started: datetime,
        *,
        orders_done: int = 0,
        stops_done: int = 0,
        total: int | None = None,
    ) -> None:
        failures = []
        for failure in result.failed:
            stop = stop_of(failure.item)
            failures.append(_failure(failure.item, stop, failure.reason))
        await self._ctx.notify(
            events.BulkFinished(
                job_id=job.job_id,
                at=self._ctx.clock.now(),
                kind=job.kind,
                outcome="stopped" if result.stopped else "done",
                done=len(result.succeeded),
                total=job.amount if total is None else total,
                failures=tuple(failures),
                not_sent=len(result.not_sent),
                orders_done=orders_done,
                stops_done=stops_done,
                seconds=(self._ctx.clock.now() - started).total_seconds(),
            )
        )

    def _progress(self, job: Job) -> Callable[[BulkStatus], Awaitable[None]]:
        async def report(status: BulkStatus) -> None:
            if status.finished:
                return  # the summary follows
            await self._ctx.notify(
                events.BulkProgress(
                    job_id=job.job_id,
                    at=self._ctx.clock.now(),
                    kind=job.kind,
                    done=status.done,
                    failed=status.failed,
                    total=status.total,
                    seconds_left=status.seconds_left,
                )
            )

        return report

    # -- /cancel --------------------------------------------------------------------------

    async def run_cancel(self) -> JobInfo:
        """Stop every job (so nothing places new orders), then cancel every order and every
        stop order on the account, both budgets at once. Needs no Base; twice is harmless."""
        await self._stop_jobs()
        # nothing planned before /cancel is sent after it (one that maybe went out is active and
        # cancelled below, or was never placed)
        dropped = self._ledger.forget_all()
        if dropped:
            log.info("/cancel: %d planned stop order(s) will not be sent", len(dropped))
        orders, stops = await self._account_orders()
        total = len(orders) + len(stops)

        async def run(job: Job) -> None:
            started = self._ctx.clock.now()

            async def cancel_order(order: OrderState) -> None:
                try:
                    await self._ctx.broker.cancel_order(
                        account_id=self._ctx.account_id, order_id=order.order_id
                    )
                except broker_errors.NotFound:
                    pass  # already gone (filled or cancelled meanwhile): nothing to do
                except FINAL as exc:
                    raise ItemFailed(exc.user_message(), exc.api_code or "") from exc
                job.executed += 1

            async def cancel_stop(stop: StopOrder) -> None:
                try:
                    await self._ctx.broker.cancel_stop_order(
                        account_id=self._ctx.account_id, stop_order_id=stop.stop_order_id
                    )
                except broker_errors.NotFound:
                    pass  # gone meanwhile (fired, expired or cancelled)
                except FINAL as exc:
                    raise ItemFailed(exc.user_message(), exc.api_code or "") from exc
                else:
                    self._cancelled(stop)
                job.executed += 1

            progress = self._cancel_progress(job, total)
            orders_run: BulkRun[OrderState] = BulkRun(
                priority=ratelimit.PRIORITY_CANCEL,
                estimate=lambda n: self._seconds(CANCEL_ORDER, n),
                on_progress=progress.orders,
                stop=job.stop_requested,
                concurrency=self._tuning.concurrency,
                attempts=self._tuning.attempts,
                retry_pause=self._tuning.retry_pause,
                progress_interval=self._tuning.progress_interval,
            )
            stops_run: BulkRun[StopOrder] = BulkRun(
                priority=ratelimit.PRIORITY_CANCEL,
                estimate=lambda n: self._seconds(STOP_SERVICE, n),
                on_progress=progress.stops,
                stop=job.stop_requested,
                concurrency=self._tuning.concurrency,
                attempts=self._tuning.attempts,
                retry_pause=self._tuning.retry_pause,
                progress_interval=self._tuning.progress_interval,
            )
            done_orders, done_stops = await asyncio.gather(
                orders_run.run(orders, cancel_order), stops_run.run(stops, cancel_stop)
            )
            merged: BulkResult[Any] = BulkResult(
                succeeded=[*done_orders.succeeded, *done_stops.succeeded],
                failed=[*done_orders.failed, *done_stops.failed],
                not_sent=[*done_orders.not_sent, *done_stops.not_sent],
                stopped=done_orders.stopped or done_stops.stopped,
            )
            await self._finish(
                job,
                merged,
                lambda item: None,
                started,
                orders_done=len(done_orders.succeeded),
                stops_done=len(done_stops.succeeded),
                total=total,
            )

        job = self._registry.start(
            key="stops:cancel",
            kind="cancel",
            title="/cancel",
            amount=total,
            started_at=self._ctx.clock.now(),
            run=run,
            job_id=self._next_id(),
        )
        return job.info()

    def _cancel_progress(self, job: Job, total: int) -> _CancelProgress:
        return _CancelProgress(self, job, total)

    # -- /stash ---------------------------------------------------------------------------

    async def stash(self) -> StashResult:
        """Save the account's active stop orders in the Base; refuse to replace the stash
        with nothing."""
        active = await self._active_stops()
        if not active:
            raise UserError("stops.stash_nothing")
        rows: list[dict[str, Any]] = []
        cache: dict[str, Instrument | None] = {}
        for stop in active:
            if stop.ticker not in cache:
                cache[stop.ticker] = await self._read(self._base.instrument_by_ticker(stop.ticker))
            instrument = cache[stop.ticker]
            if instrument is None or stop.stop_price is None:
                log.warning("stop order %s (%s) not stashed", stop.stop_order_id, stop.ticker)
                continue
            rows.append(_stash_row(stop, instrument))
        if not rows:
            raise UserError("stops.stash_nothing")
        before = await self._read(self._base.stash())
        await self._read(self._base.put_stash(rows))
        return StashResult(saved=len(rows), replaced=len(before.get("orders") or []))

    # -- helpers --------------------------------------------------------------------------

    async def _read(self, call: Awaitable[Any]) -> Any:
        if self._base_down():
            closer = getattr(call, "close", None)
            if closer is not None:
                closer()  # never awaited: no "never awaited" warning either
            raise UserError(text_keys.BASE_UNAVAILABLE)
        try:
            return await call
        except BaseUnavailable as exc:
            raise UserError(text_keys.BASE_UNAVAILABLE) from exc
        except BaseRejected as exc:
            raise UserError(text_keys.BASE_REJECTED, message=exc.message) from exc

    async def _settings_and_lists(self) -> tuple[TradingSettings, dict[str, list[Instrument]]]:
        return await self._base.settings(), await self._base.stop_lists()

    async def _broker(self, call: Awaitable[Any]) -> Any:
        try:
            return await call
        except broker_errors.BrokerError as exc:
            raise UserError(
                text_keys.BROKER_ERROR, message=exc.user_message(), code=exc.api_code or ""
            ) from exc

    async def _prices(self, uids: list[str]) -> dict[str, Decimal]:
        if not uids:
            return {}
        prices: list[LastPrice] = await self._broker(self._ctx.broker.last_prices(uids))
        return prices_by_id(prices, uids)

    async def _active_stops(self) -> list[StopOrder]:
        with ratelimit.priority(ratelimit.PRIORITY_CANCEL):
            stops: list[StopOrder] = await self._broker(
                self._ctx.broker.stop_orders(account_id=self._ctx.account_id)
            )
        return [s for s in stops if s.status in (StopOrderStatus.ACTIVE,)]

    async def _account_orders(self) -> tuple[list[OrderState], list[StopOrder]]:
        with ratelimit.priority(ratelimit.PRIORITY_CANCEL):
            orders, stops = await asyncio.gather(
                self._broker(self._ctx.broker.active_orders(account_id=self._ctx.account_id)),
                self._active_stops(),
            )
        return [o for o in orders if not o.status.is_final], stops

    async def _open_for_stops(
        self, instruments: list[Instrument]
    ) -> tuple[list[Instrument], list[Skipped]]:
        """All of them on a trading day; none on weekends and holidays, when the broker takes
        no stop orders (each refused with the reason)."""
        if await self._stop_day():
            return list(instruments), []
        return [], [Skipped(i.ticker, "stops.skip_closed") for i in instruments]

    async def _stop_day(self) -> bool:
        """Whether today (Moscow) is a trading day: the broker's schedule says, else the
        built-in calendar (weekdays that are not exchange holidays)."""
        now = self._ctx.clock.now()
        today = now.astimezone(MOSCOW).date()
        try:
            schedules = await self._ctx.broker.trading_schedules(
                "MOEX", now - timedelta(days=1), now + timedelta(days=1)
            )
        except (broker_errors.BrokerError, NotImplementedError) as exc:
            log.info("no trading schedule now (%s); using the built-in calendar", exc)
            schedules = []
        for schedule in schedules:
            for day in schedule.days:
                if day.date == today:
                    return day.is_trading_day
        return core.stop_day_open(today, HOLIDAYS)

    def _risk(self, plan: StopPlan, settings: TradingSettings, closed: list[Skipped]) -> StopPlan:
        """Orders above the maximum value of one order are skipped; a plan above the maximum
        value of a bulk command is refused."""
        kept: list[PlannedStop] = []
        skipped = list(plan.skipped) + closed
        for order in plan.orders:
            if order.value > settings.max_order_value:
                skipped.append(
                    Skipped(
                        order.ticker,
                        "stops.skip_order_value",
                        {"value": str(order.value), "limit": str(settings.max_order_value)},
                    )
                )
                continue
            kept.append(order)
        out = replace(plan, orders=tuple(kept), skipped=tuple(skipped))
        if out.total_value > settings.max_bulk_value:
            raise UserError(
                "stops.bulk_value_too_big",
                value=out.total_value.quantize(Decimal(1)),
                limit=settings.max_bulk_value,
            )
        return replace(out, seconds=self._seconds(STOP_SERVICE, out.count))

    @staticmethod
    def _key(stop: StopOrder) -> tuple[str, str, str, Decimal, int]:
        direction = "sell" if stop.direction.wire.endswith("SELL") else "buy"
        return (
            stop.instrument_uid,
            direction,
            KINDS.get(stop.order_type, "take_profit"),
            stop.stop_price or Decimal(0),
            stop.lots_requested,
        )


class _CancelProgress:
    """One progress message for /cancel's two runs (orders and stop orders)."""

    def __init__(self, desk: StopsDesk, job: Job, total: int) -> None:
        self._desk = desk
        self._job = job
        self._total = total
        self._orders = BulkStatus(0, 0, 0, 0.0)
        self._stops = BulkStatus(0, 0, 0, 0.0)

    async def orders(self, status: BulkStatus) -> None:
        self._orders = status
        await self._emit(status.finished)

    async def stops(self, status: BulkStatus) -> None:
        self._stops = status
        await self._emit(status.finished)

    async def _emit(self, finished: bool) -> None:
        if finished:
            return
        ctx = self._desk._ctx
        await ctx.notify(
            events.BulkProgress(
                job_id=self._job.job_id,
                at=ctx.clock.now(),
                kind="cancel",
                done=self._orders.done + self._stops.done,
                failed=self._orders.failed + self._stops.failed,
                total=self._total,
                seconds_left=max(self._orders.seconds_left, self._stops.seconds_left),
            )
        )


def _failure(item: Any, stop: PlannedStop | None, reason: str) -> events.BulkItemFailure:
    if stop is not None:
        return events.BulkItemFailure(
            stop.ticker, stop.direction, stop.lots, stop.stop_price, reason
        )
    if isinstance(item, StopOrder):
        direction: events.Direction = "sell" if item.direction.wire.endswith("SELL") else "buy"
        return events.BulkItemFailure(
            item.ticker, direction, item.lots_requested, item.stop_price, reason
        )
    if isinstance(item, OrderState):
        side: events.Direction = "sell" if item.direction.wire.endswith("SELL") else "buy"
        limit = item.initial_security_price
        return events.BulkItemFailure(
            item.ticker, side, item.lots_requested, None if limit is None else limit.amount, reason
        )
    return events.BulkItemFailure(str(item), None, 0, None, reason)


def _stash_row(stop: StopOrder, instrument: Instrument) -> dict[str, Any]:
    kind = KINDS.get(stop.order_type, "take_profit")
    gtd = stop.expires_at is not None
    return {
        "instrument": instrument.id,
        "direction": "sell" if stop.direction.wire.endswith("SELL") else "buy",
        "stop_order_type": kind,
        "lots": stop.lots_requested,
        "price": None if kind != "stop_limit" or stop.price is None else str(stop.price),
        "stop_price": str(stop.stop_price),
        "expiration_type": "good_till_date" if gtd else "good_till_cancel",
        "expire_date": None if stop.expires_at is None else stop.expires_at.isoformat(),
        "broker_stop_order_id": stop.stop_order_id,
    }


def prices_by_id(prices: list[LastPrice], wanted: list[str]) -> dict[str, Decimal]:
    """The positive last prices of the instruments asked for, by the id they were asked by."""
    asked = set(wanted)
    found: dict[str, Decimal] = {}
    for last in prices:
        if last.price is None or last.price <= 0:
            continue
        for key in (last.instrument_uid, last.figi):
            if key in asked:
                found[key] = last.price
    return found
