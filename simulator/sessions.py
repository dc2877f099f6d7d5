"""Trading sessions: a MOEX-like calendar (Moscow time) or "always open".

Shares (class TQBR): main session 09:50–18:50 (opening auction 09:50–10:00, closing auction
18:40–18:50), a break 18:50–19:00, the evening session 19:00–23:50.
Futures (class SPBFUT, the unified trading session): 08:50–23:50, clearing afterwards.
Weekends and the listed holidays are closed (no instrument here has the weekend flag).
Times are the published 2025–26 schedule; see ``../shared/tinvest/NOTES.md`` section 7.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from enum import StrEnum

#: Moscow time has been UTC+3 all year since 2014; a fixed offset needs no tz database (the
#: simulator's image may not ship one).
MOSCOW = timezone(timedelta(hours=3), "MSK")

#: Fixed-date exchange holidays (month, day). An approximation of the MOEX calendar.
HOLIDAYS: frozenset[tuple[int, int]] = frozenset(
    {(1, 1), (1, 2), (1, 7), (2, 23), (3, 8), (5, 1), (5, 9), (6, 12), (11, 4), (12, 31)}
)


class SessionMode(StrEnum):
    CALENDAR = "calendar"
    ALWAYS_OPEN = "always_open"
    CLOSED = "closed"


class Market(StrEnum):
    SHARES = "MOEX"
    FUTURES = "FORTS"


@dataclass(frozen=True)
class Interval:
    kind: str
    start: time
    end: time


SHARE_INTERVALS = (
    Interval("opening_auction", time(9, 50), time(10, 0)),
    Interval("main", time(10, 0), time(18, 40)),
    Interval("closing_auction", time(18, 40), time(18, 50)),
    Interval("evening_opening_auction", time(19, 0), time(19, 5)),
    Interval("evening", time(19, 5), time(23, 50)),
)
FUTURE_INTERVALS = (
    Interval("opening_auction", time(8, 50), time(9, 0)),
    Interval("morning", time(9, 0), time(10, 0)),
    Interval("main", time(10, 0), time(19, 0)),
    Interval("evening", time(19, 0), time(23, 50)),
)

NORMAL = "SECURITY_TRADING_STATUS_NORMAL_TRADING"
OPENING_AUCTION = "SECURITY_TRADING_STATUS_OPENING_AUCTION_PERIOD"
CLOSING_AUCTION = "SECURITY_TRADING_STATUS_CLOSING_AUCTION"
BREAK = "SECURITY_TRADING_STATUS_BREAK_IN_TRADING"
CLOSED = "SECURITY_TRADING_STATUS_NOT_AVAILABLE_FOR_TRADING"

_STATUS_BY_KIND = {
    "opening_auction": OPENING_AUCTION,
    "evening_opening_auction": OPENING_AUCTION,
    "closing_auction": CLOSING_AUCTION,
}


def is_trading_day(day: date) -> bool:
    return day.weekday() < 5 and (day.month, day.day) not in HOLIDAYS


def intervals_for(market: Market) -> tuple[Interval, ...]:
    return SHARE_INTERVALS if market is Market.SHARES else FUTURE_INTERVALS


def moscow_time(day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=MOSCOW).astimezone(UTC)


class Calendar:
    def __init__(self, mode: SessionMode = SessionMode.CALENDAR) -> None:
        self.mode = mode

    def status(self, market: Market, moment: datetime) -> str:
        """The SecurityTradingStatus name at ``moment``."""
        if self.mode is SessionMode.ALWAYS_OPEN:
            return NORMAL
        if self.mode is SessionMode.CLOSED:
            return CLOSED
        local = moment.astimezone(MOSCOW)
        if not is_trading_day(local.date()):
            return CLOSED
        now = local.time()
        ivs = intervals_for(market)
        for iv in ivs:
            if iv.start <= now < iv.end:
                return _STATUS_BY_KIND.get(iv.kind, NORMAL)
        if ivs[0].start <= now < ivs[-1].end:
            return BREAK
        return CLOSED

    def day_bounds(self, market: Market, day: date) -> tuple[datetime, datetime]:
        ivs = intervals_for(market)
        return moscow_time(day, ivs[0].start), moscow_time(day, ivs[-1].end)

    def days(self, start: date, end: date) -> list[date]:
        out = []
        day = start
        while day <= end:
            out.append(day)
            day += timedelta(days=1)
        return out


def accepts(status: str, market_order: bool) -> bool:
    """Whether an order of this kind may be placed under ``status``."""
    if status == NORMAL:
        return True
    if status in (OPENING_AUCTION, CLOSING_AUCTION):
        return not market_order
    return False


def is_open(status: str) -> bool:
    """Inside a trading day (day orders stay alive), including breaks and auctions."""
    return status != CLOSED
