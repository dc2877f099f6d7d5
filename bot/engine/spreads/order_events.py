"""Order-state events from the broker's OrderStateStream, routed to the jobs following those
orders, by our request id (the client UUID).

Each event carries the order's state (executed lots and trades): the job applies it through the
order desk (`OrderDesk.adopt`) with no REST call at all. Why: GetOrderState shares the Orders
service budget (about 100 requests a minute for the account), so 50 live far orders cannot be
polled every second. With a healthy stream a job learns of a fill at once and polls only as a
slow safety net; when the stream fails the jobs fall back to polling at the engine's poll
interval.

One router per engine (one stream per account):

    router = OrderEventRouter()
    task = asyncio.create_task(router.run(lambda: client.order_state_stream(account_id)))
    start_spread(..., order_events=router)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any, Protocol

log = logging.getLogger(__name__)


class HasRequestId(Protocol):
    @property
    def request_id(self) -> str: ...


class OrderEventRouter:
    def __init__(self, *, retry_after: float = 5.0) -> None:
        self._watchers: dict[str, Callable[[Any], None]] = {}
        self._retry_after = retry_after
        self.healthy = False  # a stream is connected and delivering
        self.events = 0

    def watch(self, client_order_id: str, callback: Callable[[Any], None]) -> None:
        """`callback(state)` for each event of that order (the stream's OrderState)."""
        self._watchers[client_order_id] = callback

    def unwatch(self, client_order_id: str) -> None:
        self._watchers.pop(client_order_id, None)

    def dispatch(self, state: HasRequestId) -> None:
        self.events += 1
        callback = self._watchers.get(state.request_id)
        if callback is not None:
            callback(state)

    async def run(self, open_stream: Callable[[], AsyncIterator[HasRequestId]]) -> None:
        """Follow the stream, reopening it after a failure; `healthy` says whether the jobs may
        rely on it."""
        while True:
            stream = open_stream()
            try:
                self.healthy = True
                async for state in stream:
                    self.dispatch(state)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("order-state stream failed (%s); jobs poll meanwhile", exc)
            finally:
                self.healthy = False
                close = getattr(stream, "close", None)
                if close is not None:
                    with contextlib.suppress(Exception):
                        await close()
            await asyncio.sleep(self._retry_after)
