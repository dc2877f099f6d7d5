"""Whatever the broker answers, the client returns typed values or a clear ProtocolError/BrokerError
(never a KeyError, a float, or a wrong price)."""

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.broker import parse
from bot.broker.errors import BrokerError, ProtocolError, error_from_response

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.text(max_size=12)
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
field_names = st.sampled_from(
    [
        "price",
        "quantity",
        "bids",
        "asks",
        "orderId",
        "lotsExecuted",
        "lotsRequested",
        "stages",
        "executionReportStatus",
        "time",
        "orderbookTs",
        "units",
        "nano",
        "figi",
        "depth",
        "initialSecurityPrice",
        "trades",
        "lastPrice",
    ]
)
payloads = st.dictionaries(field_names, json_values, max_size=8)

PARSERS = [
    parse.order_book,
    parse.order_state,
    parse.post_order_result,
    parse.stop_order,
    parse.last_price,
    parse.trading_status,
    parse.instrument,
    parse.positions,
    parse.portfolio,
    parse.trading_schedule,
    parse.max_lots,
    parse.user_tariff,
]


@settings(max_examples=300)
@given(payloads, st.sampled_from(PARSERS))
def test_any_payload_gives_a_value_or_a_protocol_error(payload: dict[str, Any], fn: Any) -> None:
    try:
        fn(payload)
    except ProtocolError as exc:
        assert str(exc)


def test_malformed_price_is_a_protocol_error_naming_the_field() -> None:
    with pytest.raises(ProtocolError, match="price"):
        parse.last_price({"price": {"units": "1", "nano": -5}})
    with pytest.raises(ProtocolError, match="lotsExecuted"):
        parse.order_state({"lotsExecuted": "many"})
    with pytest.raises(ProtocolError, match="time"):
        parse.last_price({"price": {"units": "1"}, "time": "yesterday"})


def test_times_with_nanoseconds_and_offsets() -> None:
    t = parse.parse_time("2026-03-11T09:00:00.123456789Z")
    assert t.microsecond == 123456 and t.utcoffset() is not None
    assert parse.parse_time("2026-03-11T12:00:00+03:00") == parse.parse_time("2026-03-11T09:00:00Z")
    assert parse.parse_time("2026-03-11T09:00:00.5Z").microsecond == 500000


def test_missing_fields_default_to_zero_false_empty() -> None:
    state = parse.order_state({})
    assert state.lots_requested == 0 and state.order_id == "" and state.trades == ()
    inst = parse.instrument({"minPriceIncrement": {"units": "0", "nano": 10_000_000}})
    assert inst.min_price_increment == Decimal("0.01") and inst.api_trade_available is False


@settings(max_examples=300)
@given(
    st.integers(min_value=100, max_value=599),
    st.one_of(st.binary(max_size=64), json_values.map(lambda v: __import__("json").dumps(v))),
    st.dictionaries(
        st.sampled_from(
            ["x-tracking-id", "Grpc-Metadata-X-Tracking-Id", "x-ratelimit-reset", "other"]
        ),
        st.text(max_size=10),
        max_size=3,
    ),
)
def test_any_error_answer_maps_to_a_broker_error(status: int, body: Any, headers: dict) -> None:
    err = error_from_response(http_status=status, body=body, headers=headers, method="GetOrders")
    assert isinstance(err, BrokerError)
    assert err.user_message().startswith("Broker: ")
    assert str(err)
