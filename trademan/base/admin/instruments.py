from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from trademan.base.admin.display import DECIMAL_WIDGETS, number
from trademan.base.models import Instrument


@admin.register(Instrument)
class InstrumentAdmin(admin.ModelAdmin):
    list_display = (
        "ticker",
        "class_code",
        "name",
        "kind",
        "lot",
        "increment_shown",
        "basic_asset",
        "expiration",
        "api_trade_available",
        "short_enabled",
        "active",
    )
    list_filter = (
        "kind",
        "active",
        "api_trade_available",
        "short_enabled",
        "weekend_trading",
        "class_code",
        "exchange",
    )
    search_fields = ("ticker", "name", "figi", "uid", "basic_asset")
    readonly_fields = ("created_at", "updated_at")
    ordering = ("ticker", "class_code")
    list_per_page = 100
    formfield_overrides = DECIMAL_WIDGETS

    @admin.display(description=_("min price increment"), ordering="min_price_increment")
    def increment_shown(self, instrument: Instrument) -> str:
        return number(instrument.min_price_increment)
