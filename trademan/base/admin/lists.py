from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from trademan.base.admin.display import price
from trademan.base.admin.forms import StopListEntryForm
from trademan.base.models import StashedStopOrder, StopListEntry


@admin.register(StopListEntry)
class StopListEntryAdmin(admin.ModelAdmin):
    form = StopListEntryForm
    list_display = ("instrument", "kind", "note", "created_at")
    list_filter = ("kind",)
    search_fields = ("instrument__ticker", "instrument__name", "note")
    list_select_related = ("instrument",)
    autocomplete_fields = ("instrument",)


@admin.register(StashedStopOrder)
class StashedStopOrderAdmin(admin.ModelAdmin):
    """The stash is saved by /stash as a whole; here it can be viewed and pruned."""

    list_display = (
        "instrument",
        "direction",
        "stop_order_type",
        "lots",
        "stop_price_shown",
        "price_shown",
        "expiration_type",
        "expire_date",
        "saved_at",
    )
    list_filter = ("direction", "stop_order_type", "expiration_type")
    search_fields = ("instrument__ticker", "broker_stop_order_id")
    list_select_related = ("instrument",)

    @admin.display(description=_("stop price"), ordering="stop_price")
    def stop_price_shown(self, stashed: StashedStopOrder) -> str:
        return price(stashed.stop_price, stashed.instrument)

    @admin.display(description=_("limit price"), ordering="price")
    def price_shown(self, stashed: StashedStopOrder) -> str:
        return price(stashed.price, stashed.instrument)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
