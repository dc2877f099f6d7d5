"""Order states pushed by the broker (OrderStateStream), shared by every job of an engine.

Jobs learn about fills at once from here and poll GetOrderState only as a safety net. The stream
may send only the new trades with each event, so the trades of an order are accumulated: a job
that wakes after two events still sees both.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from dataclasses import replace

from bot.broker.types import OrderState, OrderTrade
from bot.engine.broker_port import BrokerPort

log = logging.getLogger(__name__)

RESTART_AFTER = 5.0
KEEP = 5000  # order states remembered (the oldest are dropped first)


class OrderWatcher:
    def __init__(self, broker: BrokerPort, account_id: str) -> None:
        self._broker = broker
        self._account_id = account_id
        self._states: OrderedDict[str, OrderState] = OrderedDict()
        self._trades: OrderedDict[str, dict[str, OrderTrade]] = OrderedDict()
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.events = 0

    @property
    def enabled(self) -> bool:
        return self._broker.has_order_stream

    def start(self) -> None:
        if self._task is None and self.enabled:
            self._task = asyncio.create_task(self._run(), name="order-states")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.wait({self._task}, timeout=5.0)  # bounded: closing never hangs
            self._task = None

    def changed(self) -> asyncio.Event:
        """An event set at the next state change."""
        return self._changed

    def latest(self, broker_order_id: str | None, request_id: str) -> OrderState | None:
        if broker_order_id and broker_order_id in self._states:
            return self._states[broker_order_id]
        return self._states.get(request_id)

    def forget(self, broker_order_id: str | None, request_id: str) -> None:
        for key in (broker_order_id, request_id):
            if key:
                self._states.pop(key, None)
                self._trades.pop(key, None)

    def put(self, state: OrderState) -> None:
        key = state.order_id or state.request_id
        trades = self._trades.setdefault(key, {})
        for trade in state.trades:
            trades[trade.trade_id] = trade
        merged = replace(state, trades=tuple(trades.values()))
        for name in (state.order_id, state.request_id):
            if name:
                self._states[name] = merged
                self._states.move_to_end(name)
        self._trades.move_to_end(key)
        while len(self._trades) > KEEP:
            self._trades.popitem(last=False)
        while len(self._states) > 2 * KEEP:
            self._states.popitem(last=False)
        self.events += 1
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def _run(self) -> None:
        while True:
            try:
                async for state in self._broker.order_states(self._account_id):
                    self.put(state)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("order-state stream failed (%s); jobs poll meanwhile", exc)
            await asyncio.sleep(RESTART_AFTER)
