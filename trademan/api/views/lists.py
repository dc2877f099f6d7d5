"""Stop lists, the stash and trading settings."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from trademan.api.serializers.settings import StopListsSerializer, TradingSettingsSerializer
from trademan.api.serializers.stash import StashSerializer
from trademan.base import selectors
from trademan.base.services.stash import replace_stash
from trademan.base.services.trading_settings import get_trading_settings


class StopListsView(APIView):
    @extend_schema(responses=StopListsSerializer)
    def get(self, request: Request) -> Response:
        return Response(StopListsSerializer(selectors.stop_lists()).data)


def _stash_body() -> dict[str, object]:
    orders = selectors.stash()
    saved_at = max((o.saved_at for o in orders), default=None)
    return {"saved_at": saved_at, "orders": orders}


class StashView(APIView):
    @extend_schema(responses=StashSerializer)
    def get(self, request: Request) -> Response:
        return Response(StashSerializer(_stash_body()).data)

    @extend_schema(request=StashSerializer, responses=StashSerializer)
    def put(self, request: Request) -> Response:
        serializer = StashSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        orders = [
            {
                **{k: v for k, v in o.items() if k != "instrument_id"},
                "instrument": o["instrument_id"],
            }
            for o in serializer.validated_data["orders"]
        ]
        replace_stash(orders)
        return Response(StashSerializer(_stash_body()).data)


class TradingSettingsView(APIView):
    @extend_schema(responses=TradingSettingsSerializer)
    def get(self, request: Request) -> Response:
        return Response(TradingSettingsSerializer(get_trading_settings()).data)
