"""`ViewsDesk`: the driver of the owner's views (thin: reads, hands data to the pure cores).

- `portfolio()`, `live_orders()`: broker reads (GetPortfolio, GetPositions, GetMarginAttributes;
  GetOrders, GetStopOrders) through the engine's rate-limited port; the Base (if up) names the
  spreads whose legs are grouped and the tasks our orders belong to.
- `stats(period)`, `chart(kind, id)`: the Base's results and stored history.
- While the bot runs (`start`, when `views_snapshot_interval` is set): every few seconds the
  executable price of each running task is sampled from the books its job already watches (no
  broker request), into a bounded, downsampled series; every `views_snapshot_interval` seconds a
  portfolio snapshot with the running jobs and the new quote points go to the Base, and the
  notification levels are refreshed from the trading settings. All of it is off the trading
  path: a failure is logged and retried at the next tick, never raised into a job.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from decimal import Decimal
from typing import Any

from bot.base_client.api import BaseApi
from bot.base_client.errors import BaseRejected, BaseUnavailable
from bot.base_client.types import ActiveTasks, OrderRecord, OrderUpdate, Spread
from bot.broker import errors as broker_errors
from bot.broker.types import Portfolio
from bot.engine import text_keys
from bot.engine.context import EngineContext
from bot.engine.interface import UserError
from bot.engine.jobs import JobRegistry
from bot.engine.spreads.legs import spread_title
from bot.engine.spreads.prices import LegSession, quote_spread
from bot.engine.views import portfolio as pf
from bot.engine.views.chart import Chart, chart_from_json, merge_points
from bot.engine.views.levels import NotifyLevels
from bot.engine.views.live_orders import LiveOrder, live_orders
from bot.engine.views.series import QuotePoint, QuoteSeries
from bot.engine.views.stats import PERIODS, Stats, stats_from_json

log = logging.getLogger(__name__)

Spawn = Callable[[Coroutine[Any, Any, None], str], None]


class ViewsDesk:
    def __init__(self, ctx: EngineContext, base: BaseApi, registry: JobRegistry) -> None:
        self._ctx = ctx
        self._base = base
        self._registry = registry
        self.series: dict[tuple[str, int], QuoteSeries] = {}
        self.levels = NotifyLevels()
        self._tasks: ActiveTasks | None = None
        self._tickers: dict[str, str] = {}
        self._no_commission: set[str] = set()
        self._spreads: list[Spread] = []  # broker order ids the broker could not tell

    # -- commands -------------------------------------------------------------------------

    async def portfolio(self) -> pf.PortfolioView:
        account = self._ctx.account_id
        broker = self._ctx.broker
        try:
            held, positions, margin = await asyncio.gather(
                broker.portfolio(account_id=account),
                broker.positions(account_id=account),
                broker.margin_attributes(account_id=account),
            )
        except broker_errors.BrokerError as exc:
            raise _broker_refusal(exc) from exc
        except NotImplementedError as exc:
            raise UserError(text_keys.BROKER_ERROR, message="portfolio", code="") from exc
        cash: dict[str, Decimal] = {}
        for money in (*positions.money, *positions.blocked):
            cash[money.currency] = cash.get(money.currency, Decimal(0)) + money.amount
        spreads = await self._spreads_or_none()
        view = pf.build(
            _holdings(held),
            cash.items(),
            taken_at=self._ctx.clock.now(),
            margin=pf.margin_of(
                None if margin.liquid_portfolio is None else margin.liquid_portfolio.amount,
                None if margin.starting_margin is None else margin.starting_margin.amount,
            ),
            spreads=[_legs(s) for s in spreads],
        )
        for line in view.lines:
            for key in (line.uid, line.figi):
                if key:
                    self._tickers[key] = line.ticker
        return view

    async def live_orders(self) -> list[LiveOrder]:
        account = self._ctx.account_id
        broker = self._ctx.broker
        try:
            orders, stops = await asyncio.gather(
                broker.active_orders(account_id=account),
                broker.active_stop_orders(account_id=account),
            )
        except broker_errors.BrokerError as exc:
            raise _broker_refusal(exc) from exc
        records: list[OrderRecord] = []
        if not self._ctx.recorder.is_down:
            try:
                records = await self._base.open_orders()
            except (BaseUnavailable, BaseRejected) as exc:
                log.warning("/orders without the Base: %s", exc)
        await self._learn_tickers(
            [(o.instrument_uid, o.ticker) for o in orders]
            + [(s.instrument_uid, s.ticker) for s in stops]
        )
        return live_orders(orders, stops, records, self._tickers)

    async def stats(self, period: str) -> Stats:
        if period not in PERIODS:
            raise UserError("views.bad_period", periods=", ".join(PERIODS))
        data = await self._base_call(self._base.stats(period))
        return stats_from_json(data)

    async def chart(self, task_kind: str, task_id: int) -> Chart:
        series = self.series.get((task_kind, task_id))
        if series is not None and series.pending:
            await self._flush_quotes()
        data = await self._base_call(self._base.chart(task_kind, task_id))
        if data is None:
            key = "views.no_spread" if task_kind == "spread" else "views.no_sellbuy"
            raise UserError(key, id=task_id)
        unsent = series.pending if series is not None else []
        chart = chart_from_json(data, unsent)
        if series is not None:  # the live series may hold points the Base thinned away
            chart = Chart(
                chart.task_kind,
                chart.task_id,
                chart.title,
                chart.direction,
                chart.target,
                merge_points(chart.points, series.points),
                chart.fills,
            )
        return chart

    # -- background: quotes, snapshots, levels ---------------------------------------------

    def start(self, spawn: Spawn) -> None:
        interval = self._ctx.options.views_snapshot_interval
        if interval is None:
            return
        spawn(self._every(interval, self.tick), "views-snapshot")
        spawn(self._every(self._ctx.options.views_sample_interval, self._sample), "views-quotes")

    async def _every(self, seconds: float, step: Callable[[], Coroutine[Any, Any, None]]) -> None:
        while True:
            try:
                await step()
            except asyncio.CancelledError:
                raise
            except Exception:  # never let the dashboard feed die (nor touch trading)
                log.exception("views: %s failed", getattr(step, "__name__", "step"))
            await self._ctx.clock.sleep(seconds)

    async def tick(self) -> None:
        """One round of the dashboard feed: settings (levels), tasks, snapshot, quotes."""
        if self._ctx.recorder.is_down:
            return
        try:
            settings = await self._base.settings()
            self.levels = NotifyLevels.from_settings(settings)
            setter = getattr(self._ctx.notifier, "set_levels", None)
            if callable(setter):
                setter(self.levels)
            self._tasks = await self._base.active_tasks()
        except (BaseUnavailable, BaseRejected) as exc:
            log.info("views: Base not reachable (%s); next minute", exc)
            return
        try:
            view = await self.portfolio()
        except UserError as exc:
            log.info("views: no portfolio snapshot (%s)", exc.key)
        else:
            await self._put_snapshot(view)
        await self._flush_quotes()
        await self.backfill_commissions()

    async def backfill_commissions(self, limit: int = 20) -> int:
        """Orders filled through the order-state stream learn no commission (the stream does
        not carry it): ask the broker for each (GetOrderState, a few a minute) and record what
        it charged. An order the broker cannot tell about is not asked again this run."""
        try:
            records = await self._base.orders_missing_commission()
        except (BaseUnavailable, BaseRejected) as exc:
            log.info("views: commissions not checked (%s)", exc)
            return 0
        done = 0
        for record in records:
            if done >= limit:
                break
            broker_id = record.broker_order_id
            if broker_id is None or broker_id in self._no_commission:
                continue
            try:
                state = await self._ctx.broker.order_state(
                    account_id=self._ctx.account_id, order_id=broker_id
                )
            except broker_errors.BrokerError as exc:
                log.info("views: no state of order %s (%s)", broker_id, exc)
                self._no_commission.add(broker_id)
                continue
            charged = state.executed_commission
            if charged is None or charged.amount <= 0:
                self._no_commission.add(broker_id)
                continue
            self._ctx.recorder.update_order(
                OrderUpdate(
                    client_order_id=record.client_order_id,
                    status=record.status,
                    commission=charged.amount,
                )
            )
            done += 1
        return done

    async def _put_snapshot(self, view: pf.PortfolioView) -> None:
        jobs = [
            {
                "id": info.job_id,
                "kind": info.kind,
                "title": info.title,
                "executed": info.executed,
                "amount": info.amount,
                "average_price": None if info.average_price is None else str(info.average_price),
                "state": info.state,
                "task_id": info.task_id,
            }
            for info in (job.info() for job in self._registry.jobs())
        ]
        try:
            await self._base.put_portfolio(snapshot_json(view, jobs))
        except (BaseUnavailable, BaseRejected) as exc:
            log.info("views: snapshot not sent (%s)", exc)

    async def _flush_quotes(self) -> None:
        batch: list[tuple[tuple[str, int], list[QuotePoint]]] = []
        for key, series in self.series.items():
            points = series.take_pending()
            if points:
                batch.append((key, points))
        if not batch:
            return
        body = [
            {"task_kind": kind, "task_id": task_id, "points": [p.to_json() for p in points]}
            for (kind, task_id), points in batch
        ]
        try:
            await self._base.post_quotes(body)
        except (BaseUnavailable, BaseRejected) as exc:
            log.info("views: quotes kept for later (%s)", exc)
            for key, points in batch:
                self.series[key].give_back(points)

    async def _sample(self) -> None:
        """The executable price of each running task from the books its job watches."""
        tasks = self._tasks
        if tasks is None:
            return
        now = self._ctx.clock.now()
        feeds = self._ctx.feeds
        running = {(j.kind, j.task_id) for j in self._registry.jobs() if j.task_id is not None}
        for spread in tasks.spreads:
            if ("spread", spread.id) not in running:
                continue
            far = feeds.latest(spread.far.uid or spread.far.figi)
            near = feeds.latest(spread.near.uid or spread.near.figi)
            if far is None or near is None:
                continue
            quote = quote_spread(spread, far, near, LegSession(True), LegSession(True), now)
            sell = quote.sell.spread if quote.sell else None
            buy = quote.buy.spread if quote.buy else None
            self._series("spread", spread.id).add(QuotePoint(now, sell, buy, spread.target_price))
        for task in tasks.sellbuy:
            if ("sellbuy", task.id) not in running:
                continue
            book = feeds.latest(task.instrument.uid or task.instrument.figi)
            if book is None:
                continue
            self._series("sellbuy", task.id).add(
                QuotePoint(now, book.best_bid, book.best_ask, task.limit_price)
            )

    def _series(self, kind: str, task_id: int) -> QuoteSeries:
        key = (kind, task_id)
        series = self.series.get(key)
        if series is None:
            series = self.series[key] = QuoteSeries()
        return series

    # -- helpers --------------------------------------------------------------------------

    async def _spreads_or_none(self) -> list[Spread]:
        """The spreads whose legs /portfolio groups: the active ones and those that traded (a
        finished spread's legs are still held), newest first; the last known without the Base."""
        if not self._ctx.recorder.is_down:
            try:
                lister = getattr(self._base, "spreads", None)  # BaseClient; fakes may lack it
                if callable(lister):
                    every: list[Spread] = await lister()
                    self._spreads = [
                        s for s in every if s.active or s.far_executed or s.near_executed
                    ]
                else:
                    self._spreads = list((await self._base.active_tasks()).spreads)
            except (BaseUnavailable, BaseRejected) as exc:
                log.info("/portfolio without fresh spread grouping: %s", exc)
        return self._spreads

    async def _learn_tickers(self, pairs: list[tuple[str, str]]) -> None:
        for uid, ticker in pairs:
            if not uid or uid in self._tickers:
                continue
            if ticker:
                self._tickers[uid] = ticker
                continue
            try:
                instrument = await self._ctx.broker.instrument_by_uid(uid)
            except (broker_errors.BrokerError, NotImplementedError):
                continue
            self._tickers[uid] = instrument.ticker

    async def _base_call(self, call: Coroutine[Any, Any, Any]) -> Any:
        if self._ctx.recorder.is_down:
            call.close()
            raise UserError(text_keys.BASE_UNAVAILABLE)
        try:
            return await call
        except BaseUnavailable as exc:
            self._ctx.recorder.mark_down()
            raise UserError(text_keys.BASE_UNAVAILABLE) from exc
        except BaseRejected as exc:
            raise UserError(text_keys.BASE_REJECTED, message=exc.message) from exc


def _broker_refusal(exc: broker_errors.BrokerError) -> UserError:
    return UserError(text_keys.BROKER_ERROR, message=exc.user_message(), code=exc.api_code or "")


def _holdings(portfolio: Portfolio) -> list[pf.Holding]:
    """The broker's positions (currencies are cash, not positions). Prices are the broker's
    money per piece, so one quote unit is one rouble."""
    result = []
    for p in portfolio.positions:
        if p.instrument_type == "currency":
            continue
        average, current = p.average_position_price, p.current_price
        result.append(
            pf.Holding(
                ticker=p.ticker or p.figi,
                quantity=p.quantity,
                average=None if average is None else average.amount,
                current=None if current is None else current.amount,
                is_future=p.instrument_type == "futures",
                uid=p.instrument_uid,
                figi=p.figi,
            )
        )
    return result


def _legs(spread: Spread) -> pf.SpreadLegs:
    return pf.SpreadLegs(
        spread_id=spread.id,
        label=f"#{spread.id} {spread_title(spread)}",
        far_ids=frozenset(i for i in (spread.far.uid, spread.far.figi) if i),
        near_ids=frozenset(i for i in (spread.near.uid, spread.near.figi) if i),
    )


def snapshot_json(view: pf.PortfolioView, jobs: list[dict[str, Any]]) -> dict[str, Any]:
    """The dashboard's snapshot (docs/base-api.md, PUT portfolio/)."""

    def text(value: Decimal | None) -> str | None:
        return None if value is None else str(value)

    positions = []
    for group in view.groups:
        for line in group.lines:
            positions.append(
                {
                    "ticker": line.ticker,
                    "quantity": text(line.quantity.normalize()),
                    "average_price": text(line.average),
                    "current_price": text(line.current),
                    "value": text(line.value),
                    "pnl": text(line.pnl),
                    "pnl_negative": line.pnl is not None and line.pnl < 0,
                    "pnl_percent": text(line.pnl_percent),
                    "group": group.label,
                }
            )
    margin = view.margin
    return {
        "taken_at": view.taken_at.isoformat(),
        "positions": positions,
        "cash": [{"currency": c, "amount": str(a)} for c, a in view.cash],
        "margin": None
        if margin is None
        else {"used": str(margin.used), "free": str(margin.free), "liquid": str(margin.liquid)},
        "total": str(view.total),
        "jobs": jobs,
    }
