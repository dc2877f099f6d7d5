"""The small scripts the images run: requirement filter (ARMv7), health checks, libpq path."""

from __future__ import annotations

import ctypes.util
import importlib.util
import os
import re
import socket
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.deploy.conftest import REPO, free_port


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"docker_{name}", REPO / "docker" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def entries(text: str) -> dict[str, list[str]]:
    """Package name -> its hashes, from a hash-pinned requirements file."""
    result: dict[str, list[str]] = {}
    current = ""
    for line in text.splitlines():
        match = re.match(r"^([a-z0-9][a-z0-9._-]*)==", line)
        if match:
            current = match.group(1)
            result[current] = []
        hashed = re.search(r"--hash=(sha256:[0-9a-f]{64})", line)
        if hashed and current:
            result[current].append(hashed.group(1))
    return result


def test_drop_requirement_removes_psycopg_binary_and_keeps_every_other_hash(
    tmp_path: Path,
) -> None:
    source = REPO / "requirements" / "base.txt"
    target = tmp_path / "base-armv7.txt"
    script = REPO / "docker" / "drop_requirement.py"
    result = subprocess.run(
        [sys.executable, str(script), str(source), str(target), "psycopg-binary"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    before, after = entries(source.read_text()), entries(target.read_text())
    assert "psycopg-binary" in before
    assert set(before) - set(after) == {"psycopg-binary"}
    assert all(after[name] == before[name] for name in after)
    assert "psycopg" in after  # the pure-Python implementation stays
    assert "psycopg-binary" not in target.read_text().replace("psycopg[binary]", "")


def test_drop_requirement_refuses_an_unknown_package(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            str(REPO / "docker" / "drop_requirement.py"),
            str(REPO / "requirements" / "base.txt"),
            str(tmp_path / "out.txt"),
            "no-such-package",
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert "no-such-package" in result.stderr
    assert not (tmp_path / "out.txt").exists()


def test_drop_requirement_handles_extras_markers_and_names_alike() -> None:
    drop = load("drop_requirement").drop
    text = (
        "# header comment\n"
        "Foo_Bar[extra]==1.0 ; python_version >= '3.8' \\\n"
        "    --hash=sha256:aa\n"
        "    # via x\n"
        "keep==2.0 \\\n"
        "    --hash=sha256:bb\n"
    )
    kept, found = drop(text, {"foo-bar"})
    assert found == {"foo-bar"}
    assert kept == "# header comment\nkeep==2.0 \\\n    --hash=sha256:bb\n"


def test_healthcheck_tcp_sees_a_listening_port_and_a_closed_one() -> None:
    healthcheck = load("healthcheck")
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        ok, message = healthcheck.check_tcp("127.0.0.1", server.getsockname()[1])
        assert ok, message
    ok, message = healthcheck.check_tcp("127.0.0.1", free_port())
    assert not ok


@pytest.mark.parametrize(("state", "healthy"), [("S", True), ("R", True), ("Z", False)])
def test_healthcheck_pid1_reports_a_dead_main_process(
    tmp_path: Path, state: str, healthy: bool
) -> None:
    healthcheck = load("healthcheck")
    stat = tmp_path / "stat"
    stat.write_text(f"1 (python -m bot) {state} 0 1 1 0 -1 4194560 ...\n")
    ok, message = healthcheck.check_pid1(stat)
    assert ok is healthy, message


def test_healthcheck_pid1_on_this_machine() -> None:
    if not Path("/proc/1/stat").exists():
        pytest.skip("no /proc on this system")
    ok, message = load("healthcheck").check_pid1()
    assert ok, message


@pytest.mark.parametrize(
    ("allowed", "expected"),
    [("", "fallback"), ("*, .trademan.local,base", "trademan.local"), ("base", "base")],
)
def test_healthcheck_host_header(
    monkeypatch: pytest.MonkeyPatch, allowed: str, expected: str
) -> None:
    monkeypatch.setenv("DJANGO_ALLOWED_HOSTS", allowed)
    assert load("healthcheck").host_header("fallback") == expected


def test_healthcheck_usage_error() -> None:
    result = subprocess.run(
        [sys.executable, str(REPO / "docker" / "healthcheck.py"), "ftp", "x"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "healthcheck.py http URL" in result.stderr


@pytest.mark.postgres
def test_psycopg_pure_python_over_system_libpq_reaches_postgresql() -> None:
    """What the ARMv7 image runs: psycopg without psycopg-binary, over libpq5."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        pytest.skip("DATABASE_URL does not name a PostgreSQL server")
    if ctypes.util.find_library("pq") is None:
        pytest.skip("the system libpq (libpq5) is not installed here")
    code = (
        "import os, psycopg\n"
        "assert psycopg.pq.__impl__ == 'python', psycopg.pq.__impl__\n"
        "with psycopg.connect(os.environ['DATABASE_URL'], connect_timeout=3) as conn:\n"
        "    print(conn.execute('select 40 + 2').fetchone()[0])\n"
    )
    env = {"PATH": os.environ["PATH"], "DATABASE_URL": url, "PSYCOPG_IMPL": "python"}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    if "OperationalError" in result.stderr:
        pytest.skip(f"PostgreSQL at DATABASE_URL not reachable: {result.stderr[-300:]}")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "42"


def test_healthcheck_heartbeat_fresh_stale_and_absent(tmp_path: Path) -> None:
    healthcheck = load("healthcheck")
    beat = tmp_path / "heartbeat"
    alive = tmp_path / "stat"
    alive.write_text("1 (python) S 0\n")
    ok, message = healthcheck.check_heartbeat(beat, 180, proc=alive)
    assert ok and "no heartbeat file" in message
    beat.touch()
    ok, message = healthcheck.check_heartbeat(beat, 180, proc=alive)
    assert ok, message
    old = beat.stat().st_mtime - 600
    os.utime(beat, (old, old))
    ok, message = healthcheck.check_heartbeat(beat, 180, proc=alive)
    assert not ok and "limit 180 s" in message


def test_bot_image_checks_the_heartbeat_in_its_state_volume() -> None:
    dockerfile = (REPO / "docker" / "bot.Dockerfile").read_text()
    assert '"heartbeat", "/app/var/bot/heartbeat", "180"' in dockerfile
    assert "BOT_STATE_DIR=/app/var/bot" in dockerfile
