import logging
from decimal import Decimal
from typing import Any

import httpx
import pytest

from bot.broker.client import TInvestClient
from bot.broker.errors import (
    NotFound,
    OrderOutcomeUnknown,
    OrderRejected,
    Unauthenticated,
    Unavailable,
)
from bot.broker.types import (
    InstrumentKind,
    OrderDirection,
    OrderStatus,
    OrderType,
    StopOrderDirection,
    StopOrderStatus,
    StopOrderType,
    TradingStatusCode,
)
from tests.bot.broker.fakes import TOKEN, FakeBroker, config, error, m, q

BOOK = {
    "figi": "BBG004730N88",
    "instrumentUid": "uid-sber",
    "depth": 10,
    "bids": [{"price": q("255.5"), "quantity": "12"}, {"price": q("255.4"), "quantity": "3"}],
    "asks": [{"price": q("255.6"), "quantity": "7"}],
    "lastPrice": q("255.55"),
    "orderbookTs": "2026-11-20T10:00:00.123456789Z",
}


def order_state(rid: str, status: str = "EXECUTION_REPORT_STATUS_NEW", **extra: Any) -> dict:
    base = {
        "orderId": "ex-1",
        "orderRequestId": rid,
        "executionReportStatus": status,
        "lotsRequested": "5",
        "lotsExecuted": "0",
        "direction": "ORDER_DIRECTION_BUY",
        "orderType": "ORDER_TYPE_LIMIT",
        "initialSecurityPrice": m("255.5"),
        "stages": [],
    }
    base.update(extra)
    return base


@pytest.fixture
def broker() -> FakeBroker:
    return FakeBroker()


@pytest.fixture
async def client(broker: FakeBroker):
    c = TInvestClient(config(), http_transport=broker.transport())
    yield c
    await c.close()


async def test_sends_auth_app_name_and_camel_case_json(
    broker: FakeBroker, client: TInvestClient
) -> None:
    broker.reply("MarketDataService/GetOrderBook", BOOK)
    book = await client.get_order_book("BBG004730N88", depth=10)
    sent = broker.calls("MarketDataService/GetOrderBook")[0]
    assert sent.headers["authorization"] == f"Bearer {TOKEN}"
    assert sent.headers["x-app-name"] == "trademan"
    assert sent.body == {"instrumentId": "BBG004730N88", "depth": 10}
    assert book.best_bid == Decimal("255.5") and book.best_ask == Decimal("255.6")
    assert book.bids[0] == (Decimal("255.5"), 12)
    price, lots = book.asks[0]
    assert (price, lots) == (Decimal("255.6"), 7)
    assert book.time is not None and book.time.microsecond == 123456
    assert book.spread == Decimal("0.1")


async def test_post_order_body_and_result(broker: FakeBroker, client: TInvestClient) -> None:
    key = client.new_order_id()
    broker.reply(
        "OrdersService/PostOrder",
        {
            "orderId": "ex-77",
            "orderRequestId": key,
            "executionReportStatus": "EXECUTION_REPORT_STATUS_NEW",
            "lotsRequested": "3",
            "lotsExecuted": "0",
            "direction": "ORDER_DIRECTION_SELL",
            "orderType": "ORDER_TYPE_LIMIT",
        },
        **{"x-tracking-id": "trk-9"},
    )
    res = await client.post_order(
        instrument_id="uid-sber",
        lots=3,
        direction=OrderDirection.SELL,
        price=Decimal("-0.05"),
        order_id=key,
    )
    body = broker.calls("OrdersService/PostOrder")[0].body
    assert body == {
        "quantity": "3",
        "direction": "ORDER_DIRECTION_SELL",
        "accountId": "acc-1",
        "orderType": "ORDER_TYPE_LIMIT",
        "orderId": key,
        "instrumentId": "uid-sber",
        "price": {"units": "-0", "nano": -50_000_000},
    }
    assert res.order_id == "ex-77" and res.request_id == key
    assert res.status is OrderStatus.NEW and res.tracking_id == "trk-9"


async def test_bad_order_arguments_are_refused_before_sending(
    broker: FakeBroker, client: TInvestClient
) -> None:
    for kw in (
        {"lots": 0, "order_id": "k"},
        {"lots": 1, "order_id": ""},
        {"lots": 1, "order_id": "x" * 37},
        {"lots": 1, "order_id": "k", "price": None},
        {"lots": 1, "order_id": "k", "price": Decimal("1.0000000001")},
    ):
        args = {"instrument_id": "u", "direction": OrderDirection.BUY, "price": Decimal(1)} | kw
        with pytest.raises(ValueError):
            await client.post_order(**args)
    assert broker.sent == []


async def test_read_retries_transient_errors(broker: FakeBroker, client: TInvestClient) -> None:
    answers = [error(503, 14, "", "try later"), httpx.Response(200, json=BOOK)]
    broker.on("MarketDataService/GetOrderBook", lambda b, r: answers.pop(0))
    book = await client.get_order_book("x")
    assert book.best_bid == Decimal("255.5")
    assert len(broker.calls("MarketDataService/GetOrderBook")) == 2


async def test_read_gives_up_after_attempts(broker: FakeBroker, client: TInvestClient) -> None:
    broker.on("MarketDataService/GetOrderBook", lambda b, r: error(503, 14, "", "down"))
    with pytest.raises(Unavailable):
        await client.get_order_book("x")
    assert len(broker.calls("MarketDataService/GetOrderBook")) == 3


async def test_rejected_order_is_not_retried(broker: FakeBroker, client: TInvestClient) -> None:
    broker.on(
        "OrdersService/PostOrder",
        lambda b, r: error(400, 3, "30034", "not enough balance", **{"x-tracking-id": "t1"}),
    )
    with pytest.raises(OrderRejected) as err:
        await client.post_order(
            instrument_id="u",
            lots=1,
            direction=OrderDirection.BUY,
            price=Decimal(1),
            order_id=client.new_order_id(),
        )
    assert err.value.api_code == "30034" and err.value.tracking_id == "t1"
    assert "not enough money" in err.value.user_message()
    assert len(broker.sent) == 1


async def test_lost_order_response_is_retried_with_the_same_key(
    broker: FakeBroker, client: TInvestClient
) -> None:
    placed: dict[str, dict] = {}

    def post(body: dict, request: httpx.Request) -> httpx.Response:
        key = body["orderId"]
        first = key not in placed
        placed.setdefault(key, order_state(key))
        if first:
            raise httpx.ReadTimeout("lost", request=request)  # accepted, answer lost
        return httpx.Response(200, json=placed[key])

    broker.on("OrdersService/PostOrder", post)
    key = client.new_order_id()
    res = await client.post_order(
        instrument_id="u",
        lots=5,
        direction=OrderDirection.BUY,
        price=Decimal("255.5"),
        order_id=key,
    )
    keys = [s.body["orderId"] for s in broker.calls("OrdersService/PostOrder")]
    assert keys == [key, key]
    assert len(placed) == 1 and res.request_id == key


async def test_order_outcome_unknown_then_resolved(
    broker: FakeBroker, client: TInvestClient
) -> None:
    placed: dict[str, dict] = {}

    def post(body: dict, request: httpx.Request) -> httpx.Response:
        placed.setdefault(body["orderId"], order_state(body["orderId"]))
        raise httpx.ReadTimeout("lost", request=request)

    def state(body: dict, request: httpx.Request) -> httpx.Response:
        assert body["orderIdType"] == "ORDER_ID_TYPE_REQUEST"
        if body["orderId"] in placed:
            return httpx.Response(200, json=placed[body["orderId"]])
        return error(404, 5, "50005", "Order not found")

    broker.on("OrdersService/PostOrder", post)
    broker.on("OrdersService/GetOrderState", state)
    key = client.new_order_id()
    with pytest.raises(OrderOutcomeUnknown) as err:
        await client.post_order(
            instrument_id="u",
            lots=5,
            direction=OrderDirection.BUY,
            price=Decimal("255.5"),
            order_id=key,
        )
    assert err.value.request_id == key
    assert {s.body["orderId"] for s in broker.calls("OrdersService/PostOrder")} == {key}
    resolved = await client.resolve_order(key)
    assert resolved is not None and resolved.request_id == key and len(placed) == 1
    assert await client.resolve_order(client.new_order_id()) is None


async def test_connection_refused_on_every_attempt_is_not_unknown(
    broker: FakeBroker, client: TInvestClient
) -> None:
    def refuse(body: dict, request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    broker.on("OrdersService/PostOrder", refuse)
    from bot.broker.errors import BrokerConnectionError

    with pytest.raises(BrokerConnectionError):
        await client.post_order(
            instrument_id="u",
            lots=1,
            direction=OrderDirection.BUY,
            price=Decimal(1),
            order_id=client.new_order_id(),
        )


async def test_duplicate_key_reports_the_existing_order(
    broker: FakeBroker, client: TInvestClient
) -> None:
    key = client.new_order_id()
    broker.on("OrdersService/PostOrder", lambda b, r: error(400, 3, "30057", "duplicate"))
    broker.reply(
        "OrdersService/GetOrderState",
        order_state(key, "EXECUTION_REPORT_STATUS_FILL", lotsExecuted="5"),
    )
    res = await client.post_order(
        instrument_id="u", lots=5, direction=OrderDirection.BUY, price=Decimal(1), order_id=key
    )
    assert res.request_id == key and res.status is OrderStatus.FILL and res.lots_executed == 5


async def test_token_never_logged_or_shown(
    broker: FakeBroker, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    broker.on("UsersService/GetAccounts", lambda b, r: error(401, 16, 40003, f"bad token {TOKEN}"))
    cfg = config()
    client = TInvestClient(cfg, http_transport=broker.transport())
    with pytest.raises(Unauthenticated) as err:
        await client.get_accounts()
    await client.close()
    texts = [
        str(err.value),
        repr(err.value),
        err.value.user_message(),
        repr(cfg),
        repr(client),
        caplog.text,
    ]
    for text in texts:
        assert TOKEN not in text, text


async def test_typed_results(broker: FakeBroker, client: TInvestClient) -> None:
    broker.reply(
        "UsersService/GetAccounts",
        {
            "accounts": [
                {
                    "id": "acc-1",
                    "name": "main",
                    "type": "ACCOUNT_TYPE_TINKOFF",
                    "status": "ACCOUNT_STATUS_OPEN",
                    "accessLevel": "ACCOUNT_ACCESS_LEVEL_FULL_ACCESS",
                    "openedDate": "2020-01-01T00:00:00Z",
                }
            ]
        },
    )
    broker.reply(
        "InstrumentsService/Futures",
        {
            "instruments": [
                {
                    "figi": "FUTSBRF",
                    "uid": "uid-f",
                    "ticker": "SRH7",
                    "classCode": "SPBFUT",
                    "lot": 1,
                    "currency": "rub",
                    "minPriceIncrement": q("1"),
                    "minPriceIncrementAmount": q("1"),
                    "basicAsset": "SBER",
                    "basicAssetSize": q("100"),
                    "apiTradeAvailableFlag": True,
                    "expirationDate": "2027-03-19T00:00:00Z",
                    "initialMarginOnBuy": m("4512.3"),
                }
            ]
        },
    )
    broker.reply(
        "MarketDataService/GetTradingStatus",
        {
            "figi": "f",
            "instrumentUid": "u",
            "tradingStatus": "SECURITY_TRADING_STATUS_NORMAL_TRADING",
            "limitOrderAvailableFlag": True,
            "apiTradeAvailableFlag": True,
        },
    )
    broker.reply(
        "StopOrdersService/GetStopOrders",
        {
            "stopOrders": [
                {
                    "stopOrderId": "s1",
                    "lotsRequested": "2",
                    "direction": "STOP_ORDER_DIRECTION_BUY",
                    "orderType": "STOP_ORDER_TYPE_TAKE_PROFIT",
                    "status": "STOP_ORDER_STATUS_ACTIVE",
                    "stopPrice": m("200.1"),
                    "price": m("0"),
                    "instrumentUid": "u",
                }
            ]
        },
    )
    broker.reply(
        "OperationsService/GetPositions",
        {
            "accountId": "acc-1",
            "money": [m("1000.5"), m("10", "usd")],
            "blocked": [],
            "securities": [{"figi": "f", "instrumentUid": "u", "balance": "30", "blocked": "10"}],
        },
    )
    broker.reply(
        "OrdersService/GetOrderState",
        order_state(
            "rid",
            "EXECUTION_REPORT_STATUS_PARTIALLYFILL",
            lotsExecuted="2",
            stages=[
                {
                    "price": m("255.4"),
                    "quantity": "2",
                    "tradeId": "tr-1",
                    "executionTime": "2026-11-20T10:00:01Z",
                }
            ],
        ),
    )

    (acc,) = await client.get_accounts()
    assert acc.can_trade and acc.opened_at is not None
    (fut,) = await client.futures()
    assert fut.kind is InstrumentKind.FUTURES and fut.basic_asset_size == 100
    assert fut.currency == "RUB" and fut.initial_margin_on_buy.amount == Decimal("4512.3")
    st = await client.get_trading_status("u")
    assert st.status is TradingStatusCode.NORMAL_TRADING and st.can_place_limit
    (stop,) = await client.get_stop_orders()
    assert stop.status is StopOrderStatus.ACTIVE and stop.stop_price == Decimal("200.1")
    assert stop.direction is StopOrderDirection.BUY and stop.order_type is StopOrderType.TAKE_PROFIT
    pos = await client.get_positions()
    assert pos.money_in("RUB") == Decimal("1000.5") and pos.balance("u") == 30
    state = await client.get_order_state("ex-1")
    assert state.lots_left == 3 and state.trades[0].trade_id == "tr-1"
    assert state.trades[0].price == Decimal("255.4") and not state.is_final
    assert state.order_type is OrderType.LIMIT


async def test_last_prices_are_chunked(broker: FakeBroker) -> None:
    def prices(body: dict, request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            json={
                "lastPrices": [
                    {"instrumentUid": i, "figi": i, "price": q("1.5")} for i in body["instrumentId"]
                ]
            },
        )

    broker.on("MarketDataService/GetLastPrices", prices)
    client = TInvestClient(config(last_prices_chunk=100), http_transport=broker.transport())
    ids = [f"id{k}" for k in range(250)]
    got = await client.get_last_prices(ids)
    await client.close()
    assert sorted(p.instrument_uid for p in got) == sorted(ids)
    sizes = sorted(
        len(s.body["instrumentId"]) for s in broker.calls("MarketDataService/GetLastPrices")
    )
    assert sizes == [50, 100, 100]


async def test_not_found(broker: FakeBroker, client: TInvestClient) -> None:
    broker.on(
        "InstrumentsService/ShareBy", lambda b, r: error(404, 5, "50002", "Instrument not found")
    )
    with pytest.raises(NotFound) as err:
        await client.share_by(ticker="NOPE", class_code="TQBR")
    assert err.value.user_message() == "Broker: instrument not found (50002)"
    assert broker.sent[0].body == {
        "idType": "INSTRUMENT_ID_TYPE_TICKER",
        "id": "NOPE",
        "classCode": "TQBR",
    }
    with pytest.raises(ValueError, match="class_code"):
        await client.share_by(ticker="SBER")


async def test_a_bad_url_is_a_clear_connection_error() -> None:
    client = TInvestClient(config(rest_url="ftp://broker.test/rest"))
    from bot.broker.errors import BrokerConnectionError

    with pytest.raises(BrokerConnectionError) as err:
        await client.get_accounts()
    await client.close()
    assert "UnsupportedProtocol" in str(err.value) and TOKEN not in str(err.value)
