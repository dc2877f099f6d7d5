"""Portfolio and P&L maths against cases computed by hand."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal as D

from bot.broker.types import OrderBook, PriceLevel
from bot.engine.views import portfolio as pf
from bot.engine.views.improvement import crossing_price, improvement

AT = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


def test_long_share() -> None:
    """100 SBER bought at 250.10, now 255.35: value 25 535.00, P&L (255.35-250.10)x100 = 525.00,
    525 / 25 010 = 2.0991… % -> 2.10 %."""
    line = pf.position_line(pf.Holding("SBER", D(100), D("250.10"), D("255.35")))
    assert line.value == D("25535.00")
    assert line.pnl == D("525.00")
    assert line.pnl_percent == D("2.10")


def test_short_share_gains_when_the_price_falls() -> None:
    """-50 GAZP sold at 160.00, now 150.50: value -7 525.00, P&L (150.50-160)x(-50) = +475.00,
    475 / 8 000 = 5.9375 % -> 5.94 %."""
    line = pf.position_line(pf.Holding("GAZP", D(-50), D("160.00"), D("150.50")))
    assert line.value == D("-7525.00")
    assert line.pnl == D("475.00")
    assert line.pnl_percent == D("5.94")


def test_future_in_points() -> None:
    """3 Si contracts bought at 92 150 points, now 92 437; increment 1 point worth 1.0135 RUB:
    P&L 287 x 3 x 1.0135 = 872.6235 -> 872.62 RUB; value 92 437 x 3 x 1.0135 = 281 054.6985
    -> 281 054.70; cost 92 150 x 3 x 1.0135 = 280 182.075: 872.6235 / 280 182.075 = 0.311 %."""
    holding = pf.Holding("SiZ6", D(3), D(92150), D(92437), is_future=True, point_value=D("1.0135"))
    line = pf.position_line(holding)
    assert line.pnl == D("872.62")
    assert line.value == D("281054.70")
    assert line.pnl_percent == D("0.31")


def test_total_counts_commission_through_cash_and_futures_by_their_result() -> None:
    """Start with 100 000 RUB; buy 10 SBER at 250 (2 500) paying 0.05 % = 1.25 commission:
    cash 97 498.75. SBER now 251: value 2 510. A future long 1 at 100 000 pts (1 pt = 1 RUB)
    now 100 050: only its result +50 counts. Total = 97 498.75 + 2 510 + 50 = 100 058.75."""
    view = pf.build(
        [
            pf.Holding("SBER", D(10), D(250), D(251), uid="u-sber"),
            pf.Holding("SRZ6", D(1), D(100000), D(100050), is_future=True, uid="u-fut"),
        ],
        [("RUB", D("97498.75"))],
        taken_at=AT,
    )
    assert view.total == D("100058.75")
    assert [line.pnl for line in view.lines] == [D("50.00"), D("10.00")]  # sorted by value


def test_spread_legs_are_grouped_with_their_net_and_sorted_by_value() -> None:
    far = pf.Holding("SRZ6", D(-2), D(31000), D(30900), is_future=True, uid="far")
    near = pf.Holding("SBER", D(200), D("295.00"), D("294.00"), uid="near")
    other = pf.Holding("LKOH", D(1), D(7000), D(7100), uid="lkoh")
    big = pf.Holding("GMKN", D(1000), D(150), D(150), uid="gmkn")
    legs = pf.SpreadLegs(3, "#3 sell SRZ6/SBER", frozenset({"far"}), frozenset({"near"}))
    view = pf.build([other, near, far, big], [("RUB", D(0))], taken_at=AT, spreads=[legs])
    assert [g.label for g in view.groups] == [None, "#3 sell SRZ6/SBER", None]
    assert [line.ticker for line in view.groups[0].lines] == ["GMKN"]
    spread = view.groups[1]
    assert [line.ticker for line in spread.lines] == ["SRZ6", "SBER"]  # far first
    # far short gains 100 x 2 = 200; near long loses 1 x 200 = 200: net 0
    assert spread.pnl == D("0.00")


def test_margin_used_and_free() -> None:
    margin = pf.margin_of(D("120000.004"), D("30000"))
    assert margin == pf.Margin(liquid=D("120000.00"), used=D("30000.00"), free=D("90000.00"))
    assert pf.margin_of(None, D(1)) is None


def test_no_price_means_no_pnl() -> None:
    line = pf.position_line(pf.Holding("X", D(5), None, None))
    assert line.pnl is None and line.pnl_percent is None and line.value == 0


def test_crossing_price_and_improvement() -> None:
    book = OrderBook("u", "f", 1, (PriceLevel(D("250.00"), 5),), (PriceLevel(D("250.50"), 5),))
    assert crossing_price(book, "buy") == D("250.50")
    assert crossing_price(book, "sell") == D("250.00")
    assert crossing_price(None, "buy") is None
    # bought 30 at 250.10 with the ask at 250.50 when placed: 0.40 x 30 = 12.00 saved
    assert improvement("buy", D("250.10"), D("250.50"), 30) == D("12.00")
    # sold 10 at 249.90 with the bid at 250.00: 0.10 x 10 worse
    assert improvement("sell", D("249.90"), D("250.00"), 10) == D("-1.00")
