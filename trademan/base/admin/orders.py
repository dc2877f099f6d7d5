from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from trademan.base.admin.display import moment, price, roubles, short_id
from trademan.base.models import Fill, Order


class ReadOnlyAdmin(admin.ModelAdmin):
    """History written by the bot: viewable, never edited or deleted by hand."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class OrderColumns:
    """Columns shared by the order list and the order history under a task."""

    @admin.display(description=_("client order id"), ordering="client_order_id")
    def short_client_id(self, order: Order) -> str:
        return short_id(order.client_order_id)

    @admin.display(description=_("instrument"), ordering="instrument__ticker")
    def ticker(self, order: Order) -> str:
        return order.instrument.ticker

    @admin.display(description=_("price"), ordering="price")
    def price_shown(self, order: Order) -> str:
        shown = price(order.price, order.instrument)
        if order.stop_price is None:
            return shown
        stop = _("stop %(price)s") % {"price": price(order.stop_price, order.instrument)}
        return str(stop) if order.price is None else f"{shown} ({stop})"

    @admin.display(description=_("executed / lots"))
    def lots_shown(self, order: Order) -> str:
        return f"{order.lots_executed} / {order.lots}"

    @admin.display(description=_("created at"), ordering="created_at")
    def created_shown(self, order: Order) -> str:
        return moment(order.created_at)


@admin.register(Order)
class OrderAdmin(OrderColumns, ReadOnlyAdmin):
    list_display = (
        "short_client_id",
        "task",
        "leg",
        "ticker",
        "direction",
        "order_type",
        "price_shown",
        "lots_shown",
        "status",
        "created_shown",
    )
    list_display_links = ("short_client_id",)
    list_filter = ("status", "order_type", "bulk_command", "direction", "leg")
    search_fields = ("client_order_id", "broker_order_id", "instrument__ticker", "message")
    list_select_related = ("instrument", "sellbuy", "spread")
    date_hierarchy = "created_at"
    # the detail page: every field, the price at the instrument's precision
    fields = (
        "client_order_id",
        "broker_order_id",
        "task",
        "leg",
        "instrument",
        "direction",
        "order_type",
        "price_shown",
        "stop_price",
        "expire_at",
        "lots",
        "lots_executed",
        "status",
        "bulk_command",
        "message",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields

    @admin.display(description=_("task"))
    def task(self, order: Order) -> str:
        if order.sellbuy_id:
            return str(_("sell/buy #%(id)s") % {"id": order.sellbuy_id})
        if order.spread_id:
            return str(_("spread #%(id)s") % {"id": order.spread_id})
        return "-"


class FillColumns:
    @admin.display(description=_("order"), ordering="order__client_order_id")
    def order_shown(self, fill: Fill) -> str:
        return short_id(fill.order.client_order_id)

    @admin.display(description=_("trade id"), ordering="trade_id")
    def trade_shown(self, fill: Fill) -> str:
        return short_id(fill.trade_id)

    @admin.display(description=_("price"), ordering="price")
    def price_shown(self, fill: Fill) -> str:
        return price(fill.price, fill.order.instrument)

    @admin.display(description=_("executed at"), ordering="executed_at")
    def executed_shown(self, fill: Fill) -> str:
        return moment(fill.executed_at)

    @admin.display(description=_("value"))
    def value_shown(self, fill: Fill) -> str:
        instrument = fill.order.instrument
        if instrument.kind == "future":
            step, step_value = instrument.min_price_increment, instrument.min_price_increment_amount
            if not step or not step_value:
                return "-"
            return roubles(fill.price / step * step_value * fill.quantity)
        return roubles(fill.price * fill.quantity)


@admin.register(Fill)
class FillAdmin(FillColumns, ReadOnlyAdmin):
    list_display = (
        "trade_shown",
        "order_shown",
        "instrument",
        "quantity",
        "price_shown",
        "value_shown",
        "executed_shown",
    )
    list_display_links = ("trade_shown",)
    list_filter = ("leg",)
    search_fields = ("trade_id", "order__client_order_id", "order__instrument__ticker")
    list_select_related = ("order__instrument",)
    date_hierarchy = "executed_at"
    fields = (
        "trade_id",
        "order",
        "instrument",
        "leg",
        "quantity",
        "price_shown",
        "value_shown",
        "executed_at",
        "created_at",
    )
    readonly_fields = fields

    @admin.display(description=_("instrument"), ordering="order__instrument__ticker")
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


class OrderInline(OrderColumns, HistoryInline):
    model = Order
    fields = (
        "short_client_id",
        "leg",
        "ticker",
        "direction",
        "order_type",
        "price_shown",
        "lots_shown",
        "status",
        "message",
        "created_at",
    )
    readonly_fields = fields
    ordering = ("-created_at",)
    verbose_name_plural = _("order history")


class FillInline(FillColumns, HistoryInline):
    model = Fill
    fields = ("trade_shown", "order_shown", "leg", "quantity", "price_shown", "executed_at")
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
