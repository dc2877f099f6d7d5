"""POST records/: the bot's journal in one request (orders, order updates, fills, task switches).

Each record is handled exactly as its own endpoint would handle it (the same code), in its own
savepoint, in the order given; one answer per record with the status and body (or error) that
endpoint would have given. An update or a fill of an order whose own record was refused earlier
in the same batch is not applied (424 failed_dependency). Every record is idempotent, so a batch
sent twice (a lost answer, a crash) changes nothing the second time. Records are processed in
one transaction: a database failure part-way answers 503 for the whole batch and keeps none of it.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from trademan.api.errors import exception_handler
from trademan.api.views.orders import change_order, create_fill, create_order
from trademan.api.views.tasks import set_active

MAX_RECORDS = 500
KINDS = ("order", "update", "fill", "task_active")


class RecordSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=KINDS)
    data = serializers.DictField()  # type: ignore[assignment]  # a field named "data"


class RecordBatchSerializer(serializers.Serializer):
    records = serializers.ListField(
        child=RecordSerializer(), max_length=MAX_RECORDS, allow_empty=False
    )


class RecordResultSerializer(serializers.Serializer):
    status = serializers.IntegerField()
    body = serializers.DictField(required=False)
    error = serializers.DictField(required=False)


class RecordBatchResultSerializer(serializers.Serializer):
    results = RecordResultSerializer(many=True)


def _handle(kind: str, data: dict[str, Any]) -> tuple[dict[str, Any], int]:
    if kind == "order":
        return create_order(data)
    if kind == "fill":
        return create_fill(data)
    if kind == "update":
        payload = {k: v for k, v in data.items() if k != "client_order_id"}
        try:
            client_order_id = uuid.UUID(str(data.get("client_order_id")))
        except ValueError:
            raise exceptions.ValidationError(
                {"client_order_id": ["Must be a valid UUID."]}
            ) from None
        return change_order(client_order_id, payload)
    task_kind = data.get("kind")
    if task_kind not in ("sellbuy", "spread"):
        raise exceptions.ValidationError({"kind": ['Must be "sellbuy" or "spread".']})
    try:
        task_id = int(data.get("task_id"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise exceptions.ValidationError({"task_id": ["A whole number is required."]}) from None
    return set_active(str(task_kind), task_id, {"active": data.get("active")})


class RecordBatchView(APIView):
    @extend_schema(request=RecordBatchSerializer, responses=RecordBatchResultSerializer)
    def post(self, request: Request) -> Response:
        serializer = RecordBatchSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        results: list[dict[str, Any]] = []
        refused_orders: set[str] = set()  # order records of this batch that were refused
        with transaction.atomic():
            for record in serializer.validated_data["records"]:
                owner = _order_of(record["kind"], record["data"])
                if record["kind"] != "order" and owner in refused_orders:
                    results.append(_depends_on_refused(owner))
                    continue
                if record["kind"] == "order" and owner is not None:
                    refused_orders.discard(owner)
                try:
                    with transaction.atomic():
                        body, code = _handle(record["kind"], record["data"])
                    results.append({"status": code, "body": body})
                except exceptions.APIException as exc:
                    results.append(_refusal(exc, request))
                except Exception as exc:  # a service's own error: the endpoint's answer
                    answer = exception_handler(exc, {"request": request, "view": self})
                    if answer.status_code >= 500:
                        raise  # the database: 503/500 for the whole batch, nothing kept
                    results.append({"status": answer.status_code, "error": answer.data["error"]})
                if record["kind"] == "order" and results[-1]["status"] >= 400 and owner:
                    refused_orders.add(owner)
        return Response({"results": results})


def _order_of(kind: str, data: dict[str, Any]) -> str | None:
    value = data.get("order") if kind == "fill" else data.get("client_order_id")
    return None if kind == "task_active" or value is None else str(value)


def _depends_on_refused(owner: str) -> dict[str, Any]:
    """An update or fill of an order refused earlier in the same batch is not applied (the
    order's id may belong to another order in the Base): 424, as the bot keeps them together."""
    message = _("Not recorded: order %(id)s was refused earlier in this batch.") % {"id": owner}
    return {"status": 424, "error": {"code": "failed_dependency", "message": message}}


def _refusal(exc: exceptions.APIException, request: Request) -> dict[str, Any]:
    answer = exception_handler(exc, {"request": request})
    return {"status": answer.status_code, "error": answer.data["error"]}
