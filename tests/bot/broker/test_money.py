from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.broker.money import (
    INT64_MAX,
    MoneyError,
    NotWholeLotsError,
    align_price,
    decimal_to_money_value,
    decimal_to_quotation,
    is_aligned,
    lots_to_pieces,
    money_to_points,
    pieces_to_lots,
    pieces_to_lots_floor,
    points_to_money,
    quotation_to_decimal,
)

units_st = st.integers(min_value=-(10**15), max_value=10**15)
nano_abs = st.integers(min_value=0, max_value=999_999_999)
nine_places = st.decimals(
    min_value=Decimal("-1e15"),
    max_value=Decimal("1e15"),
    places=9,
    allow_nan=False,
    allow_infinity=False,
)


@given(nine_places)
def test_decimal_round_trip_is_exact(value: Decimal) -> None:
    q = decimal_to_quotation(value)
    assert quotation_to_decimal(q) == value, q


@given(nine_places)
def test_units_and_nano_share_the_sign(value: Decimal) -> None:
    q = decimal_to_quotation(value)
    units = int(q["units"])
    nano = q["nano"]
    assert isinstance(q["units"], str) and isinstance(nano, int)
    assert abs(nano) < 10**9
    assert not (units > 0 and nano < 0) and not (units < 0 and nano > 0), q
    if value < 0:
        assert q["units"].startswith("-"), q
    else:
        assert not q["units"].startswith("-"), q


@given(units_st, nano_abs)
def test_wire_round_trip_is_exact(units: int, nano: int) -> None:
    sign = -1 if units < 0 else 1
    wire = {"units": str(units), "nano": sign * nano}
    value = quotation_to_decimal(wire)
    back = decimal_to_quotation(value)
    assert int(back["units"]) == units and back["nano"] == sign * nano


def test_documented_negative_example() -> None:
    assert decimal_to_quotation(Decimal("-0.01")) == {"units": "-0", "nano": -10_000_000}
    assert quotation_to_decimal({"units": "-0", "nano": -10_000_000}) == Decimal("-0.01")
    assert decimal_to_quotation(Decimal("-1.5")) == {"units": "-1", "nano": -500_000_000}
    assert decimal_to_quotation(Decimal("0")) == {"units": "0", "nano": 0}


def test_missing_parts_are_zero_and_ints_accepted() -> None:
    assert quotation_to_decimal({}) == 0
    assert quotation_to_decimal(None) == 0
    assert quotation_to_decimal({"units": 12}) == 12
    assert quotation_to_decimal({"nano": 500_000_000}) == Decimal("0.5")


@pytest.mark.parametrize(
    "wire",
    [
        {"units": "1", "nano": -1},
        {"units": "-1", "nano": 1},
        {"units": "-0", "nano": 5},
        {"units": "0", "nano": 1_000_000_000},
        {"units": "0", "nano": -1_000_000_000},
        {"units": "abc", "nano": 0},
        {"units": str(INT64_MAX + 1), "nano": 0},
        {"units": True, "nano": 0},
    ],
)
def test_malformed_wire_values_are_rejected(wire: dict) -> None:
    with pytest.raises(MoneyError):
        quotation_to_decimal(wire)


@pytest.mark.parametrize("value", ["0.0000000001", "1.1234567891", "NaN", "Infinity", "abc"])
def test_non_representable_values_are_rejected_with_a_clear_error(value: str) -> None:
    with pytest.raises(MoneyError) as err:
        decimal_to_quotation(value)
    assert value in str(err.value) or "number" in str(err.value)


def test_nine_places_with_trailing_zeros_beyond_are_accepted() -> None:
    assert decimal_to_quotation(Decimal("1.1234567890000")) == {"units": "1", "nano": 123456789}


def test_money_value_has_currency() -> None:
    assert decimal_to_money_value(Decimal("300000"), "RUB") == {
        "currency": "rub",
        "units": "300000",
        "nano": 0,
    }


@pytest.mark.parametrize(
    ("price", "inc", "mode", "expected"),
    [
        ("100.07", "0.05", "floor", "100.05"),
        ("100.07", "0.05", "ceil", "100.10"),
        ("100.07", "0.05", "nearest", "100.05"),
        ("100.075", "0.05", "nearest", "100.10"),
        ("-3.3", "1", "floor", "-4"),
        ("-3.3", "1", "ceil", "-3"),
        ("255.55", "0.01", "floor", "255.55"),
        ("87650", "10", "nearest", "87650"),
    ],
)
def test_align_price(price: str, inc: str, mode: str, expected: str) -> None:
    got = align_price(Decimal(price), Decimal(inc), mode)  # type: ignore[arg-type]
    assert got == Decimal(expected)
    assert is_aligned(got, Decimal(inc))


@given(
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1e6"), places=4),
    st.sampled_from(
        [Decimal("0.01"), Decimal("0.5"), Decimal("1"), Decimal("0.0005"), Decimal("10")]
    ),
)
def test_alignment_brackets_the_price(price: Decimal, inc: Decimal) -> None:
    lo = align_price(price, inc, "floor")
    hi = align_price(price, inc, "ceil")
    near = align_price(price, inc, "nearest")
    assert lo <= price <= hi and hi - lo in (0, inc)
    assert near in (lo, hi)
    assert abs(near - price) <= inc / 2


def test_points_to_roubles_and_back() -> None:
    # Si: step 1 point = 1 RUB; RTS: step 10 points = 14.4 RUB (illustrative)
    assert points_to_money(Decimal("87650"), Decimal("1"), Decimal("1")) == 87650
    assert points_to_money(Decimal("110000"), Decimal("10"), Decimal("14.4")) == Decimal("158400")
    assert money_to_points(Decimal("158400"), Decimal("10"), Decimal("14.4")) == 110000


@given(
    st.integers(min_value=-(10**7), max_value=10**7),
    st.sampled_from([Decimal("1"), Decimal("0.01"), Decimal("10"), Decimal("0.5")]),
    st.sampled_from([Decimal("1"), Decimal("14.40294"), Decimal("0.0071"), Decimal("6.5")]),
)
def test_points_money_round_trip(steps: int, mpi: Decimal, mpia: Decimal) -> None:
    points = steps * mpi
    assert money_to_points(points_to_money(points, mpi, mpia), mpi, mpia) == points


def test_lots_and_pieces() -> None:
    assert lots_to_pieces(3, 10) == 30
    assert pieces_to_lots(30, 10) == 3
    with pytest.raises(NotWholeLotsError, match="not a whole number of lots of 10"):
        pieces_to_lots(35, 10)
    assert pieces_to_lots_floor(35, 10) == 3
    assert pieces_to_lots_floor(-35, 10) == -3
    with pytest.raises(MoneyError):
        lots_to_pieces(1, 0)
