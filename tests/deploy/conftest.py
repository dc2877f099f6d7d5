"""Shared helpers for the deployment tests: paths, parsed files, processes on loopback."""

from __future__ import annotations

import http.client
import os
import re
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
DEPLOYABLES = {"base": "trademan", "bot": "bot", "simulator": "simulator"}
SECRETS = ["DJANGO_SECRET_KEY", "POSTGRES_PASSWORD", "TELEGRAM_BOT_TOKEN", "BASE_TOKEN"]


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = load_yaml(REPO / "docker-compose.yml")
    return data


def parse_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines as trademan/settings.py reads them (comments on their own lines)."""
    values: dict[str, str] = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        values[key.strip()] = value.strip().strip("'\"")
    return values


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll `condition` until it holds; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.05)


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


def http_get(port: int, path: str, host: str = "trademan.local", timeout: float = 10) -> Response:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Host": host})
        answer = conn.getresponse()
        headers: dict[str, str] = {}
        for name, value in answer.getheaders():
            key = name.lower()
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        return Response(answer.status, headers, answer.read())
    finally:
        conn.close()


def answers(port: int, path: str, host: str = "trademan.local") -> bool:
    try:
        http_get(port, path, host=host, timeout=2)
    except OSError:
        return False
    return True


@dataclass
class Process:
    """A child process whose combined output is collected in a file (read it any time)."""

    popen: subprocess.Popen[bytes]
    log: Path
    extra: dict[str, Any] = field(default_factory=dict)

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self, timeout: float = 20) -> int:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout)
        return self.popen.returncode


def start(cmd: list[str], env: dict[str, str], log: Path, cwd: Path = REPO) -> Process:
    handle = log.open("wb")
    popen = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=handle, stderr=subprocess.STDOUT)
    handle.close()
    return Process(popen, log)


VENV_BIN = Path(os.environ.get("VIRTUAL_ENV", REPO / ".venv")) / "bin"


def base_env(tmp_path: Path, port: int, **values: str) -> dict[str, str]:
    """The environment the Base container gets in production, on loopback and SQLite."""
    import sys

    env = {
        "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        "HOME": str(tmp_path),
        "PYTHON": sys.executable,
        "TRADEMAN_ENV": "production",
        "DJANGO_SECRET_KEY": "deploy-test-" + "s3cr3t-" * 6,
        "DJANGO_ALLOWED_HOSTS": "trademan.local,base",
        "DJANGO_DEBUG": "",
        "DJANGO_CSRF_TRUSTED_ORIGINS": "",
        "DJANGO_LANGUAGE_CODE": "en",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'base.sqlite3'}",
        "DJANGO_ALLOW_SQLITE": "true",
        "DJANGO_LOG_LEVEL": "INFO",
        "DJANGO_CONN_MAX_AGE": "0",
        "DJANGO_STATIC_ROOT": str(tmp_path / "static"),
        "DJANGO_SECURE_COOKIES": "false",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "2",
        "GUNICORN_FORWARDED_ALLOW_IPS": "127.0.0.1",
        "DB_WAIT_TIMEOUT": "30",
    }
    env.update(values)
    return env


def collectstatic(env: dict[str, str]) -> None:
    """What the Base Dockerfile does at build time."""
    import sys

    result = subprocess.run(
        [sys.executable, "trademan/manage.py", "collectstatic", "--noinput"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


class EntrypointRunner:
    """Starts docker/base-entrypoint.sh (wait for db, migrate, exec gunicorn) on free ports."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.started: list[Process] = []

    def __call__(self, *args: str, **values: str) -> Process:
        port = free_port()
        env = base_env(self.directory, port, **values)
        proc = start(
            [str(REPO / "docker" / "base-entrypoint.sh"), *args],
            env,
            self.directory / f"entrypoint-{len(self.started)}.log",
        )
        proc.extra.update(port=port, env=env)
        self.started.append(proc)
        return proc

    def stop_all(self) -> None:
        for proc in self.started:
            proc.stop()


@pytest.fixture
def entrypoint_runner(tmp_path: Path) -> Iterator[EntrypointRunner]:
    runner = EntrypointRunner(tmp_path)
    yield runner
    runner.stop_all()


@pytest.fixture(scope="session")
def shared_base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Process]:
    """One production Base (static files collected, as in the image) for read-only tests."""
    runner = EntrypointRunner(tmp_path_factory.mktemp("base"))
    proc = runner()
    collectstatic(proc.extra["env"])
    wait_for_base(proc)
    yield proc
    runner.stop_all()


def wait_for_base(proc: Process, timeout: float = 90) -> None:
    """Poll until gunicorn answers HTTP; fail at once (with its output) if it exited."""
    port = proc.extra["port"]

    def ready() -> bool:
        if proc.popen.poll() is not None:
            pytest.fail(f"the Base exited with {proc.popen.returncode}:\n{proc.output()}")
        return answers(port, "/admin/login/")

    wait_until(ready, timeout, f"the Base on port {port}")


COMPOSE_VAR = re.compile(r"\$\{([A-Z0-9_]+)(?:(:?[-?])([^}]*))?\}")
