"""trademan/settings.py under a controlled environment, each case in a fresh interpreter.

Every variable the settings read is passed explicitly (empty = unset; settings treat both alike),
so a developer's .env at the repository root cannot change the outcome.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
GOOD_KEY = "k" * 20 + "-production-secret-for-tests-only"

PRINT_SETTINGS = """
import json, django
django.setup()
from django.conf import settings
db = settings.DATABASES["default"]
print(json.dumps({"engine": db["ENGINE"], "name": str(db["NAME"]), "debug": settings.DEBUG,
                  "hosts": settings.ALLOWED_HOSTS, "secure_cookies": settings.SESSION_COOKIE_SECURE,
                  "static_root": str(settings.STATIC_ROOT), "language": settings.LANGUAGE_CODE}))
"""


def settings_env(tmp_path: Path, **values: str) -> dict[str, str]:
    """A clean environment: every settings variable set (empty unless given), nothing else."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "PYTHONPATH": str(REPO),
        "DJANGO_SETTINGS_MODULE": "trademan.settings",
        "TRADEMAN_ENV": "development",
        "DJANGO_SECRET_KEY": "",
        "DJANGO_ALLOWED_HOSTS": "",
        "DJANGO_DEBUG": "",
        "DJANGO_CSRF_TRUSTED_ORIGINS": "",
        "DJANGO_LANGUAGE_CODE": "ru",
        "DATABASE_URL": "",
        "DJANGO_LOG_LEVEL": "WARNING",
        "DJANGO_CONN_MAX_AGE": "60",
        "DJANGO_STATIC_ROOT": str(tmp_path / "static"),
        "DJANGO_SECURE_COOKIES": "",
        "DJANGO_ALLOW_SQLITE": "",
    }
    env.update(values)
    return env


def production_env(tmp_path: Path, **values: str) -> dict[str, str]:
    env = settings_env(
        tmp_path,
        TRADEMAN_ENV="production",
        DJANGO_SECRET_KEY=GOOD_KEY,
        DJANGO_ALLOWED_HOSTS="trademan.local,192.168.1.20",
        DATABASE_URL="postgres://trademan:pw@db.example:5432/trademan",
    )
    env.update(values)
    return env


def production_on_sqlite(tmp_path: Path, **values: str) -> dict[str, str]:
    """Production on SQLite, as only the deployment tests may run it (offline, no server)."""
    return production_env(
        tmp_path,
        DATABASE_URL=f"sqlite:///{tmp_path / 'prod.sqlite3'}",
        DJANGO_ALLOW_SQLITE="true",
        **values,
    )


def run_python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def load_settings(env: dict[str, str]) -> dict[str, object]:
    result = run_python(PRINT_SETTINGS, env)
    assert result.returncode == 0, f"settings failed to load:\n{result.stderr}"
    loaded: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    return loaded


def assert_refuses(env: dict[str, str], message: str) -> None:
    result = run_python("import django; django.setup()", env)
    assert result.returncode != 0, "settings started although they should refuse"
    assert "ImproperlyConfigured" in result.stderr, result.stderr
    assert message in result.stderr, f"expected {message!r} in:\n{result.stderr}"


def test_production_with_everything_set_starts(tmp_path: Path) -> None:
    loaded = load_settings(production_env(tmp_path))
    assert loaded["debug"] is False
    assert loaded["hosts"] == ["trademan.local", "192.168.1.20"]
    assert loaded["secure_cookies"] is True
    assert loaded["engine"] == "django.db.backends.postgresql"


def test_production_refuses_without_secret_key(tmp_path: Path) -> None:
    assert_refuses(production_env(tmp_path, DJANGO_SECRET_KEY=""), "DJANGO_SECRET_KEY")


def test_production_refuses_a_short_secret_key(tmp_path: Path) -> None:
    assert_refuses(production_env(tmp_path, DJANGO_SECRET_KEY="short"), "DJANGO_SECRET_KEY")


def test_production_refuses_without_allowed_hosts(tmp_path: Path) -> None:
    assert_refuses(production_env(tmp_path, DJANGO_ALLOWED_HOSTS=""), "DJANGO_ALLOWED_HOSTS")
    assert_refuses(production_env(tmp_path, DJANGO_ALLOWED_HOSTS=" , "), "DJANGO_ALLOWED_HOSTS")


@pytest.mark.parametrize("value", ["true", "1", "yes", "on"])
def test_production_refuses_debug(tmp_path: Path, value: str) -> None:
    assert_refuses(production_env(tmp_path, DJANGO_DEBUG=value), "DEBUG is never allowed")


def test_production_refuses_without_database_url(tmp_path: Path) -> None:
    assert_refuses(production_env(tmp_path, DATABASE_URL=""), "DATABASE_URL")


def test_production_refuses_the_development_key_written_in_settings(tmp_path: Path) -> None:
    key = "dev-only-insecure-key-not-for-production"
    assert key in (REPO / "trademan" / "settings.py").read_text()
    assert_refuses(production_env(tmp_path, DJANGO_SECRET_KEY=key), "development key")
    assert_refuses(
        production_env(tmp_path, DJANGO_SECRET_KEY="django-insecure-" + "abcdefghij" * 4),
        "development key",
    )


@pytest.mark.parametrize("key", ["a" * 32, "x" * 64, "ab" * 25, "0123456789"[:9] * 5])
def test_production_refuses_a_low_entropy_secret_key(tmp_path: Path, key: str) -> None:
    assert_refuses(production_env(tmp_path, DJANGO_SECRET_KEY=key), "too easy to guess")


@pytest.mark.parametrize("hosts", ["*", "trademan.local,*", " * "])
def test_production_refuses_any_host(tmp_path: Path, hosts: str) -> None:
    assert_refuses(production_env(tmp_path, DJANGO_ALLOWED_HOSTS=hosts), "DJANGO_ALLOWED_HOSTS=*")


def test_production_refuses_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'prod.sqlite3'}"
    assert_refuses(production_env(tmp_path, DATABASE_URL=url), "needs PostgreSQL")
    assert_refuses(production_env(tmp_path, DATABASE_URL="sqlite://:memory:"), "needs PostgreSQL")


def test_production_on_sqlite_only_with_the_test_switch(tmp_path: Path) -> None:
    loaded = load_settings(production_on_sqlite(tmp_path))
    assert loaded["engine"] == "django.db.backends.sqlite3"


def test_development_accepts_sqlite_and_the_development_key(tmp_path: Path) -> None:
    loaded = load_settings(settings_env(tmp_path, DJANGO_ALLOWED_HOSTS="*"))
    assert loaded["engine"] == "django.db.backends.sqlite3"
    assert loaded["hosts"] == ["*"]


def test_unknown_environment_name_is_refused(tmp_path: Path) -> None:
    assert_refuses(settings_env(tmp_path, TRADEMAN_ENV="prod"), "TRADEMAN_ENV")


def test_production_secure_cookies_can_be_turned_off_for_plain_http(tmp_path: Path) -> None:
    loaded = load_settings(production_env(tmp_path, DJANGO_SECURE_COOKIES="false"))
    assert loaded["secure_cookies"] is False


def test_development_defaults_to_sqlite_with_debug(tmp_path: Path) -> None:
    loaded = load_settings(settings_env(tmp_path))
    assert loaded["engine"] == "django.db.backends.sqlite3"
    assert Path(str(loaded["name"])) == REPO / "var" / "db.sqlite3"
    assert loaded["debug"] is True
    assert "localhost" in loaded["hosts"]  # type: ignore[operator]


def test_development_uses_database_url_when_given(tmp_path: Path) -> None:
    loaded = load_settings(
        settings_env(tmp_path, DATABASE_URL="postgres://u:p@db.example:5432/trademan")
    )
    assert loaded["engine"] == "django.db.backends.postgresql"
    assert loaded["name"] == "trademan"


def test_check_deploy_finds_no_errors_in_production(tmp_path: Path) -> None:
    """`manage.py check --deploy` passes at error level (warnings about HTTPS remain: nginx
    serves plain HTTP on the home network unless the owner adds TLS)."""
    result = subprocess.run(
        [sys.executable, "trademan/manage.py", "check", "--deploy", "--fail-level", "ERROR"],
        cwd=REPO,
        env=production_on_sqlite(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "security.W018" not in result.stderr  # W018 = DEBUG on in deployment
