from __future__ import annotations

from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from trademan.api.fields import DecimalString
from trademan.api.serializers.instruments import InstrumentSerializer
from trademan.base.models import TradingSettings
from trademan.base.services.rules import fmt


class TradingSettingsSerializer(serializers.ModelSerializer):
    long_levels = serializers.SerializerMethodField()
    short_levels = serializers.SerializerMethodField()
    tape_watchlist = serializers.SerializerMethodField()
    stop_sum = DecimalString()
    scan_rate = DecimalString()
    max_order_value = DecimalString()
    max_bulk_value = DecimalString()
    max_position_value = DecimalString()

    class Meta:
        model = TradingSettings
        fields = (
            "long_levels",
            "short_levels",
            "stop_sum",
            "order_ttl_days",
            "scan_rate",
            "max_order_value",
            "max_bulk_value",
            "max_position_value",
            "bulk_confirm_threshold",
            "tape_watchlist",
            "notify_fills",
            "notify_progress",
            "notify_stops",
            "notify_alerts",
            "updated_at",
        )
        read_only_fields = fields

    @staticmethod
    def _levels(values: list[Decimal]) -> list[str]:
        return [fmt(v) for v in values]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_long_levels(self, obj: TradingSettings) -> list[str]:
        return self._levels(obj.long_level_list)

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_tape_watchlist(self, obj: TradingSettings) -> list[str]:
        return obj.tape_watchlist_list

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_short_levels(self, obj: TradingSettings) -> list[str]:
        return self._levels(obj.short_level_list)


class StopListsSerializer(serializers.Serializer):
    whitelist = InstrumentSerializer(many=True)
    stop_blacklist = InstrumentSerializer(many=True)
    short_blacklist = InstrumentSerializer(many=True)


class HealthSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["ok", "error"])
    database = serializers.ChoiceField(choices=["ok", "error"])
    time = serializers.DateTimeField()
