from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers

from trademan.api.fields import MAX_INT, DecimalString
from trademan.api.serializers.instruments import InstrumentSerializer
from trademan.api.serializers.orders import OrderSerializer
from trademan.base import selectors
from trademan.base.models import Direction, Instrument, SellBuyTask, Spread


class SellBuyTaskSerializer(serializers.ModelSerializer):
    """Serialises tasks from selectors.sellbuy_tasks() (instrument and `open_orders` loaded)."""

    instrument = InstrumentSerializer(read_only=True)
    limit_price = DecimalString(allow_null=True)
    average_price = DecimalString(allow_null=True, read_only=True)
    open_orders = OrderSerializer(many=True, read_only=True)

    class Meta:
        model = SellBuyTask
        fields = (
            "id",
            "instrument",
            "direction",
            "amount",
            "limit_price",
            "covered",
            "active",
            "disabled_reason",
            "executed",
            "average_price",
            "created_at",
            "open_orders",
        )
        read_only_fields = fields


class SpreadSerializer(serializers.ModelSerializer):
    """Serialises spreads from selectors.spreads() (legs and `open_orders` loaded)."""

    far = InstrumentSerializer(read_only=True)
    near = InstrumentSerializer(read_only=True)
    target_price = DecimalString()
    ratio_override = DecimalString(allow_null=True)
    ratio = DecimalString(allow_null=True, read_only=True)
    near_amount = serializers.IntegerField(allow_null=True, read_only=True)
    far_average = DecimalString(allow_null=True, read_only=True)
    near_average = DecimalString(allow_null=True, read_only=True)
    average_spread = DecimalString(allow_null=True, read_only=True)
    open_orders = OrderSerializer(many=True, read_only=True)

    class Meta:
        model = Spread
        fields = (
            "id",
            "far",
            "near",
            "direction",
            "amount",
            "target_price",
            "ratio_override",
            "ratio",
            "near_amount",
            "active",
            "disabled_reason",
            "far_executed",
            "far_average",
            "near_executed",
            "near_average",
            "average_spread",
            "created_at",
            "open_orders",
        )
        read_only_fields = fields


class ActiveTasksSerializer(serializers.Serializer):
    sellbuy = SellBuyTaskSerializer(many=True)
    spreads = SpreadSerializer(many=True)


class SellBuyCreateSerializer(serializers.Serializer):
    instrument = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_INT, help_text="instrument id (or ticker)"
    )
    ticker = serializers.CharField(
        required=False, max_length=32, help_text="the active instrument with this ticker"
    )
    direction = serializers.ChoiceField(choices=Direction.choices)
    amount = serializers.IntegerField(
        min_value=-MAX_INT, max_value=MAX_INT, help_text="pieces, a whole number of lots"
    )
    limit_price = DecimalString(required=False, allow_null=True)
    covered = serializers.BooleanField(
        default=False,
        help_text="a sale of a share that cannot be shorted is covered by a long position",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        has_id, ticker = "instrument" in attrs, attrs.get("ticker")
        if has_id == bool(ticker):
            raise serializers.ValidationError(
                {"instrument": [_("Give either instrument (an id) or ticker.")]}
            )
        instrument: Instrument | None
        if has_id:
            instrument = Instrument.objects.filter(pk=attrs["instrument"]).first()
            if instrument is None:
                raise serializers.ValidationError(
                    {"instrument": [_("No instrument #%(id)s.") % {"id": attrs["instrument"]}]}
                )
        else:
            instrument = selectors.instrument_by_ticker(str(ticker))
            if instrument is None:
                raise serializers.ValidationError(
                    {"ticker": [_("No active instrument with ticker %(t)s.") % {"t": ticker}]}
                )
        attrs["instrument"] = instrument
        attrs.pop("ticker", None)
        return attrs


class ActiveSerializer(serializers.Serializer):
    active = serializers.BooleanField()
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=300,
        help_text="why the bot switches the task off (shown in the admin); cleared on activation",
    )
