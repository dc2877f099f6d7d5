"""tasks/active, sellbuy and spreads endpoints."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from rest_framework.test import APIClient

from tests.trademan.conftest import error_of
from trademan.base.models import Instrument, Order, SellBuyTask, Spread

pytestmark = pytest.mark.django_db


def add_orders(task: SellBuyTask | Spread, instrument: Instrument, direction: str) -> None:
    kind = "sellbuy" if isinstance(task, SellBuyTask) else "spread"
    extra: dict[str, Any] = {kind: task}
    if kind == "spread":
        extra["leg"] = "far"
    for status in ("sent", "partially_filled", "filled", "cancelled"):
        Order.objects.create(
            client_order_id=uuid.uuid4(),
            instrument=instrument,
            direction=direction,
            order_type="limit",
            price=Decimal("100"),
            lots=1,
            status=status,
            **extra,
        )


def make_tasks(n: int, share: Instrument, far: Instrument) -> None:
    for _ in range(n):
        task = SellBuyTask.objects.create(instrument=share, direction="buy", amount=10)
        add_orders(task, share, "buy")
        spread = Spread.objects.create(
            far=far, near=share, direction="sell", amount=1, target_price=Decimal(1000)
        )
        add_orders(spread, far, "sell")
    SellBuyTask.objects.create(instrument=share, direction="buy", amount=10, active=False)


def test_active_tasks_content(api: APIClient, share: Instrument, future_far: Instrument) -> None:
    make_tasks(1, share, future_far)
    response = api.get("/api/v1/tasks/active/")
    assert response.status_code == 200
    body = response.json()
    assert len(body["sellbuy"]) == 1 and len(body["spreads"]) == 1
    task = body["sellbuy"][0]
    assert task["instrument"]["ticker"] == "SBER" and task["instrument"]["lot"] == 10
    assert task["instrument"]["min_price_increment"] == "0.01"
    assert [o["status"] for o in task["open_orders"]] == ["sent", "partially_filled"]
    assert task["open_orders"][0]["task_kind"] == "sellbuy"
    assert task["open_orders"][0]["price"] == "100"
    spread = body["spreads"][0]
    assert spread["ratio"] == "100" and spread["near_amount"] == 100
    assert spread["far"]["ticker"] == "SRM7" and spread["near"]["ticker"] == "SBER"
    assert spread["target_price"] == "1000" and spread["average_spread"] is None
    assert [o["leg"] for o in spread["open_orders"]] == ["far", "far"]


@pytest.mark.parametrize("n", [1, 15])
def test_active_tasks_fixed_query_count(
    api: APIClient,
    share: Instrument,
    future_far: Instrument,
    n: int,
    django_assert_num_queries: Any,
) -> None:
    make_tasks(n, share, future_far)
    # token + 2 permission lookups (a new token: not cached yet) + the change counter +
    # sellbuy, spreads, their instruments, their open orders
    with django_assert_num_queries(8):
        response = api.get("/api/v1/tasks/active/")
    assert response.status_code == 200
    assert len(response.json()["sellbuy"]) == n
    # the token is cached now; unchanged: the counter only
    with django_assert_num_queries(1):
        again = api.get("/api/v1/tasks/active/", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304


@pytest.mark.parametrize("n", [1, 15])
def test_lists_fixed_query_count(
    api: APIClient,
    share: Instrument,
    future_far: Instrument,
    n: int,
    django_assert_num_queries: Any,
) -> None:
    make_tasks(n, share, future_far)
    with django_assert_num_queries(6):  # auth 3 + count + rows + their open orders
        api.get("/api/v1/sellbuy/")
    with django_assert_num_queries(3):  # the token is cached now
        api.get("/api/v1/spreads/")


def test_create_sellbuy_by_ticker_and_by_id(api: APIClient, share: Instrument) -> None:
    response = api.post(
        "/api/v1/sellbuy/",
        {"ticker": "sber", "direction": "buy", "amount": 30, "limit_price": "281.35"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["instrument"]["id"] == share.pk and body["amount"] == 30
    assert body["limit_price"] == "281.35" and body["active"] and body["open_orders"] == []
    response = api.post(
        "/api/v1/sellbuy/",
        {"instrument": share.pk, "direction": "sell", "amount": 10},
        format="json",
    )
    assert response.status_code == 201 and response.json()["limit_price"] is None
    assert SellBuyTask.objects.count() == 2


def test_create_sellbuy_rules_in_documented_shape(api: APIClient, share: Instrument) -> None:
    response = api.post(
        "/api/v1/sellbuy/", {"ticker": "SBER", "direction": "buy", "amount": 15}, format="json"
    )
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "validation_error"
    assert "lot = 10" in error["message"]
    assert error["fields"]["amount"] == [error["message"]]
    assert not SellBuyTask.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"ticker": "NOPE", "direction": "buy", "amount": 10}, "ticker"),
        ({"instrument": 999999, "direction": "buy", "amount": 10}, "instrument"),
        ({"direction": "buy", "amount": 10}, "instrument"),
        ({"ticker": "SBER", "direction": "up", "amount": 10}, "direction"),
        ({"ticker": "SBER", "direction": "buy", "amount": "many"}, "amount"),
        (
            {"ticker": "SBER", "direction": "buy", "amount": 10, "limit_price": "1e-12"},
            "limit_price",
        ),
        (
            {"ticker": "SBER", "direction": "buy", "amount": 10, "limit_price": "281.355"},
            "limit_price",
        ),
    ],
)
def test_create_sellbuy_bad_input(
    api: APIClient, share: Instrument, body: dict[str, Any], field: str
) -> None:
    response = api.post("/api/v1/sellbuy/", body, format="json")
    assert response.status_code == 400, response.content
    assert field in error_of(response)["fields"]


def test_sellbuy_list_filter_detail_patch(api: APIClient, sellbuy: SellBuyTask) -> None:
    SellBuyTask.objects.create(
        instrument=sellbuy.instrument, direction="buy", amount=10, active=False
    )
    listed = api.get("/api/v1/sellbuy/?active=true").json()
    assert listed["count"] == 1 and listed["results"][0]["id"] == sellbuy.pk
    assert api.get("/api/v1/sellbuy/").json()["count"] == 2
    assert api.get(f"/api/v1/sellbuy/{sellbuy.pk}/").json()["amount"] == 100
    response = api.patch(f"/api/v1/sellbuy/{sellbuy.pk}/", {"active": False}, format="json")
    assert response.status_code == 200 and response.json()["active"] is False
    sellbuy.refresh_from_db()
    assert not sellbuy.active
    response = api.patch(f"/api/v1/sellbuy/{sellbuy.pk}/", {}, format="json")
    assert response.status_code == 400 and "active" in error_of(response)["fields"]
    response = api.get("/api/v1/sellbuy/999999/")
    assert response.status_code == 404 and error_of(response)["code"] == "not_found"


def test_reactivating_done_task_refused(api: APIClient, sellbuy: SellBuyTask) -> None:
    SellBuyTask.objects.filter(pk=sellbuy.pk).update(executed=100, active=False)
    response = api.patch(f"/api/v1/sellbuy/{sellbuy.pk}/", {"active": True}, format="json")
    assert response.status_code == 400
    assert error_of(response)["fields"]["active"] == [
        "The task is done: its whole amount is executed."
    ]


def test_spreads_list_detail_patch(
    api: APIClient, spread: Spread, make_instrument: Callable[..., Instrument]
) -> None:
    body = api.get("/api/v1/spreads/?active=true").json()
    assert body["count"] == 1 and body["results"][0]["direction"] == "sell"
    detail = api.get(f"/api/v1/spreads/{spread.pk}/").json()
    assert detail["amount"] == 2 and detail["ratio_override"] is None
    response = api.patch(f"/api/v1/spreads/{spread.pk}/", {"active": False}, format="json")
    assert response.status_code == 200 and response.json()["active"] is False
    Instrument.objects.filter(pk=spread.far_id).update(active=False)
    response = api.patch(f"/api/v1/spreads/{spread.pk}/", {"active": True}, format="json")
    assert response.status_code == 400
    assert "SRM7 is inactive" in error_of(response)["fields"]["far"][0]
    assert api.get("/api/v1/spreads/999999/").status_code == 404


def test_pagination(api: APIClient, share: Instrument) -> None:
    for _ in range(5):
        SellBuyTask.objects.create(instrument=share, direction="buy", amount=10)
    page = api.get("/api/v1/sellbuy/?page_size=2&page=2").json()
    assert page["count"] == 5 and len(page["results"]) == 2
    assert page["next"] and page["previous"]
    response = api.get("/api/v1/sellbuy/?page=99")
    assert response.status_code == 404 and error_of(response)["code"] == "not_found"


def test_fast_rendering_equals_the_documented_serializers(
    share: Instrument, future_far: Instrument, now: Any
) -> None:
    import json
    from datetime import UTC

    from django.utils import timezone

    from trademan.api import active_tasks, render
    from trademan.api.serializers.tasks import ActiveTasksSerializer
    from trademan.base import selectors
    from trademan.base.services.fills import record_fill

    make_tasks(2, share, future_far)
    SellBuyTask.objects.create(
        instrument=share, direction="buy", amount=20, limit_price=Decimal("281.35"), covered=True
    )
    order = Order.objects.filter(sellbuy__isnull=False, status="sent").first()
    assert order is not None
    record_fill(
        client_order_id=order.client_order_id,
        trade_id="x",
        quantity=3,
        price=Decimal("100.07"),
        executed_at=now,
    )
    # a spread with fills on both legs (averages, average spread in roubles) and one with a
    # ratio override
    spread = Spread.objects.filter(active=True).first()
    assert spread is not None
    far_order = Order.objects.filter(spread=spread, status="sent").first()
    assert far_order is not None
    near_order = Order.objects.create(
        client_order_id=uuid.uuid4(),
        instrument=share,
        spread=spread,
        leg="near",
        direction="buy",
        order_type="limit",
        price=Decimal("250.01"),
        lots=10,
        status="sent",
    )
    for filled, quantity, price in ((far_order, 1, "25123"), (near_order, 50, "250.013")):
        record_fill(
            client_order_id=filled.client_order_id,
            trade_id="y",
            quantity=quantity,
            price=Decimal(price),
            executed_at=now,
        )
    Spread.objects.create(
        far=future_far,
        near=share,
        direction="buy",
        amount=3,
        target_price=Decimal("-12.5"),
        ratio_override=Decimal("99.5"),
    )
    sellbuy, spreads = selectors.active_tasks()
    with timezone.override(UTC):
        documented = json.loads(
            json.dumps(ActiveTasksSerializer({"sellbuy": sellbuy, "spreads": spreads}).data)
        )
    fast = json.loads(json.dumps(render.active_tasks(sellbuy, spreads)))
    assert fast == documented
    assert json.loads(active_tasks.active_tasks_json()) == documented  # what the API sends
    assert any(t["average_price"] == "100.07" for t in fast["sellbuy"])
    assert any(s["average_spread"] is not None for s in fast["spreads"]), fast["spreads"]
    assert any(s["ratio"] == "99.5" for s in fast["spreads"])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-04 10:00:00.12+00", "2026-12-04T10:00:00.120000Z"),  # PostgreSQL
        ("2026-12-04 10:00:00+00", "2026-12-04T10:00:00Z"),
        ("2026-12-04 10:00:00.000001+00:00", "2026-12-04T10:00:00.000001Z"),
        ("2026-12-04 10:00:00.120000", "2026-12-04T10:00:00.120000Z"),  # SQLite
        ("2026-12-04 10:00:00", "2026-12-04T10:00:00Z"),
        ("2026-12-04 13:00:00.5+03", "2026-12-04T10:00:00.500000Z"),  # not UTC: parsed
        (None, None),
    ],
)
def test_database_timestamps_become_the_api_text(text: str | None, expected: str | None) -> None:
    from datetime import UTC, datetime

    from trademan.api.active_tasks import _stamp
    from trademan.api.render import _time

    assert _stamp(text) == expected
    if text is not None:  # the same as parsing and formatting
        parsed = datetime.fromisoformat(text)
        assert _time(parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)) == expected


def test_switching_off_with_a_reason_shows_it_until_activated(
    api: APIClient, sellbuy: SellBuyTask, spread: Spread
) -> None:
    reason = "the broker refused: the price is outside the instrument's limits (30099)"
    url = f"/api/v1/sellbuy/{sellbuy.pk}/"
    response = api.patch(url, {"active": False, "reason": reason}, format="json")
    assert response.status_code == 200
    assert response.json()["active"] is False and response.json()["disabled_reason"] == reason
    sellbuy.refresh_from_db()
    assert sellbuy.disabled_reason == reason and sellbuy.ref == f"T{sellbuy.pk}"
    response = api.patch(url, {"active": True}, format="json")
    assert response.json()["active"] is True and response.json()["disabled_reason"] == ""
    url = f"/api/v1/spreads/{spread.pk}/"
    response = api.patch(url, {"active": False, "reason": "refused"}, format="json")
    assert response.json()["disabled_reason"] == "refused"
    assert spread.ref == f"S{spread.pk}"
