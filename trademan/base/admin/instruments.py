from __future__ import annotations

from django.contrib import admin

from trademan.base.models import Instrument


@admin.register(Instrument)
class InstrumentAdmin(admin.ModelAdmin):
    list_display = (
        "ticker",
        "class_code",
        "name",
        "kind",
        "lot",
        "min_price_increment",
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
