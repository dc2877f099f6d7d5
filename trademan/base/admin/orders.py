from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from trademan.base.models import Fill, Order


class ReadOnlyAdmin(admin.ModelAdmin):
    """History written by the bot: viewable, never edited or deleted by hand."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    list_display = (
        "client_order_id",
        "task",
        "leg",
        "instrument",
        "direction",
        "order_type",
        "price",
        "stop_price",
        "lots",
        "lots_executed",
        "status",
        "bulk_command",
        "created_at",
    )
    list_filter = ("status", "order_type", "bulk_command", "direction", "leg")
    search_fields = ("client_order_id", "broker_order_id", "instrument__ticker", "message")
    list_select_related = ("instrument", "sellbuy", "spread")
    date_hierarchy = "created_at"

    @admin.display(description=_("task"))
    def task(self, order: Order) -> str:
        if order.sellbuy_id:
            return str(_("sell/buy #%(id)s") % {"id": order.sellbuy_id})
        if order.spread_id:
            return str(_("spread #%(id)s") % {"id": order.spread_id})
        return "-"


@admin.register(Fill)
class FillAdmin(ReadOnlyAdmin):
    list_display = ("trade_id", "order", "instrument", "quantity", "price", "executed_at")
    list_filter = ("leg",)
    search_fields = ("trade_id", "order__client_order_id", "order__instrument__ticker")
    list_select_related = ("order__instrument",)
    date_hierarchy = "executed_at"

    @admin.display(description=_("instrument"))
    def instrument(self, fill: Fill) -> str:
        return fill.order.instrument.ticker


class HistoryInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class OrderInline(HistoryInline):
    model = Order
    fields = (
        "client_order_id",
        "leg",
        "instrument",
        "direction",
        "order_type",
        "price",
        "lots",
        "lots_executed",
        "status",
        "message",
        "created_at",
    )
    readonly_fields = fields
    ordering = ("-created_at",)
    verbose_name_plural = _("order history")


class FillInline(HistoryInline):
    model = Fill
    fields = ("trade_id", "order", "leg", "quantity", "price", "executed_at")
    readonly_fields = fields
    ordering = ("-executed_at",)
    verbose_name_plural = _("fill history")


class SellBuyOrderInline(OrderInline):
    fk_name = "sellbuy"


class SellBuyFillInline(FillInline):
    fk_name = "sellbuy"


class SpreadOrderInline(OrderInline):
    fk_name = "spread"


class SpreadFillInline(FillInline):
    fk_name = "spread"
