"""Every answer of the simulator validates against the official T-Invest contract."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import aiohttp
import pytest

from tests.contract.schema import (
    requires_contract,
    validate_request,
    validate_response,
    validate_stream_message,
)
from tests.support.sim import DEFAULT_START, SimHandle, running_simulator

pytestmark = [pytest.mark.contract, requires_contract]

SBER = "SBER_TQBR"


@pytest.fixture
async def sim() -> AsyncIterator[SimHandle]:
    async with running_simulator() as handle:
        yield handle


async def checked(sim: SimHandle, service: str, method: str, body: dict[str, Any]) -> Any:
    """Send a valid request, assert 200, validate both directions; returns the body."""
    validate_request(service, method, body)
    status, data, _ = await sim.call(service, method, body)
    assert status == 200, f"{service}/{method} answered {status}: {data}"
    validate_response(service, method, data, status)
    return data


async def checked_error(
    sim: SimHandle, service: str, method: str, body: dict[str, Any], status: int, code: str
) -> Any:
    got, data, _ = await sim.call(service, method, body)
    assert (got, data.get("description")) == (status, code), data
    validate_response(service, method, data, got)
    return data


def order_body(sim: SimHandle, **overrides: Any) -> dict[str, Any]:
    body = {
        "instrumentId": SBER,
        "quantity": "2",
        "direction": "ORDER_DIRECTION_BUY",
        "accountId": sim.account_id,
        "orderType": "ORDER_TYPE_MARKET",
        "orderId": str(uuid.uuid4()),
    }
    body.update(overrides)
    return body


async def test_users_and_sandbox_methods_match_the_contract(sim: SimHandle) -> None:
    accounts = await checked(sim, "UsersService", "GetAccounts", {})
    assert [a["id"] for a in accounts["accounts"]] == [sim.account_id]
    await checked(sim, "UsersService", "GetMarginAttributes", {"accountId": sim.account_id})
    tariff = await checked(sim, "UsersService", "GetUserTariff", {})
    assert any("PostOrder" in m for u in tariff["unaryLimits"] for m in u["methods"])
    opened = await checked(sim, "SandboxService", "OpenSandboxAccount", {"name": "extra"})
    amount = {"currency": "rub", "units": "1000", "nano": 0}
    paid = await checked(
        sim, "SandboxService", "SandboxPayIn", {"accountId": opened["accountId"], "amount": amount}
    )
    assert paid["balance"]["units"] == "1000"
    listed = await checked(sim, "SandboxService", "GetSandboxAccounts", {})
    assert opened["accountId"] in [a["id"] for a in listed["accounts"]]


async def test_instrument_methods_match_the_contract(sim: SimHandle) -> None:
    shares = await checked(sim, "InstrumentsService", "Shares", {})
    futures = await checked(sim, "InstrumentsService", "Futures", {})
    assert shares["instruments"] and futures["instruments"]
    future = next(f for f in futures["instruments"] if f["basicAsset"] == "SBER")
    by_ticker = {"idType": "INSTRUMENT_ID_TYPE_TICKER", "classCode": "TQBR", "id": "SBER"}
    await checked(sim, "InstrumentsService", "ShareBy", by_ticker)
    await checked(
        sim,
        "InstrumentsService",
        "FutureBy",
        {"idType": "INSTRUMENT_ID_TYPE_UID", "id": future["uid"]},
    )
    await checked(
        sim,
        "InstrumentsService",
        "GetInstrumentBy",
        {"idType": "INSTRUMENT_ID_TYPE_FIGI", "id": future["figi"]},
    )
    await checked(sim, "InstrumentsService", "GetFuturesMargin", {"instrumentId": future["uid"]})
    await checked(sim, "InstrumentsService", "GetDividends", {"instrumentId": SBER})
    start = DEFAULT_START
    schedule = await checked(
        sim,
        "InstrumentsService",
        "TradingSchedules",
        {
            "from": start.isoformat().replace("+00:00", "Z"),
            "to": (start + timedelta(days=6)).isoformat().replace("+00:00", "Z"),
        },
    )
    assert {e["exchange"] for e in schedule["exchanges"]} == {"MOEX", "FORTS"}
    await checked_error(
        sim,
        "InstrumentsService",
        "ShareBy",
        {"idType": "INSTRUMENT_ID_TYPE_TICKER", "classCode": "TQBR", "id": "NOPE"},
        404,
        "50002",
    )


async def test_market_data_methods_match_the_contract(sim: SimHandle) -> None:
    await checked(sim, "MarketDataService", "GetLastPrices", {"instrumentId": [SBER, "GAZP_TQBR"]})
    book = await checked(
        sim, "MarketDataService", "GetOrderBook", {"instrumentId": SBER, "depth": 20}
    )
    assert len(book["bids"]) == 20 and len(book["asks"]) == 20
    await checked(sim, "MarketDataService", "GetTradingStatus", {"instrumentId": SBER})
    await checked(sim, "MarketDataService", "GetTradingStatuses", {"instrumentId": [SBER]})
    await checked_error(
        sim, "MarketDataService", "GetOrderBook", {"instrumentId": SBER, "depth": 7}, 400, "30032"
    )
    await checked_error(
        sim, "MarketDataService", "GetOrderBook", {"instrumentId": "XXX", "depth": 10}, 404, "50002"
    )


async def test_order_methods_match_the_contract(sim: SimHandle) -> None:
    filled = await checked(sim, "OrdersService", "PostOrder", order_body(sim))
    assert filled["executionReportStatus"] == "EXECUTION_REPORT_STATUS_FILL"
    info = await sim.instrument(SBER)
    resting_body = order_body(
        sim,
        orderType="ORDER_TYPE_LIMIT",
        price={"units": str(int(float(info["bestBid"])) - 5), "nano": 0},
    )
    resting = await checked(sim, "OrdersService", "PostOrder", resting_body)
    assert resting["executionReportStatus"] == "EXECUTION_REPORT_STATUS_NEW"
    state = {"accountId": sim.account_id, "orderId": filled["orderId"]}
    got = await checked(sim, "OrdersService", "GetOrderState", state)
    assert got["stages"]
    await checked(
        sim,
        "OrdersService",
        "GetOrderState",
        {
            "accountId": sim.account_id,
            "orderId": resting_body["orderId"],
            "orderIdType": "ORDER_ID_TYPE_REQUEST",
        },
    )
    orders = await checked(sim, "OrdersService", "GetOrders", {"accountId": sim.account_id})
    assert [o["orderId"] for o in orders["orders"]] == [resting["orderId"]]
    await checked(
        sim, "OrdersService", "GetMaxLots", {"accountId": sim.account_id, "instrumentId": SBER}
    )
    await checked(
        sim,
        "OrdersService",
        "CancelOrder",
        {"accountId": sim.account_id, "orderId": resting["orderId"]},
    )
    await checked_error(
        sim,
        "OrdersService",
        "CancelOrder",
        {"accountId": sim.account_id, "orderId": "404"},
        404,
        "50005",
    )
    await checked_error(
        sim, "OrdersService", "PostOrder", order_body(sim, instrumentId="NOPE_TQBR"), 404, "50002"
    )
    await checked_error(
        sim,
        "OrdersService",
        "PostOrder",
        order_body(sim, orderType="ORDER_TYPE_LIMIT", price={"units": "250", "nano": 5_000_000}),
        400,
        "30078",
    )
    await checked_error(sim, "OrdersService", "GetOrders", {"accountId": "nobody"}, 404, "50004")


async def test_stop_order_and_operations_methods_match_the_contract(sim: SimHandle) -> None:
    await checked(sim, "OrdersService", "PostOrder", order_body(sim, quantity="5"))
    info = await sim.instrument(SBER)
    stop = {
        "instrumentId": SBER,
        "quantity": "1",
        "stopPrice": {"units": str(int(float(info["lastPrice"])) - 10), "nano": 0},
        "direction": "STOP_ORDER_DIRECTION_SELL",
        "accountId": sim.account_id,
        "expirationType": "STOP_ORDER_EXPIRATION_TYPE_GOOD_TILL_CANCEL",
        "stopOrderType": "STOP_ORDER_TYPE_STOP_LOSS",
        "orderId": str(uuid.uuid4()),
    }
    posted = await checked(sim, "StopOrdersService", "PostStopOrder", stop)
    listed = await checked(sim, "StopOrdersService", "GetStopOrders", {"accountId": sim.account_id})
    assert [s["stopOrderId"] for s in listed["stopOrders"]] == [posted["stopOrderId"]]
    cancel = {"accountId": sim.account_id, "stopOrderId": posted["stopOrderId"]}
    await checked(sim, "StopOrdersService", "CancelStopOrder", cancel)
    await checked_error(sim, "StopOrdersService", "CancelStopOrder", cancel, 404, "50006")
    portfolio = await checked(
        sim, "OperationsService", "GetPortfolio", {"accountId": sim.account_id}
    )
    assert any(p.get("ticker") == "SBER" for p in portfolio["positions"])
    await checked(sim, "OperationsService", "GetPositions", {"accountId": sim.account_id})


async def test_auth_and_rate_limit_errors_match_the_contract() -> None:
    async with running_simulator(rate_scale=0.01) as sim:
        status, data, _ = await sim.call("UsersService", "GetAccounts", {}, token="")
        assert (status, data["description"]) == (401, "40003")
        validate_response("UsersService", "GetAccounts", data, status)
        for _ in range(2):  # StopOrders: 50/min x 0.01 -> 1 request per minute
            status, data, _ = await sim.call(
                "StopOrdersService", "GetStopOrders", {"accountId": sim.account_id}
            )
        assert (status, data["description"]) == (429, "80002")
        validate_response("StopOrdersService", "GetStopOrders", data, status)


async def test_stream_messages_match_the_contract(sim: SimHandle) -> None:
    requests = [
        {
            "subscribeOrderBookRequest": {
                "subscriptionAction": "SUBSCRIPTION_ACTION_SUBSCRIBE",
                "instruments": [{"instrumentId": SBER, "depth": 10}],
            }
        },
        {
            "subscribeLastPriceRequest": {
                "subscriptionAction": "SUBSCRIPTION_ACTION_SUBSCRIBE",
                "instruments": [{"instrumentId": SBER}],
            }
        },
        {
            "subscribeInfoRequest": {
                "subscriptionAction": "SUBSCRIPTION_ACTION_SUBSCRIBE",
                "instruments": [{"instrumentId": SBER}],
            }
        },
        {"ping": {"time": "2026-03-11T09:00:00Z"}},
    ]
    seen: set[str] = set()
    async with sim.session.ws_connect(
        sim.market_data_url, protocols=("json",), headers=sim.auth_headers
    ) as ws:
        for req in requests:
            validate_stream_message("MarketDataStream", req, from_server=False)
            await ws.send_str(json.dumps(req))
        await sim.walk(1)
        wanted = {
            "subscribeOrderBookResponse",
            "subscribeLastPriceResponse",
            "subscribeInfoResponse",
            "orderbook",
            "lastPrice",
            "tradingStatus",
            "ping",
        }
        while not wanted <= seen:
            msg = await ws.receive(timeout=10)
            assert msg.type == aiohttp.WSMsgType.TEXT, msg
            data = json.loads(msg.data)
            validate_stream_message("MarketDataStream", data)
            seen.update(data)
    async with sim.session.ws_connect(
        sim.order_state_url, protocols=("json",), headers=sim.auth_headers
    ) as ws:
        req = {"accounts": [sim.account_id]}
        validate_stream_message("OrderStateStream", req, from_server=False)
        await ws.send_str(json.dumps(req))
        first = json.loads((await ws.receive(timeout=10)).data)
        validate_stream_message("OrderStateStream", first)
        await sim.ok("OrdersService", "PostOrder", order_body(sim))
        event = json.loads((await ws.receive(timeout=10)).data)
        validate_stream_message("OrderStateStream", event)
        assert event["orderState"]["executionReportStatus"] == "EXECUTION_REPORT_STATUS_FILL"
