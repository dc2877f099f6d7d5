"""Stop orders trigger on the last price: take-profit, stop-loss, stop-limit; GTD expiry."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from tests.simulator.helpers import SBER, place, q, state
from tests.support.sim import DEFAULT_START, SimHandle


def stop_body(
    sim: SimHandle,
    kind: str,
    direction: str,
    stop_price: str,
    lots: int = 1,
    price: str | None = None,
    expire: str | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "instrumentId": SBER,
        "quantity": str(lots),
        "stopPrice": q(stop_price),
        "direction": f"STOP_ORDER_DIRECTION_{direction.upper()}",
        "accountId": sim.account_id,
        "expirationType": "STOP_ORDER_EXPIRATION_TYPE_GOOD_TILL_"
        + ("DATE" if expire else "CANCEL"),
        "stopOrderType": f"STOP_ORDER_TYPE_{kind}",
        "orderId": str(uuid.uuid4()),
    }
    if price is not None:
        body["price"] = q(price)
    if expire is not None:
        body["expireDate"] = expire
    return body


async def post_stop(sim: SimHandle, *args: Any, **kwargs: Any) -> str:
    result = await sim.ok("StopOrdersService", "PostStopOrder", stop_body(sim, *args, **kwargs))
    return str(result["stopOrderId"])


async def stop_status(sim: SimHandle, stop_id: str) -> dict[str, Any]:
    listed = await sim.ok(
        "StopOrdersService",
        "GetStopOrders",
        {"accountId": sim.account_id, "status": "STOP_ORDER_STATUS_ALL"},
    )
    found: dict[str, Any] = next(s for s in listed["stopOrders"] if s["stopOrderId"] == stop_id)
    return found


async def test_stop_loss_sells_when_the_price_falls_to_it(sim: SimHandle) -> None:
    await sim.set_price(SBER, "250.00")
    await place(sim, 2)
    stop_id = await post_stop(sim, "STOP_LOSS", "sell", "245.00", lots=2)
    await sim.set_price(SBER, "245.01")
    assert (await stop_status(sim, stop_id))["status"] == "STOP_ORDER_STATUS_ACTIVE"
    await sim.set_price(SBER, "244.90")
    fired = await stop_status(sim, stop_id)
    assert fired["status"] == "STOP_ORDER_STATUS_EXECUTED" and fired["exchangeOrderId"]
    placed = await state(sim, fired["exchangeOrderId"])
    assert (placed["direction"], placed["orderType"], placed["executionReportStatus"]) == (
        "ORDER_DIRECTION_SELL",
        "ORDER_TYPE_MARKET",
        "EXECUTION_REPORT_STATUS_FILL",
    )
    account = await sim.account()
    assert account["positions"] == []


async def test_take_profit_sells_when_the_price_rises_to_it(sim: SimHandle) -> None:
    await sim.set_price(SBER, "250.00")
    await place(sim, 1)
    stop_id = await post_stop(sim, "TAKE_PROFIT", "sell", "260.00")
    await sim.set_price(SBER, "259.99")
    assert (await stop_status(sim, stop_id))["status"] == "STOP_ORDER_STATUS_ACTIVE"
    await sim.set_price(SBER, "260.00")
    assert (await stop_status(sim, stop_id))["status"] == "STOP_ORDER_STATUS_EXECUTED"


async def test_buy_stops_mirror_the_sell_ones(sim: SimHandle) -> None:
    await sim.set_price(SBER, "250.00")
    take = await post_stop(sim, "TAKE_PROFIT", "buy", "240.00")
    loss = await post_stop(sim, "STOP_LOSS", "buy", "255.00")
    await sim.set_price(SBER, "254.00")
    assert [(await stop_status(sim, s))["status"] for s in (take, loss)] == [
        "STOP_ORDER_STATUS_ACTIVE",
        "STOP_ORDER_STATUS_ACTIVE",
    ]
    await sim.set_price(SBER, "255.50")
    assert (await stop_status(sim, loss))["status"] == "STOP_ORDER_STATUS_EXECUTED"
    assert (await stop_status(sim, take))["status"] == "STOP_ORDER_STATUS_ACTIVE"
    await sim.set_price(SBER, "239.00")
    assert (await stop_status(sim, take))["status"] == "STOP_ORDER_STATUS_EXECUTED"


async def test_stop_limit_places_a_limit_order_at_its_price(sim: SimHandle) -> None:
    await sim.set_price(SBER, "250.00")
    stop_id = await post_stop(sim, "STOP_LIMIT", "buy", "255.00", lots=3, price="255.50")
    await sim.set_price(SBER, "255.00")
    fired = await stop_status(sim, stop_id)
    assert fired["status"] == "STOP_ORDER_STATUS_EXECUTED"
    placed = await state(sim, fired["exchangeOrderId"])
    assert (placed["orderType"], placed["lotsRequested"]) == ("ORDER_TYPE_LIMIT", "3")
    assert placed["initialSecurityPrice"]["units"] == "255"


async def test_good_till_date_stop_expires(sim: SimHandle) -> None:
    expire = (DEFAULT_START + timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    stop_id = await post_stop(sim, "STOP_LOSS", "buy", "300.00", expire=expire)
    await sim.advance_clock(30 * 60)
    assert (await stop_status(sim, stop_id))["status"] == "STOP_ORDER_STATUS_ACTIVE"
    await sim.advance_clock(31 * 60)
    assert (await stop_status(sim, stop_id))["status"] == "STOP_ORDER_STATUS_EXPIRED"
    await sim.set_price(SBER, "301.00")
    assert (await stop_status(sim, stop_id))["status"] == "STOP_ORDER_STATUS_EXPIRED"
    active = await sim.ok("StopOrdersService", "GetStopOrders", {"accountId": sim.account_id})
    assert active["stopOrders"] == []


async def test_stop_order_validation(sim: SimHandle) -> None:
    past = (DEFAULT_START - timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    cases = {
        "30040": stop_body(sim, "STOP_LOSS", "sell", "200.00", expire=past),
        "30078": stop_body(sim, "STOP_LOSS", "sell", "200.005"),
        "50002": {**stop_body(sim, "STOP_LOSS", "sell", "200.00"), "instrumentId": "NOPE"},
        "30017": stop_body(sim, "STOP_LIMIT", "sell", "200.00"),
    }
    for code, body in cases.items():
        status, data, _ = await sim.call("StopOrdersService", "PostStopOrder", body)
        assert (status >= 400, data["description"]) == (True, code), body


async def test_repeated_stop_order_id_returns_the_same_stop(sim: SimHandle) -> None:
    body = stop_body(sim, "STOP_LOSS", "sell", "200.00")
    first = await sim.ok("StopOrdersService", "PostStopOrder", body)
    again = await sim.ok("StopOrdersService", "PostStopOrder", body)
    assert first["stopOrderId"] == again["stopOrderId"]
    assert len((await sim.orders())["stopOrders"]) == 1
