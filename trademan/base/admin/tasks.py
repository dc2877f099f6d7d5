from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from trademan.base.admin.display import DECIMAL_WIDGETS, number, price, roubles
from trademan.base.admin.forms import SellBuyTaskForm, SpreadForm
from trademan.base.admin.orders import (
    SellBuyFillInline,
    SellBuyOrderInline,
    SpreadFillInline,
    SpreadOrderInline,
)
from trademan.base.models import SellBuyTask, Spread
from trademan.base.services import tasks as services

T = TypeVar("T", SellBuyTask, Spread)


def _set_active(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet[T],
    active: bool,
    setter: Callable[[T, bool], T],
) -> None:
    changed, refused = 0, []
    for task in queryset:
        try:
            setter(task, active)
            changed += 1
        except ValidationError as exc:
            refused.append(f"#{task.pk}: {' '.join(exc.messages)}")
    if changed:
        message = (
            ngettext("%(n)d task activated.", "%(n)d tasks activated.", changed)
            if active
            else ngettext("%(n)d task deactivated.", "%(n)d tasks deactivated.", changed)
        )
        modeladmin.message_user(request, message % {"n": changed}, messages.SUCCESS)
    for line in refused:
        modeladmin.message_user(request, line, messages.ERROR)


@admin.register(SellBuyTask)
class SellBuyTaskAdmin(admin.ModelAdmin):
    form = SellBuyTaskForm
    list_display = (
        "number",
        "instrument",
        "direction",
        "progress",
        "average",
        "limit_shown",
        "active",
        "disabled_reason",
        "created_at",
    )
    list_display_links = ("number",)
    list_filter = ("active", "direction", "covered")
    formfield_overrides = DECIMAL_WIDGETS
    search_fields = ("instrument__ticker", "instrument__name")
    list_select_related = ("instrument",)
    autocomplete_fields = ("instrument",)
    readonly_fields = (
        "number",
        "progress",
        "average",
        "disabled_reason",
        "created_at",
        "updated_at",
    )
    inlines = (SellBuyOrderInline, SellBuyFillInline)
    actions = ("activate", "deactivate")

    @admin.display(description=_("No."), ordering="id")
    def number(self, task: SellBuyTask) -> str:
        """The task's number as the bot shows it (T5): /stop T5 stops its job."""
        return task.ref if task.pk else "-"

    @admin.display(description=_("executed / amount"))
    def progress(self, task: SellBuyTask) -> str:
        return f"{task.executed} / {task.amount}" if task.pk else "-"

    @admin.display(description=_("average price"))
    def average(self, task: SellBuyTask) -> str:
        return price(task.average_price, task.instrument if task.instrument_id else None)

    @admin.display(description=_("limit price"), ordering="limit_price")
    def limit_shown(self, task: SellBuyTask) -> str:
        return price(task.limit_price, task.instrument)

    @admin.action(description=_("Activate selected tasks"))
    def activate(self, request: HttpRequest, queryset: QuerySet[SellBuyTask]) -> None:
        _set_active(self, request, queryset, True, services.set_sellbuy_active)

    @admin.action(description=_("Deactivate selected tasks"))
    def deactivate(self, request: HttpRequest, queryset: QuerySet[SellBuyTask]) -> None:
        _set_active(self, request, queryset, False, services.set_sellbuy_active)

    def save_model(self, request: HttpRequest, obj: SellBuyTask, form: Any, change: bool) -> None:
        services.save_sellbuy(obj)


@admin.register(Spread)
class SpreadAdmin(admin.ModelAdmin):
    form = SpreadForm
    list_display = (
        "number",
        "pair",
        "direction",
        "ratio_display",
        "progress",
        "average_spread_display",
        "target_shown",
        "active",
        "disabled_reason",
    )
    list_display_links = ("number",)
    list_filter = ("active", "direction")
    formfield_overrides = DECIMAL_WIDGETS
    search_fields = ("far__ticker", "near__ticker", "far__basic_asset")
    list_select_related = ("far", "near")
    autocomplete_fields = ("far", "near")
    readonly_fields = (
        "number",
        "disabled_reason",
        "ratio_display",
        "far_progress",
        "far_average_display",
        "near_progress",
        "near_average_display",
        "average_spread_display",
        "created_at",
        "updated_at",
    )
    inlines = (SpreadOrderInline, SpreadFillInline)
    actions = ("activate", "deactivate")

    @admin.display(description=_("No."), ordering="id")
    def number(self, spread: Spread) -> str:
        """The spread's number as the bot shows it (S5): /stop S5 stops its job."""
        return spread.ref if spread.pk else "-"

    @admin.display(description=_("far / near"), ordering="far__ticker")
    def pair(self, spread: Spread) -> str:
        return f"{spread.far.ticker} / {spread.near.ticker}"

    @admin.display(description=_("executed / amount, far · near"))
    def progress(self, spread: Spread) -> str:
        return f"{self.far_progress(spread)} · {self.near_progress(spread)}"

    @admin.display(description=_("ratio"))
    def ratio_display(self, spread: Spread) -> str:
        return number(spread.ratio) if spread.pk and spread.ratio is not None else "-"

    @admin.display(description=_("far executed / amount"))
    def far_progress(self, spread: Spread) -> str:
        return f"{spread.far_executed} / {spread.amount}" if spread.pk else "-"

    @admin.display(description=_("near executed / amount"))
    def near_progress(self, spread: Spread) -> str:
        if not spread.pk:
            return "-"
        return f"{spread.near_executed} / {spread.near_amount or '-'}"

    @admin.display(description=_("far average"))
    def far_average_display(self, spread: Spread) -> str:
        return price(spread.far_average, spread.far if spread.far_id else None)

    @admin.display(description=_("near average"))
    def near_average_display(self, spread: Spread) -> str:
        return price(spread.near_average, spread.near if spread.near_id else None)

    @admin.display(description=_("average spread"))
    def average_spread_display(self, spread: Spread) -> str:
        return roubles(spread.average_spread) if spread.pk else "-"

    @admin.display(description=_("target spread, RUB per far piece"), ordering="target_price")
    def target_shown(self, spread: Spread) -> str:
        return roubles(spread.target_price)

    @admin.action(description=_("Activate selected spreads"))
    def activate(self, request: HttpRequest, queryset: QuerySet[Spread]) -> None:
        _set_active(self, request, queryset, True, services.set_spread_active)

    @admin.action(description=_("Deactivate selected spreads"))
    def deactivate(self, request: HttpRequest, queryset: QuerySet[Spread]) -> None:
        _set_active(self, request, queryset, False, services.set_spread_active)

    def save_model(self, request: HttpRequest, obj: Spread, form: Any, change: bool) -> None:
        services.save_spread(obj)
