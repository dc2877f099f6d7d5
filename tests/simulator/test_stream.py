"""MarketDataStream and OrderStateStream over WebSocket."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from tests.simulator.helpers import SBER, dec, place
from tests.support.sim import SimHandle, running_simulator

SUBSCRIBE = "SUBSCRIPTION_ACTION_SUBSCRIBE"
UNSUBSCRIBE = "SUBSCRIPTION_ACTION_UNSUBSCRIBE"


def book_request(action: str, depth: int = 10, instrument: str = SBER) -> dict[str, Any]:
    return {
        "subscribeOrderBookRequest": {
            "subscriptionAction": action,
            "instruments": [{"instrumentId": instrument, "depth": depth}],
        }
    }


def simple_request(kind: str, action: str = SUBSCRIBE) -> dict[str, Any]:
    return {kind: {"subscriptionAction": action, "instruments": [{"instrumentId": SBER}]}}


async def next_message(ws: aiohttp.ClientWebSocketResponse, key: str) -> dict[str, Any]:
    """The next message carrying ``key`` (others, e.g. pings, are skipped)."""
    while True:
        msg = await ws.receive(timeout=10)
        assert msg.type == aiohttp.WSMsgType.TEXT, f"stream ended: {msg}"
        data: dict[str, Any] = json.loads(msg.data)
        if key in data:
            return data[key]


@pytest.fixture
async def ws(sim: SimHandle) -> AsyncIterator[aiohttp.ClientWebSocketResponse]:
    async with sim.session.ws_connect(
        sim.market_data_url, protocols=("json",), headers=sim.auth_headers
    ) as conn:
        yield conn


async def test_subscribe_gives_a_snapshot_then_updates_on_change(sim: Any, ws: Any) -> None:
    await ws.send_json(book_request(SUBSCRIBE, depth=10))
    response = await next_message(ws, "subscribeOrderBookResponse")
    [sub] = response["orderBookSubscriptions"]
    assert (sub["subscriptionStatus"], sub["depth"]) == ("SUBSCRIPTION_STATUS_SUCCESS", 10)
    snapshot = await next_message(ws, "orderbook")
    assert (snapshot["ticker"], len(snapshot["bids"]), len(snapshot["asks"])) == ("SBER", 10, 10)
    await sim.set_book(SBER, bids=[("240.00", 3)], asks=[("240.10", 4)])
    update = await next_message(ws, "orderbook")
    assert [(dec(b["price"]), b["quantity"]) for b in update["bids"]] == [
        (dec({"units": "240", "nano": 0}), "3")
    ]
    await sim.walk(1)
    walked = await next_message(ws, "orderbook")
    assert len(walked["asks"]) == 10


async def test_last_price_and_trading_status(sim: Any, ws: Any) -> None:
    await ws.send_json(simple_request("subscribeLastPriceRequest"))
    await next_message(ws, "subscribeLastPriceResponse")
    await next_message(ws, "lastPrice")
    await sim.set_price(SBER, "251.30")
    price = await next_message(ws, "lastPrice")
    assert price["price"] == {"units": "251", "nano": 300000000}
    await ws.send_json(simple_request("subscribeInfoRequest"))
    await next_message(ws, "subscribeInfoResponse")
    first = await next_message(ws, "tradingStatus")
    assert first["tradingStatus"] == "SECURITY_TRADING_STATUS_NORMAL_TRADING"
    await sim.set_session_mode("closed")
    changed = await next_message(ws, "tradingStatus")
    assert changed["tradingStatus"] == "SECURITY_TRADING_STATUS_NOT_AVAILABLE_FOR_TRADING"


async def test_unsubscribe_stops_updates(sim: Any, ws: Any) -> None:
    await ws.send_json(book_request(SUBSCRIBE))
    await next_message(ws, "orderbook")
    await ws.send_json(book_request(UNSUBSCRIBE))
    await next_message(ws, "subscribeOrderBookResponse")
    await ws.send_json(simple_request("subscribeLastPriceRequest"))
    await next_message(ws, "subscribeLastPriceResponse")
    await sim.set_price(SBER, "252.00")
    # the last-price snapshot and the update arrive, no order book in between
    seen = []
    while len([k for k in seen if k == "lastPrice"]) < 2:
        msg = json.loads((await ws.receive(timeout=10)).data)
        seen.extend(msg)
    assert "orderbook" not in seen


async def test_bad_subscriptions_report_their_status(sim: Any, ws: Any) -> None:
    await ws.send_json(book_request(SUBSCRIBE, depth=7))
    [sub] = (await next_message(ws, "subscribeOrderBookResponse"))["orderBookSubscriptions"]
    assert sub["subscriptionStatus"] == "SUBSCRIPTION_STATUS_DEPTH_IS_INVALID"
    await ws.send_json(book_request(SUBSCRIBE, instrument="NOPE"))
    [sub] = (await next_message(ws, "subscribeOrderBookResponse"))["orderBookSubscriptions"]
    assert sub["subscriptionStatus"] == "SUBSCRIPTION_STATUS_INSTRUMENT_NOT_FOUND"


async def test_server_pings_at_the_configured_interval() -> None:
    async with (
        running_simulator(ping_interval=0.05) as sim,
        sim.session.ws_connect(
            sim.market_data_url, protocols=("json",), headers=sim.auth_headers
        ) as ws,
    ):
        first = await next_message(ws, "ping")
        second = await next_message(ws, "ping")
        assert first["streamId"] == second["streamId"] != ""


async def test_ping_settings_from_the_client(sim: Any, ws: Any) -> None:
    await ws.send_json({"pingSettings": {"pingDelayMs": 50}})
    ping = await next_message(ws, "ping")
    assert ping["time"]


async def test_disconnect_now(sim: Any, ws: Any) -> None:
    await ws.send_json(book_request(SUBSCRIBE))
    await next_message(ws, "orderbook")
    result = await sim.faults(disconnectStreams=True)
    assert result["droppedStreams"] == 1
    msg = await ws.receive(timeout=10)
    assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)


async def test_disconnect_every_n_messages(sim: Any) -> None:
    await sim.faults(streamDisconnectEvery=3)
    async with sim.session.ws_connect(
        sim.market_data_url, protocols=("json",), headers=sim.auth_headers
    ) as ws:
        await ws.send_json(book_request(SUBSCRIBE))  # response + snapshot = 2
        await sim.walk(5)
        texts = 0
        while True:
            msg = await ws.receive(timeout=10)
            if msg.type != aiohttp.WSMsgType.TEXT:
                break
            texts += 1
        assert texts == 3


async def test_stream_needs_a_token(sim: Any) -> None:
    with pytest.raises(aiohttp.WSServerHandshakeError) as caught:
        async with sim.session.ws_connect(sim.market_data_url, protocols=("json",)):
            pass
    assert caught.value.status == 401
    # the browser form: the token as a second subprotocol
    async with sim.session.ws_connect(sim.market_data_url, protocols=("json", sim.token)) as ws:
        await ws.send_json(book_request(SUBSCRIBE))
        await next_message(ws, "orderbook")


async def test_order_state_stream_reports_fills(sim: Any) -> None:
    async with sim.session.ws_connect(
        sim.order_state_url, protocols=("json",), headers=sim.auth_headers
    ) as ws:
        await ws.send_json({"accounts": [sim.account_id]})
        sub = await next_message(ws, "subscription")
        assert sub["status"] == "RESULT_SUBSCRIPTION_STATUS_OK"
        posted = await place(sim, 3, price="240.00")
        new = await next_message(ws, "orderState")
        assert (new["orderId"], new["executionReportStatus"]) == (
            posted["orderId"],
            "EXECUTION_REPORT_STATUS_NEW",
        )
        await sim.set_price(SBER, "239.00")
        filled = await next_message(ws, "orderState")
        assert (filled["executionReportStatus"], filled["lotsExecuted"]) == (
            "EXECUTION_REPORT_STATUS_FILL",
            "3",
        )
        assert [t["quantity"] for t in filled["trades"]] == ["30"]
