"""Fixtures for the Base suite: instruments, tasks, users, an authenticated API client."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection

from trademan.base.models import Instrument, InstrumentKind, SellBuyTask, Spread

_seq = itertools.count(1)

EXPIRY_NEAR = datetime(2027, 3, 19, 15, 0, tzinfo=UTC)
EXPIRY_FAR = datetime(2027, 6, 18, 15, 0, tzinfo=UTC)


def instrument_values(**overrides: Any) -> dict[str, Any]:
    n = next(_seq)
    values: dict[str, Any] = {
        "figi": f"FIGI{n:06d}",
        "uid": f"uid-{n:06d}",
        "ticker": f"T{n}",
        "class_code": "TQBR",
        "name": f"Instrument {n}",
        "kind": InstrumentKind.SHARE,
        "lot": 10,
        "min_price_increment": Decimal("0.01"),
        "currency": "rub",
        "api_trade_available": True,
        "short_enabled": True,
        "buy_available": True,
        "sell_available": True,
        "exchange": "MOEX",
        "active": True,
    }
    values.update(overrides)
    return values


@pytest.fixture
def make_instrument(db: None) -> Callable[..., Instrument]:
    def make(**overrides: Any) -> Instrument:
        return Instrument.objects.create(**instrument_values(**overrides))

    return make


@pytest.fixture
def share(make_instrument: Callable[..., Instrument]) -> Instrument:
    """SBER: lot 10, increment 0.01, can be shorted."""
    return make_instrument(ticker="SBER", name="Сбербанк", lot=10)


@pytest.fixture
def future_near(make_instrument: Callable[..., Instrument]) -> Instrument:
    """SRH7: 100 SBER per contract, expires in March; 1 point = 1 rouble."""
    return make_instrument(
        ticker="SRH7",
        class_code="SPBFUT",
        kind=InstrumentKind.FUTURE,
        lot=1,
        min_price_increment=Decimal("1"),
        min_price_increment_amount=Decimal("1"),
        basic_asset="SBER",
        basic_asset_size=Decimal("100"),
        expiration=EXPIRY_NEAR,
        exchange="FORTS_EVENING",
    )


@pytest.fixture
def future_far(make_instrument: Callable[..., Instrument]) -> Instrument:
    """SRM7: like SRH7 but expires in June."""
    return make_instrument(
        ticker="SRM7",
        class_code="SPBFUT",
        kind=InstrumentKind.FUTURE,
        lot=1,
        min_price_increment=Decimal("1"),
        min_price_increment_amount=Decimal("1"),
        basic_asset="SBER",
        basic_asset_size=Decimal("100"),
        expiration=EXPIRY_FAR,
        exchange="FORTS_EVENING",
    )


@pytest.fixture
def sellbuy(share: Instrument) -> SellBuyTask:
    """Buy 100 SBER (10 lots)."""
    return SellBuyTask.objects.create(instrument=share, direction="buy", amount=100)


@pytest.fixture
def spread(future_far: Instrument, share: Instrument) -> Spread:
    """Sell 2 SRM7 against buying 200 SBER (ratio 100)."""
    return Spread.objects.create(
        far=future_far, near=share, direction="sell", amount=2, target_price=Decimal("1500")
    )


@pytest.fixture
def now() -> datetime:
    return datetime.now(tz=UTC).replace(microsecond=0) - timedelta(seconds=1)


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


@pytest.fixture(autouse=True)
def fast_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def english(settings: Any) -> Any:
    """Messages are asserted in English (requests without Accept-Language too); Russian has its
    own tests."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def bot_token(db: None) -> str:
    from trademan.base.services.accounts import rotate_bot_token

    return rotate_bot_token()


@pytest.fixture
def api(bot_token: str) -> Any:
    """An API client authenticated as the bot (token)."""
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {bot_token}")
    return client


@pytest.fixture
def anon() -> Any:
    from rest_framework.test import APIClient

    return APIClient()


def error_of(response: Any) -> dict[str, Any]:
    """The documented error object of a response (fails with the body when the shape is off)."""
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert isinstance(error.get("code"), str) and isinstance(error.get("message"), str), body
    return error
