"""The sell/buy commands' driver: /sell, /buy, /sellbuy, /dump and the resumption after a restart.

It checks a command (bot.engine.sellbuy.core decides), creates the task in the Base and starts
its job (bot.engine.sellbuy.job) in the registry. A sale that would open or increase a short, and
a /dump that would sell what a spread's leg holds, are refused with `NeedsConfirmation` until the
owner agrees (the transport asks; the engine knows nothing of buttons).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Literal

from bot.base_client.api import BaseApi
from bot.base_client.types import Instrument, SellBuyTask, TradingSettings
from bot.broker import errors as broker_errors
from bot.broker.types import Positions
from bot.engine import text_keys
from bot.engine.context import EngineContext
from bot.engine.interface import JobInfo, NeedsConfirmation, SellBuyOrder, UserError
from bot.engine.jobs import Job, JobRegistry
from bot.engine.running import RunningFile
from bot.engine.sellbuy import core
from bot.engine.sellbuy.job import SellBuyRun, SellBuySpec
from bot.engine.startup import StartGate

log = logging.getLogger(__name__)


def task_key(task_id: int) -> str:
    return f"sellbuy:{task_id}"


class SellBuyDesk:
    def __init__(
        self,
        ctx: EngineContext,
        base: BaseApi,
        registry: JobRegistry,
        gate: StartGate,
        running: RunningFile,
        *,
        closing: Callable[[], bool],
    ) -> None:
        self._ctx = ctx
        self._base = base
        self._registry = registry
        self._gate = gate
        self._running = running
        self._closing = closing

    # -- commands -------------------------------------------------------------------------

    async def start_all(self) -> list[JobInfo]:
        """/sellbuy: every active task of the Base not running. A task whose job ended moments
        ago is left alone until its last records are in the Base (see bot.engine.jobs)."""
        await self._gate.enter()
        mark = self._registry.mark()
        tasks = await self._gate.base_call(self._base.active_tasks())
        settings = await self._gate.base_call(self._base.settings())
        if not tasks.sellbuy:
            raise UserError(text_keys.NO_ACTIVE_TASKS)
        # one positions read for all tasks, before any starts: a broker failure then refuses the
        # command as a whole instead of leaving jobs running that the reply never names
        positions = await self.positions()
        started: list[JobInfo] = []
        for task in tasks.sellbuy:
            key = task_key(task.id)
            if self._registry.running_key(key) is not None:
                continue
            if self._registry.touched_since(key, mark):
                continue  # started or ended while the Base was read: that read may be stale
            started.append(
                self.start_task(task, settings, balance(positions, task.instrument)).info()
            )
        return started

    async def start_one(self, order: SellBuyOrder, *, allow_short: int = 0) -> JobInfo:
        """/sell, /buy. Selling by sum fixes the lots at the start (the reply names them);
        buying by sum makes the sum the job's budget. A sale that would open or increase a
        short by more than `allow_short` pieces raises NeedsConfirmation."""
        await self._gate.enter()
        instrument = await self.instrument(order.ticker)
        core.check_tradable(instrument, order.direction)
        core.check_limit_price(instrument, order.limit_price)
        price = await self.reference_price(instrument, order.direction, order.limit_price)
        budget: Decimal | None = None
        if order.money is not None:
            if order.money <= 0:
                raise UserError(text_keys.NOT_POSITIVE, ticker=instrument.ticker)
            lots = core.lots_for_sum(instrument, order.money, price)
            if lots < 1:
                raise UserError(
                    text_keys.SUM_BELOW_LOT,
                    ticker=instrument.ticker,
                    sum=order.money,
                    lot=instrument.lot,
                    lot_price=core.lot_cost(instrument, price).quantize(Decimal("0.01")),
                )
            amount = lots * instrument.lot
            if order.direction == "buy":
                budget = order.money
        else:
            amount = order.amount or 0
            if amount <= 0:
                raise UserError(text_keys.NOT_POSITIVE, ticker=instrument.ticker)
            if amount % instrument.lot:
                raise UserError(
                    text_keys.NOT_WHOLE_LOTS,
                    ticker=instrument.ticker,
                    amount=amount,
                    lot=instrument.lot,
                )
        settings = await self._gate.base_call(self._base.settings())
        position = await self.position(instrument)
        covered = core.check_shortable(instrument, order.direction, amount, position)
        core.check_risk(settings, instrument, price, amount, order.direction, position)
        short = core.short_increase(position, order.direction, amount)
        if short > allow_short:
            raise NeedsConfirmation(
                text_keys.SHORT_NEEDS_CONSENT,
                consent=short,
                ticker=instrument.ticker,
                amount=amount,
                position=position,
                short=short,
                after=position - amount,
            )
        task = await self._gate.base_call(
            self._base.create_sellbuy(
                instrument_id=instrument.id,
                direction=order.direction,
                amount=amount,
                limit_price=order.limit_price,
                covered=covered,
            )
        )
        if budget is not None:
            self._running.budgets[task.id] = budget
            self._running.save()
        return self.start_task(task, settings, position).info()

    async def start_dump(self, ticker: str, *, allow_spread_legs: int = 0) -> JobInfo:
        """/dump: close the position. When part of it is held by a spread's leg (an active
        spread's totals) and more than `allow_spread_legs` pieces of that would be closed,
        NeedsConfirmation is raised."""
        await self._gate.enter()
        instrument = await self.instrument(ticker)
        position = await self.position(instrument)
        amount = abs(position) - abs(position) % instrument.lot
        if amount <= 0:
            raise UserError(text_keys.NO_POSITION, ticker=instrument.ticker)
        direction: Literal["buy", "sell"] = "sell" if position > 0 else "buy"
        core.check_tradable(instrument, direction)
        price = await self.reference_price(instrument, direction, None)
        settings = await self._gate.base_call(self._base.settings())
        core.check_risk(settings, instrument, price, amount, direction, position)
        tasks = await self._gate.base_call(self._base.active_tasks())
        holdings = core.spread_holdings(tasks.spreads, instrument.id)
        from_legs = core.dumped_from_legs(position, holdings)
        if from_legs > allow_spread_legs:
            raise NeedsConfirmation(
                text_keys.DUMP_SPREAD_LEG,
                consent=from_legs,
                ticker=instrument.ticker,
                position=position,
                pieces=from_legs,
                spreads=", ".join(f"S{h.spread_id}" for h in holdings),
            )
        task = await self._gate.base_call(
            self._base.create_sellbuy(
                instrument_id=instrument.id,
                direction=direction,
                amount=amount,
                limit_price=None,
                covered=direction == "sell",  # closing a long: the position covers the sale
            )
        )
        return self.start_task(task, settings, position).info()

    # -- restart --------------------------------------------------------------------------

    async def resume(self, tasks: Sequence[SellBuyTask], settings: TradingSettings) -> int:
        """Resume the tasks that were running (or still have open orders): each job first learns
        the fate of its open orders from the broker and records missed fills."""
        to_resume = [t for t in tasks if t.id in self._running.sellbuy or t.open_orders]
        positions: Positions | None = None
        if to_resume:
            try:
                positions = await self.positions()  # one read for every task resumed
            except UserError:  # the broker did not answer: resume anyway, risk from zero
                log.warning("no positions at start; assuming none")
        resumed = 0
        for task in to_resume:
            if self._registry.running_key(task_key(task.id)) is not None:
                continue
            position = 0 if positions is None else balance(positions, task.instrument)
            try:
                self.start_task(task, settings, position)
            except UserError as exc:  # started meanwhile: go on
                log.warning("sell/buy task %s not resumed: %s", task.id, exc)
                continue
            resumed += 1
        active = {t.id for t in tasks}
        self._running.sellbuy &= active
        for task_id in [k for k in self._running.budgets if k not in active]:
            del self._running.budgets[task_id]
        self._running.save()
        return resumed

    # -- jobs -----------------------------------------------------------------------------

    def start_task(self, task: SellBuyTask, settings: TradingSettings, position: int) -> Job:
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
            budget=self._running.budgets.get(task.id) if task.direction == "buy" else None,
        )
        running = self._running

        async def run(job: Job) -> None:
            try:
                await SellBuyRun(self._ctx, spec, job, settings).run()
            finally:
                if not job.stopping or self._closing():
                    # finished on its own (or engine shutdown): no longer to resume
                    running.sellbuy.discard(task.id)
                    running.save()

        job = self._registry.start(
            key=task_key(task.id),
            kind="sellbuy",
            title=spec.title,
            amount=spec.amount,
            started_at=self._ctx.clock.now(),
            run=run,
            task_id=task.id,
        )
        running.sellbuy.add(task.id)
        running.save()
        return job

    # -- reads ----------------------------------------------------------------------------

    async def instrument(self, ticker: str) -> Instrument:
        name = ticker.strip().upper()
        instrument = await self._gate.base_call(self._base.instrument_by_ticker(name))
        if instrument is None or not instrument.active:
            raise UserError(text_keys.UNKNOWN_TICKER, ticker=name)
        return instrument

    async def reference_price(
        self, instrument: Instrument, direction: Literal["buy", "sell"], limit: Decimal | None
    ) -> Decimal:
        try:
            book = await self._ctx.broker.order_book(instrument.uid or instrument.figi, 1)
        except broker_errors.BrokerError as exc:
            raise broker_refusal(exc) from exc
        price = core.passive_price(book, direction, limit)
        if price is None:
            price = book.last_price
        if price is None or price <= 0:
            raise UserError(text_keys.NO_PRICE, ticker=instrument.ticker)
        return price

    async def position(self, instrument: Instrument) -> int:
        return balance(await self.positions(), instrument)

    async def positions(self) -> Positions:
        try:
            return await self._ctx.broker.positions(account_id=self._ctx.account_id)
        except broker_errors.BrokerError as exc:
            raise broker_refusal(exc) from exc


def broker_refusal(exc: broker_errors.BrokerError) -> UserError:
    return UserError(text_keys.BROKER_ERROR, message=exc.user_message(), code=exc.api_code or "")


def balance(positions: Positions, instrument: Instrument) -> int:
    """The instrument's position in pieces (found by uid, else by figi)."""
    return positions.balance(instrument.uid) or positions.balance(instrument.figi)
