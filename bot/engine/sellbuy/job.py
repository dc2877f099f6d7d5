"""The sell/buy job: one limit order at the best passive price until the amount is done.

Buying it stands at the best bid, selling at the best ask, never past the optional limit price,
in whole lots. When the best price moves the order is cancelled, the cancel confirmed (fills that
happened meanwhile are counted) and a new one placed: never two live orders of a job at once.
Progress (executed pieces, average price) comes from the fills, which go to the Base.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal

from bot.base_client.types import Instrument, OrderRecord, TradingSettings
from bot.broker import errors as broker_errors
from bot.engine import events, risk, text_keys
from bot.engine.clock import sleep_until
from bot.engine.context import EngineContext
from bot.engine.events import Direction
from bot.engine.jobs import Job
from bot.engine.market import BookFeed
from bot.engine.order_moves import MoveGate, MoveRules
from bot.engine.orders import (
    CancelNotConfirmed,
    Fill,
    OrderNotSent,
    OrderOutcomeLost,
    OrderRefusedByBroker,
    TrackedOrder,
    wait_or_stop,
)
from bot.engine.sellbuy import core
from bot.engine.sellbuy.core import passive_price
from bot.engine.views.improvement import crossing_price

log = logging.getLogger(__name__)

Outcome = Literal["done", "stopped", "failed"]

# seconds to wait at start for the Base to take the adopted fills and tell the task's progress
START_READ_TIMEOUT = 60.0


@dataclass(frozen=True, slots=True)
class SellBuySpec:
    task_id: int | None
    instrument: Instrument
    direction: Direction
    amount: int  # pieces
    limit_price: Decimal | None
    executed: int = 0  # pieces already done (from the Base's fills)
    average_price: Decimal | None = None
    open_orders: tuple[OrderRecord, ...] = ()
    start_position: int = 0  # signed pieces held when the job started (risk checks)
    # buying by sum: roubles the fills and the order standing may cost at most (bot.engine.
    # sellbuy.core); None: the amount alone bounds the job
    budget: Decimal | None = None

    @property
    def title(self) -> str:
        return f"{self.direction} {self.amount} {self.instrument.ticker}"

    @property
    def key(self) -> str:
        if self.task_id is not None:
            return f"sellbuy:{self.task_id}"
        return f"sellbuy:{self.instrument.ticker}:{self.direction}"


class SellBuyRun:
    def __init__(
        self,
        ctx: EngineContext,
        spec: SellBuySpec,
        job: Job,
        settings: TradingSettings,
    ) -> None:
        self.ctx = ctx
        self.spec = spec
        self.job = job
        self.settings = settings
        self.executed = spec.executed
        self.cost = (spec.average_price or Decimal(0)) * spec.executed
        # roubles the fills cost (the budget's measure; futures converted from points)
        self.spent = core.fill_cost(
            spec.instrument, spec.average_price or Decimal(0), spec.executed
        )
        self._budget_short = False  # the budget ran out before the amount was done
        # a resting limit order within the owner's limit stays executable at its price: it is
        # never pulled, only moved to a new best price that has held (and within the budget of
        # orders a minute) — it does not chase a flickering price
        self._moves = MoveGate(
            MoveRules(
                hold=ctx.options.order_move_hold, per_minute=ctx.options.order_moves_per_minute
            ),
            spec.direction,
        )
        self.live: TrackedOrder | None = None
        # executed pieces already in the broker's position when the job started (risk checks)
        self._baseline = spec.executed
        self._last_session_wait: datetime | None = None
        job.executed = self.executed
        job.average_price = spec.average_price

    # -- progress -------------------------------------------------------------------------

    @property
    def average(self) -> Decimal | None:
        if not self.executed:
            return None
        return self.cost / self.executed

    @property
    def position(self) -> int:
        signed = self.executed - self._baseline
        return self.spec.start_position + (signed if self.spec.direction == "buy" else -signed)

    async def _took(self, fills: list[Fill]) -> None:
        for fill in fills:
            self.executed += fill.pieces
            self.cost += fill.price * fill.pieces
            self.spent += core.fill_cost(self.spec.instrument, fill.price, fill.pieces)
            self.job.executed = self.executed
            self.job.average_price = self.average
            await self.ctx.notify(
                events.OrderFilled(
                    job_id=self.job.job_id,
                    at=self.ctx.clock.now(),
                    ticker=self.spec.instrument.ticker,
                    direction=self.spec.direction,
                    quantity=fill.pieces,
                    price=fill.price,
                    executed=self.executed,
                    amount=self.spec.amount,
                    average_price=self.average,
                )
            )

    # -- run ------------------------------------------------------------------------------

    async def run(self) -> None:
        ctx, spec, job = self.ctx, self.spec, self.job
        await ctx.notify(
            events.JobStarted(
                job_id=job.job_id,
                at=ctx.clock.now(),
                kind="sellbuy",
                title=spec.title,
                amount=spec.amount,
            )
        )
        outcome: Outcome = "done"
        reason: str | None = None
        params: dict[str, str] = {}
        feed = ctx.feeds.acquire(spec.instrument.uid or spec.instrument.figi)
        try:
            await self._adopt_open_orders()
            outcome, reason, params = await self._loop(feed)
        except asyncio.CancelledError:
            outcome, reason = "stopped", text_keys.STOPPED_BY_OWNER
            raise
        except Exception as exc:
            log.exception("sell/buy job %s failed", job.job_id)
            outcome, reason, params = "failed", text_keys.JOB_CRASHED, {"message": str(exc)}
        finally:
            await asyncio.shield(self._finish(feed, outcome, reason, params))

    async def _finish(
        self, feed: BookFeed, outcome: Outcome, reason: str | None, params: dict[str, str]
    ) -> None:
        ctx, spec, job = self.ctx, self.spec, self.job
        if self.live is not None and not self.live.is_final:
            try:
                await self._took(await ctx.desk.cancel(self.live, job_id=job.job_id))
            except (CancelNotConfirmed, broker_errors.BrokerError) as exc:
                log.error("job %s: could not cancel %s: %s", job.job_id, self.live, exc)
        await ctx.feeds.release(feed)
        if self.executed >= spec.amount or self._budget_short:
            outcome, reason, params = "done", None, {}
            if spec.task_id is not None:
                ctx.recorder.set_task_active("sellbuy", spec.task_id, False)
        if self._budget_short and spec.budget is not None:
            await ctx.notify(
                events.Alert(
                    job_id=job.job_id,
                    at=ctx.clock.now(),
                    reason_key=text_keys.BUDGET_SPENT,
                    params={
                        "ticker": spec.instrument.ticker,
                        "executed": str(self.executed),
                        "amount": str(spec.amount),
                        "budget": str(spec.budget),
                        "spent": str(self.spent.quantize(Decimal("0.01"))),
                        "left": str((spec.budget - self.spent).quantize(Decimal("0.01"))),
                    },
                )
            )
        await ctx.notify(
            events.JobFinished(
                job_id=job.job_id,
                at=ctx.clock.now(),
                kind="sellbuy",
                title=spec.title,
                outcome=outcome,
                executed=self.executed,
                amount=spec.amount,
                average_price=self.average,
                reason_key=reason,
                params=params,
            )
        )

    async def _adopt_open_orders(self) -> None:
        """Orders of this task the Base still counts as open (after a restart): learn their fate
        from the broker; keep one live order, cancel any other.

        What is done is counted from fills, never from an order's recorded `lots_executed` (it
        may run ahead of the fills the Base holds): every fill the broker reports is recorded
        again (idempotent by trade id), then the task's progress is read back from the Base —
        the sum of its fills, each counted once."""
        learnt: list[Fill] = []
        for record in self.spec.open_orders:
            order = TrackedOrder.from_record(record, self.spec.instrument)
            try:
                learnt += await self.ctx.desk.sync(order)
            except broker_errors.BrokerError as exc:
                # its fate is unknown: it may be live, so it is followed, never written off
                log.warning("job %s: state of %s: %s", self.job.job_id, order, exc)
                await self._keep_unresolved(order)
                continue
            if order.broker_order_id is None and order.status in ("prepared", "unknown"):
                # the broker has never seen it (asked by request id): it was never sent
                self.ctx.desk.mark_not_sent(order)
                continue
            if order.is_final:
                continue
            if self.live is None:
                self.live = order
            else:
                learnt += await self.ctx.desk.cancel(order, job_id=self.job.job_id)
        if learnt:
            await self._count_from_base(learnt)
        self._baseline = self.executed

    async def _keep_unresolved(self, order: TrackedOrder) -> None:
        if order.status == "prepared":
            self.ctx.desk.mark_unknown(order, "state could not be read at start")
        if self.live is None:
            self.live = order
            return
        try:
            await self._took(await self.ctx.desk.cancel(order, job_id=self.job.job_id))
        except (CancelNotConfirmed, broker_errors.BrokerError) as exc:
            log.error("job %s: could not cancel %s: %s", self.job.job_id, order, exc)

    async def _count_from_base(self, learnt: list[Fill]) -> None:
        spec = self.spec
        progress = None
        if spec.task_id is not None:
            progress = await self.ctx.recorder.read_sellbuy_progress(
                spec.task_id, START_READ_TIMEOUT
            )
        if progress is None:
            # the Base cannot say which of these it already held: count them all (at worst the
            # job does less than asked, never more)
            log.warning("job %s: counting %d adopted fills as new", self.job.job_id, len(learnt))
            await self._took(learnt)
            return
        executed, average = progress
        gained = executed - self.executed
        self.executed = executed
        self.cost = (average or Decimal(0)) * executed
        self.spent = core.fill_cost(spec.instrument, average or Decimal(0), executed)
        self.job.executed = self.executed
        self.job.average_price = self.average
        if gained > 0:  # filled while the bot was away: tell the owner once
            pieces = sum(f.pieces for f in learnt)
            price = sum((f.price * f.pieces for f in learnt), Decimal(0)) / pieces
            await self.ctx.notify(
                events.OrderFilled(
                    job_id=self.job.job_id,
                    at=self.ctx.clock.now(),
                    ticker=spec.instrument.ticker,
                    direction=spec.direction,
                    quantity=gained,
                    price=price,
                    executed=self.executed,
                    amount=spec.amount,
                    average_price=self.average,
                )
            )

    async def _loop(self, feed: BookFeed) -> tuple[Outcome, str | None, dict[str, str]]:
        ctx, spec, job = self.ctx, self.spec, self.job
        lot = spec.instrument.lot
        version = 0
        unseen = 0  # answers "never seen" for an unresolved live order
        last_sync = _monotonic()
        while True:
            job.rounds += 1
            if self.live is not None and self.live.is_final:
                self.live = None
                unseen = 0
            if self.live is None and self.executed >= spec.amount:
                return "done", None, {}
            if job.stopping:
                return "stopped", text_keys.STOPPED_BY_OWNER, {}

            if self.live is None:
                job.state = "running"
                if ctx.recorder.is_down:
                    # the Base is away: no new orders until what we owe it is flushed
                    job.state = "waiting"
                    await _wait_event_or_stop(ctx.recorder.wait_up(), job.stop_requested)
                    continue
                session = await ctx.calendar.state(spec.instrument)
                if not session.open:
                    await self._wait_session(session.opens_at)
                    continue
                book = feed.book or await feed.refresh()
                price = (
                    None if book is None else passive_price(book, spec.direction, spec.limit_price)
                )
                if price is not None:
                    price = self._moves.held(price, _monotonic())
                if price is None:
                    job.state = "waiting"
                    version = await feed.wait_newer(
                        version, ctx.options.poll_interval, job.stop_requested
                    )
                    continue
                lots = (spec.amount - self.executed) // lot
                if lots <= 0:
                    return "done", None, {}
                if spec.budget is not None:
                    # fills so far plus this order never cost more than the budget
                    lots = core.budget_lots(spec.instrument, spec.budget, self.spent, price, lots)
                    if lots <= 0:
                        self._budget_short = True
                        return "done", None, {}
                if not self._moves.may_place(_monotonic()):
                    # this minute's orders are spent: wait (the book may move meanwhile)
                    job.state = "waiting"
                    version = await feed.wait_newer(
                        version, ctx.options.poll_interval, job.stop_requested
                    )
                    continue
                refusal = risk.check_order(
                    self.settings,
                    spec.instrument,
                    price=price,
                    pieces=lots * lot,
                    position_after=self.position
                    + (lots * lot if spec.direction == "buy" else -lots * lot),
                )
                if refusal is not None:
                    await ctx.notify(
                        events.OrderRefused(
                            job_id=job.job_id,
                            at=ctx.clock.now(),
                            ticker=spec.instrument.ticker,
                            reason_key=refusal.key,
                            params=refusal.params,
                        )
                    )
                    return "failed", refusal.key, refusal.params
                self._moves.placed(_monotonic())
                try:
                    order, fills = await ctx.desk.place(
                        instrument=spec.instrument,
                        direction=spec.direction,
                        price=price,
                        lots=lots,
                        task_kind="sellbuy" if spec.task_id is not None else None,
                        task_id=spec.task_id,
                        job_id=job.job_id,
                        stop=job.stop_requested,
                        opposite_price=crossing_price(book, spec.direction),
                    )
                except OrderNotSent:
                    continue  # stopping: the loop ends at the top
                except OrderOutcomeLost as exc:
                    # the broker could not say whether it got the order: it may be live, so
                    # it is this job's live order (never a second one) until the broker answers
                    self.live = exc.order
                    last_sync = _monotonic()
                    continue
                except OrderRefusedByBroker as exc:
                    key = text_keys.OUTSIDE_SESSION if exc.session else text_keys.BROKER_ERROR
                    await ctx.notify(
                        events.OrderRefused(
                            job_id=job.job_id,
                            at=ctx.clock.now(),
                            ticker=spec.instrument.ticker,
                            reason_key=key,
                            params=exc.params(),
                        )
                    )
                    if exc.session:
                        job.state = "waiting"
                        await wait_or_stop(
                            job.stop_requested, ctx.options.retry_after_refusal, ctx.clock
                        )
                        continue
                    if core.refused_for_good(exc.error.api_code):
                        self._switch_off(exc)
                        await ctx.notify(
                            events.Alert(
                                job_id=job.job_id,
                                at=ctx.clock.now(),
                                reason_key=text_keys.TASK_SWITCHED_OFF,
                                params=exc.params(),
                            )
                        )
                    return "failed", text_keys.ORDER_REJECTED, exc.params()
                self.live = order
                last_sync = _monotonic()
                await self._took(fills)
                continue

            # a live order: follow its fills and the best price
            pushed_event = ctx.orders.changed() if ctx.orders.enabled else None
            version = await feed.wait_newer(
                version, ctx.options.poll_interval, job.stop_requested, pushed_event
            )
            if job.stopping:
                continue
            now = _monotonic()
            live = self.live
            poll_every = ctx.options.poll_interval
            if ctx.orders.enabled:
                poll_every = max(ctx.options.stream_poll_interval, poll_every)
                pushed = ctx.orders.latest(live.broker_order_id, live.client_order_id)
                if pushed is not None:
                    await self._took(ctx.desk.adopt(live, pushed))
                    if live.is_final:
                        ctx.orders.forget(live.broker_order_id, live.client_order_id)
                        continue
            if now - last_sync >= poll_every:
                last_sync = now
                try:
                    await self._took(await ctx.desk.sync(live))
                except broker_errors.BrokerError as exc:
                    log.warning("job %s: order state: %s", job.job_id, exc)
                else:
                    if live.broker_order_id is None and live.status in ("prepared", "unknown"):
                        unseen += 1
                        if unseen >= 2:  # asked twice by request id, never seen: not sent
                            ctx.desk.mark_not_sent(live)
                if live.is_final:
                    continue
            book = feed.book
            if book is None:
                continue
            target = passive_price(book, spec.direction, spec.limit_price)
            if target is None or ctx.recorder.is_down:
                continue
            # the held price: a better price that only flickers is not chased
            target = self._moves.held(target, _monotonic())
            if target == live.price:
                continue  # where it should stand: never re-placed there
            if not self._moves.may_place(_monotonic()):
                continue  # no order left this minute: it stays where it is
            try:
                fills = await ctx.desk.cancel(live, job_id=job.job_id)
            except CancelNotConfirmed:
                continue  # still possibly live: never place another; try again next round
            await self._took(fills)
            last_sync = _monotonic()

    def _switch_off(self, exc: OrderRefusedByBroker) -> None:
        """The broker refused the task's order for a reason that will not go away by itself:
        switch the task off in the Base, with the reason the admin shows (/sellbuy then leaves
        it alone until the owner changes it and switches it on)."""
        if self.spec.task_id is None:
            return
        code = exc.error.api_code or ""
        meaning = exc.error.meaning or str(exc.error)
        self.ctx.recorder.set_task_active(
            "sellbuy", self.spec.task_id, False, reason=f"broker refused ({code}): {meaning}"
        )

    async def _wait_session(self, opens_at: datetime | None) -> None:
        ctx, job = self.ctx, self.job
        job.state = "waiting"
        if opens_at != self._last_session_wait:
            self._last_session_wait = opens_at
            await ctx.notify(
                events.SessionWait(
                    job_id=job.job_id,
                    at=ctx.clock.now(),
                    ticker=self.spec.instrument.ticker,
                    opens_at=opens_at,
                )
            )
        if opens_at is None:
            await wait_or_stop(job.stop_requested, 600.0, ctx.clock)
            return
        sleeper = asyncio.ensure_future(sleep_until(ctx.clock, opens_at))
        stopper = asyncio.ensure_future(job.stop_requested.wait())
        try:
            await asyncio.wait({sleeper, stopper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()
            stopper.cancel()


async def _wait_event_or_stop(waiter: Awaitable[object], stop: asyncio.Event) -> None:
    main = asyncio.ensure_future(waiter)
    stopper = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({main, stopper}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        main.cancel()
        stopper.cancel()


def _monotonic() -> float:
    """Seconds for poll pacing (the event loop's monotonic clock, not the wall clock)."""
    return asyncio.get_running_loop().time()
