"""Order books for jobs: one feed per instrument shared by every job trading it.

A feed follows the broker's order-book stream when the broker has one and falls back to polling
GetOrderBook when the stream fails (it tries the stream again later). Jobs wait for a newer book
with `wait_newer`.
"""

from __future__ import annotations

import asyncio
import logging

from bot.broker import errors as broker_errors
from bot.broker.types import OrderBook
from bot.engine.broker_port import BrokerPort
from bot.engine.clock import Clock

log = logging.getLogger(__name__)

STREAM_RETRY_AFTER = 30.0


class BookFeed:
    def __init__(
        self,
        broker: BrokerPort,
        instrument_id: str,
        *,
        depth: int,
        poll_interval: float,
        clock: Clock,
    ) -> None:
        self._broker = broker
        self._instrument_id = instrument_id
        self._depth = depth
        self._poll_interval = poll_interval
        self._clock = clock
        self.book: OrderBook | None = None
        self.version = 0
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.users = 0

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"book-{self._instrument_id}")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.wait({self._task}, timeout=5.0)  # bounded: closing never hangs
            self._task = None

    def _publish(self, book: OrderBook) -> None:
        old = self.book
        if old is not None and old.bids == book.bids and old.asks == book.asks:
            return
        self.book = book
        self.version += 1
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_newer(
        self,
        version: int,
        within: float,
        stop: asyncio.Event,
        also: asyncio.Event | None = None,
    ) -> int:
        """Wait until the book is newer than `version`, `within` seconds pass, `stop` is set or
        `also` (e.g. an order-state change) fires; returns the current version."""
        if self.version > version or stop.is_set() or (also is not None and also.is_set()):
            return self.version
        waiters = {
            asyncio.ensure_future(self._changed.wait()),
            asyncio.ensure_future(stop.wait()),
            asyncio.ensure_future(self._clock.sleep(within)),
        }
        if also is not None:
            waiters.add(asyncio.ensure_future(also.wait()))
        try:
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for fut in waiters:
                fut.cancel()
        return self.version

    async def refresh(self) -> OrderBook | None:
        """Read the book now (used before a decision when no stream runs)."""
        try:
            self._publish(await self._broker.order_book(self._instrument_id, self._depth))
        except broker_errors.BrokerError as exc:
            log.warning("order book %s: %s", self._instrument_id, exc)
        return self.book

    async def _run(self) -> None:
        while True:
            if self._broker.has_book_stream:
                try:
                    async for book in self._broker.order_book_stream(
                        self._instrument_id, self._depth
                    ):
                        self._publish(book)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    log.warning("book stream %s failed (%s); polling", self._instrument_id, exc)
                await self._poll_for(STREAM_RETRY_AFTER)
            else:
                await self._poll_for(None)

    async def _poll_for(self, seconds: float | None) -> None:
        waited = 0.0
        while seconds is None or waited < seconds:
            await self.refresh()
            await self._clock.sleep(self._poll_interval)
            waited += self._poll_interval


class BookFeeds:
    """Feeds by instrument id, started on first use and closed when the last job lets go."""

    def __init__(
        self, broker: BrokerPort, *, depth: int, poll_interval: float, clock: Clock
    ) -> None:
        self._broker = broker
        self._depth = depth
        self._poll_interval = poll_interval
        self._clock = clock
        self._feeds: dict[str, BookFeed] = {}

    def acquire(self, instrument_id: str) -> BookFeed:
        feed = self._feeds.get(instrument_id)
        if feed is None:
            feed = BookFeed(
                self._broker,
                instrument_id,
                depth=self._depth,
                poll_interval=self._poll_interval,
                clock=self._clock,
            )
            self._feeds[instrument_id] = feed
            feed.start()
        feed.users += 1
        return feed

    async def release(self, feed: BookFeed) -> None:
        feed.users -= 1
        if feed.users <= 0:
            for key, value in list(self._feeds.items()):
                if value is feed:
                    del self._feeds[key]
            await feed.close()

    def latest(self, instrument_id: str) -> OrderBook | None:
        """The last book a running feed holds (no request): None when nobody watches it."""
        feed = self._feeds.get(instrument_id)
        return None if feed is None else feed.book

    async def close(self) -> None:
        for feed in list(self._feeds.values()):
            await feed.close()
        self._feeds.clear()
