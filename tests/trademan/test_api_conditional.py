"""tasks/active/ is a conditional GET: 200 with an ETag, 304 while nothing changed, and a new
200 after EVERY kind of write that can change the answer — whichever way it is written (API,
services, the admin, bulk updates and raw SQL that bypass signals). Real commits
(transaction=True): on PostgreSQL the change counter moves at COMMIT."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, transaction
from django.urls import reverse
from rest_framework.test import APIClient

from tests.trademan.conftest import instrument_values
from trademan.base.models import Instrument, Order, SellBuyTask, Spread
from trademan.base.services.fills import record_fill
from trademan.base.services.instruments import sync_instruments
from trademan.base.services.orders import OrderRequest, record_order, update_order
from trademan.base.services.tasks import create_spread, set_sellbuy_active

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/api/v1/tasks/active/"


@pytest.fixture
def world(share: Instrument, future_far: Instrument) -> dict[str, Any]:
    task = SellBuyTask.objects.create(instrument=share, direction="buy", amount=100)
    spread = Spread.objects.create(
        far=future_far, near=share, direction="sell", amount=1, target_price=Decimal(1000)
    )
    order = Order.objects.create(
        client_order_id=uuid.uuid4(),
        instrument=share,
        sellbuy=task,
        direction="buy",
        order_type="limit",
        price=Decimal("100"),
        lots=5,
        status="sent",
    )
    idle = SellBuyTask.objects.create(instrument=share, direction="buy", amount=10, active=False)
    return {"task": task, "spread": spread, "order": order, "idle": idle, "share": share}


def _new_order(w: dict[str, Any]) -> None:
    record_order(
        OrderRequest(
            client_order_id=uuid.uuid4(),
            instrument_id=w["share"].pk,
            direction="buy",
            order_type="limit",
            lots=1,
            price=Decimal("99"),
            task_kind="sellbuy",
            task_id=w["task"].pk,
            status="sent",
        )
    )


def _fill(w: dict[str, Any]) -> None:
    record_fill(
        client_order_id=w["order"].client_order_id,
        trade_id="t1",
        quantity=10,
        price=Decimal("100.5"),
        executed_at=datetime(2026, 12, 1, 10, 0, tzinfo=UTC),
    )


def _sync(w: dict[str, Any]) -> None:
    share = w["share"]
    item = {
        f: getattr(share, f)
        for f in instrument_values()
        if f not in ("figi", "uid", "ticker", "name", "expiration")
    }
    item.update(figi=share.figi, uid=share.uid, ticker=share.ticker, name="Renamed by sync")
    sync_instruments([item], complete=False)


def _edit_sellbuy(w: dict[str, Any]) -> None:
    task = SellBuyTask.objects.get(pk=w["task"].pk)
    task.amount = 200
    task.save()


def _raw_sql(w: dict[str, Any]) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE base_spread SET amount = amount + 1 WHERE id = %s", [w["spread"].pk])


WRITES: dict[str, Callable[[dict[str, Any]], None]] = {
    "sellbuy created": lambda w: SellBuyTask.objects.create(
        instrument=w["share"], direction="sell", amount=10, covered=True
    ),
    "sellbuy updated": _edit_sellbuy,
    "sellbuy deleted": lambda w: (
        Order.objects.filter(sellbuy=w["task"]).delete(),
        w["task"].delete(),
    ),
    "sellbuy deactivated": lambda w: set_sellbuy_active(w["task"], False),
    "sellbuy activated": lambda w: set_sellbuy_active(w["idle"], True),
    "spread created": lambda w: create_spread(
        far=w["spread"].far,
        near=w["share"],
        direction="buy",
        amount=2,
        target_price=Decimal(900),
    ),
    "spread updated": lambda w: Spread.objects.get(pk=w["spread"].pk).save(),
    "spread deleted": lambda w: w["spread"].delete(),
    "order created": _new_order,
    "order progress": lambda w: update_order(
        w["order"].client_order_id, status="partially_filled", lots_executed=1
    ),
    "order deleted": lambda w: Order.objects.filter(pk=w["order"].pk).delete(),
    "fill recorded": _fill,
    "instrument sync": _sync,
    "instrument saved": lambda w: Instrument.objects.get(pk=w["share"].pk).save(),
    "bulk update, no signals": lambda w: SellBuyTask.objects.filter(active=True).update(
        limit_price=Decimal("123.45")
    ),
    "instrument bulk update": lambda w: Instrument.objects.update(name="bulk"),
    "raw SQL": _raw_sql,
}


def _cached(api: APIClient) -> tuple[str, bytes]:
    first = api.get(URL)
    assert first.status_code == 200
    tag = first["ETag"]
    assert tag
    again = api.get(URL, HTTP_IF_NONE_MATCH=tag)
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == tag
    return tag, first.content


@pytest.mark.parametrize("write", list(WRITES))
def test_every_kind_of_write_changes_the_etag(
    api: APIClient, world: dict[str, Any], write: str
) -> None:
    tag, _body = _cached(api)
    WRITES[write](world)
    after = api.get(URL, HTTP_IF_NONE_MATCH=tag)
    assert after.status_code == 200, write
    assert after["ETag"] != tag
    # and the fresh answer is current: asked again without a tag, the same body
    assert api.get(URL).content == after.content
    assert api.get(URL, HTTP_IF_NONE_MATCH=after["ETag"]).status_code == 304


def test_admin_actions_change_the_etag(
    api: APIClient, admin_client: Any, world: dict[str, Any]
) -> None:
    tag, _body = _cached(api)
    response = admin_client.post(
        reverse("admin:base_spread_changelist"),
        {"action": "deactivate", "_selected_action": [world["spread"].pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert not Spread.objects.get(pk=world["spread"].pk).active
    after = api.get(URL, HTTP_IF_NONE_MATCH=tag)
    assert after.status_code == 200
    assert after.json()["spreads"] == []


def test_reads_and_unrelated_writes_keep_the_etag(api: APIClient, world: dict[str, Any]) -> None:
    from trademan.base.models import StopListEntry

    tag, _body = _cached(api)
    api.get("/api/v1/sellbuy/")
    StopListEntry.objects.create(kind="whitelist", instrument=world["share"])
    assert api.get(URL, HTTP_IF_NONE_MATCH=tag).status_code == 304


def test_a_write_in_a_rolled_back_transaction_changes_nothing(
    api: APIClient, world: dict[str, Any]
) -> None:
    tag, body = _cached(api)
    with pytest.raises(RuntimeError), transaction.atomic():
        SellBuyTask.objects.filter(pk=world["task"].pk).update(amount=555)
        raise RuntimeError("rolled back")
    assert api.get(URL, HTTP_IF_NONE_MATCH=tag).status_code == 304
    assert api.get(URL).content == body


def test_an_etag_of_another_database_never_matches(api: APIClient, world: dict[str, Any]) -> None:
    from trademan.base.models import ChangeCounter

    tag, _body = _cached(api)
    ChangeCounter.objects.all().delete()  # as after a flush: the counter starts again at 0
    after = api.get(URL, HTTP_IF_NONE_MATCH=tag)
    assert after.status_code == 200
    assert after["ETag"] != tag


def test_a_list_of_etags_and_weak_tags_are_understood(
    api: APIClient, world: dict[str, Any]
) -> None:
    tag, _body = _cached(api)
    assert api.get(URL, HTTP_IF_NONE_MATCH=f'"other", W/{tag}').status_code == 304
    assert api.get(URL, HTTP_IF_NONE_MATCH='"other"').status_code == 200
