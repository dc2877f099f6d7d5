from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import generics, mixins, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from trademan.api import render
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
    """Everything the engine needs in one request; a fixed number of queries."""

    @extend_schema(responses=ActiveTasksSerializer)
    def get(self, request: Request) -> Response:
        sellbuy, spreads = selectors.active_tasks()
        return Response(render.active_tasks(sellbuy, spreads))


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
        serializer = ActiveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        task_services.set_sellbuy_active(
            task, serializer.validated_data["active"], serializer.validated_data.get("reason", "")
        )
        return Response(SellBuyTaskSerializer(self.get_queryset().get(pk=task.pk)).data)


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
        serializer = ActiveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        task_services.set_spread_active(
            spread, serializer.validated_data["active"], serializer.validated_data.get("reason", "")
        )
        return Response(SpreadSerializer(self.get_queryset().get(pk=spread.pk)).data)
