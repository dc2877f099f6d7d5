"""Management commands: bot_token, ensure_admin, seed_demo."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from trademan.base.models import Instrument, InstrumentKind, SellBuyTask, Spread, StopListEntry

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_bot_token_creates_and_rotates() -> None:
    first = run("bot_token").strip()
    assert Token.objects.get().key == first
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {first}")
    assert client.get("/api/v1/tasks/active/").status_code == 200
    second = run("bot_token").strip()
    assert second != first and Token.objects.count() == 1
    assert client.get("/api/v1/tasks/active/").status_code == 401
    user = get_user_model().objects.get(username="trademan-bot")
    assert not user.is_staff and not user.has_usable_password()


def test_ensure_admin_generates_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRADEMAN_ADMIN_PASSWORD", raising=False)
    monkeypatch.setenv("TRADEMAN_ADMIN_USER", "owner")
    out = run("ensure_admin")
    password = out.strip().rsplit(" ", 1)[-1]
    user = get_user_model().objects.get(username="owner")
    assert user.is_superuser and user.check_password(password)
    again = run("ensure_admin")
    assert "password unchanged" in again and password not in again
    user.refresh_from_db()
    assert user.check_password(password)


def test_ensure_admin_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRADEMAN_ADMIN_USER", "boss")
    monkeypatch.setenv("TRADEMAN_ADMIN_PASSWORD", "a-long-secret-1")
    out = run("ensure_admin")
    assert "a-long-secret-1" not in out
    assert get_user_model().objects.get(username="boss").check_password("a-long-secret-1")


def test_seed_demo_needs_catalogue() -> None:
    with pytest.raises(CommandError, match="catalogue is empty"):
        run("seed_demo")


def test_seed_demo_idempotent(
    share: Instrument,
    future_near: Instrument,
    future_far: Instrument,
    make_instrument: Callable[..., Instrument],
) -> None:
    for ticker in ("GAZP", "LKOH"):
        make_instrument(ticker=ticker)
    make_instrument(
        ticker="EXPIRED",
        kind=InstrumentKind.FUTURE,
        lot=1,
        basic_asset="SBER",
        basic_asset_size=Decimal(100),
        min_price_increment=Decimal(1),
        expiration=datetime(2020, 3, 1, tzinfo=UTC),
    )
    out = run("seed_demo")
    assert "skipped" not in out, out
    assert SellBuyTask.objects.filter(direction="buy").count() == 1
    assert SellBuyTask.objects.filter(direction="sell").count() == 1
    pairs = {(s.far.ticker, s.near.ticker) for s in Spread.objects.all()}
    assert pairs == {("SRH7", "SBER"), ("SRM7", "SRH7")}
    assert StopListEntry.objects.filter(kind="whitelist").count() == 3
    counts = (SellBuyTask.objects.count(), Spread.objects.count(), StopListEntry.objects.count())
    again = run("seed_demo")
    assert "created" not in again
    assert counts == (
        SellBuyTask.objects.count(),
        Spread.objects.count(),
        StopListEntry.objects.count(),
    )


def test_migrations_match_models() -> None:
    out = io.StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()
