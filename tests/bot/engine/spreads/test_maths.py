"""Spread maths: ratios, sizes, units, executable prices, target comparison, hedge sizes."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from bot.engine.spreads.maths import (
    Book,
    LegSpec,
    Level,
    SpreadError,
    average_spread,
    check_amount,
    derive_ratio,
    executable_spread,
    far_pieces_for,
    hedge_limit_price,
    hedge_target_pieces,
    leg_directions,
    max_far_lots,
    meets_target,
    near_pieces_for,
    passive_price,
    spread_price,
    to_roubles,
    unhedged,
    vwap_add,
    walk_book,
    worst_level,
)

D = Decimal

SBER = LegSpec("SBER", "share", lot=10, min_price_increment=D("0.01"))
SRZ6 = LegSpec(
    "SRZ6",
    "future",
    lot=1,
    min_price_increment=D("1"),
    min_price_increment_amount=D("1"),
    basic_asset_size=D("100"),
)
SRH7 = LegSpec(
    "SRH7",
    "future",
    lot=1,
    min_price_increment=D("1"),
    min_price_increment_amount=D("1"),
    basic_asset_size=D("100"),
)
# Si: quoted in points, 1 point = 1 rouble per 1000 USD; give it a non-trivial step value.
RTS = LegSpec(
    "RIZ6",
    "future",
    lot=1,
    min_price_increment=D("10"),
    min_price_increment_amount=D("7.5"),
    basic_asset_size=D("1"),
)


def book(bids: list[tuple[str, int]], asks: list[tuple[str, int]]) -> Book:
    return Book(
        bids=tuple(Level(D(p), q) for p, q in bids), asks=tuple(Level(D(p), q) for p, q in asks)
    )


# --------------------------------------------------------------------------- ratio


def test_ratio_future_vs_share_is_the_underlying_size() -> None:
    assert derive_ratio(SRH7, SBER) == 100


def test_ratio_future_vs_future_is_the_size_ratio() -> None:
    assert derive_ratio(SRH7, SRZ6) == 1
    big = LegSpec("X", "future", 1, D("1"), D("1"), basic_asset_size=D("1000"))
    small = LegSpec("Y", "future", 1, D("1"), D("1"), basic_asset_size=D("100"))
    assert derive_ratio(big, small) == 10
    assert derive_ratio(small, big) == D("0.1")


def test_ratio_override_wins_and_must_be_positive() -> None:
    assert derive_ratio(SRH7, SBER, D("50")) == 50
    with pytest.raises(SpreadError) as err:
        derive_ratio(SRH7, SBER, D("0"))
    assert err.value.key == "spread_bad_ratio"


def test_ratio_refuses_a_share_far_leg_and_missing_sizes() -> None:
    with pytest.raises(SpreadError) as err:
        derive_ratio(SBER, SRH7)
    assert err.value.key == "spread_far_not_future"
    sizeless = LegSpec("Z", "future", 1, D("1"), D("1"))
    with pytest.raises(SpreadError) as err:
        derive_ratio(sizeless, SBER)
    assert err.value.key == "spread_no_basic_asset_size"
    with pytest.raises(SpreadError):
        derive_ratio(SRH7, sizeless)


# --------------------------------------------------------------------------- sizes


def test_near_pieces_whole_lots() -> None:
    assert near_pieces_for(3, D("100"), 10) == 300
    with pytest.raises(SpreadError) as err:
        near_pieces_for(1, D("5"), 10)
    assert err.value.key == "spread_near_not_whole_lots"
    with pytest.raises(SpreadError):
        near_pieces_for(1, D("0.5"), 1)


def test_far_pieces_reverse_check() -> None:
    assert far_pieces_for(300, D("100"), 1) == 3
    with pytest.raises(SpreadError) as err:
        far_pieces_for(150, D("100"), 1)
    assert err.value.key == "spread_far_not_whole_lots"


def test_check_amount() -> None:
    assert check_amount(5, D("100"), SRH7, SBER) == 500
    for bad in (0, -1):
        with pytest.raises(SpreadError):
            check_amount(bad, D("100"), SRH7, SBER)
    two_lot_far = LegSpec("F", "future", 2, D("1"), D("1"), basic_asset_size=D("100"))
    with pytest.raises(SpreadError) as err:
        check_amount(3, D("100"), two_lot_far, SBER)
    assert err.value.key == "spread_amount_not_whole_lots"
    assert err.value.params == {"amount": "3", "lot": "2"}
    with pytest.raises(SpreadError):
        check_amount(1, D("5"), SRH7, SBER)


@given(
    far=st.integers(0, 10_000),
    ratio=st.sampled_from([D("1"), D("100"), D("10"), D("0.1"), D("5"), D("2.5"), D("1000")]),
    lot=st.sampled_from([1, 10, 100, 1000]),
)
def test_near_and_far_sizes_round_trip(far: int, ratio: Decimal, lot: int) -> None:
    try:
        near = near_pieces_for(far, ratio, lot)
    except SpreadError:
        assert (D(far) * ratio) % lot != 0
        return
    assert near % lot == 0
    assert far_pieces_for(near, ratio, 1) == far


# --------------------------------------------------------------------------- hedge sizes


def test_hedge_target_rounds_to_nearest_lot_ties_down() -> None:
    assert hedge_target_pieces(1, D("100"), 10) == 100
    assert hedge_target_pieces(1, D("5"), 10) == 0  # half a lot: tie rounds down
    assert hedge_target_pieces(3, D("5"), 10) == 10  # 15 → 1 lot (tie down)
    assert hedge_target_pieces(7, D("5"), 10) == 30  # 35 → 3 lots (tie down)
    assert hedge_target_pieces(8, D("5"), 10) == 40
    assert hedge_target_pieces(1, D("7"), 10) == 10  # 7 → 1 lot


def test_unhedged_after_a_far_fill() -> None:
    u = unhedged(far_executed=3, near_executed=100, ratio=D("100"), near_lot=10)
    assert (u.lots, u.pieces, u.remainder) == (20, 200, 0)
    u = unhedged(far_executed=3, near_executed=300, ratio=D("100"), near_lot=10)
    assert (u.lots, u.pieces) == (0, 0)
    u = unhedged(far_executed=1, near_executed=300, ratio=D("100"), near_lot=10)
    assert u.lots == -20  # the near leg is ahead


def test_unhedged_tracks_the_remainder_without_accumulating() -> None:
    near = 0
    for far in range(1, 50):
        u = unhedged(far, near, D("7"), 10)
        near += u.pieces
        assert abs(D(far) * 7 - near) <= 5
        assert u.remainder == D(far) * 7 - near


@given(
    far=st.integers(0, 100_000),
    ratio=st.decimals(min_value=D("0.01"), max_value=D("1000"), places=2),
    lot=st.sampled_from([1, 10, 100, 1000]),
)
def test_unhedged_properties(far: int, ratio: Decimal, lot: int) -> None:
    assume(ratio > 0)
    target = hedge_target_pieces(far, ratio, lot)
    assert target % lot == 0
    assert abs(D(far) * ratio - target) <= D(lot) / 2
    u = unhedged(far, 0, ratio, lot)
    assert u.pieces == target and u.lots * lot == target
    assert u.remainder == D(far) * ratio - target
    # monotone: more far fills never need fewer near pieces, so near never exceeds the final
    assert hedge_target_pieces(far + 1, ratio, lot) >= target


# --------------------------------------------------------------------------- units and prices


def test_points_to_roubles_for_futures_shares_unchanged() -> None:
    assert to_roubles(RTS, D("100000")) == D("75000")
    assert to_roubles(SRH7, D("31000")) == D("31000")
    assert to_roubles(SBER, D("301.25")) == D("301.25")
    with pytest.raises(SpreadError) as err:
        to_roubles(LegSpec("Q", "future", 1, D("1")), D("1"))
    assert err.value.key == "spread_no_increment_amount"


def test_spread_price_future_vs_share() -> None:
    # far 31500 RUB per contract, 100 shares at 300.10 → 31500 − 30010 = 1490
    assert spread_price(SRH7, SBER, D("100"), D("31500"), D("300.10")) == D("1490")


def test_spread_price_allows_negative_futures_prices() -> None:
    far = LegSpec("CLF7", "future", 1, D("0.01"), D("0.75"), basic_asset_size=D("10"))
    near = LegSpec("CLZ6", "future", 1, D("0.01"), D("0.75"), basic_asset_size=D("10"))
    # −5.00 points = −375 RUB; −7.50 points = −562.5 RUB; spread = 187.5
    assert spread_price(far, near, D("1"), D("-5.00"), D("-7.50")) == D("187.5")


def test_walk_book_vwap_and_depth() -> None:
    asks = book([], [("100", 2), ("101", 3), ("105", 10)]).asks
    assert walk_book(asks, 1) == D("100")
    assert walk_book(asks, 2) == D("100")
    assert walk_book(asks, 4) == D("100.5")  # (200 + 202) / 4
    assert walk_book(asks, 16) is None
    assert walk_book(asks, 0) == D("100")
    assert walk_book((), 0) is None
    assert worst_level(asks, 2) == D("100")
    assert worst_level(asks, 3) == D("101")
    assert worst_level(asks, 16) is None


def test_walk_book_fifteen_lots_exact() -> None:
    asks = book([], [("100", 2), ("101", 3), ("105", 10)]).asks
    vwap = walk_book(asks, 15)
    assert vwap is not None
    assert abs(vwap * 15 - (D(200) + D(303) + D(1050))) < D("1e-50")


@given(
    levels=st.lists(
        st.tuples(st.integers(-10_000, 10_000), st.integers(0, 50)), min_size=1, max_size=10
    ),
    lots=st.integers(1, 200),
)
def test_walk_book_is_between_best_and_worst(levels: list[tuple[int, int]], lots: int) -> None:
    prices = sorted({p for p, _ in levels})
    side = tuple(Level(D(p), q) for p, (_, q) in zip(prices, levels, strict=False))
    vwap = walk_book(side, lots)
    depth = sum(lv.lots for lv in side)
    if depth < lots:
        assert vwap is None
        return
    assert vwap is not None
    used = [lv.price for lv in side if lv.lots > 0]
    assert used[0] <= vwap <= (worst_level(side, lots) or used[-1])
    # taking more never gets a better price (asks ascending)
    if depth >= lots + 1:
        more = walk_book(side, lots + 1)
        assert more is not None and more >= vwap


def test_passive_price_excludes_our_own_order() -> None:
    asks = book([], [("100", 5), ("101", 3)]).asks
    assert passive_price(asks) == D("100")
    assert passive_price(asks, D("100"), 2) == D("100")  # others still there
    assert passive_price(asks, D("100"), 5) == D("101")  # we are alone at 100
    assert passive_price(asks, D("100"), 9) == D("101")
    assert passive_price((), None, 0) is None


# --------------------------------------------------------------------------- target and executable


def test_meets_target_both_directions() -> None:
    assert meets_target("sell", D("1500"), D("1500"))
    assert meets_target("sell", D("1501"), D("1500"))
    assert not meets_target("sell", D("1499"), D("1500"))
    assert meets_target("buy", D("1500"), D("1500"))
    assert meets_target("buy", D("1499"), D("1500"))
    assert not meets_target("buy", D("1501"), D("1500"))


def test_leg_directions() -> None:
    assert leg_directions("sell") == ("sell", "buy")
    assert leg_directions("buy") == ("buy", "sell")


FAR_BOOK = book([("31400", 5), ("31390", 5)], [("31500", 5), ("31510", 5)])
NEAR_BOOK = book(
    [("299.90", 10), ("299.80", 10), ("299.00", 100)],
    [("300.00", 10), ("300.10", 10), ("301.00", 100)],
)


def test_executable_selling_the_spread() -> None:
    # sell far at best ask 31500; hedge buys 1 contract × 100 shares = 10 lots at 300.00
    ex = executable_spread("sell", SRH7, SBER, D("100"), FAR_BOOK, NEAR_BOOK, 1)
    assert (ex.far_price, ex.near_price, ex.near_lots) == (D("31500"), D("300"), 10)
    assert ex.spread == D("1500")
    # 2 contracts walk the near asks: 10 lots at 300.00 + 10 at 300.10
    ex = executable_spread("sell", SRH7, SBER, D("100"), FAR_BOOK, NEAR_BOOK, 2)
    assert ex.near_price == D("300.05") and ex.spread == D("1495")


def test_executable_buying_the_spread() -> None:
    # buy far at best bid 31400; hedge sells 10 lots at 299.90
    ex = executable_spread("buy", SRH7, SBER, D("100"), FAR_BOOK, NEAR_BOOK, 1)
    assert ex.far_price == D("31400") and ex.near_price == D("299.9")
    assert ex.spread == D("1410")


def test_executable_not_enough_depth_and_empty_far() -> None:
    ex = executable_spread("sell", SRH7, SBER, D("100"), FAR_BOOK, NEAR_BOOK, 13)
    assert ex.spread is None and ex.reason == "not_enough_depth"
    ex = executable_spread("sell", SRH7, SBER, D("100"), book([("1", 1)], []), NEAR_BOOK, 1)
    assert ex.spread is None and ex.reason == "no_far_price"


def test_executable_with_an_explicit_far_price() -> None:
    ex = executable_spread("sell", SRH7, SBER, D("100"), FAR_BOOK, NEAR_BOOK, 1, D("31600"))
    assert ex.spread == D("1600")


def test_executable_in_points_futures_pair() -> None:
    far = LegSpec("RIH7", "future", 1, D("10"), D("7.5"), basic_asset_size=D("1"))
    fb = book([("101000", 1)], [("101020", 1)])
    nb = book([("100000", 3)], [("100010", 3)])
    ex = executable_spread("sell", far, RTS, D("1"), fb, nb, 1)
    # (101020 − 100010) points × 0.75 = 757.5 roubles
    assert ex.spread == D("757.5")


def test_max_far_lots_sizes_the_order_to_what_the_hedge_can_pay() -> None:
    # target 1495: 1 lot → 1500, 2 lots → 1495, 3 lots → (10×300 + 10×300.1 + 10×301)/30 → 1463.3
    n, ex = max_far_lots("sell", SRH7, SBER, D("100"), FAR_BOOK, NEAR_BOOK, D("1495"), 10)
    assert n == 2 and ex is not None and ex.spread == D("1495")
    n, ex = max_far_lots("sell", SRH7, SBER, D("100"), FAR_BOOK, NEAR_BOOK, D("1501"), 10)
    assert (n, ex) == (0, None)
    n, _ = max_far_lots("sell", SRH7, SBER, D("100"), FAR_BOOK, NEAR_BOOK, D("0"), 1)
    assert n == 1  # never above the limit
    n, _ = max_far_lots("buy", SRH7, SBER, D("100"), FAR_BOOK, NEAR_BOOK, D("1420"), 10)
    assert n == 2  # 1 → 1410, 2 → 1415, 3 → 31400 − 100 × (299.9 + 299.8 + 299) / 3 → 1443.3


@given(
    direction=st.sampled_from(["buy", "sell"]),
    target=st.integers(-2000, 3000),
    limit=st.integers(1, 20),
)
def test_max_far_lots_is_the_largest_that_meets_the_target(
    direction: str, target: int, limit: int
) -> None:
    d = "sell" if direction == "sell" else "buy"
    n, ex = max_far_lots(d, SRH7, SBER, D("100"), FAR_BOOK, NEAR_BOOK, D(target), limit)
    assert 0 <= n <= limit
    assert (ex is None) == (n == 0)
    if ex is not None:
        assert ex.far_lots == n and ex.spread is not None
    for lots in range(1, limit + 1):
        e = executable_spread(d, SRH7, SBER, D("100"), FAR_BOOK, NEAR_BOOK, lots)
        ok = e.spread is not None and meets_target(d, e.spread, D(target))
        assert ok == (lots <= n), (lots, n, e)


# --------------------------------------------------------------------------- hedge price


def test_hedge_limit_price_crosses_the_book() -> None:
    # buy 15 lots: deepest level needed 300.10, + 5 ticks = 300.15
    assert hedge_limit_price("buy", NEAR_BOOK, 15, D("0.01"), 5) == D("300.15")
    # sell 25 lots: down to 299.00, − 5 ticks
    assert hedge_limit_price("sell", NEAR_BOOK, 25, D("0.01"), 5) == D("298.95")
    # deeper than the book: priced off the last level
    assert hedge_limit_price("buy", NEAR_BOOK, 1000, D("0.01"), 5) == D("301.05")
    assert hedge_limit_price("buy", book([("1", 1)], []), 1, D("0.01"), 5) is None


@given(
    lots=st.integers(1, 200),
    ticks=st.integers(0, 50),
    near_dir=st.sampled_from(["buy", "sell"]),
)
def test_hedge_limit_price_is_aligned_and_marketable(lots: int, ticks: int, near_dir: str) -> None:
    d = "buy" if near_dir == "buy" else "sell"
    price = hedge_limit_price(d, NEAR_BOOK, lots, D("0.01"), ticks)
    assert price is not None
    assert price % D("0.01") == 0
    if d == "buy":
        assert price >= NEAR_BOOK.asks[0].price
    else:
        assert price <= NEAR_BOOK.bids[0].price


# --------------------------------------------------------------------------- averages


def test_average_spread_and_vwap_add() -> None:
    assert average_spread(SRH7, SBER, D("100"), None, D("300")) is None
    assert average_spread(SRH7, SBER, D("100"), D("31500"), D("300.05")) == D("1495")
    avg = vwap_add(None, 0, D("300"), 10)
    avg = vwap_add(avg, 10, D("301"), 30)
    assert avg == D("300.75")


@given(
    far=st.integers(-100_000, 200_000),
    near=st.integers(-1000_00, 5000_00),
    ratio=st.sampled_from([D("1"), D("10"), D("100"), D("0.1")]),
)
def test_spread_price_is_linear_in_the_legs(far: int, near: int, ratio: Decimal) -> None:
    f, n = D(far), D(near) / 100
    s = spread_price(SRH7, SBER, ratio, f, n)
    assert s == f - ratio * n
    assert spread_price(SRH7, SBER, ratio, f + 1, n) == s + 1
