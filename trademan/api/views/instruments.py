from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from trademan.api.filters import InstrumentFilter
from trademan.api.serializers.instruments import (
    InstrumentSerializer,
    InstrumentSyncSerializer,
    SyncResultSerializer,
)
from trademan.base import selectors
from trademan.base.models import Instrument
from trademan.base.services.instruments import sync_instruments


class InstrumentListView(generics.ListAPIView):
    queryset = Instrument.objects.order_by("ticker", "class_code", "id")
    serializer_class = InstrumentSerializer
    filterset_class = InstrumentFilter


class InstrumentDetailView(generics.RetrieveAPIView):
    queryset = Instrument.objects.all()
    serializer_class = InstrumentSerializer


class InstrumentByTickerView(APIView):
    @extend_schema(responses=InstrumentSerializer)
    def get(self, request: Request, ticker: str) -> Response:
        valid = 0 < len(ticker) <= 32 and "\x00" not in ticker
        instrument = selectors.instrument_by_ticker(ticker) if valid else None
        if instrument is None:
            raise NotFound(_("No active instrument with ticker %(t)s.") % {"t": ticker})
        return Response(InstrumentSerializer(instrument).data)


class InstrumentSyncView(APIView):
    @extend_schema(request=InstrumentSyncSerializer, responses={200: SyncResultSerializer})
    def post(self, request: Request) -> Response:
        serializer = InstrumentSyncSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        result = sync_instruments(list(data["instruments"]), complete=data["complete"])
        return Response(SyncResultSerializer(result).data)
