from __future__ import annotations

import uuid
from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from trademan.api.filters import OrderFilter
from trademan.api.serializers.orders import (
    FillCreateSerializer,
    FillResultSerializer,
    OrderCreateSerializer,
    OrderSerializer,
    OrderUpdateSerializer,
)
from trademan.base.models import Order, SellBuyTask, Spread
from trademan.base.services.errors import NotFoundError
from trademan.base.services.fills import record_fill
from trademan.base.services.orders import OrderRequest, record_order, update_order


class OrderListView(generics.ListAPIView):
    queryset = Order.objects.order_by("-created_at", "-id")
    serializer_class = OrderSerializer
    filterset_class = OrderFilter

    @extend_schema(
        request=OrderCreateSerializer,
        responses={201: OrderSerializer, 200: OrderSerializer},
        description="Idempotent on client_order_id: 201 new, 200 the same order again, "
        "409 the same id with different content.",
    )
    def post(self, request: Request) -> Response:
        body, code = create_order(request.data)
        return Response(body, status=code)


class OrderDetailView(APIView):
    @extend_schema(responses=OrderSerializer)
    def get(self, request: Request, client_order_id: uuid.UUID) -> Response:
        order = Order.objects.filter(client_order_id=client_order_id).first()
        if order is None:
            raise NotFoundError(_("No order %(id)s.") % {"id": client_order_id})
        return Response(OrderSerializer(order).data)

    @extend_schema(request=OrderUpdateSerializer, responses=OrderSerializer)
    def patch(self, request: Request, client_order_id: uuid.UUID) -> Response:
        body, code = change_order(client_order_id, request.data)
        return Response(body, status=code)


def progress(task: SellBuyTask | Spread | None) -> dict[str, Any] | None:
    if isinstance(task, SellBuyTask):
        return {
            "task_kind": "sellbuy",
            "task_id": task.pk,
            "active": task.active,
            "amount": task.amount,
            "executed": task.executed,
            "average_price": task.average_price,
            "near_amount": None,
            "near_executed": None,
            "near_average": None,
            "average_spread": None,
        }
    if isinstance(task, Spread):
        return {
            "task_kind": "spread",
            "task_id": task.pk,
            "active": task.active,
            "amount": task.amount,
            "executed": task.far_executed,
            "average_price": task.far_average,
            "near_amount": task.near_amount,
            "near_executed": task.near_executed,
            "near_average": task.near_average,
            "average_spread": task.average_spread,
        }
    return None


class FillCreateView(APIView):
    @extend_schema(
        request=FillCreateSerializer,
        responses={201: FillResultSerializer, 200: FillResultSerializer},
        description="Idempotent on (order, trade_id): 201 new, 200 duplicate, 409 the same "
        "trade with other figures.",
    )
    def post(self, request: Request) -> Response:
        body, code = create_fill(request.data)
        return Response(body, status=code)


# -- the writes, shared by the views above and the batch of records (views/records.py) --------


def create_order(payload: Any) -> tuple[dict[str, Any], int]:
    serializer = OrderCreateSerializer(data=payload)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    order, created = record_order(
        OrderRequest(
            client_order_id=data["client_order_id"],
            instrument_id=data["instrument"],
            direction=data["direction"],
            order_type=data["order_type"],
            lots=data["lots"],
            price=data.get("price"),
            task_kind=data.get("task_kind"),
            task_id=data.get("task_id"),
            leg=data.get("leg"),
            status=data["status"],
            broker_order_id=data.get("broker_order_id"),
            message=data.get("message", ""),
            opposite_price=data.get("opposite_price"),
            stop_price=data.get("stop_price"),
            expire_at=data.get("expire_at"),
            bulk_command=data.get("bulk_command"),
        )
    )
    return OrderSerializer(order).data, status.HTTP_201_CREATED if created else status.HTTP_200_OK


def change_order(client_order_id: uuid.UUID, payload: Any) -> tuple[dict[str, Any], int]:
    serializer = OrderUpdateSerializer(data=payload)
    serializer.is_valid(raise_exception=True)
    order = update_order(client_order_id, **serializer.validated_data)
    return OrderSerializer(order).data, status.HTTP_200_OK


def create_fill(payload: Any) -> tuple[dict[str, Any], int]:
    serializer = FillCreateSerializer(data=payload)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    try:
        result = record_fill(
            client_order_id=data["order"],
            trade_id=data["trade_id"],
            quantity=data["quantity"],
            price=data["price"],
            executed_at=data["executed_at"],
        )
    except NotFoundError as exc:
        raise ValidationError({"order": [exc.message]}) from exc
    body = {"fill": result.fill, "order": result.order, "progress": progress(result.task)}
    return (
        FillResultSerializer(body).data,
        status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
    )
