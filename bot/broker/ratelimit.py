"""Client-side rate limiting of unary broker calls.

Each call belongs to a bucket: a method with its own documented limit (PostOrder 300/min,
CancelOrder 100/min, GetOrders 200/min) or else its service (Orders 100/min, MarketData 600/min...).
A bucket is a sliding window: at most `limit` calls start within any `window` seconds, so the
broker's counter can never be exceeded by this process. On top of that:

- the `x-ratelimit-limit/-remaining/-reset` response headers adjust the bucket (a server limit
  other than ours replaces it; `remaining: 0` blocks the bucket until the reset);
- a 429 blocks the bucket until its reset (`block`), so every caller waits, not only the one
  that was refused;
- GetUserTariff's per-method limits can replace the defaults (`apply_tariff`);
- a global bucket keeps total traffic at or below 50 requests per second.

Callers queue per bucket by priority, FIFO within one priority, and sleep until their slot; there
is no polling. A caller's priority comes from the context (`priority(n)`, a context variable, so it
follows the tasks a bulk command starts): `/cancel` before `/nuke` before `/restore`, `/stops`,
`/shorts`, background polls last; calls that set none keep `PRIORITY_DEFAULT` (0, first). In
the global bucket only, order calls (`PRIORITY_METHODS`: placing, cancelling and checking an
order) go before the others, FIFO among themselves: a burst of market-data polling queued there
must not delay a hedge. Waits at or above `report_threshold` seconds are reported
through `on_wait(method, seconds)` (the engine turns them into RateLimitWait events).
`time_scale` shrinks every window and reset for tests and benchmarks (0.01: a 60 s window lasts
0.6 s).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import heapq
import itertools
import logging
import math
import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from bot.broker.errors import header

log = logging.getLogger(__name__)

PACKAGE = "tinkoff.public.invest.api.contract.v1."

# Documented unary limits per minute (limits.md): per service, with method-specific ones.
DEFAULT_LIMITS: dict[str, int] = {
    "InstrumentsService": 200,
    "UsersService": 100,
    "OperationsService": 200,
    "MarketDataService": 600,
    "StopOrdersService": 50,
    "SandboxService": 200,
    "OrdersService": 100,
    "OrdersService/GetOrders": 200,
    "OrdersService/PostOrder": 300,
    "OrdersService/CancelOrder": 100,
    "OrdersService/PostOrderAsync": 450,
}
GLOBAL_PER_SECOND = 50
# served first in the global bucket
PRIORITY_METHODS = frozenset(
    {
        "OrdersService/PostOrder",
        "OrdersService/PostOrderAsync",
        "OrdersService/CancelOrder",
        "OrdersService/GetOrderState",
    }
)
WINDOW_SECONDS = 60.0
SAME_RESET_SECONDS = 1.5  # two x-ratelimit-reset values this close describe the same window

# Priorities inside a bucket (lower first). Ordinary calls (jobs, single commands) keep the
# default; bulk commands rank among themselves; background polls come last.
PRIORITY_DEFAULT = 0
PRIORITY_CANCEL = 10
PRIORITY_NUKE = 20
PRIORITY_RESTORE = 30
PRIORITY_STOPS = 40
PRIORITY_SHORTS = 50
PRIORITY_BACKGROUND = 90
_priority: contextvars.ContextVar[int] = contextvars.ContextVar(
    "ratelimit_priority", default=PRIORITY_DEFAULT
)


@contextlib.contextmanager
def priority(level: int) -> Iterator[None]:
    """Broker calls made in this context (and in tasks started from it) queue at `level`."""
    token = _priority.set(level)
    try:
        yield
    finally:
        _priority.reset(token)


def current_priority() -> int:
    return _priority.get()


WaitHook = Callable[[str, float], None]


class Clock(Protocol):
    def now(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


class LoopClock:
    """The running event loop's monotonic clock."""

    def now(self) -> float:
        return asyncio.get_running_loop().time()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


@dataclass
class Bucket:
    name: str
    limit: int
    window: float  # seconds, already scaled
    starts: deque[float] = field(default_factory=deque)
    blocked_until: float = 0.0
    server_remaining: int | None = None
    server_reset_at: float = 0.0
    lock: PriorityLock = field(default_factory=lambda: PriorityLock())

    def wait_time(self, now: float) -> float:
        while self.starts and self.starts[0] <= now - self.window:
            self.starts.popleft()
        waits = [self.blocked_until - now]
        if len(self.starts) >= self.limit:
            # the (len - limit + 1)-th oldest start must leave the window
            waits.append(self.starts[len(self.starts) - self.limit] + self.window - now)
        server_says_none_left = self.server_remaining is not None and self.server_remaining <= 0
        if server_says_none_left and now < self.server_reset_at:
            waits.append(self.server_reset_at - now)
        return max(max(waits), 0.0)

    def record(self, now: float) -> None:
        self.starts.append(now)
        if self.server_remaining is not None and now < self.server_reset_at:
            self.server_remaining -= 1


class PriorityLock:
    """A lock whose waiters are served by priority (lower first), in arrival order within one
    priority. Released to the next waiter directly (it never looks free while someone waits)."""

    def __init__(self) -> None:
        self._locked = False
        self._waiters: list[tuple[int, int, asyncio.Future[None]]] = []
        self._arrivals = itertools.count()

    async def acquire(self, priority: int) -> None:
        if not self._locked:
            self._locked = True
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (priority, next(self._arrivals), future))
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self.release()  # handed over just as we were cancelled: pass it on
            # else: our entry stays in the heap (or a release already popped it); `release`
            # skips entries whose future is done, so there is nothing to remove (removing it
            # here raced with a release in the same tick)
            raise

    def release(self) -> None:
        while self._waiters:
            _priority, _n, future = heapq.heappop(self._waiters)
            if not future.done():
                future.set_result(None)  # still locked: now that waiter's
                return
        self._locked = False


_LIMIT_RE = re.compile(r"^\s*(\d+)\s*(?:,\s*(\d+)\s*;\s*w\s*=\s*(\d+(?:\.\d+)?))?")


def parse_limit_header(value: str) -> tuple[int, float | None] | None:
    """'300, 300;w=60' -> (300, 60.0); '300' -> (300, None); garbage -> None."""
    m = _LIMIT_RE.match(value)
    if not m:
        return None
    window = float(m.group(3)) if m.group(3) else None
    return int(m.group(2) or m.group(1)), window


class RateLimiter:
    def __init__(
        self,
        *,
        scale: float = 1.0,
        time_scale: float = 1.0,
        limits: Mapping[str, int] | None = None,
        global_per_second: int | None = GLOBAL_PER_SECOND,
        clock: Clock | None = None,
        on_wait: WaitHook | None = None,
        report_threshold: float = 1.0,
        safety_margin: float = 0.25,
    ) -> None:
        if scale <= 0 or time_scale <= 0:
            raise ValueError("rate-limit scales must be positive")
        self.scale = scale
        self.time_scale = time_scale
        self.clock: Clock = clock or LoopClock()
        self.on_wait = on_wait
        self.report_threshold = report_threshold
        # extra seconds (broker time) added to each window, for clock skew and latency spread
        self.safety_margin = safety_margin
        self._limits: dict[str, int] = dict(limits or DEFAULT_LIMITS)
        self._windows: dict[str, float] = {}
        self._aliases: dict[str, str] = {}  # "Service/Method" -> tariff group bucket
        self._buckets: dict[str, Bucket] = {}
        self._tariff_groups = 0
        self._global: Bucket | None = None
        if global_per_second:
            self._global = Bucket("*", global_per_second, (1.0 + 0.02) * time_scale)
        self._global_lock = PriorityLock()
        self.waits_reported = 0

    # ------------------------------------------------------------ configuration

    def _scaled_limit(self, limit: int) -> int:
        return max(int(limit * self.scale), 1)

    def key(self, service: str, method: str) -> str:
        exact = self._aliases.get(f"{service}/{method}")
        if exact:
            return exact
        if f"{service}/{method}" in self._limits:
            return f"{service}/{method}"
        return self._aliases.get(f"{service}/*") or service

    def bucket(self, service: str, method: str) -> Bucket:
        name = self.key(service, method)
        b = self._buckets.get(name)
        if b is None:
            limit = self._limits.get(name, self._limits.get(service, 100))
            window = self._windows.get(name, WINDOW_SECONDS)
            b = Bucket(name, self._scaled_limit(limit), self._real(window + self.safety_margin))
            self._buckets[name] = b
        return b

    def _real(self, broker_seconds: float) -> float:
        return broker_seconds * self.time_scale

    def apply_tariff(self, groups: Iterable[tuple[int, Iterable[str]]]) -> None:
        """Per-method limits from GetUserTariff: (limit per minute, full method names, where
        "Service/*" stands for every method of the service without a line of its own)."""
        for limit, methods in groups:
            if limit <= 0:
                continue
            self._tariff_groups += 1
            name = f"tariff#{self._tariff_groups}"
            self._limits[name] = limit
            for full in methods:
                short = full.removeprefix(PACKAGE).lstrip("/")
                self._aliases[short] = name
            self._buckets.pop(name, None)

    # ------------------------------------------------------------ use

    async def acquire(self, service: str, method: str) -> float:
        """Wait for a slot for one call (queued fairly behind earlier callers); returns the
        seconds spent waiting. Only the caller at the head of the queue reports its wait."""
        started = self.clock.now()
        bucket = self.bucket(service, method)
        await bucket.lock.acquire(_priority.get())
        try:
            await self._take(bucket, service, method)
        finally:
            bucket.lock.release()
        if self._global is not None:
            priority = 0 if f"{service}/{method}" in PRIORITY_METHODS else 1
            await self._global_lock.acquire(priority)
            try:
                await self._take(self._global, service, method)
            finally:
                self._global_lock.release()
        return self.clock.now() - started

    async def _take(self, bucket: Bucket, service: str, method: str) -> None:
        """Sleep until `bucket` has a slot and take it (the caller holds the bucket's lock)."""
        while True:
            now = self.clock.now()
            delay = bucket.wait_time(now)
            if delay <= 0:
                bucket.record(now)
                return
            self._report(f"{service}/{method}", delay)
            await self.clock.sleep(delay)

    def _report(self, method: str, seconds: float) -> None:
        broker_seconds = seconds / self.time_scale
        if self.on_wait is None or broker_seconds < self.report_threshold:
            return
        self.waits_reported += 1
        try:
            self.on_wait(method, broker_seconds)
        except Exception:  # a reporting hook must never break trading
            log.exception("rate-limit wait hook failed")

    def estimate(self, service: str, method: str, calls: int) -> float:
        """Broker seconds `calls` more calls of this bucket need at its limit, counting what the
        current window still allows at once (a plan's "about N min" figure)."""
        if calls <= 0:
            return 0.0
        b = self.bucket(service, method)
        now = self.clock.now()
        b.wait_time(now)  # drops starts that left the window
        free_now = max(b.limit - len(b.starts), 0)
        if b.server_remaining is not None and now < b.server_reset_at:
            free_now = min(free_now, max(b.server_remaining, 0))
        later = max(calls - free_now, 0)
        window = b.window / self.time_scale
        return math.ceil(later / b.limit) * window if later else 0.0

    def block(self, service: str, method: str, broker_seconds: float) -> None:
        """A 429: nobody calls this bucket before the reset."""
        b = self.bucket(service, method)
        until = self.clock.now() + self._real(max(broker_seconds, 0.0))
        b.blocked_until = max(b.blocked_until, until)

    def observe(self, service: str, method: str, headers: Mapping[str, str]) -> None:
        """Adjust the bucket from x-ratelimit-* response headers (either spelling)."""
        b = self.bucket(service, method)
        raw_limit = header(headers, "x-ratelimit-limit")
        if raw_limit:
            parsed = parse_limit_header(raw_limit)
            if parsed:
                limit, window = parsed
                new_limit = self._scaled_limit(limit)
                if new_limit != b.limit:
                    log.info("rate limit of %s is now %s/min (was %s)", b.name, new_limit, b.limit)
                    b.limit = new_limit
                if window:
                    b.window = self._real(window + self.safety_margin)
        raw_remaining = header(headers, "x-ratelimit-remaining")
        raw_reset = header(headers, "x-ratelimit-reset")
        if raw_remaining is None or raw_reset is None:
            return
        try:
            remaining = int(raw_remaining.split(",")[0].strip())
            reset = float(raw_reset.split(",")[0].strip())
        except ValueError:
            return
        if not math.isfinite(reset) or reset < 0:
            return
        now = self.clock.now()
        b.server_remaining = remaining
        reset_at = now + self._real(reset + self.safety_margin)
        # the reset comes in whole seconds (rounded up): answers of the same window each bound
        # the true reset from above, so the earliest bound is the closest (a bound more than a
        # second or two away from the last one belongs to a new window and replaces it)
        same_window = abs(reset_at - b.server_reset_at) < self._real(SAME_RESET_SECONDS)
        if same_window and b.server_reset_at > now:
            reset_at = min(reset_at, b.server_reset_at)
        b.server_reset_at = reset_at
