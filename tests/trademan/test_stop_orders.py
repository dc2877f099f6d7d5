"""Stop orders in the Base: recorded like every order the bot placed (type, stop price, expiry,
the bulk command), idempotent by client UUID, updated when cancelled or fired, read-only in the
admin."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from tests.trademan.conftest import error_of
from trademan.base.models import Instrument, Order, SellBuyTask

pytestmark = pytest.mark.django_db

EXPIRY = "2026-12-31T15:00:00Z"


def stop_body(instrument: Instrument, **kw: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "client_order_id": str(uuid.uuid4()),
        "task_kind": None,
        "instrument": instrument.pk,
        "direction": "buy",
        "order_type": "take_profit",
        "stop_price": "240.5",
        "expire_at": EXPIRY,
        "bulk_command": "stops",
        "lots": 12,
    }
    body.update(kw)
    return body


def post(api: APIClient, body: dict[str, Any]) -> Any:
    return api.post("/api/v1/orders/", body, format="json")


def test_a_stop_order_is_recorded_idempotently(api: APIClient, share: Instrument) -> None:
    body = stop_body(share)
    first = post(api, body)
    assert first.status_code == 201, first.content
    stored = first.json()
    assert stored["order_type"] == "take_profit" and stored["stop_price"] == "240.5"
    assert stored["bulk_command"] == "stops" and stored["price"] is None
    assert datetime.fromisoformat(stored["expire_at"]) == datetime(2026, 12, 31, 15, tzinfo=UTC)
    assert stored["task_kind"] is None and stored["status"] == "prepared"
    again = post(api, body)
    assert again.status_code == 200 and again.json() == stored
    moved = post(api, {**body, "stop_price": "241"})
    assert moved.status_code == 409
    later = post(api, {**body, "expire_at": "2027-01-31T15:00:00Z"})
    assert later.status_code == 409
    assert Order.objects.count() == 1


def test_stop_limit_keeps_its_price_and_gtc_has_no_expiry(
    api: APIClient, share: Instrument
) -> None:
    response = post(
        api,
        stop_body(
            share, order_type="stop_limit", price="239", expire_at=None, bulk_command="restore"
        ),
    )
    assert response.status_code == 201, response.content
    stored = response.json()
    assert stored["price"] == "239" and stored["expire_at"] is None
    assert stored["bulk_command"] == "restore"


def test_stop_order_validation(api: APIClient, share: Instrument, sellbuy: SellBuyTask) -> None:
    response = post(api, stop_body(share, stop_price=None))
    assert error_of(response)["fields"]["stop_price"] == ["A stop order needs a stop price."]
    response = post(api, stop_body(share, stop_price="240.555"))
    assert "price increment" in error_of(response)["fields"]["stop_price"][0]
    response = post(api, stop_body(share, order_type="stop_limit"))
    assert "price" in error_of(response)["fields"]
    response = post(api, stop_body(share, task_kind="sellbuy", task_id=sellbuy.pk))
    assert "A stop order belongs to no task." in error_of(response)["fields"]["task_kind"]
    limit = stop_body(share, order_type="limit", price="240", task_kind=None)
    response = post(api, limit)
    assert set(error_of(response)["fields"]) >= {"stop_price", "expire_at", "bulk_command"}
    response = post(api, stop_body(share, bulk_command="sellbuy"))
    assert "bulk_command" in error_of(response)["fields"]
    assert Order.objects.count() == 0


def test_a_stop_order_is_cancelled_or_fires_once(api: APIClient, share: Instrument) -> None:
    body = stop_body(share)
    post(api, body)
    url = f"/api/v1/orders/{body['client_order_id']}/"
    placed = api.patch(url, {"status": "new", "broker_order_id": "stop-1"}, format="json")
    assert placed.status_code == 200 and placed.json()["broker_order_id"] == "stop-1"
    fired = api.patch(url, {"status": "triggered", "message": "order 77"}, format="json")
    assert fired.status_code == 200 and fired.json()["status"] == "triggered"
    cancelled = api.patch(url, {"status": "cancelled"}, format="json")
    assert cancelled.status_code == 409  # triggered is final
    assert api.get("/api/v1/orders/", {"open": "true"}).json()["results"] == []


def test_list_filters_stop_orders_and_their_command(
    api: APIClient, share: Instrument, sellbuy: SellBuyTask
) -> None:
    post(api, stop_body(share))
    post(api, stop_body(share, bulk_command="nuke"))
    limit = {
        "client_order_id": str(uuid.uuid4()),
        "task_kind": "sellbuy",
        "task_id": sellbuy.pk,
        "instrument": share.pk,
        "direction": "buy",
        "order_type": "limit",
        "price": "281.35",
        "lots": 1,
    }
    assert post(api, limit).status_code == 201
    stops = api.get("/api/v1/orders/", {"stop": "true"}).json()["results"]
    assert sorted(o["bulk_command"] for o in stops) == ["nuke", "stops"]
    others = api.get("/api/v1/orders/", {"stop": "false"}).json()["results"]
    assert [o["order_type"] for o in others] == ["limit"]
    nuked = api.get("/api/v1/orders/", {"bulk_command": "nuke"}).json()["results"]
    assert len(nuked) == 1 and nuked[0]["stop_price"] == "240.5"


def test_admin_shows_stop_orders_read_only(
    admin_client: Client, api: APIClient, share: Instrument
) -> None:
    body = stop_body(share)
    post(api, body)
    order = Order.objects.get()
    listing = admin_client.get(reverse("admin:base_order_changelist"), {"bulk_command": "stops"})
    assert listing.status_code == 200
    html = listing.content.decode()
    # the list shows the short form of the client id (the whole one is on the detail page)
    assert body["client_order_id"][:8] in html and "stop 240.5" in html
    change = admin_client.post(
        reverse("admin:base_order_change", args=[order.pk]), {"stop_price": "1"}
    )
    assert change.status_code == 403
    order.refresh_from_db()
    assert str(order.stop_price.normalize()) == "240.5"
