"""Trading sessions: is an instrument's session open now, and when does it open next.

The broker's TradingSchedules are authoritative (cached per exchange for a week ahead); when the
broker has no schedule for an exchange, a built-in MOEX calendar is used (weekdays; shares
07:00-18:50 and 19:05-23:50 Moscow, futures 09:00-23:50; weekend 10:00-19:00 for instruments
with weekend trading; main public holidays closed).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.base_client.types import Instrument
from bot.broker import errors as broker_errors
from bot.broker.types import TradingDay, TradingSchedule
from bot.engine.broker_port import BrokerPort
from bot.engine.clock import Clock

log = logging.getLogger(__name__)

MOSCOW = ZoneInfo("Europe/Moscow")
SCHEDULE_DAYS = 7
SCHEDULE_TTL = timedelta(hours=6)
FAILURE_TTL = timedelta(minutes=5)

# MOEX non-trading weekdays (fallback calendar only; the broker's schedule wins when available)
HOLIDAYS: frozenset[date] = frozenset(
    {
        date(2025, 1, 1),
        date(2025, 1, 2),
        date(2025, 1, 7),
        date(2025, 5, 1),
        date(2025, 5, 9),
        date(2025, 6, 12),
        date(2025, 11, 4),
        date(2025, 12, 31),
        date(2026, 1, 1),
        date(2026, 1, 2),
        date(2026, 1, 7),
        date(2026, 2, 23),
        date(2026, 3, 9),
        date(2026, 5, 1),
        date(2026, 5, 11),
        date(2026, 6, 12),
        date(2026, 11, 4),
        date(2026, 12, 31),
        date(2027, 1, 1),
        date(2027, 1, 7),
    }
)

Window = tuple[datetime, datetime]


@dataclass(frozen=True, slots=True)
class SessionState:
    open: bool
    opens_at: datetime | None  # next opening when closed (None = unknown)
    closes_at: datetime | None = None  # end of the current window when open


def builtin_windows(instrument: Instrument, day: date) -> list[Window]:
    """Trading windows of `day` (Moscow date) from the built-in calendar, in UTC."""

    def window(start: time, end: time) -> Window:
        return (
            datetime.combine(day, start, MOSCOW).astimezone(UTC),
            datetime.combine(day, end, MOSCOW).astimezone(UTC),
        )

    if day in HOLIDAYS:
        return []
    if day.weekday() >= 5:
        return [window(time(10, 0), time(19, 0))] if instrument.weekend_trading else []
    if instrument.kind == "future":
        return [window(time(9, 0), time(23, 50))]
    return [window(time(7, 0), time(18, 50)), window(time(19, 5), time(23, 50))]


def schedule_windows(day: TradingDay) -> list[Window]:
    if not day.is_trading_day:
        return []
    windows: list[Window] = []
    if day.start and day.end:
        windows.append((day.start, day.end))
    if day.evening_start and day.evening_end:
        windows.append((day.evening_start, day.evening_end))
    if not windows:
        for interval in day.intervals:
            if interval.start and interval.end and "auction" not in interval.type.lower():
                windows.append((interval.start, interval.end))
    return sorted(windows)


class SessionCalendar:
    def __init__(self, broker: BrokerPort, clock: Clock) -> None:
        self._broker = broker
        self._clock = clock
        # exchange -> (valid until, windows or None when the broker has none)
        self._cache: dict[str, tuple[datetime, list[Window] | None]] = {}

    async def _exchange_windows(self, exchange: str) -> list[Window] | None:
        """Windows for the coming week from the broker, or None when it has none."""
        now = self._clock.now()
        cached = self._cache.get(exchange)
        if cached is not None and now < cached[0]:
            return cached[1]
        windows: list[Window] | None = None
        ttl = SCHEDULE_TTL
        try:
            schedules: list[TradingSchedule] = await self._broker.trading_schedules(
                exchange, now - timedelta(days=1), now + timedelta(days=SCHEDULE_DAYS)
            )
        except broker_errors.NotFound:
            schedules = []  # the broker has no such exchange: ask again much later
        except broker_errors.BrokerError as exc:
            log.info("no trading schedule for %s from the broker now: %s", exchange, exc)
            schedules = []
            ttl = FAILURE_TTL  # a passing failure: use the built-in calendar for a while
        for schedule in schedules:
            if schedule.exchange.lower() == exchange.lower():
                windows = [w for day in schedule.days for w in schedule_windows(day)]
                windows.sort()
                break
        self._cache[exchange] = (now + ttl, windows)
        return windows

    async def state(self, instrument: Instrument) -> SessionState:
        now = self._clock.now()
        # the instrument's own exchange code (e.g. MOEX_PLUS), then the market's main schedule
        names = [instrument.exchange] if instrument.exchange else []
        names.append("FORTS" if instrument.kind == "future" else "MOEX")
        for name in dict.fromkeys(names):
            windows = await self._exchange_windows(name)
            if windows is not None:
                found = _state(windows, now)
                if found.open or found.opens_at is not None:
                    return found
        # built-in calendar, two weeks ahead
        local_day = now.astimezone(MOSCOW).date()
        builtin = [
            w
            for offset in range(-1, 15)
            for w in builtin_windows(instrument, local_day + timedelta(days=offset))
        ]
        return _state(builtin, now)


def _state(windows: list[Window], now: datetime) -> SessionState:
    for start, end in windows:
        if start <= now < end:
            return SessionState(open=True, opens_at=None, closes_at=end)
    upcoming = [start for start, _end in windows if start > now]
    return SessionState(open=False, opens_at=min(upcoming) if upcoming else None)
