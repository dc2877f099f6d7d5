from __future__ import annotations

import logging

from django.db import connection
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from trademan.api.serializers.settings import HealthSerializer

log = logging.getLogger(__name__)


def database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:  # any database failure means "down"
        log.warning("health: database check failed", exc_info=True)
        return False


class HealthView(APIView):
    """Readable without authentication; 503 when the database does not answer."""

    authentication_classes = ()
    permission_classes = (AllowAny,)

    @extend_schema(responses={200: HealthSerializer, 503: HealthSerializer}, auth=[])
    def get(self, request: Request) -> Response:
        ok = database_ok()
        body = {
            "status": "ok" if ok else "error",
            "database": "ok" if ok else "error",
            "time": timezone.now(),
        }
        return Response(HealthSerializer(body).data, status=200 if ok else 503)
