"""Number and time formatting for the owner: Decimal only (never float), Moscow time."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from decimal import Decimal

try:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        MOSCOW: tzinfo = ZoneInfo("Europe/Moscow")
    except ZoneInfoNotFoundError:  # no tz database on the host: Moscow is UTC+3 all year
        MOSCOW = timezone(timedelta(hours=3), "MSK")
except ImportError:  # pragma: no cover - Python 3.11 always has zoneinfo
    MOSCOW = timezone(timedelta(hours=3), "MSK")

_SEPARATORS = {"ru": ("\u00a0", ","), "en": (",", ".")}


def format_decimal(value: Decimal | int, language: str, places: int | None = None) -> str:
    """Group thousands and use the language's decimal mark.

    `places=None` keeps the value's own digits without trailing zeros ("281.350" -> "281,35");
    `places=2` rounds half-even to kopecks. Never goes through float.
    """
    number = Decimal(value)
    if places is not None:
        number = number.quantize(Decimal(1).scaleb(-places))
    elif number == number.to_integral_value():
        number = number.quantize(Decimal(1))
    else:
        number = number.normalize()
    group, point = _SEPARATORS.get(language, _SEPARATORS["en"])
    sign = "-" if number < 0 else ""
    text = f"{abs(number):f}"
    whole, _, fraction = text.partition(".")
    grouped = ""
    while len(whole) > 3:
        grouped = group + whole[-3:] + grouped
        whole = whole[:-3]
    grouped = whole + grouped
    return sign + grouped + (point + fraction if fraction else "")


def format_money(value: Decimal | int, language: str) -> str:
    return format_decimal(value, language, places=2)


def moscow(moment: datetime) -> datetime:
    """The same instant in Moscow time (naive datetimes are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(MOSCOW)


def format_time(moment: datetime, language: str, *, now: datetime | None = None) -> str:
    """`10:00 МСК` today, `22.11 10:00 МСК` another day (English: `MSK`)."""
    local = moscow(moment)
    today = moscow(now or datetime.now(UTC)).date()
    zone = "МСК" if language == "ru" else "MSK"
    clock = local.strftime("%H:%M")
    if local.date() == today:
        return f"{clock} {zone}"
    return f"{local.strftime('%d.%m')} {clock} {zone}"


def format_seconds(seconds: float, language: str) -> str:
    """A wait in whole seconds, rounded up ("0.2" -> "1")."""
    whole = max(1, math.ceil(Decimal(str(seconds))))
    if whole < 120:
        return f"{whole} с" if language == "ru" else f"{whole} s"
    minutes = -(-whole // 60)
    return f"{minutes} мин" if language == "ru" else f"{minutes} min"
