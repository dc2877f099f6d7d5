import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from typing import Any

import httpx
import pytest
from aiohttp import WSMsgType, web
from aiohttp.test_utils import TestServer

from bot.broker.client import TInvestClient
from bot.broker.stream import MARKET_DATA_PATH, ORDER_STATE_PATH, StreamSettings
from bot.broker.types import OrderDirection, OrderStatus
from tests.bot.broker.fakes import TOKEN, FakeBroker, config, q

FAST = StreamSettings(
    backoff_initial=0.01, backoff_max=0.05, poll_interval=0.01, ping_delay_ms=2000
)


async def until(cond: Callable[[], bool], what: str, limit: float = 10) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + limit
    while not cond():
        if loop.time() > end:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.005)


def book_msg(uid: str, bid: str, depth: int = 10) -> dict[str, Any]:
    return {
        "orderbook": {
            "figi": "F-" + uid,
            "instrumentUid": uid,
            "depth": depth,
            "bids": [{"price": q(bid), "quantity": "1"}],
            "asks": [{"price": q(str(Decimal(bid) + 1)), "quantity": "2"}],
            "time": "2026-11-20T10:00:00Z",
        }
    }


class FakeWs:
    """A WebSocket endpoint that records requests and can push, drop, or refuse."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.connections: list[web.WebSocketResponse] = []
        self.headers: list[dict[str, str]] = []
        self.protocols: list[str | None] = []
        self.refuse = False

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if self.refuse:
            return web.Response(status=503, text="down")
        ws = web.WebSocketResponse(protocols=("json",))
        await ws.prepare(request)
        self.headers.append(dict(request.headers))
        self.protocols.append(ws.ws_protocol)
        self.connections.append(ws)
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                data = json.loads(msg.data)
                self.requests.append(data)
                sub = data.get("subscribeOrderBookRequest")
                if sub and sub["subscriptionAction"] == "SUBSCRIPTION_ACTION_SUBSCRIBE":
                    for inst in sub["instruments"]:
                        await ws.send_json(book_msg(inst["instrumentId"], "100"))
        return ws

    def subscribed(self, key: str) -> list[dict[str, Any]]:
        return [r[key] for r in self.requests if key in r]

    async def push(self, message: dict[str, Any]) -> None:
        await self.connections[-1].send_json(message)

    async def drop(self) -> None:
        await self.connections[-1].close()


@pytest.fixture
async def ws_server() -> AsyncIterator[tuple[FakeWs, str]]:
    fake = FakeWs()
    app = web.Application()
    app.router.add_get(f"/ws/{MARKET_DATA_PATH}", fake.handle)
    app.router.add_get(f"/ws/{ORDER_STATE_PATH}", fake.handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield fake, f"ws://127.0.0.1:{server.port}/ws"
    await server.close()


def rest_books(counter: list[str]) -> FakeBroker:
    broker = FakeBroker()

    def book(body: dict, request: httpx.Request) -> httpx.Response:
        counter.append(body["instrumentId"])
        return httpx.Response(200, json=book_msg(body["instrumentId"], "50")["orderbook"])

    broker.on("MarketDataService/GetOrderBook", book)
    return broker


async def test_stream_delivers_books_with_auth_and_subprotocol(ws_server) -> None:
    fake, url = ws_server
    client = TInvestClient(
        config(ws_url=url), stream_settings=FAST, http_transport=rest_books([]).transport()
    )
    it = client.order_book_stream("uid-1", 10)
    first = await asyncio.wait_for(anext(it), 10)
    assert first.instrument_uid == "uid-1" and first.best_bid == Decimal("100")
    assert fake.headers[0]["Authorization"] == f"Bearer {TOKEN}"
    assert fake.protocols[0] == "json"
    await fake.push(book_msg("uid-other", "7"))  # not ours: not delivered
    await fake.push(book_msg("uid-1", "101"))
    second = await asyncio.wait_for(anext(it), 10)
    assert second.best_bid == Decimal("101")
    await it.aclose()
    await until(
        lambda: any(
            s["subscriptionAction"] == "SUBSCRIPTION_ACTION_UNSUBSCRIBE"
            for s in fake.subscribed("subscribeOrderBookRequest")
        ),
        "unsubscribe",
    )
    assert TOKEN not in repr(client.market_stream) and "ws://" in repr(client.market_stream)
    await client.close()


async def test_reconnects_and_resubscribes(ws_server) -> None:
    fake, url = ws_server
    client = TInvestClient(
        config(ws_url=url), stream_settings=FAST, http_transport=rest_books([]).transport()
    )
    stream = client.market_stream
    books = stream.subscribe_order_book("uid-1", 10)
    prices = stream.subscribe_last_price("uid-2")
    await asyncio.wait_for(anext(books), 10)
    await fake.drop()
    await until(lambda: len(fake.connections) == 2 and stream.mode == "stream", "reconnect")
    await until(lambda: len(fake.subscribed("subscribeOrderBookRequest")) >= 2, "resubscribe")
    subs = fake.subscribed("subscribeOrderBookRequest")
    assert subs[-1]["instruments"] == [{"instrumentId": "uid-1", "depth": 10}]
    assert fake.subscribed("subscribeLastPriceRequest")[-1]["instruments"] == [
        {"instrumentId": "uid-2"}
    ]
    await fake.push(book_msg("uid-1", "103"))
    got = await asyncio.wait_for(anext(books), 10)
    while got.best_bid != Decimal("103"):
        got = await asyncio.wait_for(anext(books), 10)
    await fake.push(
        {
            "lastPrice": {
                "figi": "x",
                "instrumentUid": "uid-2",
                "price": q("9.5"),
                "time": "2026-11-20T10:00:00Z",
            }
        }
    )
    lp = await asyncio.wait_for(anext(prices), 10)
    assert lp.price == Decimal("9.5")
    assert stream.disconnects == 1
    await client.close()


async def test_falls_back_to_polling_and_returns_to_the_stream(
    ws_server, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake, url = ws_server
    fake.refuse = True
    polled: list[str] = []
    client = TInvestClient(
        config(ws_url=url), stream_settings=FAST, http_transport=rest_books(polled).transport()
    )
    it = client.order_book_stream("uid-1", 10)
    first = await asyncio.wait_for(anext(it), 10)
    assert first.best_bid == Decimal("50")  # from GetOrderBook
    assert client.market_stream.mode == "polling" and polled
    fake.refuse = False
    await until(lambda: client.market_stream.mode == "stream", "the stream to come back")
    n = len(polled)
    book = await asyncio.wait_for(anext(it), 10)
    while book.best_bid != Decimal("100"):
        book = await asyncio.wait_for(anext(it), 10)
    await fake.push(book_msg("uid-1", "104"))
    book = await asyncio.wait_for(anext(it), 10)
    assert book.best_bid == Decimal("104")
    assert len(polled) <= n + 1  # polling stopped once the stream was back
    await it.aclose()
    await client.close()
    assert "503" in caplog.text  # the refusal was logged...
    assert TOKEN not in caplog.text  # ...without the token


async def test_a_dead_stream_is_detected_by_silence(ws_server) -> None:
    fake, url = ws_server
    settings = StreamSettings(
        backoff_initial=0.01, backoff_max=0.05, poll_interval=0.01, ping_delay_ms=20, idle_factor=2
    )
    client = TInvestClient(
        config(ws_url=url), stream_settings=settings, http_transport=rest_books([]).transport()
    )
    books = client.market_stream.subscribe_order_book("uid-1", 10)
    await asyncio.wait_for(anext(books), 10)
    # the fake never pings: after 2 x 20 ms of silence the client reconnects
    await until(lambda: len(fake.connections) >= 2, "a reconnect after silence")
    assert (
        fake.subscribed("subscribeOrderBookRequest")[-1]["instruments"][0]["instrumentId"]
        == "uid-1"
    )
    assert {"pingSettings": {"pingDelayMs": 20}} in fake.requests
    await client.close()


async def test_order_state_stream_reports_fills_in_lots(ws_server) -> None:
    fake, url = ws_server
    client = TInvestClient(
        config(ws_url=url), stream_settings=FAST, http_transport=FakeBroker().transport()
    )
    stream = client.order_state_stream()
    it = aiter(stream)
    await until(lambda: bool(fake.requests), "the accounts request")
    assert fake.requests[0]["accounts"] == ["acc-1"]
    await fake.push(
        {
            "orderState": {
                "orderId": "ex-1",
                "orderRequestId": "rid-1",
                "lotSize": 10,
                "executionReportStatus": "EXECUTION_REPORT_STATUS_PARTIALLYFILL",
                "lotsRequested": "5",
                "lotsExecuted": "2",
                "direction": "ORDER_DIRECTION_BUY",
                "trades": [
                    {
                        "dateTime": "2026-11-20T10:00:00Z",
                        "price": q("255.5"),
                        "quantity": "20",
                        "tradeId": "t-1",
                    }
                ],
            }
        }
    )
    state = await asyncio.wait_for(anext(it), 10)
    assert state.status is OrderStatus.PARTIALLY_FILLED and state.request_id == "rid-1"
    assert state.trades[0].quantity == 2 and state.trades[0].price == Decimal("255.5")
    await client.close()


async def test_a_malformed_order_state_is_skipped_without_dropping_the_stream(
    ws_server: tuple[FakeWs, str],
) -> None:
    fake, url = ws_server
    client = TInvestClient(
        config(ws_url=url), stream_settings=FAST, http_transport=FakeBroker().transport()
    )
    stream = client.order_state_stream()
    it = aiter(stream)
    await until(lambda: bool(fake.requests), "the accounts request")
    base = {
        "executionReportStatus": "EXECUTION_REPORT_STATUS_NEW",
        "lotsRequested": "5",
        "direction": "ORDER_DIRECTION_BUY",
    }
    await fake.push({"orderState": {**base, "orderId": "ex-bad", "lotSize": "ten"}})
    await fake.push({"orderState": {**base, "orderId": "ex-good", "lotSize": 10}})
    state = await asyncio.wait_for(anext(it), 10)
    assert state.order_id == "ex-good", state
    assert len(fake.connections) == 1, "a bad message must not cost the connection"
    await client.close()


async def test_order_state_fallback_polls_orders(ws_server) -> None:
    fake, url = ws_server
    fake.refuse = True
    broker = FakeBroker()
    active = [True]

    def orders(body: dict, request: httpx.Request) -> httpx.Response:
        rows = [
            {
                "orderId": "ex-9",
                "orderRequestId": "r9",
                "lotsRequested": "3",
                "lotsExecuted": "1",
                "executionReportStatus": "EXECUTION_REPORT_STATUS_PARTIALLYFILL",
            }
        ]
        return httpx.Response(200, json={"orders": rows if active[0] else []})

    broker.on("OrdersService/GetOrders", orders)
    broker.reply(
        "OrdersService/GetOrderState",
        {
            "orderId": "ex-9",
            "orderRequestId": "r9",
            "lotsRequested": "3",
            "lotsExecuted": "3",
            "executionReportStatus": "EXECUTION_REPORT_STATUS_FILL",
        },
    )
    client = TInvestClient(
        config(ws_url=url), stream_settings=FAST, http_transport=broker.transport()
    )
    it = aiter(client.order_state_stream())
    first = await asyncio.wait_for(anext(it), 10)
    assert first.lots_executed == 1
    active[0] = False
    final = await asyncio.wait_for(anext(it), 10)
    assert final.status is OrderStatus.FILL and final.lots_executed == 3
    await client.close()


async def test_closing_ends_the_iterations(ws_server) -> None:
    _fake, url = ws_server
    client = TInvestClient(
        config(ws_url=url), stream_settings=FAST, http_transport=rest_books([]).transport()
    )
    books = client.market_stream.subscribe_order_book("uid-1", 10)
    await asyncio.wait_for(anext(books), 10)
    orders = client.order_state_stream()
    order_it = aiter(orders)
    waiting_book = asyncio.ensure_future(anext(books))
    waiting_order = asyncio.ensure_future(anext(order_it))
    await asyncio.sleep(0)
    await client.close()
    for fut in (waiting_book, waiting_order):
        with pytest.raises(StopAsyncIteration):
            await asyncio.wait_for(fut, 10)


async def test_a_server_that_hangs_up_at_once_gets_a_growing_backoff() -> None:
    connections = 0

    async def hang_up(request: web.Request) -> web.StreamResponse:
        nonlocal connections
        connections += 1
        ws = web.WebSocketResponse(protocols=("json",))
        await ws.prepare(request)
        await ws.close(code=4016, message=b"unauthenticated")
        return ws

    app = web.Application()
    app.router.add_get(f"/ws/{MARKET_DATA_PATH}", hang_up)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    settings = StreamSettings(backoff_initial=0.001, backoff_max=10, poll_interval=0.01)
    client = TInvestClient(
        config(ws_url=f"ws://127.0.0.1:{server.port}/ws"),
        stream_settings=settings,
        http_transport=rest_books([]).transport(),
    )
    client.market_stream.subscribe_order_book("uid-1", 10)
    await until(lambda: connections >= 6, "six attempts")
    # 1, 2, 4, 8, 16, 32 ms...: not a hammering loop at the initial delay
    assert client.market_stream.next_delay >= 0.001 * 2**4 * 0.75
    await client.close()
    await server.close()


async def test_order_state_fallback_follows_orders_placed_here(ws_server) -> None:
    fake, url = ws_server
    fake.refuse = True
    broker = FakeBroker()
    broker.reply("OrdersService/GetOrders", {"orders": []})  # filled at once: never active
    broker.reply(
        "OrdersService/PostOrder",
        {
            "orderId": "ex-5",
            "orderRequestId": "r5",
            "lotsRequested": "1",
            "executionReportStatus": "EXECUTION_REPORT_STATUS_NEW",
        },
    )
    broker.reply(
        "OrdersService/GetOrderState",
        {
            "orderId": "ex-5",
            "orderRequestId": "r5",
            "lotsRequested": "1",
            "lotsExecuted": "1",
            "executionReportStatus": "EXECUTION_REPORT_STATUS_FILL",
        },
    )
    client = TInvestClient(
        config(ws_url=url), stream_settings=FAST, http_transport=broker.transport()
    )
    it = aiter(client.order_state_stream())
    await client.post_order(
        instrument_id="u", lots=1, direction=OrderDirection.BUY, price=Decimal(1), order_id="r5"
    )
    state = await asyncio.wait_for(anext(it), 10)
    assert state.order_id == "ex-5" and state.status is OrderStatus.FILL
    await client.close()
