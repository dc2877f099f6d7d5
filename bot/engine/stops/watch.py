"""Stop activations: while the bot runs, notice when one of the account's stop orders fires.

The broker has no stop-order stream, so GetStopOrders (status ALL: one request sees the fired,
the cancelled and the expired) is polled every `poll_interval` seconds at background priority (it
shares the 50/min stop-order budget with the bulk commands, which go first). The first poll only
learns what had fired before; each stop seen executed afterwards is reported once
(StopActivated) with the fate of the order it became (GetOrderState by its exchange order id); an
order not final yet is followed and its fate reported again when it is. Every fired, cancelled or
expired stop is also handed to the desk (`on_fired`, `on_ended`), which closes the Base's record
of its own stop orders, also of those cancelled in the broker's app or expired.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from decimal import Decimal

from bot.broker import errors as broker_errors
from bot.broker import ratelimit
from bot.broker.types import OrderState, StopOrder, StopOrderStatus
from bot.engine import events
from bot.engine.context import EngineContext

log = logging.getLogger(__name__)

STATUS_NAMES = {
    "EXECUTION_REPORT_STATUS_NEW": "new",
    "EXECUTION_REPORT_STATUS_PARTIALLYFILL": "partially_filled",
    "EXECUTION_REPORT_STATUS_FILL": "filled",
    "EXECUTION_REPORT_STATUS_CANCELLED": "cancelled",
    "EXECUTION_REPORT_STATUS_REJECTED": "rejected",
}


ENDED = (StopOrderStatus.CANCELED, StopOrderStatus.EXPIRED)


def _tell(callback: Callable[[StopOrder], None] | None, stops: list[StopOrder], what: str) -> None:
    if callback is None:
        return
    for stop in stops:
        try:
            callback(stop)
        except Exception:  # recording never stops the watching
            log.exception("recording %s stop order failed", what)


class ActivationWatcher:
    def __init__(
        self,
        ctx: EngineContext,
        *,
        poll_interval: float = 30.0,
        on_fired: Callable[[StopOrder], None] | None = None,
        on_ended: Callable[[StopOrder], None] | None = None,
    ) -> None:
        self._ctx = ctx
        self.poll_interval = poll_interval
        # told of every fired stop order seen (also those that fired while the bot was down)
        self._on_fired = on_fired
        # told of every stop order seen cancelled or expired (by the bot, the owner, the broker)
        self._on_ended = on_ended
        self._seen: set[str] | None = None  # None until the first poll
        self._following: dict[str, StopOrder] = {}  # exchange order id -> the stop that fired
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="stop-activations")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _loop(self) -> None:
        while True:
            try:
                await self.poll()
            except asyncio.CancelledError:
                raise
            except NotImplementedError:
                return  # a broker without stop orders: nothing to watch
            except Exception:
                log.exception("stop activation poll failed")
            await self._ctx.clock.sleep(self.poll_interval)

    async def poll(self) -> int:
        """One round: report the stops that fired since the last round; returns how many."""
        with ratelimit.priority(ratelimit.PRIORITY_BACKGROUND):
            try:
                stops = await self._ctx.broker.stop_orders(
                    account_id=self._ctx.account_id, status=StopOrderStatus.ALL
                )
            except broker_errors.BrokerError as exc:
                log.info("stop orders not read now: %s", exc)
                return 0
            fired = [
                s for s in stops if s.exchange_order_id or s.status == StopOrderStatus.EXECUTED
            ]
            ended = [s for s in stops if s.status in ENDED and not s.exchange_order_id]
            _tell(self._on_fired, fired, "a fired")
            _tell(self._on_ended, ended, "an ended")
            if self._seen is None:
                self._seen = {s.stop_order_id for s in fired}
                return 0
            new = [s for s in fired if s.stop_order_id not in self._seen]
            for stop in new:
                self._seen.add(stop.stop_order_id)
                await self._report(stop)
            for order_id, stop in list(self._following.items()):
                state = await self._order(order_id)
                if state is not None and state.is_final:
                    del self._following[order_id]
                    await self._notify(stop, state)
        return len(new)

    async def _order(self, order_id: str) -> OrderState | None:
        if not order_id:
            return None
        try:
            return await self._ctx.broker.order_state(
                account_id=self._ctx.account_id, order_id=order_id
            )
        except broker_errors.BrokerError as exc:
            log.info("state of order %s not read: %s", order_id, exc)
            return None

    async def _report(self, stop: StopOrder) -> None:
        state = await self._order(stop.exchange_order_id)
        if state is not None and not state.is_final:
            self._following[stop.exchange_order_id] = stop
        await self._notify(stop, state)

    async def _notify(self, stop: StopOrder, state: OrderState | None) -> None:
        average: Decimal | None = None
        if state is not None and state.average_position_price is not None:
            average = state.average_position_price.amount or None
        await self._ctx.notify(
            events.StopActivated(
                job_id=None,
                at=self._ctx.clock.now(),
                ticker=stop.ticker,
                direction="sell" if stop.direction.wire.endswith("SELL") else "buy",
                stop_price=stop.stop_price,
                lots=stop.lots_requested,
                order_status="unknown"
                if state is None
                else STATUS_NAMES.get(state.status.wire, "unknown"),
                lots_executed=0 if state is None else state.lots_executed,
                average_price=average,
            )
        )
