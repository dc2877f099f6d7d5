from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from trademan.base.admin.display import DECIMAL_WIDGETS
from trademan.base.admin.forms import TradingSettingsForm
from trademan.base.models import TradingSettings
from trademan.base.services.trading_settings import get_trading_settings, save_trading_settings


@admin.register(TradingSettings)
class TradingSettingsAdmin(admin.ModelAdmin):
    """One record: the list goes straight to its form."""

    form = TradingSettingsForm
    formfield_overrides = DECIMAL_WIDGETS
    readonly_fields = ("updated_at",)

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        settings = get_trading_settings()
        return HttpResponseRedirect(
            reverse("admin:base_tradingsettings_change", args=[settings.pk])
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: TradingSettings, form: Any, change: bool
    ) -> None:
        save_trading_settings(obj)
