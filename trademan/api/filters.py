from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.db.models import Q, QuerySet
from django.utils import timezone
from django_filters import rest_framework as filters

from trademan.api.fields import MAX_INT
from trademan.base.models import (
    FINAL_ORDER_STATUSES,
    STOP_ORDER_TYPES,
    BulkCommand,
    Instrument,
    InstrumentKind,
    Order,
    OrderStatus,
    SellBuyTask,
    Spread,
    TaskKind,
)


class InstrumentFilter(filters.FilterSet):
    ticker = filters.CharFilter(field_name="ticker", lookup_expr="iexact")
    kind = filters.ChoiceFilter(choices=InstrumentKind.choices)
    active = filters.BooleanFilter()
    class_code = filters.CharFilter(field_name="class_code", lookup_expr="iexact")
    basic_asset = filters.CharFilter(field_name="basic_asset", lookup_expr="iexact")

    class Meta:
        model = Instrument
        fields = ("ticker", "kind", "active", "class_code", "basic_asset")


class SellBuyFilter(filters.FilterSet):
    active = filters.BooleanFilter()

    class Meta:
        model = SellBuyTask
        fields = ("active",)


class SpreadFilter(filters.FilterSet):
    active = filters.BooleanFilter()

    class Meta:
        model = Spread
        fields = ("active",)


class OrderFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=OrderStatus.choices)
    task_kind = filters.ChoiceFilter(choices=TaskKind.choices, method="filter_task_kind")
    task_id = filters.NumberFilter(
        method="filter_task_id", min_value=1, max_value=MAX_INT, decimal_places=0
    )
    instrument = filters.NumberFilter(
        field_name="instrument_id", min_value=1, max_value=MAX_INT, decimal_places=0
    )
    open = filters.BooleanFilter(method="filter_open", label="not in a final status")
    stop = filters.BooleanFilter(method="filter_stop", label="stop orders (or not)")
    bulk_command = filters.ChoiceFilter(choices=BulkCommand.choices)

    commission_missing = filters.BooleanFilter(
        method="filter_commission_missing",
        label="final, with fills and a broker id, but no commission recorded (last 3 days)",
    )

    class Meta:
        model = Order
        fields = (
            "status",
            "task_kind",
            "task_id",
            "instrument",
            "open",
            "stop",
            "bulk_command",
            "commission_missing",
        )

    def filter_stop(self, qs: QuerySet[Order], name: str, value: bool) -> QuerySet[Order]:
        if value:
            return qs.filter(order_type__in=sorted(STOP_ORDER_TYPES))
        return qs.exclude(order_type__in=sorted(STOP_ORDER_TYPES))

    def filter_task_kind(self, qs: QuerySet[Order], name: str, value: str) -> QuerySet[Order]:
        if value == TaskKind.SELLBUY:
            return qs.filter(sellbuy__isnull=False)
        return qs.filter(spread__isnull=False)

    def filter_task_id(self, qs: QuerySet[Order], name: str, value: Decimal) -> QuerySet[Order]:
        task_id = int(value)
        kind = self.data.get("task_kind")
        if kind == TaskKind.SELLBUY:
            return qs.filter(sellbuy_id=task_id)
        if kind == TaskKind.SPREAD:
            return qs.filter(spread_id=task_id)
        return qs.filter(Q(sellbuy_id=task_id) | Q(spread_id=task_id))

    def filter_commission_missing(
        self, qs: QuerySet[Order], name: str, value: bool | None
    ) -> QuerySet[Order]:
        if not value:
            return qs
        return qs.filter(
            status__in=FINAL_ORDER_STATUSES,
            lots_executed__gt=0,
            commission__isnull=True,
            broker_order_id__isnull=False,
            updated_at__gte=timezone.now() - timedelta(days=3),
        )

    def filter_open(self, qs: QuerySet[Order], name: str, value: bool | None) -> QuerySet[Order]:
        if value is None:
            return qs
        if value:
            return qs.exclude(status__in=FINAL_ORDER_STATUSES)
        return qs.filter(status__in=FINAL_ORDER_STATUSES)
