"""Time for the engine: UTC `now()` and `sleep()`, injectable so tests control time."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """Timezone-aware UTC."""
        ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(seconds, 0.0))


async def sleep_until(clock: Clock, moment: datetime, *, step: float = 60.0) -> None:
    """Sleep until `moment` on `clock`, in steps of at most `step` seconds (so a clock that jumps,
    e.g. a laptop waking up or a test advancing time, is noticed)."""
    while True:
        left = (moment - clock.now()).total_seconds()
        if left <= 0:
            return
        await clock.sleep(min(left, step))
