"""The owner's views as the owner reads them, in both languages (phone-sized lines)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal as D

from bot.engine.views import portfolio as pf
from bot.engine.views.stats import Improvement, SpreadResult, Stats, StatsRow
from bot.texts import Texts
from bot.texts.render_views import render_portfolio, render_stats

AT = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


def _view() -> pf.PortfolioView:
    legs = pf.SpreadLegs(3, "#3 sell SRZ6/SBER", frozenset({"far"}), frozenset({"near"}))
    return pf.build(
        [
            pf.Holding("SRZ6", D(-1), D(31000), D(30900), is_future=True, uid="far"),
            pf.Holding("SBER", D(100), D("295.00"), D("294.50"), uid="near"),
            pf.Holding("GAZP", D(-100), D("170"), D("171.25"), uid="gazp"),
        ],
        [("RUB", D("1000000")), ("USD", D("12.5"))],
        taken_at=AT,
        margin=pf.margin_of(D("1000000"), D("4000")),
        spreads=[legs],
    )


def test_portfolio_in_english() -> None:
    text = render_portfolio(Texts("en"), _view())
    lines = text.split("\n")
    assert lines[0] == "Portfolio at 04.12 12:00 MSK"
    # sorted by size: the spread's legs hold 30 900 + 29 450, more than GAZP's 17 125
    assert lines[1] == "Spread #3 sell SRZ6/SBER: net P&L +50.00 ₽, value -1,450.00 ₽"
    assert lines[2:4] == [
        "  SRZ6 -1 pcs · 31,000 → 30,900",
        "     -30,900.00 ₽ · P&L +100.00 ₽ (+0.32 %)",
    ]
    assert lines[6:8] == [
        "GAZP -100 pcs · 170 → 171.25",
        "   -17,125.00 ₽ · P&L -125.00 ₽ (-0.74 %)",
    ]
    assert "Cash: 1,000,000.00 RUB, 12.50 USD" in lines
    assert "Margin: used 4,000.00 ₽, free 996,000.00 ₽ (liquid 1,000,000.00 ₽)" in lines
    assert max(len(line) for line in lines) <= 80  # fits a phone screen


def test_portfolio_in_russian() -> None:
    text = render_portfolio(Texts("ru"), _view())
    assert "GAZP -100 шт · 170 → 171,25" in text
    assert "   -17\u00a0125,00 ₽ · прибыль -125,00 ₽ (-0,74 %)" in text
    assert "Итого: " in text


def test_stats_with_improvement_and_commission_not_known_yet() -> None:
    row = StatsRow(
        "sellbuy",
        7,
        None,
        "SBER",
        "buy",
        2,
        30,
        D("7504"),
        D("1.25"),
        D("250.1333333"),
        Improvement(2, 30, D("11.00"), D("14.6")),
    )
    stats = Stats(
        "week",
        (row,),
        Improvement(2, 30, D("11.00"), D("14.6")),
        (SpreadResult(3, "sell SRZ6/SBER", D(1500), D("1490"), D("-10"), 1),),
        2,
        D("7504"),
        D("1.25"),
        commission_unknown=1,
    )
    text = render_stats(Texts("en"), stats)
    assert (
        "sell/buy task #7: buy SBER — 2 fills, 30 pcs, 7,504.00 ₽, commission 1.25 ₽, "
        "average 250.1333" in text
    )
    assert "   saved 11.00 ₽ (14.6 bp) against crossing the spread" in text
    assert (
        "Spread #3 sell SRZ6/SBER: realised 1,490.00 against the target 1,500.00 "
        "(10.00 worse)" in text
    )
    assert "Patience saved 11.00 ₽ (14.6 bp) for the last 7 days on 2 fills." in text
    assert text.endswith("The commission of 1 order(s) is not known yet (learnt within a minute).")
    empty = Stats("today", (), Improvement(0, 0, D(0), None), (), 0, D(0), D(0))
    assert render_stats(Texts("ru"), empty) == "Сделок за сегодня нет."
