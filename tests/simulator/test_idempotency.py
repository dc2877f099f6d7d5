"""A repeated orderId returns the existing order; one order per request id; lookups by it."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from tests.simulator.helpers import order, place, refused


async def test_repeated_order_id_returns_the_existing_order(sim: Any) -> None:
    body = order(sim, 2, price="200.00")
    first = await sim.ok("OrdersService", "PostOrder", body)
    money_after_first = (await sim.account())["freeMoney"]
    again = await sim.ok("OrdersService", "PostOrder", body)
    assert again["orderId"] == first["orderId"]
    assert again["orderRequestId"] == body["orderId"]
    assert (await sim.account())["freeMoney"] == money_after_first
    # even with different fields, the key decides
    changed = {**body, "quantity": "7"}
    third = await sim.ok("OrdersService", "PostOrder", changed)
    assert (third["orderId"], third["lotsRequested"]) == (first["orderId"], "2")
    all_orders = (await sim.orders())["orders"]
    assert [o["requestId"] for o in all_orders].count(body["orderId"]) == 1


async def test_repeat_of_a_filled_order_reports_its_fill(sim: Any) -> None:
    body = order(sim, 1)
    first = await sim.ok("OrdersService", "PostOrder", body)
    again = await sim.ok("OrdersService", "PostOrder", body)
    assert (again["orderId"], again["executionReportStatus"], again["lotsExecuted"]) == (
        first["orderId"],
        "EXECUTION_REPORT_STATUS_FILL",
        "1",
    )
    account = await sim.account()
    assert account["positions"][0]["balance"] == 10


async def test_order_state_by_request_id(sim: Any) -> None:
    request_id = str(uuid.uuid4())
    posted = await place(sim, 1, price="200.00", order_id=request_id)
    by_request = await sim.ok(
        "OrdersService",
        "GetOrderState",
        {
            "accountId": sim.account_id,
            "orderId": request_id,
            "orderIdType": "ORDER_ID_TYPE_REQUEST",
        },
    )
    assert by_request["orderId"] == posted["orderId"]
    status, data, _ = await sim.call(
        "OrdersService",
        "GetOrderState",
        {"accountId": sim.account_id, "orderId": request_id},  # not an exchange id
    )
    assert (status, data["description"]) == (404, "50005")
    await sim.ok(
        "OrdersService",
        "CancelOrder",
        {
            "accountId": sim.account_id,
            "orderId": request_id,
            "orderIdType": "ORDER_ID_TYPE_REQUEST",
        },
    )


async def test_order_id_must_be_a_uuid_of_at_most_36_characters(sim: Any) -> None:
    assert await refused(sim, {**order(sim, 1), "orderId": "x" * 37}) == (400, "30055")
    assert await refused(sim, {**order(sim, 1), "orderId": "not-a-uuid"}) == (400, "30028")
    missing = order(sim, 1)
    del missing["orderId"]
    assert await refused(sim, missing) == (400, "30027")


async def test_a_refused_order_does_not_use_up_its_key(sim: Any) -> None:
    await sim.set_money("1")
    body = order(sim, 1)
    assert await refused(sim, body) == (400, "30034")
    await sim.set_money(Decimal(10_000_000))
    posted = await sim.ok("OrdersService", "PostOrder", body)
    assert posted["executionReportStatus"] == "EXECUTION_REPORT_STATUS_FILL"
