"""Fuzz the API from its own OpenAPI document (schemathesis, in-process WSGI, authenticated):
no 5xx, answers as documented (status codes, content types, bodies), errors in the one shape."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from trademan.base.models import Instrument, Order, SellBuyTask, Spread

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def seeded(
    sellbuy: SellBuyTask,
    spread: Spread,
    future_near: Instrument,
    make_instrument: Callable[..., Instrument],
) -> None:
    """Some real rows, so ids like 1 and 2 exist and GETs return full objects."""
    Order.objects.create(
        client_order_id=uuid.uuid4(),
        sellbuy=sellbuy,
        instrument=sellbuy.instrument,
        direction="buy",
        order_type="limit",
        price=Decimal("281.35"),
        lots=1,
        status="new",
    )


@pytest.fixture
def keep_test_connection() -> Any:
    """The WSGI app is called directly (not through Django's test client), so stop it from
    closing the test transaction's connection at each request, as the test client does."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def load_schema() -> Any:
    """The document /api/v1/schema/ serves (generated without a database), bound to the app."""
    from drf_spectacular.generators import SchemaGenerator

    from trademan.wsgi import application

    document = SchemaGenerator().get_schema(request=None, public=True)
    loaded = schemathesis.openapi.from_dict(json.loads(json.dumps(document, default=str)))
    loaded.app = application
    return loaded


schema = load_schema()


@pytest.mark.usefixtures("seeded", "keep_test_connection")
@schema.parametrize()
@settings(
    max_examples=8,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_fuzz(case: Any, bot_token: str) -> None:
    headers = {"Authorization": f"Token {bot_token}", "Accept-Language": "en"}
    response = case.call(headers=headers)
    case.validate_response(response, checks=CHECKS, headers=headers)
    if response.status_code >= 400:
        body = response.json()
        assert set(body) == {"error"}, body
        assert {"code", "message"} <= set(body["error"]), body
