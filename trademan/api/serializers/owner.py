"""What the bot sends for the owner's views (portfolio snapshot, quote history) and the
results it reads back (/stats, /chart)."""

from __future__ import annotations

from rest_framework import serializers

from trademan.api.fields import MAX_INT, DecimalString
from trademan.base.models import TaskKind

MAX_POINTS_PER_REQUEST = 2000


class PortfolioSnapshotSerializer(serializers.Serializer):
    taken_at = serializers.DateTimeField()
    positions = serializers.ListField(child=serializers.DictField(), max_length=2000)
    cash = serializers.ListField(child=serializers.DictField(), max_length=50)
    margin = serializers.DictField(allow_null=True, required=False, default=None)
    total = DecimalString(allow_null=True, required=False, default=None)
    jobs = serializers.ListField(
        child=serializers.DictField(), max_length=500, required=False, default=list
    )
    received_at = serializers.DateTimeField(read_only=True)


class QuotePointSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    sell = DecimalString(allow_null=True, required=False, default=None)
    buy = DecimalString(allow_null=True, required=False, default=None)
    target = DecimalString(allow_null=True, required=False, default=None)


class QuoteSeriesSerializer(serializers.Serializer):
    task_kind = serializers.ChoiceField(choices=TaskKind.choices)
    task_id = serializers.IntegerField(min_value=1, max_value=MAX_INT)
    points = serializers.ListField(child=QuotePointSerializer(), max_length=MAX_POINTS_PER_REQUEST)


class QuotesUploadSerializer(serializers.Serializer):
    series = serializers.ListField(child=QuoteSeriesSerializer(), max_length=200)


class QuotesStoredSerializer(serializers.Serializer):
    stored = serializers.IntegerField()


class ChartFillSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    leg = serializers.CharField(allow_null=True)
    ticker = serializers.CharField()
    direction = serializers.CharField()
    quantity = serializers.IntegerField()
    price = DecimalString()


class ChartSerializer(serializers.Serializer):
    task_kind = serializers.ChoiceField(choices=TaskKind.choices)
    task_id = serializers.IntegerField()
    title = serializers.CharField()
    direction = serializers.CharField()
    target = DecimalString(allow_null=True)
    points = QuotePointSerializer(many=True)
    fills = ChartFillSerializer(many=True)


class ImprovementSerializer(serializers.Serializer):
    fills = serializers.IntegerField()
    pieces = serializers.IntegerField()
    roubles = DecimalString()
    bp = DecimalString(allow_null=True)


class StatsRowSerializer(serializers.Serializer):
    task_kind = serializers.CharField(allow_blank=True)
    task_id = serializers.IntegerField()
    leg = serializers.CharField(allow_null=True)
    ticker = serializers.CharField()
    direction = serializers.CharField()
    fills = serializers.IntegerField()
    pieces = serializers.IntegerField()
    volume = DecimalString()
    commission = DecimalString()
    average_price = DecimalString(allow_null=True)
    improvement = ImprovementSerializer(allow_null=True)


class SpreadResultSerializer(serializers.Serializer):
    task_id = serializers.IntegerField()
    title = serializers.CharField()
    direction = serializers.CharField()
    target = DecimalString()
    average_spread = DecimalString(allow_null=True)
    better_than_target = DecimalString(allow_null=True)
    far_pieces = serializers.IntegerField()
    near_pieces = serializers.IntegerField()


class TotalsSerializer(serializers.Serializer):
    fills = serializers.IntegerField()
    volume = DecimalString()
    commission = DecimalString()
    commission_unknown = serializers.IntegerField(
        help_text="orders with fills whose commission is not recorded yet (not in `commission`)"
    )


class StatsSerializer(serializers.Serializer):
    period = serializers.CharField()
    since = serializers.DateTimeField(allow_null=True)
    rows = StatsRowSerializer(many=True)
    improvement = ImprovementSerializer()
    spreads = SpreadResultSerializer(many=True)
    totals = TotalsSerializer()
