"""The bulk executor: many broker requests under the rate budgets, every one accounted for.

A bulk command (/stops, /shorts, /nuke, /restore, /cancel) hands its items and one coroutine per
item to `BulkRun.run`. Workers (as many as `concurrency`) take items in order and call the broker;
the one rate limiter (bot.broker.ratelimit) paces them at the budget's full rate, with the
command's priority (a context variable the workers inherit), so /cancel overtakes a running
/stops and background polls wait for both. An item whose outcome is unknown (a lost answer, a
5xx after the transport's own retries) goes back to the end of the queue and is sent again with
the same payload (so the same client UUID) until `attempts` are used up; a refusal is final.
Stopping (`stop` set) sends nothing new: the requests in flight finish, an item whose outcome is
still unknown is sent again with its id until it is known, and the items never sent are reported
as not sent. Progress (done, failed, seconds left at the budget's rate) is
reported at most every `progress_interval` seconds and once at the end.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from bot.broker import errors as broker_errors
from bot.broker.ratelimit import priority as rate_priority

log = logging.getLogger(__name__)

T = TypeVar("T")


class ItemFailed(Exception):
    """An item the broker (or a rule) refused: final, named in the summary."""

    def __init__(self, reason: str, code: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


class ItemRetry(Exception):
    """The item's outcome is unknown or the broker was busy: send it again (same payload)."""


@dataclass(frozen=True, slots=True)
class Failure(Generic[T]):
    item: T
    reason: str
    code: str = ""


@dataclass(frozen=True, slots=True)
class BulkStatus:
    done: int
    failed: int
    total: int
    seconds_left: float
    finished: bool = False


@dataclass(slots=True)
class BulkResult(Generic[T]):
    succeeded: list[T] = field(default_factory=list)
    failed: list[Failure[T]] = field(default_factory=list)
    not_sent: list[T] = field(default_factory=list)
    stopped: bool = False
    retries: int = 0


Progress = Callable[[BulkStatus], Awaitable[None]]


class BulkRun(Generic[T]):
    def __init__(
        self,
        *,
        priority: int,
        estimate: Callable[[int], float],
        on_progress: Progress | None = None,
        stop: asyncio.Event | None = None,
        concurrency: int = 8,
        attempts: int = 6,
        retry_pause: float = 0.5,
        progress_interval: float = 3.0,
    ) -> None:
        self.priority = priority
        self.estimate = estimate
        self.on_progress = on_progress
        self.stop = stop or asyncio.Event()
        self.concurrency = max(concurrency, 1)
        self.attempts = max(attempts, 1)
        self.retry_pause = retry_pause
        self.progress_interval = progress_interval
        self._last_report = float("-inf")

    async def run(self, items: Sequence[T], call: Callable[[T], Awaitable[None]]) -> BulkResult[T]:
        result: BulkResult[T] = BulkResult()
        queue: deque[tuple[T, int]] = deque((item, 1) for item in items)
        total = len(items)
        in_flight = 0

        async def report(finished: bool = False) -> None:
            if self.on_progress is None:
                return
            now = asyncio.get_running_loop().time()
            if not finished and now - self._last_report < self.progress_interval:
                return
            self._last_report = now
            left = len(queue) + in_flight
            status = BulkStatus(
                done=len(result.succeeded),
                failed=len(result.failed),
                total=total,
                seconds_left=self.estimate(left) if left else 0.0,
                finished=finished,
            )
            try:
                await self.on_progress(status)
            except Exception:  # reporting never stops the work
                log.exception("bulk progress report failed")

        async def worker() -> None:
            nonlocal in_flight
            while queue:
                item, attempt = queue.popleft()
                if self.stop.is_set() and attempt == 1:
                    result.not_sent.append(item)  # never sent: nothing to resolve
                    continue
                in_flight += 1
                try:
                    await call(item)
                except ItemFailed as exc:
                    result.failed.append(Failure(item, exc.reason, exc.code))
                except (
                    ItemRetry,
                    broker_errors.OrderOutcomeUnknown,
                    broker_errors.TransientError,
                    broker_errors.RateLimited,
                ) as exc:
                    if attempt >= self.attempts:
                        reason = (
                            exc.user_message()
                            if isinstance(exc, broker_errors.BrokerError)
                            else str(exc)
                        )
                        result.failed.append(
                            Failure(item, reason, getattr(exc, "api_code", "") or "")
                        )
                    else:
                        result.retries += 1
                        log.warning(
                            "bulk item will be sent again (attempt %d): %s", attempt + 1, exc
                        )
                        queue.append((item, attempt + 1))
                        await asyncio.sleep(self.retry_pause)
                except broker_errors.BrokerError as exc:
                    result.failed.append(Failure(item, exc.user_message(), exc.api_code or ""))
                else:
                    result.succeeded.append(item)
                finally:
                    in_flight -= 1
                await report()

        with rate_priority(self.priority):
            workers = [
                asyncio.create_task(worker(), name=f"bulk-worker-{n}")
                for n in range(min(self.concurrency, max(total, 1)))
            ]
        try:
            await asyncio.gather(*workers)
        except BaseException:
            for task in workers:
                task.cancel()
            raise
        result.stopped = self.stop.is_set()
        await report(finished=True)
        return result
