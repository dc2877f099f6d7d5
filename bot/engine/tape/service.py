"""The market recorder inside the engine, and /whatif (run in a worker process, `worker.py`).

`TapeService` taps the broker client's market-data stream (every book and last price it already
receives goes to the tape writer) and keeps stream-only subscriptions for the watchlist of the
trading settings (books and last prices) and for the last prices of the instruments the jobs
watch. Stream-only: while the stream is down they are not polled, so recording never costs a
broker request. The watchlist is read from the Base every `WATCH_INTERVAL` seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from decimal import Decimal
from pathlib import Path
from typing import Any

from bot.base_client.api import BaseApi
from bot.base_client.errors import BaseRejected, BaseUnavailable
from bot.base_client.types import Spread
from bot.broker.stream import MarketDataStream, Subscription
from bot.engine.interface import UserError
from bot.engine.tape.policy import TapeOptions
from bot.engine.tape.whatif import WhatIfError, WhatIfResult, select_days
from bot.engine.tape.worker import WhatIfRequest, run_in_worker
from bot.engine.tape.writer import TapeWriter

log = logging.getLogger(__name__)

WATCH_INTERVAL = 60.0
MAX_WHATIF_DAYS = 30


def market_stream_of(broker: object) -> MarketDataStream | None:
    """The broker client's shared market-data stream (a TInvestClient or a port over one)."""
    for candidate in (broker, getattr(broker, "client", None)):
        stream = getattr(candidate, "market_stream", None)
        if isinstance(stream, MarketDataStream):
            return stream
    return None


class TapeService:
    def __init__(
        self,
        broker: object,
        base: BaseApi,
        state_dir: Path | None,
        options: TapeOptions | None = None,
    ) -> None:
        self.options = options or TapeOptions()
        self.folder = state_dir / "tape" if state_dir is not None else None
        self._base = base
        self._stream = market_stream_of(broker) if self.options.enabled else None
        self.writer: TapeWriter | None = None
        if self._stream is not None and self.folder is not None:
            self.writer = TapeWriter(self.folder, self.options)
        self._books: dict[str, Subscription[Any]] = {}  # watchlist uid -> book subscription
        self._prices: dict[str, Subscription[Any]] = {}  # uid -> last-price subscription
        self._watchlist: dict[str, str] = {}  # ticker -> uid
        self._task: asyncio.Task[None] | None = None
        self._whatif_lock = asyncio.Lock()
        self._whatif_runs: set[asyncio.Task[WhatIfResult]] = set()

    @property
    def recording(self) -> bool:
        return self.writer is not None

    def start(self) -> None:
        if self.writer is None or self._stream is None or self._task is not None:
            return
        self.writer.start()
        self._stream.taps.append(self.writer.put)
        self._task = asyncio.create_task(self._watch(), name="tape-watch")

    async def close(self) -> None:
        for run in list(self._whatif_runs):  # its worker process is killed with it
            run.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await run
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None
        for sub in [*self._books.values(), *self._prices.values()]:
            sub.close()
        self._books.clear()
        self._prices.clear()
        if self.writer is not None:
            if self._stream is not None and self.writer.put in self._stream.taps:
                self._stream.taps.remove(self.writer.put)
            await asyncio.to_thread(self.writer.close)

    # ---- subscriptions

    async def _watch(self) -> None:
        while True:
            try:
                await self.sync()
            except Exception:
                log.exception("tape: keeping the subscriptions failed")
            await asyncio.sleep(WATCH_INTERVAL)

    async def sync(self) -> None:
        """Follow the watchlist of the settings and the instruments the jobs watch."""
        stream = self._stream
        if stream is None:
            return
        try:
            tickers = (await self._base.settings()).tape_watchlist
        except (BaseUnavailable, BaseRejected) as exc:
            log.info("tape: watchlist not read (%s); keeping the current one", exc)
            tickers = tuple(self._watchlist)
        watch: dict[str, str] = {}
        for ticker in tickers:
            uid = self._watchlist.get(ticker)
            if uid is None:
                try:
                    inst = await self._base.instrument_by_ticker(ticker)
                except (BaseUnavailable, BaseRejected):
                    continue
                if inst is None or not (inst.uid or inst.figi):
                    log.warning("tape: %s is not in the catalogue; not recorded", ticker)
                    continue
                uid = inst.uid or inst.figi
                if self.writer is not None:
                    self.writer.name(uid, inst.ticker, inst.class_code)
            watch[ticker] = uid
        self._watchlist = watch
        wanted_books = set(watch.values())
        for uid in set(self._books) - wanted_books:
            self._books.pop(uid).close()
        for uid in wanted_books - set(self._books):
            self._books[uid] = stream.subscribe_order_book(uid, self.options.depth, poll=False)
        # last prices: the watchlist's and those of every book the jobs have subscribed
        jobs = {entry.rsplit("@", 1)[0] for entry in stream.subscriptions["order_books"]}
        wanted_prices = wanted_books | jobs
        for uid in set(self._prices) - wanted_prices:
            self._prices.pop(uid).close()
        for uid in wanted_prices - set(self._prices):
            self._prices[uid] = stream.subscribe_last_price(uid, poll=False)

    # ---- /whatif

    async def whatif(self, spread_id: int, target: Decimal, days: int) -> WhatIfResult:
        if self.folder is None:
            raise UserError("tape.whatif_no_tape")
        if not 1 <= days <= MAX_WHATIF_DAYS:
            raise UserError("tape.whatif_bad_days", days=days, max=MAX_WHATIF_DAYS)
        spread = await self._spread(spread_id)
        try:
            settings = await self._base.settings()
        except BaseUnavailable as exc:
            raise UserError("base_unavailable") from exc
        files = await asyncio.to_thread(select_days, self.folder, days)
        if not files:
            raise UserError("tape.whatif_no_tape")
        request = WhatIfRequest(
            spread=spread,
            target=target,
            settings=settings,
            files=tuple(files),
            memory_bytes=self.options.whatif_memory_mb * 1024 * 1024,
        )
        async with self._whatif_lock:  # one at a time: each runs a simulator
            # in a worker process: the replay's CPU and memory never reach the live jobs
            run = asyncio.create_task(
                run_in_worker(request, time_limit=self.options.whatif_timeout), name="whatif"
            )
            self._whatif_runs.add(run)
            run.add_done_callback(self._whatif_runs.discard)
            try:
                return await run
            except WhatIfError as exc:
                raise UserError(exc.key, **exc.params) from exc

    async def _spread(self, spread_id: int) -> Spread:
        try:
            lister = getattr(self._base, "spreads", None)
            if lister is not None:
                spreads = list(await lister())
            else:
                spreads = list((await self._base.active_tasks()).spreads)
        except BaseUnavailable as exc:
            raise UserError("base_unavailable") from exc
        except BaseRejected as exc:
            raise UserError("base_rejected", message=exc.message) from exc
        for spread in spreads:
            if spread.id == spread_id:
                return spread
        raise UserError("tape.whatif_unknown_spread", id=spread_id)
