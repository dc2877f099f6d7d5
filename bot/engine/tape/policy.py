"""Day files, the size cap and the retention: pure decisions on names, dates and sizes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

MOSCOW = ZoneInfo("Europe/Moscow")


@dataclass(frozen=True, slots=True)
class TapeOptions:
    """The recorder's settings (BOT_TAPE_* in the environment)."""

    enabled: bool = True
    #: order-book levels kept per side
    depth: int = 10
    #: the whole tape folder never grows past this many bytes (oldest days go first; the day
    #: being written stops taking events when it alone reaches the cap)
    max_bytes: int = 500 * 1024 * 1024
    #: day files older than this many days are deleted
    retention_days: int = 30
    #: seconds between flushes (one gzip member each): a crash loses at most this much
    flush_interval: float = 1.0
    #: events waiting for the writer; when full, new events are dropped and counted
    queue_size: int = 100_000
    #: a /whatif runs in a worker process whose address space is capped at this many megabytes;
    #: one that needs more is stopped and the owner told to try fewer days
    whatif_memory_mb: int = 768
    #: seconds a /whatif may take before its worker is killed
    whatif_timeout: float = 600.0


def trading_day(moment: datetime) -> str:
    """The file name stem of the day a moment belongs to (Moscow date, ISO)."""
    return moment.astimezone(MOSCOW).date().isoformat()


def to_prune(
    days: list[tuple[str, int]], today: str, *, max_bytes: int, retention_days: int
) -> list[str]:
    """The days to delete: those older than the retention, then the oldest others (never
    `today`) while the folder is over the cap. `days` is (day, bytes) pairs."""
    limit = date.fromisoformat(today) - timedelta(days=max(retention_days, 0))
    doomed: list[str] = []
    kept: list[tuple[str, int]] = []
    for day, size in sorted(days):
        try:
            old = date.fromisoformat(day) <= limit
        except ValueError:
            continue  # not a day file of ours
        if old and day != today:
            doomed.append(day)
        else:
            kept.append((day, size))
    total = sum(size for _, size in kept)
    for day, size in kept:
        if total <= max_bytes:
            break
        if day == today:
            continue
        doomed.append(day)
        total -= size
    return doomed


def may_write(total_bytes: int, block_bytes: int, max_bytes: int) -> bool:
    """Whether a block fits under the cap."""
    return total_bytes + block_bytes <= max_bytes
