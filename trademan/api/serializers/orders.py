from __future__ import annotations

from rest_framework import serializers

from trademan.api.fields import MAX_INT, DecimalString
from trademan.base.models import (
    BulkCommand,
    Direction,
    Fill,
    Leg,
    Order,
    OrderStatus,
    OrderType,
    TaskKind,
)


class OrderSerializer(serializers.ModelSerializer):
    task_kind = serializers.ChoiceField(choices=TaskKind.choices, allow_null=True)
    task_id = serializers.IntegerField(allow_null=True)
    leg = serializers.ChoiceField(
        choices=Leg.choices, allow_null=True, read_only=True, source="leg_or_none"
    )
    price = DecimalString(allow_null=True)
    opposite_price = DecimalString(allow_null=True)
    commission = DecimalString(allow_null=True)
    stop_price = DecimalString(allow_null=True)
    bulk_command = serializers.ChoiceField(
        choices=BulkCommand.choices, allow_null=True, read_only=True, source="bulk_command_or_none"
    )

    class Meta:
        model = Order
        fields = (
            "client_order_id",
            "broker_order_id",
            "task_kind",
            "task_id",
            "leg",
            "instrument",
            "direction",
            "order_type",
            "price",
            "stop_price",
            "expire_at",
            "bulk_command",
            "lots",
            "lots_executed",
            "status",
            "message",
            "opposite_price",
            "commission",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields


class OrderCreateSerializer(serializers.Serializer):
    client_order_id = serializers.UUIDField()
    task_kind = serializers.ChoiceField(choices=TaskKind.choices, allow_null=True, required=False)
    task_id = serializers.IntegerField(
        allow_null=True, required=False, min_value=1, max_value=MAX_INT
    )
    leg = serializers.ChoiceField(choices=Leg.choices, allow_null=True, required=False)
    instrument = serializers.IntegerField(min_value=1, max_value=MAX_INT)
    direction = serializers.ChoiceField(choices=Direction.choices)
    order_type = serializers.ChoiceField(choices=OrderType.choices)
    price = DecimalString(allow_null=True, required=False)
    lots = serializers.IntegerField(max_value=MAX_INT, min_value=-MAX_INT)
    status = serializers.ChoiceField(choices=OrderStatus.choices, default=OrderStatus.PREPARED)
    broker_order_id = serializers.CharField(
        max_length=64, allow_null=True, required=False, allow_blank=True
    )
    message = serializers.CharField(allow_blank=True, required=False, default="")
    opposite_price = DecimalString(
        allow_null=True,
        required=False,
        help_text="the opposite best price when the order was placed (best ask buying, best bid "
        "selling): what crossing the spread would have paid",
    )
    stop_price = DecimalString(
        allow_null=True, required=False, help_text="stop orders: the trigger price"
    )
    expire_at = serializers.DateTimeField(
        allow_null=True, required=False, help_text="stop orders: expiry (null: till cancelled)"
    )
    bulk_command = serializers.ChoiceField(
        choices=BulkCommand.choices,
        allow_null=True,
        required=False,
        help_text="stop orders: the bulk command that placed it",
    )


class OrderUpdateSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=OrderStatus.choices, required=False)
    broker_order_id = serializers.CharField(
        max_length=64, allow_null=True, required=False, allow_blank=True
    )
    lots_executed = serializers.IntegerField(min_value=0, max_value=MAX_INT, required=False)
    message = serializers.CharField(allow_blank=True, required=False)
    commission = DecimalString(
        allow_null=True, required=False, help_text="commission charged so far, RUB"
    )


class FillSerializer(serializers.ModelSerializer):
    order = serializers.UUIDField(source="order.client_order_id", read_only=True)
    price = DecimalString()

    class Meta:
        model = Fill
        fields = ("id", "order", "trade_id", "quantity", "price", "executed_at")
        read_only_fields = fields


class FillCreateSerializer(serializers.Serializer):
    order = serializers.UUIDField(help_text="client_order_id of the order")
    trade_id = serializers.CharField(max_length=64)
    quantity = serializers.IntegerField(
        min_value=-MAX_INT, max_value=MAX_INT, help_text="pieces (not lots)"
    )
    price = DecimalString()
    executed_at = serializers.DateTimeField()


class ProgressSerializer(serializers.Serializer):
    """Progress of the task an order served (for a spread: executed is the far leg)."""

    task_kind = serializers.ChoiceField(choices=TaskKind.choices)
    task_id = serializers.IntegerField()
    active = serializers.BooleanField()
    amount = serializers.IntegerField()
    executed = serializers.IntegerField()
    average_price = DecimalString(allow_null=True)
    near_amount = serializers.IntegerField(allow_null=True)
    near_executed = serializers.IntegerField(allow_null=True)
    near_average = DecimalString(allow_null=True)
    average_spread = DecimalString(allow_null=True)


class FillResultSerializer(serializers.Serializer):
    fill = FillSerializer()
    order = OrderSerializer()
    progress = ProgressSerializer(allow_null=True)
