"""The owner's views: results (/stats), the portfolio snapshot and quote history the bot sends
for the dashboard, and a task's chart data (/chart)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from trademan.api.schema import ErrorSerializer
from trademan.api.serializers.owner import (
    ChartSerializer,
    PortfolioSnapshotSerializer,
    QuotesStoredSerializer,
    QuotesUploadSerializer,
    StatsSerializer,
)
from trademan.base import reports
from trademan.base.models import PortfolioSnapshot, TaskKind
from trademan.base.services.errors import NotFoundError
from trademan.base.services.rules import fmt
from trademan.base.services.snapshots import save_portfolio, store_quotes


class StatsView(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("period", enum=list(reports.PERIODS), default="today")],
        responses={200: StatsSerializer, 400: ErrorSerializer},
        description="What Trademan did over the period: per task and instrument, and the "
        "price improvement of sell/buy fills over crossing the spread.",
    )
    def get(self, request: Request) -> Response:
        period = request.query_params.get("period", "today")
        if period not in reports.PERIODS:
            raise ValidationError(
                {"period": [_("Period must be one of: %(p)s.") % {"p": ", ".join(reports.PERIODS)}]}
            )
        return Response(StatsSerializer(reports.stats(period)).data)


def _snapshot_body(snapshot: PortfolioSnapshot) -> dict[str, object]:
    return {
        "positions": [],
        "cash": [],
        "margin": None,
        "total": None,
        "jobs": [],
        **snapshot.data,
        "taken_at": snapshot.taken_at,
        "received_at": snapshot.received_at,
    }


class PortfolioSnapshotView(APIView):
    @extend_schema(responses={200: PortfolioSnapshotSerializer, 404: ErrorSerializer})
    def get(self, request: Request) -> Response:
        snapshot = PortfolioSnapshot.objects.filter(pk=PortfolioSnapshot.SINGLETON_PK).first()
        if snapshot is None:
            raise NotFoundError(_("No portfolio snapshot yet."))
        return Response(PortfolioSnapshotSerializer(_snapshot_body(snapshot)).data)

    @extend_schema(
        request=PortfolioSnapshotSerializer,
        responses=PortfolioSnapshotSerializer,
        description="Replace the snapshot (an older taken_at than the stored one is ignored).",
    )
    def put(self, request: Request) -> Response:
        serializer = PortfolioSnapshotSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        valid = serializer.validated_data
        total = valid.get("total")
        data = {
            "positions": valid["positions"],
            "cash": valid["cash"],
            "margin": valid.get("margin"),
            "total": None if total is None else fmt(total),
            "jobs": valid.get("jobs", []),
        }
        snapshot = save_portfolio(valid["taken_at"], data)
        return Response(PortfolioSnapshotSerializer(_snapshot_body(snapshot)).data)


class QuotesView(APIView):
    @extend_schema(
        request=QuotesUploadSerializer,
        responses={201: QuotesStoredSerializer},
        description="Append quote points per task (idempotent per task and time); the Base "
        "keeps the newest 2000 per task.",
    )
    def post(self, request: Request) -> Response:
        serializer = QuotesUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        stored = store_quotes(serializer.validated_data["series"])
        return Response({"stored": stored}, status=status.HTTP_201_CREATED)


class ChartView(APIView):
    @extend_schema(responses=ChartSerializer)
    def get(self, request: Request, task_kind: str, pk: int) -> Response:
        if task_kind not in TaskKind.values:
            raise NotFoundError(_("No such task kind."))
        data = reports.chart(task_kind, pk)
        if data is None:
            raise NotFoundError(_("No %(kind)s #%(id)s.") % {"kind": task_kind, "id": pk})
        return Response(ChartSerializer(data).data)
