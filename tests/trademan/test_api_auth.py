"""Only health is readable without authentication; 401 without a token, 403 without rights."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from tests.trademan.conftest import error_of

pytestmark = pytest.mark.django_db

PROTECTED = [
    ("get", "/api/v1/instruments/"),
    ("get", "/api/v1/instruments/1/"),
    ("get", "/api/v1/instruments/by-ticker/SBER/"),
    ("post", "/api/v1/instruments/sync/"),
    ("get", "/api/v1/tasks/active/"),
    ("get", "/api/v1/sellbuy/"),
    ("post", "/api/v1/sellbuy/"),
    ("get", "/api/v1/sellbuy/1/"),
    ("patch", "/api/v1/sellbuy/1/"),
    ("get", "/api/v1/spreads/"),
    ("get", "/api/v1/spreads/1/"),
    ("patch", "/api/v1/spreads/1/"),
    ("get", "/api/v1/orders/"),
    ("post", "/api/v1/orders/"),
    ("patch", f"/api/v1/orders/{uuid.uuid4()}/"),
    ("post", "/api/v1/fills/"),
    ("get", "/api/v1/stop-lists/"),
    ("get", "/api/v1/stash/"),
    ("put", "/api/v1/stash/"),
    ("get", "/api/v1/settings/"),
    ("get", "/api/v1/schema/"),
]


def call(client: APIClient, method: str, url: str) -> Any:
    return getattr(client, method)(url, {}, format="json")


@pytest.mark.parametrize(("method", "url"), PROTECTED)
def test_without_token_401(anon: APIClient, method: str, url: str) -> None:
    response = call(anon, method, url)
    assert response.status_code == 401, response.content
    assert error_of(response)["code"] == "not_authenticated"


@pytest.mark.parametrize(("method", "url"), PROTECTED[:6])
def test_wrong_token_401(anon: APIClient, method: str, url: str) -> None:
    anon.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    response = call(anon, method, url)
    assert response.status_code == 401
    assert error_of(response)["code"] == "not_authenticated"


@pytest.mark.parametrize(("method", "url"), PROTECTED)
def test_user_without_permission_403(method: str, url: str) -> None:
    user = get_user_model().objects.create_user("viewer", password="x-long-password-1")
    client = APIClient()
    client.force_login(user)
    response = call(client, method, url)
    assert response.status_code == 403, response.content
    assert error_of(response)["code"] == "permission_denied"


def test_health_without_auth(anon: APIClient) -> None:
    response = anon.get("/api/v1/health/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["database"] == "ok" and body["time"].endswith("Z")
    anon.credentials(HTTP_AUTHORIZATION="Token wrong")
    assert anon.get("/api/v1/health/").status_code == 200


def test_health_reports_database_down(anon: APIClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from trademan.api.views import health

    class Broken:
        def __enter__(self) -> Any:
            raise health.connection.OperationalError("server closed the connection")  # type: ignore[attr-defined]

        def __exit__(self, *args: Any) -> None:
            return None

    monkeypatch.setattr(health.connection, "cursor", lambda: Broken())
    response = anon.get("/api/v1/health/")
    assert response.status_code == 503
    assert response.json()["database"] == "error"


def test_bot_token_works_and_superuser_session_works(api: APIClient, admin_client: Any) -> None:
    assert api.get("/api/v1/settings/").status_code == 200
    assert admin_client.get("/api/v1/settings/").status_code == 200


def test_rotated_token_replaces_old(anon: APIClient, bot_token: str) -> None:
    from trademan.base.services.accounts import rotate_bot_token

    new = rotate_bot_token()
    anon.credentials(HTTP_AUTHORIZATION=f"Token {bot_token}")
    assert anon.get("/api/v1/settings/").status_code == 401
    anon.credentials(HTTP_AUTHORIZATION=f"Token {new}")
    assert anon.get("/api/v1/settings/").status_code == 200


def test_unknown_path_and_method(api: APIClient) -> None:
    response = api.get("/api/v1/nothing-here/")
    assert response.status_code == 404 and error_of(response)["code"] == "not_found"
    response = api.delete("/api/v1/settings/")
    assert response.status_code == 405 and error_of(response)["code"] == "method_not_allowed"


def test_malformed_json_is_validation_error(api: APIClient) -> None:
    response = api.generic("POST", "/api/v1/orders/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert error_of(response)["code"] == "validation_error"
    response = api.generic("POST", "/api/v1/orders/", "a=b", content_type="text/plain")
    assert response.status_code == 415
    assert error_of(response)["code"] == "unsupported_media_type"


def test_database_failure_is_503_unavailable(
    api: APIClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.db import OperationalError

    from trademan.api import active_tasks

    def down() -> Any:
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(active_tasks, "change_version", down)
    response = api.get("/api/v1/tasks/active/")
    assert response.status_code == 503
    assert error_of(response)["code"] == "unavailable"


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> _Clock:
    from trademan.api import authentication

    fake = _Clock()
    monkeypatch.setattr(authentication.time, "monotonic", fake.monotonic)
    authentication.forget_all()
    return fake


def test_a_rotated_token_stops_working_at_once(api: APIClient, clock: _Clock) -> None:
    from trademan.base.services.accounts import rotate_bot_token

    assert api.get("/api/v1/settings/").status_code == 200  # cached now
    new = rotate_bot_token()
    assert api.get("/api/v1/settings/").status_code == 401
    api.credentials(HTTP_AUTHORIZATION=f"Token {new}")
    assert api.get("/api/v1/settings/").status_code == 200


def test_a_token_revoked_behind_the_cache_stops_working_within_the_documented_time(
    api: APIClient, bot_token: str, clock: _Clock, settings: Any
) -> None:
    from django.db import connection

    assert settings.API_TOKEN_CACHE_SECONDS == 10  # the time docs/base-api.md promises
    assert api.get("/api/v1/settings/").status_code == 200
    with connection.cursor() as cursor:  # no signal: another process, or raw SQL
        cursor.execute("DELETE FROM authtoken_token WHERE key = %s", [bot_token])
    clock.now += 9.9
    assert api.get("/api/v1/settings/").status_code == 200  # still cached in this process
    clock.now += 0.2
    response = api.get("/api/v1/settings/")
    assert response.status_code == 401
    assert error_of(response)["code"] == "not_authenticated"


def test_a_user_deactivated_without_signals_is_refused_after_the_cache_time(
    api: APIClient, clock: _Clock
) -> None:
    assert api.get("/api/v1/tasks/active/").status_code == 200
    get_user_model().objects.update(is_active=False)  # a bulk update: no signal
    clock.now += 10.1
    assert api.get("/api/v1/tasks/active/").status_code == 401


def test_a_deactivated_user_is_refused_at_once_when_saved(api: APIClient, clock: _Clock) -> None:
    assert api.get("/api/v1/tasks/active/").status_code == 200
    for user in get_user_model().objects.all():
        user.is_active = False
        user.save()
    assert api.get("/api/v1/tasks/active/").status_code == 401


def test_wrong_tokens_are_not_cached(anon: APIClient, clock: _Clock) -> None:
    from trademan.api import authentication

    anon.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert anon.get("/api/v1/settings/").status_code == 401
    assert authentication._cache == {}


NESTED_REQUESTS = [
    ("POST", "/api/v1/orders/"),
    ("POST", "/api/v1/fills/"),
    ("POST", "/api/v1/sellbuy/"),
    ("POST", "/api/v1/instruments/sync/"),
    ("PUT", "/api/v1/stash/"),
]


@pytest.mark.parametrize(("method", "path"), NESTED_REQUESTS)
@pytest.mark.parametrize(
    "body",
    [
        "[" * 1000 + "]" * 1000,
        '{"a":' * 1000 + "1" + "}" * 1000,
        '{"items": ' + "[" * 1000 + "]" * 1000 + "}",
        "[" * 100_000,
    ],
    ids=["list-1000", "object-1000", "field-1000", "unclosed-100000"],
)
def test_deeply_nested_json_is_a_400_in_the_error_shape(
    api: APIClient, method: str, path: str, body: str
) -> None:
    response = api.generic(method, path, body, content_type="application/json")
    assert response.status_code == 400, response.content[:300]
    error = error_of(response)
    assert error["code"] == "validation_error"
    assert "nested" in error["message"] or "JSON" in error["message"], error


def test_moderately_nested_json_still_reaches_validation(api: APIClient) -> None:
    """Depth within the limit is parsed and validated as usual (field errors, not a parse error)."""
    body = '{"client_order_id": ' + "[" * 10 + "]" * 10 + "}"
    response = api.generic("POST", "/api/v1/orders/", body, content_type="application/json")
    assert response.status_code == 400
    assert "client_order_id" in error_of(response).get("fields", {}), response.json()
