from decimal import Decimal

import pytest

from bot.broker.types import (
    OrderBook,
    OrderDirection,
    OrderState,
    OrderStatus,
    OrderType,
    PriceLevel,
    TradingStatusCode,
)


def test_enums_map_to_wire_names_and_back() -> None:
    assert OrderDirection.BUY.wire == "ORDER_DIRECTION_BUY"
    assert OrderDirection.from_wire("ORDER_DIRECTION_SELL") is OrderDirection.SELL
    assert OrderDirection.from_wire("SOMETHING_NEW") is OrderDirection.UNSPECIFIED
    assert OrderDirection.from_wire(None) is OrderDirection.UNSPECIFIED
    assert (
        OrderStatus.from_wire("EXECUTION_REPORT_STATUS_PARTIALLYFILL")
        is OrderStatus.PARTIALLY_FILLED
    )
    assert (
        TradingStatusCode.from_wire("SECURITY_TRADING_STATUS_DEALER_NORMAL_TRADING")
        is TradingStatusCode.DEALER_NORMAL_TRADING
    )
    assert (
        OrderDirection.from_side("buy") is OrderDirection.BUY and OrderDirection.SELL.side == "sell"
    )
    with pytest.raises(ValueError, match="buy"):
        OrderDirection.from_side("hold")


def test_final_statuses() -> None:
    assert {s for s in OrderStatus if s.is_final} == {
        OrderStatus.FILL,
        OrderStatus.REJECTED,
        OrderStatus.CANCELLED,
    }


def test_order_book_helpers() -> None:
    empty = OrderBook("u", "f", 10, (), ())
    assert empty.best_bid is None and empty.best_ask is None and empty.spread is None
    book = OrderBook(
        "u", "f", 10, (PriceLevel(Decimal("9.9"), 3),), (PriceLevel(Decimal("10.1"), 4),)
    )
    assert (book.best_bid, book.best_ask, book.spread) == (
        Decimal("9.9"),
        Decimal("10.1"),
        Decimal("0.2"),
    )
    assert book.best_bid_lots == 3 and book.best_ask_lots == 4


def test_order_state_helpers() -> None:
    st = OrderState(
        "o", "r", OrderStatus.PARTIALLY_FILLED, OrderDirection.BUY, OrderType.LIMIT, 5, 2
    )
    assert st.lots_left == 3 and st.is_active and not st.is_final
