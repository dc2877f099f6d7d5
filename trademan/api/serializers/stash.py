from __future__ import annotations

from rest_framework import serializers

from trademan.api.fields import MAX_INT, DecimalString
from trademan.base.models import Direction, StopOrderExpiration, StopOrderType


class StashedStopOrderSerializer(serializers.Serializer):
    instrument = serializers.IntegerField(source="instrument_id", min_value=1, max_value=MAX_INT)
    ticker = serializers.CharField(source="instrument.ticker", read_only=True)
    direction = serializers.ChoiceField(choices=Direction.choices)
    stop_order_type = serializers.ChoiceField(choices=StopOrderType.choices)
    lots = serializers.IntegerField(min_value=-MAX_INT, max_value=MAX_INT)
    price = DecimalString(allow_null=True, required=False)
    stop_price = DecimalString()
    expiration_type = serializers.ChoiceField(choices=StopOrderExpiration.choices)
    expire_date = serializers.DateTimeField(allow_null=True, required=False)
    broker_stop_order_id = serializers.CharField(
        max_length=64, allow_blank=True, required=False, default=""
    )


class StashSerializer(serializers.Serializer):
    saved_at = serializers.DateTimeField(allow_null=True, read_only=True)
    orders = StashedStopOrderSerializer(many=True, allow_empty=True)
