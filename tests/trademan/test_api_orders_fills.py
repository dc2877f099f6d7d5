"""orders/ and fills/: idempotent recording, transitions, progress in the answer."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from rest_framework.test import APIClient

from tests.trademan.conftest import error_of
from trademan.base.models import Fill, Order, SellBuyTask, Spread

pytestmark = pytest.mark.django_db


def order_body(task: SellBuyTask, **kw: Any) -> dict[str, Any]:
    body = {
        "client_order_id": str(uuid.uuid4()),
        "task_kind": "sellbuy",
        "task_id": task.pk,
        "instrument": task.instrument_id,
        "direction": "buy",
        "order_type": "limit",
        "price": "281.35",
        "lots": 10,
    }
    body.update(kw)
    return body


def post_order(api: APIClient, body: dict[str, Any]) -> Any:
    return api.post("/api/v1/orders/", body, format="json")


def test_order_idempotent_201_200_409(api: APIClient, sellbuy: SellBuyTask) -> None:
    body = order_body(sellbuy)
    first = post_order(api, body)
    assert first.status_code == 201, first.content
    stored = first.json()
    assert stored["status"] == "prepared" and stored["client_order_id"] == body["client_order_id"]
    assert stored["task_kind"] == "sellbuy" and stored["task_id"] == sellbuy.pk
    assert stored["leg"] is None and stored["lots_executed"] == 0
    again = post_order(api, body)
    assert again.status_code == 200 and again.json() == stored
    different = post_order(api, {**body, "lots": 5})
    assert different.status_code == 409 and error_of(different)["code"] == "conflict"
    assert Order.objects.count() == 1


def test_order_validation_errors(api: APIClient, sellbuy: SellBuyTask) -> None:
    response = post_order(api, order_body(sellbuy, price="281.355"))
    assert response.status_code == 400
    assert "price increment" in error_of(response)["fields"]["price"][0]
    response = post_order(api, order_body(sellbuy, task_id=999999))
    assert error_of(response)["fields"]["task_id"] == ["No sell/buy task #999999."]
    response = post_order(api, order_body(sellbuy, client_order_id="not-a-uuid"))
    assert "client_order_id" in error_of(response)["fields"]
    response = post_order(api, order_body(sellbuy, lots=0))
    assert error_of(response)["fields"]["lots"] == ["Lots must be greater than zero."]


def test_spread_order_has_leg(api: APIClient, spread: Spread) -> None:
    body = {
        "client_order_id": str(uuid.uuid4()),
        "task_kind": "spread",
        "task_id": spread.pk,
        "leg": "near",
        "instrument": spread.near_id,
        "direction": "buy",
        "order_type": "market",
        "lots": 10,
    }
    response = post_order(api, body)
    assert response.status_code == 201, response.content
    assert response.json()["leg"] == "near" and response.json()["price"] is None
    response = post_order(api, {**body, "client_order_id": str(uuid.uuid4()), "leg": None})
    assert error_of(response)["fields"]["leg"] == ["A spread order needs leg far or near."]


def test_patch_order_and_final_status(api: APIClient, sellbuy: SellBuyTask) -> None:
    body = order_body(sellbuy)
    post_order(api, body)
    url = f"/api/v1/orders/{body['client_order_id']}/"
    response = api.patch(url, {"status": "new", "broker_order_id": "B-1"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "new" and response.json()["broker_order_id"] == "B-1"
    response = api.patch(url, {"status": "cancelled", "message": "moved"}, format="json")
    assert response.json()["status"] == "cancelled" and response.json()["message"] == "moved"
    response = api.patch(url, {"status": "new"}, format="json")
    assert (
        response.status_code == 409
        and "final status never changes" in error_of(response)["message"]
    )
    assert api.get(url).json()["status"] == "cancelled"
    response = api.patch(f"/api/v1/orders/{uuid.uuid4()}/", {"status": "new"}, format="json")
    assert response.status_code == 404 and error_of(response)["code"] == "not_found"
    response = api.patch(url, {"status": "lost"}, format="json")
    assert response.status_code == 400 and "status" in error_of(response)["fields"]


def test_orders_list_filters(api: APIClient, sellbuy: SellBuyTask, spread: Spread) -> None:
    a = order_body(sellbuy)
    post_order(api, a)
    post_order(api, order_body(sellbuy))
    post_order(
        api,
        {
            "client_order_id": str(uuid.uuid4()),
            "task_kind": "spread",
            "task_id": spread.pk,
            "leg": "far",
            "instrument": spread.far_id,
            "direction": "sell",
            "order_type": "market",
            "lots": 1,
        },
    )
    api.patch(f"/api/v1/orders/{a['client_order_id']}/", {"status": "filled"}, format="json")

    def ids(query: str) -> int:
        response = api.get(f"/api/v1/orders/?{query}")
        assert response.status_code == 200, response.content
        return int(response.json()["count"])

    assert ids("") == 3
    assert ids("task_kind=sellbuy") == 2
    assert ids(f"task_kind=spread&task_id={spread.pk}") == 1
    assert ids("open=true") == 2 and ids("open=false") == 1
    assert ids("status=filled") == 1
    assert ids(f"instrument={spread.far_id}") == 1
    response = api.get("/api/v1/orders/?status=bogus")
    assert response.status_code == 400 and "status" in error_of(response)["fields"]


def fill_body(order_id: str, **kw: Any) -> dict[str, Any]:
    body = {
        "order": order_id,
        "trade_id": "T-1",
        "quantity": 30,
        "price": "281.30",
        "executed_at": "2026-11-21T10:00:00Z",
    }
    body.update(kw)
    return body


def test_fill_201_then_200_with_progress(api: APIClient, sellbuy: SellBuyTask) -> None:
    order = order_body(sellbuy)
    post_order(api, order)
    response = api.post("/api/v1/fills/", fill_body(order["client_order_id"]), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["fill"]["quantity"] == 30 and body["fill"]["price"] == "281.3"
    assert body["fill"]["order"] == order["client_order_id"]
    assert body["order"]["lots_executed"] == 3
    assert body["progress"] == {
        "task_kind": "sellbuy",
        "task_id": sellbuy.pk,
        "active": True,
        "amount": 100,
        "executed": 30,
        "average_price": "281.3",
        "near_amount": None,
        "near_executed": None,
        "near_average": None,
        "average_spread": None,
    }
    again = api.post("/api/v1/fills/", fill_body(order["client_order_id"]), format="json")
    assert again.status_code == 200 and again.json()["progress"]["executed"] == 30
    other = api.post(
        "/api/v1/fills/", fill_body(order["client_order_id"], quantity=20), format="json"
    )
    assert other.status_code == 409 and error_of(other)["code"] == "conflict"
    assert Fill.objects.count() == 1


def test_fill_errors(api: APIClient, sellbuy: SellBuyTask) -> None:
    response = api.post("/api/v1/fills/", fill_body(str(uuid.uuid4())), format="json")
    assert response.status_code == 400 and "No order" in error_of(response)["fields"]["order"][0]
    order = order_body(sellbuy, lots=1)
    post_order(api, order)
    response = api.post("/api/v1/fills/", fill_body(order["client_order_id"]), format="json")
    assert response.status_code == 400
    assert "for 10 pieces" in error_of(response)["fields"]["quantity"][0]
    response = api.post(
        "/api/v1/fills/", fill_body(order["client_order_id"], price="-1"), format="json"
    )
    assert error_of(response)["fields"]["price"] == ["Price must be greater than zero."]


def test_spread_fill_progress(api: APIClient, spread: Spread) -> None:
    far = {
        "client_order_id": str(uuid.uuid4()),
        "task_kind": "spread",
        "task_id": spread.pk,
        "leg": "far",
        "instrument": spread.far_id,
        "direction": "sell",
        "order_type": "limit",
        "price": "30000",
        "lots": 2,
    }
    near = {
        **far,
        "client_order_id": str(uuid.uuid4()),
        "leg": "near",
        "instrument": spread.near_id,
        "direction": "buy",
        "price": "280.5",
        "lots": 20,
    }
    post_order(api, far)
    post_order(api, near)
    api.post(
        "/api/v1/fills/",
        fill_body(far["client_order_id"], quantity=2, price="30000"),
        format="json",
    )
    body = api.post(
        "/api/v1/fills/",
        fill_body(near["client_order_id"], quantity=200, price="280.5"),
        format="json",
    ).json()
    assert body["progress"]["executed"] == 2 and body["progress"]["near_executed"] == 200
    assert body["progress"]["near_amount"] == 200
    assert body["progress"]["average_spread"] == "1950" and body["progress"]["active"] is False
    detail = api.get(f"/api/v1/spreads/{spread.pk}/").json()
    assert detail["far_average"] == "30000" and detail["near_average"] == "280.5"
    # statuses are the broker's word (PATCH); fills only raise lots_executed
    assert [(o["status"], o["lots_executed"]) for o in detail["open_orders"]] == [
        ("prepared", 2),
        ("prepared", 20),
    ]
