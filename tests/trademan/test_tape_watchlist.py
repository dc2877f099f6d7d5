"""The market recorder's watchlist in the trading settings: admin form and settings API."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from trademan.base.models import TradingSettings
from trademan.base.services.trading_settings import get_trading_settings

pytestmark = pytest.mark.django_db

FORM = {
    "long_levels": "15, 20, 25",
    "short_levels": "20, 25, 30",
    "stop_sum": "300000",
    "order_ttl_days": 30,
    "scan_rate": "12",
    "max_order_value": "5000000",
    "max_bulk_value": "50000000",
    "max_position_value": "20000000",
    "bulk_confirm_threshold": 50,
    "notify_fills": "on",
    "notify_progress": "on",
    "notify_stops": "on",
    "notify_alerts": "on",
}


def test_the_watchlist_is_empty_by_default_and_served_to_the_bot(api: APIClient) -> None:
    assert api.get("/api/v1/settings/").json()["tape_watchlist"] == []
    settings = get_trading_settings()
    settings.tape_watchlist = "sber; GAZP, sber"
    settings.save()
    assert api.get("/api/v1/settings/").json()["tape_watchlist"] == ["SBER", "GAZP"]


def test_the_admin_edits_the_watchlist_and_refuses_what_is_not_a_ticker(
    admin_client: Client,
) -> None:
    url = reverse("admin:base_tradingsettings_change", args=[get_trading_settings().pk])
    response = admin_client.post(url, {**FORM, "tape_watchlist": "SBER, not a ticker!"})
    assert response.status_code == 200
    assert "Not a ticker: NOT A TICKER!." in response.content.decode()
    assert TradingSettings.objects.get().tape_watchlist == ""
    response = admin_client.post(url, {**FORM, "tape_watchlist": "sber,gazp;  lkoh"})
    assert response.status_code == 302
    assert TradingSettings.objects.get().tape_watchlist == "SBER, GAZP, LKOH"
