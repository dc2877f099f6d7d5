"""The tape writer: a bounded queue filled by the stream tap, drained by a thread.

`TapeWriter.put` is all the trading path pays: a timestamp and a non-blocking put (a full queue
drops the event and counts it; it never waits). A daemon thread wakes every `flush_interval`,
turns what is queued into tape lines, compresses them as one gzip member per day file and
appends it (flushed to the OS, then fsynced), so a crash loses at most the last interval. It
enforces the size cap and prunes old days when the day changes.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from bot.broker.types import LastPrice, OrderBook
from bot.engine.tape import format as fmt
from bot.engine.tape.policy import TapeOptions, may_write, to_prune, trading_day

log = logging.getLogger(__name__)

Item = tuple[OrderBook | LastPrice, float]


def to_event(item: OrderBook | LastPrice, received: float, depth: int) -> fmt.TapeEvent:
    receive_time = datetime.fromtimestamp(received, UTC)
    if isinstance(item, OrderBook):
        return fmt.TapeEvent(
            kind="book",
            uid=item.instrument_uid,
            figi=item.figi,
            ticker=item.ticker,
            class_code=item.class_code,
            exchange_time=item.time,
            receive_time=receive_time,
            bids=tuple((lv.price, lv.lots) for lv in item.bids[:depth]),
            asks=tuple((lv.price, lv.lots) for lv in item.asks[:depth]),
        )
    return fmt.TapeEvent(
        kind="last",
        uid=item.instrument_uid,
        figi=item.figi,
        ticker=item.ticker,
        class_code=item.class_code,
        exchange_time=item.time,
        receive_time=receive_time,
        price=item.price,
    )


class TapeWriter:
    def __init__(self, folder: Path, options: TapeOptions, *, fsync: bool = True) -> None:
        self.folder = folder
        self.options = options
        self._fsync = fsync
        self._queue: queue.Queue[Item] = queue.Queue(maxsize=max(options.queue_size, 1))
        self._wake = threading.Event()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._day: str | None = None
        self._sizes: dict[str, int] = {}
        # names learnt from the stream (books carry ticker and class code; a last price may not)
        self._names: dict[str, tuple[str, str]] = {}
        self.recorded = 0  # events written
        self.dropped = 0  # events refused because the queue was full
        self.capped = 0  # events refused by the size cap
        self.bytes_written = 0
        self.flushes = 0

    # ---- the trading path

    def put(self, item: OrderBook | LastPrice) -> None:
        """Queue one book or last price as received now; never blocks."""
        try:
            self._queue.put_nowait((item, time.time()))
        except queue.Full:
            self.dropped += 1

    # ---- life cycle

    def start(self) -> None:
        if self._thread is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._scan()
            self._thread = threading.Thread(target=self._run, name="tape-writer", daemon=True)
            self._thread.start()

    def close(self) -> None:
        """Write what is queued and stop the thread (blocking; call it off the event loop)."""
        self._stopping = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30.0)
            self._thread = None
        else:
            self.flush()

    # ---- the writer thread

    def _run(self) -> None:
        while not self._stopping:
            self._wake.wait(self.options.flush_interval)
            self._wake.clear()
            try:
                self.flush()
            except Exception:
                log.exception("tape: writing failed")
        try:
            self.flush()
        except Exception:
            log.exception("tape: last write failed")

    def flush(self) -> int:
        """Write everything queued now (one gzip member per day touched); returns events written."""
        items: list[Item] = []
        while True:
            try:
                items.append(self._queue.get_nowait())
            except queue.Empty:
                break
        if not items:
            return 0
        by_day: dict[str, list[str]] = {}
        counts: dict[str, int] = {}
        for item, received in items:
            event = to_event(item, received, self.options.depth)
            event = self._named(event)
            day = trading_day(event.receive_time)
            by_day.setdefault(day, []).append(fmt.encode(event))
            counts[day] = counts.get(day, 0) + 1
        written = 0
        for day in sorted(by_day):
            if day != self._day:
                self._day = day
                self._prune(day)
            block = fmt.compress_block(by_day[day])
            if not may_write(sum(self._sizes.values()), len(block), self.options.max_bytes):
                self._prune(day)  # make room from older days first
                if not may_write(sum(self._sizes.values()), len(block), self.options.max_bytes):
                    if not self.capped:
                        log.warning("tape: the size cap is reached; not recording until room")
                    self.capped += counts[day]
                    continue
            self._append(day, block)
            written += counts[day]
        self.recorded += written
        self.flushes += 1
        return written

    def _named(self, event: fmt.TapeEvent) -> fmt.TapeEvent:
        key = event.uid or event.figi
        if event.ticker:
            self._names[key] = (event.ticker, event.class_code)
            return event
        known = self._names.get(key)
        if known is None:
            return event
        return fmt.TapeEvent(
            kind=event.kind,
            uid=event.uid,
            figi=event.figi,
            ticker=known[0],
            class_code=known[1],
            exchange_time=event.exchange_time,
            receive_time=event.receive_time,
            bids=event.bids,
            asks=event.asks,
            price=event.price,
        )

    def name(self, uid: str, ticker: str, class_code: str) -> None:
        """Tell the writer an instrument's ticker (for last prices that arrive without it)."""
        self._names[uid] = (ticker, class_code)

    def _path(self, day: str) -> Path:
        return self.folder / f"{day}{fmt.SUFFIX}"

    def _append(self, day: str, block: bytes) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self._path(day), "ab") as out:
            out.write(block)
            out.flush()
            if self._fsync:
                os.fsync(out.fileno())
        self._sizes[day] = self._sizes.get(day, 0) + len(block)
        self.bytes_written += len(block)

    def _scan(self) -> None:
        self._sizes = {fmt.day_of(p): p.stat().st_size for p in fmt.day_files(self.folder)}

    def _prune(self, today: str) -> None:
        doomed = to_prune(
            sorted(self._sizes.items()),
            today,
            max_bytes=self.options.max_bytes,
            retention_days=self.options.retention_days,
        )
        for day in doomed:
            try:
                self._path(day).unlink(missing_ok=True)
            except OSError as exc:
                log.warning("tape: cannot delete %s: %s", day, exc)
                continue
            self._sizes.pop(day, None)
            log.info("tape: deleted the recording of %s", day)
