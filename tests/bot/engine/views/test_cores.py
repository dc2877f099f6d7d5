"""The small pure cores of the owner's views: quote series, notification levels, live orders,
command arguments."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

from hypothesis import given
from hypothesis import strategies as st

from bot.base_client.types import OrderRecord, TradingSettings
from bot.broker.types import (
    Money,
    OrderDirection,
    OrderState,
    OrderStatus,
    OrderType,
    StopOrder,
    StopOrderDirection,
    StopOrderStatus,
    StopOrderType,
)
from bot.commands.views import parse_chart, parse_period
from bot.engine import events as ev
from bot.engine.views.levels import NotifyLevels, event_kind
from bot.engine.views.live_orders import live_orders
from bot.engine.views.series import QuotePoint, QuoteSeries

T0 = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


def point(seconds: float, sell: str = "1", buy: str = "2") -> QuotePoint:
    return QuotePoint(T0 + timedelta(seconds=seconds), D(sell), D(buy), D(0))


def test_series_keeps_one_point_per_step_and_stays_bounded() -> None:
    series = QuoteSeries(step=30, capacity=10)
    series.add(point(0, "1"))
    series.add(point(10, "2"))  # same step: replaces
    assert [p.sell for p in series.points] == [D(2)]
    for i in range(1, 1000):
        series.add(point(30 * i, str(i)))
    assert len(series.points) <= 10
    assert series.points[-1].sell == D(999)  # the newest always kept
    assert series.step > 30  # coarser far back
    assert len(series.pending) <= 10


def test_series_pending_given_back_after_a_failed_send() -> None:
    series = QuoteSeries(step=1, capacity=100)
    series.add(point(0))
    series.add(point(5))
    taken = series.take_pending()
    assert len(taken) == 2 and series.pending == []
    series.add(point(10))
    series.give_back(taken)
    assert [p.at for p in series.pending] == [
        T0,
        T0 + timedelta(seconds=5),
        T0 + timedelta(seconds=10),
    ]
    empty = QuoteSeries()
    empty.add(QuotePoint(T0, None, None))
    assert empty.points == []


def test_levels_from_settings_and_event_kinds() -> None:
    levels = NotifyLevels.from_settings(
        TradingSettings(notify_fills="silent", notify_progress="off", notify_alerts="bogus")
    )
    fill = ev.OrderFilled(None, T0, "SBER", "buy", 10, D(1), 10, 10, D(1))
    started = ev.JobStarted("1", T0, "sellbuy", "buy 10 SBER", 10)
    failed = ev.JobFinished("1", T0, "sellbuy", "x", "failed", 0, 10, None)
    done = ev.JobFinished("1", T0, "sellbuy", "x", "done", 10, 10, None)
    alert = ev.Alert(None, T0, "k")
    assert levels.of(fill) == "silent"
    assert levels.of(started) == "off" and levels.of(done) == "off"
    assert levels.of(failed) == "on"  # a failure is an alert, never hushed as progress
    assert levels.of(alert) == "on"  # an unknown level reads as on

    fired = ev.StopActivated(None, T0, "SBER", "buy", D(250), 4, "filled")
    assert event_kind(fired) == "stops"
    assert event_kind(ev.BulkProgress("b1", T0, "stops", 3, 0, 10, 60.0)) == "progress"
    assert event_kind(ev.Event(None, T0)) == "alerts"


def _state(request_id: str, uid: str) -> OrderState:
    return OrderState(
        order_id="ex-" + request_id,
        request_id=request_id,
        status=OrderStatus.NEW,
        direction=OrderDirection.BUY,
        order_type=OrderType.LIMIT,
        lots_requested=3,
        lots_executed=1,
        initial_security_price=Money(D("250.5"), "RUB"),
        instrument_uid=uid,
    )


def test_live_orders_name_our_tasks_and_list_stops() -> None:
    ours = _state("c-1", "u-sber")
    foreign = _state("manual", "u-gazp")
    done = OrderState("x", "y", OrderStatus.FILL, OrderDirection.BUY, OrderType.LIMIT, 1, 1)
    stop = StopOrder(
        "s-1",
        2,
        StopOrderDirection.SELL,
        StopOrderType.STOP_LOSS,
        StopOrderStatus.ACTIVE,
        None,
        D("240"),
        instrument_uid="u-sber",
    )
    record = OrderRecord(
        "c-1", 1, "buy", "limit", D("250.5"), 3, "new", task_kind="sellbuy", task_id=7
    )
    rows = live_orders(
        [foreign, ours, done], [stop], [record], {"u-sber": "SBER", "u-gazp": "GAZP"}
    )
    assert [(r.ticker, r.kind, r.task_id) for r in rows] == [
        ("SBER", "limit", 7),
        ("GAZP", "limit", None),
        ("SBER", "stop", None),
    ]
    assert rows[0].price == D("250.5") and rows[0].lots_executed == 1
    assert rows[2].stop_price == D("240") and rows[2].stop_type == "stop_loss"
    assert rows[2].direction == "sell"


def test_arguments() -> None:
    assert parse_period(None) == "today" and parse_period(" WEEK ") == "week"
    assert parse_period("year") is None and parse_period("week month") is None
    assert parse_chart("3") == ("spread", 3) and parse_chart("#12") == ("spread", 12)
    assert parse_chart("sb 4") == ("sellbuy", 4)
    for bad in (None, "", "0", "-1", "x", "sb", "3 4", "١٢", "9999999999"):
        assert parse_chart(bad) is None, bad


@given(st.text(max_size=30))
def test_any_text_parses_or_is_refused(text: str) -> None:
    assert parse_period(text) in (None, "today", "week", "month", "all")
    result = parse_chart(text)
    assert result is None or (result[0] in ("spread", "sellbuy") and result[1] >= 1)


def test_pillow_stays_out_of_the_idle_bot() -> None:
    """The chart library is imported when a picture is asked for, never by the running bot."""
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import sys, bot.__main__, bot.app, bot.console, bot.telegram.dispatcher, "
        "bot.engine.trader; print(sorted(m for m in sys.modules if m.split('.')[0] == 'PIL'))"
    )
    root = Path(__file__).resolve().parents[4]
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]", result.stdout + result.stderr
