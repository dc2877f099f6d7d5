"""The Base as its container runs it: docker/base-entrypoint.sh waits for the database, migrates,
then execs gunicorn with docker/gunicorn.conf.py, in production mode, on a loopback port."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.deploy.conftest import (
    REPO,
    EntrypointRunner,
    Process,
    free_port,
    http_get,
    wait_for_base,
    wait_until,
)

pytestmark = pytest.mark.e2e

HEALTH = "/api/v1/health/"


def skip_if_health_missing(status: int) -> None:
    if status == 404:
        pytest.skip(f"GET {HEALTH} answers 404: the health endpoint is not built yet")


@pytest.fixture
def running_base(shared_base: Process) -> Process:
    if shared_base.popen.poll() is not None:
        pytest.fail(f"the shared Base exited:\n{shared_base.output()}")
    return shared_base


def test_entrypoint_migrates_the_database_before_serving(running_base: Process) -> None:
    db = Path(running_base.extra["env"]["DATABASE_URL"].removeprefix("sqlite:///"))
    with sqlite3.connect(db) as conn:
        applied = {row[0] for row in conn.execute("SELECT app FROM django_migrations")}
    assert {"auth", "admin", "sessions", "authtoken"} <= applied, applied
    assert "Running migrations" in running_base.output() or "No migrations" in running_base.output()


def test_health_endpoint_answers_ok_in_production(running_base: Process) -> None:
    response = http_get(running_base.extra["port"], HEALTH)
    skip_if_health_missing(response.status)
    assert response.status == 200, response.body[:500]
    body = json.loads(response.body)
    assert body["status"] == "ok"
    assert body["database"] == "ok"


def test_admin_login_page_is_served(running_base: Process) -> None:
    response = http_get(running_base.extra["port"], "/admin/login/")
    assert response.status == 200, response.body[:500]
    assert b"csrfmiddlewaretoken" in response.body


def test_static_files_are_served_by_whitenoise(running_base: Process) -> None:
    response = http_get(running_base.extra["port"], "/static/admin/css/base.css")
    assert response.status == 200, response.body[:300]
    assert (response.header("content-type") or "").startswith("text/css")


def test_unknown_host_is_rejected_and_debug_is_off(running_base: Process) -> None:
    port = running_base.extra["port"]
    assert http_get(port, "/admin/login/", host="evil.example").status == 400
    missing = http_get(port, "/no-such-page/")
    assert missing.status == 404
    assert b"technical_404" not in missing.body and b"URLconf" not in missing.body


def test_access_log_goes_to_stdout_with_forwarded_address(running_base: Process) -> None:
    port = running_base.extra["port"]
    path = f"/admin/login/?probe={uuid.uuid4().hex}"
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", path, headers={"Host": "trademan.local", "X-Forwarded-For": "10.9.8.7"})
    assert conn.getresponse().status == 200
    conn.close()
    wait_until(lambda: path in running_base.output(), 10, "the access log line")
    line = next(line for line in running_base.output().splitlines() if path in line)
    assert line.startswith("10.9.8.7 "), line
    assert '" 200 ' in line, line


def test_healthcheck_script_sends_an_allowed_host(running_base: Process, tmp_path: Path) -> None:
    port = running_base.extra["port"]
    url = f"http://127.0.0.1:{port}/admin/login/"
    script = str(REPO / "docker" / "healthcheck.py")
    env = {"PATH": os.environ["PATH"], "DJANGO_ALLOWED_HOSTS": "*,.trademan.local"}
    ok = subprocess.run([sys.executable, script, "http", url], env=env, capture_output=True)
    assert ok.returncode == 0, ok.stderr
    # Without DJANGO_ALLOWED_HOSTS the Host is 127.0.0.1:port, which the Base refuses.
    env.pop("DJANGO_ALLOWED_HOSTS")
    refused = subprocess.run(
        [sys.executable, script, "http", url], env=env, capture_output=True, text=True
    )
    assert refused.returncode == 1
    assert "HTTP 400" in refused.stderr


def test_healthcheck_of_the_image_passes(running_base: Process) -> None:
    port = running_base.extra["port"]
    response = http_get(port, HEALTH)
    skip_if_health_missing(response.status)
    result = subprocess.run(
        [sys.executable, "docker/healthcheck.py", "http", f"http://127.0.0.1:{port}{HEALTH}"],
        cwd=REPO,
        env={"PATH": os.environ["PATH"], "DJANGO_ALLOWED_HOSTS": "base,trademan.local"},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


def test_sigterm_reaches_gunicorn_and_it_stops_cleanly(entrypoint_runner: EntrypointRunner) -> None:
    """The script execs gunicorn, so the container's stop signal stops it gracefully."""
    running_base = entrypoint_runner()
    wait_for_base(running_base)
    assert "Starting gunicorn" in running_base.output()
    # The image's HOME is read-only: gunicorn must not try to create its control socket there.
    assert "Control socket" not in running_base.output()
    running_base.popen.send_signal(signal.SIGTERM)
    code = running_base.popen.wait(timeout=30)
    assert code == 0, running_base.output()
    assert "Shutting down: Master" in running_base.output()


def test_arguments_run_instead_of_gunicorn_after_migrating(
    entrypoint_runner: EntrypointRunner,
) -> None:
    proc = entrypoint_runner(sys.executable, "trademan/manage.py", "showmigrations", "auth")
    code = proc.popen.wait(timeout=120)
    assert code == 0, proc.output()
    assert "[X] 0001_initial" in proc.output()
    assert "Starting gunicorn" not in proc.output()


def test_unreachable_database_fails_after_the_wait_without_leaking_password(
    entrypoint_runner: EntrypointRunner,
) -> None:
    port = free_port()  # nothing listens there
    proc = entrypoint_runner(
        DATABASE_URL=f"postgres://trademan:Sup3rSecretPw@127.0.0.1:{port}/trademan",
        DB_WAIT_TIMEOUT="1",
        DB_WAIT_INTERVAL="0.2",
    )
    code = proc.popen.wait(timeout=60)
    output = proc.output()
    assert code != 0, output
    assert f"127.0.0.1:{port} not reachable after 1 s" in output
    assert "Sup3rSecretPw" not in output
    assert "Starting gunicorn" not in output


def _postgres_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else None


@pytest.fixture
def scratch_postgres() -> Iterator[str]:
    """A fresh database on the PostgreSQL server named by DATABASE_URL, dropped afterwards."""
    url = _postgres_url()
    if url is None:
        pytest.skip("DATABASE_URL does not name a PostgreSQL server")
    psycopg = pytest.importorskip("psycopg")
    name = f"trademan_deploy_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(url, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL at DATABASE_URL not reachable: {exc}")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        parts = urlsplit(url)
        yield urlunsplit(parts._replace(path=f"/{name}"))
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.postgres
def test_base_starts_on_postgresql(
    entrypoint_runner: EntrypointRunner, scratch_postgres: str
) -> None:
    proc = entrypoint_runner(DATABASE_URL=scratch_postgres, DJANGO_CONN_MAX_AGE="60")
    wait_for_base(proc)
    assert "postgresql database" in proc.output() and "is ready" in proc.output()
    response = http_get(proc.extra["port"], HEALTH)
    skip_if_health_missing(response.status)
    assert response.status == 200, response.body[:500]
    assert json.loads(response.body)["database"] == "ok"


def test_migrations_can_be_skipped(entrypoint_runner: EntrypointRunner) -> None:
    proc = entrypoint_runner(
        sys.executable, "trademan/manage.py", "showmigrations", "auth", DJANGO_MIGRATE="0"
    )
    code = proc.popen.wait(timeout=120)
    assert code == 0, proc.output()
    assert "[ ] 0001_initial" in proc.output()
    assert "Running migrations" not in proc.output()


def test_entry_script_passes_shellcheck() -> None:
    import shutil

    shellcheck = shutil.which("shellcheck")
    if shellcheck is None:
        pytest.skip("shellcheck is not installed (apt-get install shellcheck)")
    result = subprocess.run(
        [shellcheck, str(REPO / "docker" / "base-entrypoint.sh")], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout
