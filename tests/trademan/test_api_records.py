"""records/: the bot's journal in one request, each record as its own endpoint handles it."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.db import OperationalError
from rest_framework.test import APIClient

from tests.trademan.conftest import error_of
from tests.trademan.test_api_orders_fills import order_body
from trademan.base.models import Fill, Order, SellBuyTask

pytestmark = pytest.mark.django_db


def batch(api: APIClient, *records: tuple[str, dict[str, Any]]) -> Any:
    body = {"records": [{"kind": kind, "data": data} for kind, data in records]}
    return api.post("/api/v1/records/", body, format="json")


def journal_of(task: SellBuyTask) -> tuple[str, list[tuple[str, dict[str, Any]]]]:
    order = order_body(task)
    cid = order["client_order_id"]
    fill = {
        "order": cid,
        "trade_id": "T-1",
        "quantity": 30,
        "price": "281.35",
        "executed_at": "2026-11-21T07:00:00Z",
    }
    update = {"client_order_id": cid, "status": "new", "broker_order_id": "B-1"}
    return cid, [("order", order), ("update", update), ("fill", fill)]


def test_a_batch_records_everything_in_order_and_answers_per_record(
    api: APIClient, sellbuy: SellBuyTask
) -> None:
    cid, records = journal_of(sellbuy)
    switch = ("task_active", {"kind": "sellbuy", "task_id": sellbuy.pk, "active": False})
    response = batch(api, *records, switch)
    assert response.status_code == 200, response.json()
    assert [r["status"] for r in response.json()["results"]] == [201, 200, 201, 200]
    order = Order.objects.get(client_order_id=cid)
    assert order.broker_order_id == "B-1" and order.lots_executed == 3
    sellbuy.refresh_from_db()
    assert sellbuy.executed == 30 and sellbuy.active is False


def test_a_batch_sent_twice_changes_nothing(api: APIClient, sellbuy: SellBuyTask) -> None:
    _, records = journal_of(sellbuy)
    assert batch(api, *records).status_code == 200
    again = batch(api, *records)
    assert [r["status"] for r in again.json()["results"]] == [200, 200, 200]
    assert Fill.objects.count() == 1
    sellbuy.refresh_from_db()
    assert sellbuy.executed == 30


def test_a_refused_record_is_answered_alone_and_the_rest_recorded(
    api: APIClient, sellbuy: SellBuyTask
) -> None:
    cid, records = journal_of(sellbuy)
    bad = order_body(sellbuy, lots=0)
    unknown = {"client_order_id": str(uuid.uuid4()), "status": "new"}
    response = batch(api, ("order", bad), *records, ("update", unknown))
    results = response.json()["results"]
    assert [r["status"] for r in results] == [400, 201, 200, 201, 404]
    assert (
        results[0]["error"]["code"] == "validation_error"
        and "lots" in results[0]["error"]["fields"]
    )
    assert results[4]["error"]["code"] == "not_found"
    assert Order.objects.filter(client_order_id=cid).exists()


def test_a_malformed_batch_is_a_400(api: APIClient) -> None:
    for body in ({}, {"records": []}, {"records": [{"kind": "nonsense", "data": {}}]}):
        response = api.post("/api/v1/records/", body, format="json")
        assert response.status_code == 400 and error_of(response)["code"] == "validation_error"
    too_many = {"records": [{"kind": "order", "data": {}}] * 501}
    assert api.post("/api/v1/records/", too_many, format="json").status_code == 400


def test_a_database_failure_keeps_nothing_and_answers_503(
    api: APIClient, sellbuy: SellBuyTask, monkeypatch: pytest.MonkeyPatch
) -> None:
    from trademan.api.views import records as views

    _, records = journal_of(sellbuy)
    real = views.create_fill

    def down(payload: Any) -> Any:
        raise OperationalError("the database went away")

    monkeypatch.setattr(views, "create_fill", down)
    response = batch(api, *records)
    assert response.status_code == 503 and error_of(response)["code"] == "unavailable"
    assert not Order.objects.exists()  # the order before the failure was not kept either
    monkeypatch.setattr(views, "create_fill", real)
    assert batch(api, *records).status_code == 200


def test_records_of_an_order_refused_in_the_same_batch_are_not_applied(
    api: APIClient, sellbuy: SellBuyTask
) -> None:
    """The refused order's id may name another order in the Base (409): its fill must not land
    on that one."""
    cid, records = journal_of(sellbuy)
    assert batch(api, records[0]).status_code == 200  # the order as the Base has it
    other = dict(records[0][1], lots=5)  # the same id with other content: 409
    response = batch(api, ("order", other), records[1], records[2])
    assert [r["status"] for r in response.json()["results"]] == [409, 424, 424]
    assert response.json()["results"][2]["error"]["code"] == "failed_dependency"
    assert not Fill.objects.exists()
    assert Order.objects.get(client_order_id=cid).broker_order_id in (None, "")
