from __future__ import annotations

from rest_framework import serializers

from trademan.api.fields import MAX_INT, DecimalString
from trademan.base.models import Instrument, InstrumentKind
from trademan.base.services.instruments import SYNC_FIELDS


class InstrumentSerializer(serializers.ModelSerializer):
    min_price_increment = DecimalString()
    min_price_increment_amount = DecimalString(allow_null=True)
    basic_asset_size = DecimalString(allow_null=True)

    class Meta:
        model = Instrument
        # the catalogue fields the bot syncs, plus the Base's id, the broker uid and the flag
        fields = ("id", "uid", *SYNC_FIELDS, "active")
        read_only_fields = fields


class InstrumentSyncItemSerializer(serializers.Serializer):
    uid = serializers.CharField(max_length=64)
    figi = serializers.CharField(max_length=32)
    ticker = serializers.CharField(max_length=32)
    class_code = serializers.CharField(max_length=16)
    name = serializers.CharField(max_length=255, required=False, allow_blank=True)
    kind = serializers.ChoiceField(choices=InstrumentKind.choices)
    lot = serializers.IntegerField(min_value=1, max_value=MAX_INT)
    min_price_increment = DecimalString(min_value=0)
    min_price_increment_amount = DecimalString(required=False, allow_null=True, min_value=0)
    currency = serializers.CharField(max_length=8, required=False)
    basic_asset = serializers.CharField(max_length=64, required=False, allow_blank=True)
    basic_asset_size = DecimalString(required=False, allow_null=True, min_value=0)
    expiration = serializers.DateTimeField(required=False, allow_null=True)
    api_trade_available = serializers.BooleanField(required=False)
    short_enabled = serializers.BooleanField(required=False)
    buy_available = serializers.BooleanField(required=False)
    sell_available = serializers.BooleanField(required=False)
    weekend_trading = serializers.BooleanField(required=False)
    exchange = serializers.CharField(max_length=64, required=False, allow_blank=True)


class InstrumentSyncSerializer(serializers.Serializer):
    instruments = InstrumentSyncItemSerializer(many=True, allow_empty=True)
    complete = serializers.BooleanField(default=False)


class SyncResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    deactivated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
