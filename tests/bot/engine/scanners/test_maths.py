"""Scan and implied-dividend maths against hand-computed cases, and their properties."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.engine.scanners.maths import (
    ANNUAL_CAP,
    LegRisk,
    annualise,
    days_to,
    dividend_figures,
    implied_dividend,
    leg_margin,
    pair_figures,
)
from bot.engine.spreads.maths import LegSpec, derive_ratio

SBER = LegSpec("SBER", "share", 10, Decimal("0.01"))
# SRM6: 100 SBER shares per contract, quoted in roubles per contract (1 point = 1 rouble)
SRM6 = LegSpec("SRM6", "future", 1, Decimal(1), Decimal(1), Decimal(100))
SRH6 = LegSpec("SRH6", "future", 1, Decimal(1), Decimal(1), Decimal(100))
# a future quoted in points worth 2 roubles each, on 100 shares of GAZP
GZM6 = LegSpec("GZM6", "future", 1, Decimal(1), Decimal(2), Decimal(100))
GAZP = LegSpec("GAZP", "share", 10, Decimal("0.01"))

SHARE_RISK = LegRisk(long_rate=Decimal("0.25"), short_rate=Decimal("0.35"))
FUT_RISK = LegRisk(
    long_rate=Decimal("0.2"),
    short_rate=Decimal("0.2"),
    initial_buy=Decimal(4650),
    initial_sell=Decimal(4650),
)
NO_FLOOR = LegRisk(long_rate=Decimal("0.2"), short_rate=Decimal("0.2"))


def test_stock_future_in_contango_by_hand() -> None:
    # sell SRM6 at 31 000, buy 100 SBER at 300: profit 31 000 − 100 × 300 = 1 000 ₽;
    # margin 0.2 × 31 000 = 6 200 (above the exchange's 4 650) + 100 × 300 × 0.25 = 7 500
    # → 13 700 ₽; 1 000 / 13 700 over 100 days → (1 + 0.0729927)^(365/100) − 1 = 29.32 %
    ratio = derive_ratio(SRM6, SBER)
    figures = pair_figures(
        SRM6, SBER, ratio, Decimal(31000), Decimal(300), FUT_RISK, SHARE_RISK, 100
    )
    assert figures is not None
    assert ratio == 100
    assert figures.spread == 1000
    assert figures.margin == 13700
    assert figures.days == 100
    assert figures.annual_percent.quantize(Decimal("0.01")) == Decimal("29.32")


def test_future_future_in_backwardation_by_hand() -> None:
    # sell SRM6 at 29 500, buy SRH6 at 30 000: −500 ₽; margin 5 900 + 6 000 = 11 900 ₽;
    # (1 − 500/11 900)^(365/50) − 1 = −26.90 %
    ratio = derive_ratio(SRM6, SRH6)
    figures = pair_figures(
        SRM6, SRH6, ratio, Decimal(29500), Decimal(30000), NO_FLOOR, NO_FLOOR, 50
    )
    assert figures is not None
    assert ratio == 1
    assert figures.spread == -500
    assert figures.margin == 11900
    assert figures.annual_percent.quantize(Decimal("0.01")) == Decimal("-26.90")


def test_points_are_converted_to_roubles() -> None:
    # GZM6 at 5 000 points × 2 ₽ = 10 000 ₽ against 100 GAZP at 98 = 9 800 ₽: 200 ₽ profit;
    # margin 0.2 × 10 000 = 2 000 + 100 × 98 × 0.25 = 2 450; 30 days → 70.73 % a year
    figures = pair_figures(
        GZM6, GAZP, Decimal(100), Decimal(5000), Decimal(98), NO_FLOOR, SHARE_RISK, 30
    )
    assert figures is not None
    assert figures.spread == 200
    assert figures.margin == 4450
    assert figures.annual_percent.quantize(Decimal("0.01")) == Decimal("70.73")


def test_the_exchange_margin_is_a_floor_under_the_client_rate() -> None:
    assert leg_margin(Decimal(10000), Decimal("0.2"), Decimal(4650)) == 4650
    assert leg_margin(Decimal(31000), Decimal("0.2"), Decimal(4650)) == Decimal("6200.0")
    assert leg_margin(Decimal(31000), None, None) is None
    assert leg_margin(Decimal(31000), Decimal(0), None) is None


@pytest.mark.parametrize("days", [0, -1, -30])
def test_expiring_today_or_expired_gives_nothing(days: int) -> None:
    args = (SRM6, SBER, Decimal(100), Decimal(31000), Decimal(300), FUT_RISK, SHARE_RISK)
    assert pair_figures(*args, days) is None
    assert annualise(Decimal("0.1"), days) is None
    assert (
        dividend_figures(SRM6, SBER, Decimal(100), Decimal(31000), Decimal(300), 16, days) is None
    )


def test_days_count_calendar_days() -> None:
    from datetime import date

    assert days_to(date(2026, 6, 18), date(2026, 3, 11)) == 99
    assert days_to(date(2026, 3, 11), date(2026, 3, 11)) == 0


def test_a_pair_without_a_known_margin_is_not_priced() -> None:
    unknown = LegRisk()
    args = (SRM6, SBER, Decimal(100), Decimal(31000), Decimal(300))
    assert pair_figures(*args, unknown, SHARE_RISK, 10) is None
    assert pair_figures(*args, FUT_RISK, unknown, 10) is None


def test_losing_the_whole_margin_is_minus_100_and_gains_are_capped() -> None:
    assert annualise(Decimal(-1), 10) == -100
    assert annualise(Decimal(-3), 10) == -100
    assert annualise(Decimal(1000), 1) == ANNUAL_CAP


def test_implied_dividend_by_hand() -> None:
    # S = 300, F = 30 400 for 100 shares, 73 days at 16 %: 300 × (1 + 0.16 × 73/365) = 309.6;
    # 309.6 − 304 = 5.6 ₽ a share, 1.87 % of the price
    assert implied_dividend(Decimal(300), Decimal(304), Decimal(16), 73) == Decimal("5.6")
    figures = dividend_figures(
        SRM6, SBER, Decimal(100), Decimal(30400), Decimal(300), Decimal(16), 73
    )
    assert figures is not None
    assert figures.implied == Decimal("5.6")
    assert figures.yield_percent.quantize(Decimal("0.01")) == Decimal("1.87")
    assert figures.spread == 400  # 30 400 − 100 × 300


def test_a_future_above_full_carry_implies_a_negative_dividend() -> None:
    figures = dividend_figures(
        SRM6, SBER, Decimal(100), Decimal(31000), Decimal(300), Decimal(16), 73
    )
    assert figures is not None
    assert figures.implied == Decimal("-0.4")  # 309.6 − 310


# ---- properties --------------------------------------------------------------------------------

prices = st.decimals(min_value=Decimal("0.01"), max_value=Decimal(10**6), places=2)
rates = st.decimals(min_value=Decimal("0.01"), max_value=Decimal(1), places=3)
days = st.integers(min_value=-400, max_value=3000)


def _figures(far: Decimal, near: Decimal, rate: Decimal, n: int):  # type: ignore[no-untyped-def]
    risk = LegRisk(long_rate=rate, short_rate=rate, initial_sell=Decimal(100))
    return pair_figures(SRM6, SBER, Decimal(100), far, near, risk, SHARE_RISK, n)


@given(prices, prices, rates, days)
def test_any_prices_give_decimals_or_nothing_never_an_error(
    far: Decimal, near: Decimal, rate: Decimal, n: int
) -> None:
    figures = _figures(far, near, rate, n)
    if n <= 0:
        assert figures is None
        return
    assert figures is not None
    for value in (figures.spread, figures.margin, figures.period_return, figures.annual_percent):
        assert isinstance(value, Decimal)
    assert figures.margin > 0
    assert -100 <= figures.annual_percent <= ANNUAL_CAP


@given(prices, prices, prices, rates, st.integers(min_value=1, max_value=3000))
def test_annual_return_rises_with_the_far_price_and_falls_with_the_near(
    far: Decimal, other: Decimal, near: Decimal, rate: Decimal, n: int
) -> None:
    low, high = sorted((far, other))
    at_low, at_high = _figures(low, near, rate, n), _figures(high, near, rate, n)
    assert at_low is not None and at_high is not None
    assert at_low.annual_percent <= at_high.annual_percent
    near_low, near_high = sorted((near, other))
    cheap, dear = _figures(far, near_low, rate, n), _figures(far, near_high, rate, n)
    assert cheap is not None and dear is not None
    assert cheap.annual_percent >= dear.annual_percent


@given(prices, prices, st.decimals(min_value=-50, max_value=100, places=2), days)
def test_implied_dividend_is_decimal_and_falls_as_the_future_rises(
    share: Decimal, future: Decimal, rate: Decimal, n: int
) -> None:
    lower = dividend_figures(SRM6, SBER, Decimal(100), future, share, rate, n)
    higher = dividend_figures(SRM6, SBER, Decimal(100), future + 1, share, rate, n)
    if n <= 0:
        assert lower is None and higher is None
        return
    assert lower is not None and higher is not None
    assert isinstance(lower.implied, Decimal) and isinstance(lower.yield_percent, Decimal)
    assert higher.implied < lower.implied
