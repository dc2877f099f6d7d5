"""instruments (list, filters, by-ticker, sync), stop-lists, stash, settings, schema and docs."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from rest_framework.test import APIClient

from tests.trademan.conftest import error_of
from trademan.base.models import Instrument, StashedStopOrder, StopListEntry

pytestmark = pytest.mark.django_db


def test_instruments_list_filters_detail(
    api: APIClient,
    share: Instrument,
    future_far: Instrument,
    make_instrument: Callable[..., Instrument],
) -> None:
    make_instrument(ticker="OLD", active=False)

    def count(query: str) -> int:
        response = api.get(f"/api/v1/instruments/?{query}")
        assert response.status_code == 200, response.content
        return int(response.json()["count"])

    assert count("") == 3
    assert count("kind=future") == 1 and count("kind=share") == 2
    assert count("active=true") == 2 and count("ticker=sber") == 1
    assert count("class_code=SPBFUT") == 1 and count("basic_asset=SBER") == 1
    response = api.get("/api/v1/instruments/?kind=bond")
    assert response.status_code == 400 and "kind" in error_of(response)["fields"]
    body = api.get(f"/api/v1/instruments/{future_far.pk}/").json()
    assert body["basic_asset_size"] == "100" and body["min_price_increment_amount"] == "1"
    assert body["expiration"] == "2027-06-18T15:00:00Z" and body["exchange"] == "FORTS_EVENING"
    assert api.get("/api/v1/instruments/999999/").status_code == 404


def test_by_ticker(
    api: APIClient, share: Instrument, make_instrument: Callable[..., Instrument]
) -> None:
    make_instrument(ticker="GONE", active=False)
    assert api.get("/api/v1/instruments/by-ticker/SBER/").json()["id"] == share.pk
    response = api.get("/api/v1/instruments/by-ticker/GONE/")
    assert response.status_code == 404 and error_of(response)["code"] == "not_found"


def sync_item(uid: str, ticker: str, **kw: Any) -> dict[str, Any]:
    item = {
        "uid": uid,
        "figi": f"F-{uid}",
        "ticker": ticker,
        "class_code": "TQBR",
        "name": ticker,
        "kind": "share",
        "lot": 10,
        "min_price_increment": "0.01",
    }
    item.update(kw)
    return item


def test_sync(api: APIClient, sellbuy: Any) -> None:
    url = "/api/v1/instruments/sync/"
    items = [
        sync_item("u1", "AAA"),
        sync_item(
            "u2",
            "BBB",
            kind="future",
            lot=1,
            min_price_increment="1",
            basic_asset="AAA",
            basic_asset_size="100",
            expiration="2027-03-19T15:00:00Z",
        ),
    ]
    response = api.post(url, {"instruments": items, "complete": True}, format="json")
    assert response.status_code == 200, response.content
    assert response.json() == {"created": 2, "updated": 0, "deactivated": 1, "unchanged": 0}
    assert not Instrument.objects.get(pk=sellbuy.instrument_id).active
    response = api.post(url, {"instruments": items, "complete": False}, format="json")
    assert response.json() == {"created": 0, "updated": 0, "deactivated": 0, "unchanged": 2}
    items[0]["lot"] = 1
    response = api.post(url, {"instruments": items}, format="json")
    assert response.json()["updated"] == 1
    response = api.post(url, {"instruments": [sync_item("u3", "CCC", lot=0)]}, format="json")
    assert response.status_code == 400
    assert "instruments.0.lot" in error_of(response)["fields"]


def test_stop_lists(
    api: APIClient, share: Instrument, make_instrument: Callable[..., Instrument]
) -> None:
    gazp = make_instrument(ticker="GAZP")
    StopListEntry.objects.create(kind="whitelist", instrument=share)
    StopListEntry.objects.create(kind="whitelist", instrument=gazp)
    StopListEntry.objects.create(kind="short_blacklist", instrument=gazp)
    body = api.get("/api/v1/stop-lists/").json()
    assert [i["ticker"] for i in body["whitelist"]] == ["GAZP", "SBER"]
    assert body["stop_blacklist"] == []
    assert [i["ticker"] for i in body["short_blacklist"]] == ["GAZP"]


def stop_body(instrument: Instrument, **kw: Any) -> dict[str, Any]:
    body = {
        "instrument": instrument.pk,
        "direction": "buy",
        "stop_order_type": "take_profit",
        "lots": 3,
        "price": None,
        "stop_price": "240.5",
        "expiration_type": "good_till_date",
        "expire_date": "2026-12-21T10:00:00Z",
        "broker_stop_order_id": "S-1",
    }
    body.update(kw)
    return body


def test_stash_get_put(api: APIClient, share: Instrument) -> None:
    assert api.get("/api/v1/stash/").json() == {"saved_at": None, "orders": []}
    response = api.put(
        "/api/v1/stash/", {"orders": [stop_body(share), stop_body(share, lots=5)]}, format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["saved_at"] and [o["lots"] for o in body["orders"]] == [3, 5]
    assert body["orders"][0]["ticker"] == "SBER" and body["orders"][0]["stop_price"] == "240.5"
    assert api.get("/api/v1/stash/").json() == body
    response = api.put("/api/v1/stash/", {"orders": []}, format="json")
    assert response.status_code == 400
    assert "cannot be replaced with nothing" in error_of(response)["message"]
    response = api.put(
        "/api/v1/stash/", {"orders": [{**stop_body(share), "instrument": 999999}]}, format="json"
    )
    assert response.status_code == 400
    assert StashedStopOrder.objects.count() == 2


def test_settings(api: APIClient) -> None:
    body = api.get("/api/v1/settings/").json()
    assert body["long_levels"] == ["15", "20", "25"]
    assert body["short_levels"] == ["20", "25", "30"]
    assert body["stop_sum"] == "300000" and body["order_ttl_days"] == 30
    assert body["scan_rate"] == "12" and body["max_order_value"] == "5000000"
    assert body["max_bulk_value"] == "50000000" and body["max_position_value"] == "20000000"
    assert body["bulk_confirm_threshold"] == 50 and body["updated_at"].endswith("Z")


def test_schema_and_docs(api: APIClient, admin_client: Any, client: Any) -> None:
    response = api.get("/api/v1/schema/?format=json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/tasks/active/" in schema["paths"]
    docs = admin_client.get("/api/v1/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    # every script and stylesheet is served from here (a random CSRF token may spell "cdn")
    assert not re.findall(r"""(?:src|href)=["']?(?:https?:)?//""", html), "an asset from elsewhere"
    anonymous = client.get("/api/v1/docs/")
    assert anonymous.status_code == 302 and "/admin/login/" in anonymous["Location"]


def test_swagger_assets_are_local() -> None:
    from django.contrib.staticfiles import finders

    assert finders.find("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")
    assert finders.find("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css")


def test_decimal_fields_reject_garbage(api: APIClient, share: Instrument) -> None:
    for bad in ("NaN", "Infinity", "1" * 30, "abc"):
        response = api.post(
            "/api/v1/sellbuy/",
            {"ticker": "SBER", "direction": "buy", "amount": 10, "limit_price": bad},
            format="json",
        )
        assert response.status_code == 400, (bad, response.content)


@pytest.mark.parametrize("n", [1, 12])
def test_list_endpoints_fixed_query_count(
    api: APIClient,
    make_instrument: Callable[..., Instrument],
    n: int,
    django_assert_num_queries: Any,
) -> None:
    from trademan.base.services.stash import replace_stash

    shares = [make_instrument(ticker=f"Q{i}") for i in range(n)]
    for share in shares:
        StopListEntry.objects.create(kind="whitelist", instrument=share)
    replace_stash(
        [
            {
                "instrument": s,
                "direction": "buy",
                "stop_order_type": "take_profit",
                "lots": 1,
                "stop_price": Decimal(1),
                "expiration_type": "good_till_cancel",
            }
            for s in shares
        ]
    )
    auth = 3  # token, user permissions, group permissions (then cached for a few seconds)
    with django_assert_num_queries(auth + 1):
        assert len(api.get("/api/v1/stop-lists/").json()["whitelist"]) == n
    with django_assert_num_queries(1):
        assert len(api.get("/api/v1/stash/").json()["orders"]) == n
    with django_assert_num_queries(2):  # count + page
        assert api.get("/api/v1/instruments/").json()["count"] == n
