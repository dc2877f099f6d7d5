from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, mixins, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from trademan.api import active_tasks
from trademan.api.filters import SellBuyFilter, SpreadFilter
from trademan.api.serializers.tasks import (
    ActiveSerializer,
    ActiveTasksSerializer,
    SellBuyCreateSerializer,
    SellBuyTaskSerializer,
    SpreadSerializer,
)
from trademan.base import selectors
from trademan.base.services import tasks as task_services


class ActiveTasksView(APIView):
    """Everything the engine needs in one request; a fixed number of queries. Conditional:
    send the last answer's ETag in If-None-Match and get 304 while nothing changed."""

    @extend_schema(responses={200: ActiveTasksSerializer, 304: None})
    def get(self, request: Request) -> HttpResponse:
        return active_tasks.response(request)


class SellBuyListView(generics.ListAPIView):
    serializer_class = SellBuyTaskSerializer
    filterset_class = SellBuyFilter

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return selectors.sellbuy_tasks().order_by("-created_at", "-id")

    @extend_schema(request=SellBuyCreateSerializer, responses={201: SellBuyTaskSerializer})
    def post(self, request: Request) -> Response:
        serializer = SellBuyCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        task = task_services.create_sellbuy(**serializer.validated_data)
        task = selectors.sellbuy_tasks().get(pk=task.pk)
        return Response(SellBuyTaskSerializer(task).data, status=status.HTTP_201_CREATED)


class SellBuyDetailView(mixins.RetrieveModelMixin, generics.GenericAPIView):
    serializer_class = SellBuyTaskSerializer

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return selectors.sellbuy_tasks()

    def get(self, request: Request, pk: int) -> Response:
        return self.retrieve(request, pk=pk)

    @extend_schema(request=ActiveSerializer, responses=SellBuyTaskSerializer)
    def patch(self, request: Request, pk: int) -> Response:
        task = self.get_object()
        return Response(set_active("sellbuy", task.pk, request.data)[0])


class SpreadListView(generics.ListAPIView):
    serializer_class = SpreadSerializer
    filterset_class = SpreadFilter

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return selectors.spreads().order_by("-created_at", "-id")


class SpreadDetailView(mixins.RetrieveModelMixin, generics.GenericAPIView):
    serializer_class = SpreadSerializer

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return selectors.spreads()

    def get(self, request: Request, pk: int) -> Response:
        return self.retrieve(request, pk=pk)

    @extend_schema(request=ActiveSerializer, responses=SpreadSerializer)
    def patch(self, request: Request, pk: int) -> Response:
        spread = self.get_object()
        return Response(set_active("spread", spread.pk, request.data)[0])


def set_active(kind: str, task_id: int, payload: Any) -> tuple[dict[str, Any], int]:
    """Switch a sell/buy task or a spread on or off (shared with the batch of records)."""
    serializer = ActiveSerializer(data=payload)
    serializer.is_valid(raise_exception=True)
    active = serializer.validated_data["active"]
    reason = serializer.validated_data.get("reason", "")
    if kind == "sellbuy":
        task = get_object_or_404(selectors.sellbuy_tasks(), pk=task_id)
        task_services.set_sellbuy_active(task, active, reason)
        return SellBuyTaskSerializer(selectors.sellbuy_tasks().get(pk=task_id)).data, 200
    spread = get_object_or_404(selectors.spreads(), pk=task_id)
    task_services.set_spread_active(spread, active, reason)
    return SpreadSerializer(selectors.spreads().get(pk=task_id)).data, 200
