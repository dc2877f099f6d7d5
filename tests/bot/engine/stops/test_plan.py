"""The pure stop-order plan: levels, alignment, lots, skipping, /nuke, /restore dedupe."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from bot.base_client.types import Instrument
from bot.engine.stops import plan as core

NOW = datetime(2026, 3, 11, 9, 0, tzinfo=UTC)
EXPIRE = core.expiry(NOW, 30)


def share(ticker: str = "SBER", lot: int = 10, inc: str = "0.01", **flags: object) -> Instrument:
    return Instrument(
        id=1,
        figi=f"F-{ticker}",
        uid=f"uid-{ticker}",
        ticker=ticker,
        class_code="TQBR",
        name=ticker,
        kind="share",
        lot=lot,
        min_price_increment=Decimal(inc),
        **flags,  # type: ignore[arg-type]
    )


LEVELS = (Decimal(15), Decimal(20), Decimal(25))


def test_stops_are_take_profit_buys_below_the_price_on_the_increment() -> None:
    plan = core.bulk_plan(
        "stops", [share(lot=10)], {"uid-SBER": Decimal("300.00")}, LEVELS, Decimal(300000), EXPIRE
    )
    assert [(o.stop_price, o.lots, o.kind, o.direction) for o in plan.orders] == [
        (Decimal("255.00"), 117, "take_profit", "buy"),
        (Decimal("240.00"), 125, "take_profit", "buy"),
        (Decimal("225.00"), 133, "take_profit", "buy"),
    ]
    assert all(o.expire_at == EXPIRE for o in plan.orders)
    assert plan.total_value == sum(o.stop_price * o.lots * 10 for o in plan.orders)


def test_shorts_sell_above_rounded_up_and_only_shortable() -> None:
    shortable = share("GAZP", lot=1, inc="0.05", short_enabled=True)
    not_short = share("VTBR", lot=1)
    plan = core.bulk_plan(
        "shorts",
        [shortable, not_short],
        {"uid-GAZP": Decimal("123.47"), "uid-VTBR": Decimal("1")},
        (Decimal(20),),
        Decimal(10000),
        EXPIRE,
    )
    assert [(o.ticker, o.stop_price, o.direction) for o in plan.orders] == [
        ("GAZP", Decimal("148.20"), "sell")  # 148.164 up to the 0.05 step
    ]
    assert [(s.ticker, s.reason) for s in plan.skipped] == [("VTBR", "stops.skip_not_shortable")]


def test_zero_lot_levels_are_skipped_and_listed() -> None:
    plan = core.bulk_plan(
        "stops", [share(lot=100)], {"uid-SBER": Decimal("300")}, LEVELS, Decimal(23000), EXPIRE
    )
    # 23 000 buys one lot (100 × 225 = 22 500) only at the lowest level
    assert [o.level for o in plan.orders] == [Decimal(25)]
    assert [s.params["level"] for s in plan.skipped] == ["15", "20"]
    assert {s.reason for s in plan.skipped} == {"stops.skip_zero_lots"}


def test_not_api_tradable_and_no_price_are_refused_with_the_reason() -> None:
    plan = core.bulk_plan(
        "stops",
        [share("AAA", api_trade_available=False), share("BBB")],
        {},
        LEVELS,
        Decimal(300000),
        EXPIRE,
    )
    assert plan.orders == ()
    assert [(s.ticker, s.reason) for s in plan.skipped] == [
        ("AAA", "stops.skip_not_api"),
        ("BBB", "stops.skip_no_price"),
    ]


def test_nuke_four_levels_and_a_quarter_each() -> None:
    made = core.nuke_plan(share(lot=10), Decimal("300.00"), Decimal(400000), EXPIRE)
    assert isinstance(made, core.StopPlan)
    assert [(o.stop_price, o.lots) for o in made.orders] == [
        (Decimal("300.00"), 33),
        (Decimal("297.00"), 33),
        (Decimal("285.00"), 35),
        (Decimal("279.00"), 35),
    ]


def test_nuke_refused_when_a_quarter_buys_no_lot() -> None:
    made = core.nuke_plan(share(lot=100), Decimal("300"), Decimal(100000), EXPIRE)
    assert isinstance(made, core.Skipped)
    assert made.reason == "stops.nuke_too_small"


def test_restore_skips_what_is_active_once_each() -> None:
    a = core.PlannedStop("u1", "A", "buy", "take_profit", Decimal(10), 3, 1, EXPIRE)
    b = core.PlannedStop("u2", "B", "sell", "take_profit", Decimal(20), 1, 1, EXPIRE)
    plan = core.restore_plan([a, a, b], [a.key])
    assert plan.orders == (a, b)
    assert plan.already_active == 1
    assert core.restore_plan([a, b], [a.key, b.key]).orders == ()


def test_still_missing_follows_the_restore_rule_item_by_item() -> None:
    a = core.PlannedStop("u1", "A", "buy", "take_profit", Decimal(10), 3, 1, EXPIRE)
    b = core.PlannedStop("u2", "B", "sell", "take_profit", Decimal(20), 1, 1, EXPIRE)
    assert core.still_missing([a, a, b], [a.key]) == [False, True, True]
    assert core.still_missing([a, b], [a.key, b.key, b.key]) == [False, False]
    assert core.still_missing([a, b], []) == [True, True]


def test_stop_day_is_closed_on_weekends_and_holidays() -> None:
    assert core.stop_day_open(datetime(2026, 3, 11).date())
    assert not core.stop_day_open(datetime(2026, 3, 14).date())  # Saturday
    assert not core.stop_day_open(datetime(2026, 3, 9).date(), {datetime(2026, 3, 9).date()})


prices = st.decimals(min_value=Decimal("0.0001"), max_value=Decimal(100000), places=4)
increments = st.sampled_from([Decimal("0.0001"), Decimal("0.01"), Decimal("0.05"), Decimal(1)])
lots = st.sampled_from([1, 10, 100, 1000])
sums = st.decimals(min_value=Decimal(1), max_value=Decimal(10_000_000), places=2)
levels = st.lists(
    st.decimals(min_value=Decimal(1), max_value=Decimal(90), places=1), min_size=1, max_size=4
)


@given(prices, increments, lots, sums, levels, st.sampled_from(["stops", "shorts"]))
def test_every_order_is_on_the_increment_on_its_side_and_within_the_sum(
    price: Decimal,
    inc: Decimal,
    lot: int,
    money: Decimal,
    lv: list[Decimal],
    kind: str,
) -> None:
    instrument = share(lot=lot, inc=str(inc), short_enabled=True)
    plan = core.bulk_plan(
        kind,  # type: ignore[arg-type]
        [instrument],
        {instrument.uid: price},
        lv,
        money,
        EXPIRE,
    )
    assert len(plan.orders) + len(plan.skipped) == len(lv)
    for order in plan.orders:
        assert order.stop_price % inc == 0
        assert order.lots >= 1
        assert order.stop_price * order.lots * lot <= money  # the sum is never exceeded
        assert order.stop_price * (order.lots + 1) * lot > money  # ...and fully used
        if kind == "stops":
            assert order.stop_price <= price
        else:
            assert order.stop_price >= price
    for skipped in plan.skipped:
        assert skipped.reason in ("stops.skip_zero_lots", "stops.skip_no_price")
