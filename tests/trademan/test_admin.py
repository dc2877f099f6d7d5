"""The admin panel: every page renders; forms explain what is wrong with the services' words."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from trademan.base.models import (
    Fill,
    Instrument,
    Order,
    SellBuyTask,
    Spread,
    StashedStopOrder,
    StopListEntry,
    TradingSettings,
)
from trademan.base.services.fills import record_fill
from trademan.base.services.trading_settings import get_trading_settings

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(sellbuy: SellBuyTask, spread: Spread, future_near: Instrument) -> dict[str, Any]:
    order = Order.objects.create(
        client_order_id=uuid.uuid4(),
        sellbuy=sellbuy,
        instrument=sellbuy.instrument,
        direction="buy",
        order_type="limit",
        price=Decimal("281.35"),
        lots=10,
        status="new",
    )
    record_fill(
        client_order_id=order.client_order_id,
        trade_id="T-77",
        quantity=30,
        price=Decimal("281.35"),
        executed_at=datetime(2026, 11, 21, 10, tzinfo=UTC),
    )
    entry = StopListEntry.objects.create(kind="whitelist", instrument=sellbuy.instrument)
    stash = StashedStopOrder.objects.create(
        instrument=sellbuy.instrument,
        direction="buy",
        stop_order_type="take_profit",
        lots=1,
        stop_price=Decimal(240),
        expiration_type="good_till_cancel",
        saved_at=datetime(2026, 11, 21, tzinfo=UTC),
    )
    return {
        "instrument": sellbuy.instrument,
        "sellbuytask": sellbuy,
        "spread": spread,
        "order": order,
        "fill": Fill.objects.get(),
        "stoplistentry": entry,
        "stashedstoporder": stash,
        "tradingsettings": get_trading_settings(),
    }


EDITABLE = ["instrument", "sellbuytask", "spread", "stoplistentry"]
READ_ONLY = ["order", "fill", "stashedstoporder"]


@pytest.mark.parametrize("model", EDITABLE + READ_ONLY + ["tradingsettings"])
def test_pages_render(admin_client: Client, world: dict[str, Any], model: str) -> None:
    obj = world[model]
    changelist = admin_client.get(reverse(f"admin:base_{model}_changelist"), follow=True)
    assert changelist.status_code == 200
    change = admin_client.get(reverse(f"admin:base_{model}_change", args=[obj.pk]))
    assert change.status_code == 200
    add = admin_client.get(reverse(f"admin:base_{model}_add"))
    assert add.status_code == (200 if model in EDITABLE else 403)


@pytest.mark.parametrize("model", EDITABLE + READ_ONLY)
def test_search_and_filters(admin_client: Client, world: dict[str, Any], model: str) -> None:
    response = admin_client.get(reverse(f"admin:base_{model}_changelist"), {"q": "SBER"})
    assert response.status_code == 200
    assert response.context["cl"].result_count >= 1


def test_task_progress_and_history_shown(admin_client: Client, world: dict[str, Any]) -> None:
    task = world["sellbuytask"]
    html = admin_client.get(reverse("admin:base_sellbuytask_changelist")).content.decode()
    assert "30 / 100" in html and "281.35" in html
    page = admin_client.get(reverse("admin:base_sellbuytask_change", args=[task.pk]))
    html = page.content.decode()
    assert str(world["order"].client_order_id) in html and "T-77" in html


def test_order_and_fill_are_read_only(admin_client: Client, world: dict[str, Any]) -> None:
    order = world["order"]
    url = reverse("admin:base_order_change", args=[order.pk])
    response = admin_client.post(url, {"status": "filled"})
    assert response.status_code == 403
    order.refresh_from_db()
    assert order.status == "new"
    assert (
        admin_client.post(
            reverse("admin:base_fill_delete", args=[world["fill"].pk]), {"post": "yes"}
        ).status_code
        == 403
    )


def sellbuy_form(instrument: Instrument, **kw: Any) -> dict[str, Any]:
    data = {
        "instrument": instrument.pk,
        "direction": "buy",
        "amount": 10,
        "limit_price": "",
        "active": "on",
        "orders-TOTAL_FORMS": 0,
        "orders-INITIAL_FORMS": 0,
        "fills-TOTAL_FORMS": 0,
        "fills-INITIAL_FORMS": 0,
    }
    data.update(kw)
    return data


def errors_of(response: Any) -> str:
    assert response.status_code == 200, "the form should be shown again with errors"
    return str(response.context["adminform"].form.errors)


def test_sellbuy_form_rules(admin_client: Client, share: Instrument) -> None:
    url = reverse("admin:base_sellbuytask_add")
    assert "lot = 10" in errors_of(admin_client.post(url, sellbuy_form(share, amount=15)))
    assert "not a multiple of the price increment 0.01" in errors_of(
        admin_client.post(url, sellbuy_form(share, limit_price="281.355"))
    )
    Instrument.objects.filter(pk=share.pk).update(short_enabled=False)
    assert "SBER cannot be shorted" in errors_of(
        admin_client.post(url, sellbuy_form(share, direction="sell"))
    )
    Instrument.objects.filter(pk=share.pk).update(api_trade_available=False)
    assert "cannot be traded through the API" in errors_of(
        admin_client.post(url, sellbuy_form(share))
    )
    assert not SellBuyTask.objects.exists()
    Instrument.objects.filter(pk=share.pk).update(api_trade_available=True)
    response = admin_client.post(url, sellbuy_form(share, amount=20, limit_price="281.35"))
    assert response.status_code == 302
    assert SellBuyTask.objects.get().amount == 20


def spread_form(far: Instrument, near: Instrument, **kw: Any) -> dict[str, Any]:
    data = {
        "far": far.pk,
        "near": near.pk,
        "direction": "sell",
        "amount": 1,
        "target_price": "1500",
        "ratio_override": "",
        "active": "on",
        "orders-TOTAL_FORMS": 0,
        "orders-INITIAL_FORMS": 0,
        "fills-TOTAL_FORMS": 0,
        "fills-INITIAL_FORMS": 0,
    }
    data.update(kw)
    return data


def test_spread_form_rules(
    admin_client: Client, share: Instrument, future_far: Instrument, future_near: Instrument
) -> None:
    url = reverse("admin:base_spread_add")
    assert "must be a future that expires after" in errors_of(
        admin_client.post(url, spread_form(future_near, future_far))
    )
    assert "must be different instruments" in errors_of(
        admin_client.post(url, spread_form(future_far, future_far))
    )
    assert "must be a future" in errors_of(admin_client.post(url, spread_form(share, future_far)))
    assert admin_client.post(url, spread_form(future_far, share)).status_code == 302
    assert Spread.objects.get().ratio == Decimal(100)


def test_activate_deactivate_actions(admin_client: Client, world: dict[str, Any]) -> None:
    task = world["sellbuytask"]
    url = reverse("admin:base_sellbuytask_changelist")
    response = admin_client.post(
        url, {"action": "deactivate", "_selected_action": [task.pk]}, follow=True
    )
    assert "1 task deactivated." in response.content.decode()
    task.refresh_from_db()
    assert not task.active
    Instrument.objects.filter(pk=task.instrument_id).update(active=False)
    response = admin_client.post(
        url, {"action": "activate", "_selected_action": [task.pk]}, follow=True
    )
    assert f"#{task.pk}: SBER is inactive" in response.content.decode()
    task.refresh_from_db()
    assert not task.active


def test_trading_settings_single_record(admin_client: Client, db: None) -> None:
    response = admin_client.get(reverse("admin:base_tradingsettings_changelist"))
    assert response.status_code == 302
    settings = get_trading_settings()
    url = reverse("admin:base_tradingsettings_change", args=[settings.pk])
    data = {
        "long_levels": "10, 120",
        "short_levels": "20",
        "stop_sum": "100000",
        "order_ttl_days": 10,
        "scan_rate": "9.5",
        "max_order_value": "1",
        "max_bulk_value": "1",
        "max_position_value": "1",
        "bulk_confirm_threshold": 5,
        "notify_fills": "silent",
        "notify_progress": "off",
        "notify_stops": "on",
        "notify_alerts": "on",
    }
    assert "Level 120 must be between 0 and 100 percent." in errors_of(admin_client.post(url, data))
    assert admin_client.post(url, {**data, "long_levels": "10, 12.5"}).status_code == 302
    assert TradingSettings.objects.get().long_levels == "10, 12.5"
    assert TradingSettings.objects.get().notify_fills == "silent"
    assert TradingSettings.objects.count() == 1


def test_instruments_referenced_cannot_be_deleted(
    admin_client: Client, world: dict[str, Any]
) -> None:
    instrument = world["instrument"]
    url = reverse("admin:base_instrument_delete", args=[instrument.pk])
    admin_client.post(url, {"post": "yes"})
    assert Instrument.objects.filter(pk=instrument.pk).exists()


def test_autocomplete_finds_instruments(admin_client: Client, share: Instrument) -> None:
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {
            "term": "SB",
            "app_label": "base",
            "model_name": "sellbuytask",
            "field_name": "instrument",
        },
    )
    assert response.status_code == 200
    assert [r["text"] for r in response.json()["results"]] == ["SBER (TQBR)"]


def test_instrument_form_explains_bad_lot(admin_client: Client, share: Instrument) -> None:
    url = reverse("admin:base_instrument_change", args=[share.pk])
    page = admin_client.get(url)
    data = {k: v for k, v in page.context["adminform"].form.initial.items() if v is not None}
    data.update({"lot": 0, "min_price_increment": "0.01", "expiration_0": "", "expiration_1": ""})
    response = admin_client.post(url, data)
    assert "The lot must be at least 1." in errors_of(response)
    share.refresh_from_db()
    assert share.lot == 10


# -- numbers, ids and the way out of the admin (issue 8, item 14) ------------------------------


def page(client: Client, name: str, *args: Any, language: str = "en") -> str:
    response = client.get(reverse(name, args=args), HTTP_ACCEPT_LANGUAGE=language, follow=True)
    assert response.status_code == 200
    return response.content.decode()


NINE_PLACES = r"\d[.,]\d{9}\b"


def test_list_prices_at_the_instruments_precision_and_sums_in_roubles(
    admin_client: Client, world: dict[str, Any]
) -> None:
    import re

    orders = page(admin_client, "admin:base_order_changelist")
    fills = page(admin_client, "admin:base_fill_changelist")
    tasks = page(admin_client, "admin:base_sellbuytask_changelist")
    spreads = page(admin_client, "admin:base_spread_changelist")
    instruments = page(admin_client, "admin:base_instrument_changelist")
    for html in (orders, fills, tasks, spreads, instruments):
        assert not re.search(NINE_PLACES, html), re.search(NINE_PLACES, html)
    assert ">281.35<" in orders and ">281.35<" in fills
    assert "8,440.50\u00a0₽" in fills  # 30 pieces × 281.35, thousands grouped
    assert "1,500.00\u00a0₽" in spreads  # the target in roubles
    assert ">0.01<" in instruments
    ru = page(admin_client, "admin:base_fill_changelist", language="ru")
    assert ">281,35<" in ru and "8\u00a0440,50\u00a0₽" in ru


def test_uuids_stay_out_of_list_columns(admin_client: Client, world: dict[str, Any]) -> None:
    order = world["order"]
    full = str(order.client_order_id)
    for name in ("admin:base_order_changelist", "admin:base_fill_changelist"):
        html = page(admin_client, name)
        assert full not in html, name
        assert full[:8] + "…" in html, name
    detail = page(admin_client, "admin:base_order_change", order.pk)
    assert full in detail  # the whole id lives on the detail page
    assert ">281.35<" in detail


def test_edit_forms_show_sums_without_nine_decimals(admin_client: Client, db: None) -> None:
    html = page(admin_client, "admin:base_tradingsettings_changelist")
    assert 'name="stop_sum" value="300000"' in html
    assert "300000.000000000" not in html


def test_view_site_leads_to_the_dashboard_and_follows_the_setting(
    admin_client: Client, settings: Any, world: dict[str, Any]
) -> None:
    index = page(admin_client, "admin:index")
    assert 'href="/dashboard/"' in index
    response = admin_client.get("/")
    assert response.status_code == 302 and response["Location"] == "/dashboard/"
    assert admin_client.get(response["Location"]).status_code == 200
    settings.VIEW_SITE_URL_NAME = "admin:index"
    assert 'href="/admin/"' in page(admin_client, "admin:base_order_changelist")
    assert admin_client.get("/")["Location"] == "/admin/"


def test_list_pages_are_built_to_fit_a_laptop_screen(
    admin_client: Client, world: dict[str, Any]
) -> None:
    """Checked by eye with headless chromium at 1400 px (see the report of issue 8); here: the
    model sidebar is off and the stylesheet that wraps long column titles is loaded."""
    html = page(admin_client, "admin:base_spread_changelist")
    assert 'id="nav-sidebar"' not in html
    assert "trademan/admin.css" in html
    spread = world["spread"]
    assert f"{spread.far.ticker} / {spread.near.ticker}" in html
