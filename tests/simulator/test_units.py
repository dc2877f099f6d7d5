"""Pure pieces: Quotation encoding, the session calendar, expiry dates, accounting maths."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.codec import parse_quotation, quotation
from simulator.errors import ApiError
from simulator.instruments import coming_expirations, third_thursday
from simulator.sessions import (
    BREAK,
    CLOSED,
    MOSCOW,
    NORMAL,
    Calendar,
    Market,
    SessionMode,
    intervals_for,
    is_trading_day,
    moscow_time,
)

prices = st.decimals(
    min_value=Decimal("-1e12"), max_value=Decimal("1e12"), places=9, allow_nan=False
)


@given(prices)
def test_quotation_round_trips_and_parts_share_the_sign(value: Decimal) -> None:
    q = quotation(value)
    assert parse_quotation(q, 30018) == value
    units, nano = int(q["units"]), q["nano"]
    assert not (units > 0 > nano or units < 0 < nano)
    assert abs(nano) < 1_000_000_000


def test_negative_fraction_is_encoded_like_the_broker() -> None:
    assert quotation(Decimal("-0.01")) == {"units": "0", "nano": -10_000_000}


@pytest.mark.parametrize(
    "bad", [{"units": "1", "nano": -5}, {"units": "x"}, {"nano": 1_000_000_000}, "1.5"]
)
def test_bad_quotations_are_refused(bad: object) -> None:
    with pytest.raises(ApiError) as caught:
        parse_quotation(bad, 30018)
    assert caught.value.api_code == 30018


def test_third_thursdays_and_the_coming_quarters() -> None:
    assert third_thursday(2026, 3) == date(2026, 3, 19)
    assert third_thursday(2026, 12) == date(2026, 12, 17)
    assert coming_expirations(date(2026, 3, 20), 2) == [date(2026, 6, 18), date(2026, 9, 17)]
    assert coming_expirations(date(2026, 3, 19), 1) == [date(2026, 3, 19)]


moments = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)


@given(moments, st.sampled_from(list(Market)))
def test_calendar_status_agrees_with_the_intervals(moment: datetime, market: Market) -> None:
    status = Calendar().status(market, moment)
    local_day = moment.astimezone(MOSCOW).date()
    inside = any(
        moscow_time(local_day, iv.start) <= moment < moscow_time(local_day, iv.end)
        for iv in intervals_for(market)
    )
    if not is_trading_day(local_day):
        assert status == CLOSED
    elif inside:
        assert status not in (CLOSED, BREAK)
    else:
        assert status in (CLOSED, BREAK)


def test_always_open_and_closed_modes() -> None:
    saturday = datetime(2026, 3, 14, 3, 0, tzinfo=UTC)
    assert Calendar(SessionMode.ALWAYS_OPEN).status(Market.SHARES, saturday) == NORMAL
    monday_noon = saturday + timedelta(days=2, hours=6)
    assert Calendar(SessionMode.CLOSED).status(Market.SHARES, monday_noon) == CLOSED
    assert Calendar().status(Market.SHARES, monday_noon) == NORMAL
