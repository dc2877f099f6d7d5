"""The paper stack as real processes for end-to-end tests: the simulator and the Base (runserver
on a temporary SQLite database, migrated, with a bot token)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.e2e.processes import ROOT, Process, free_port, start, wait_ready


@dataclass
class Stack:
    tmp: Path
    logs: Path
    sim_port: int
    base_port: int
    base_token: str
    processes: list[Process] = field(default_factory=list)

    @property
    def sim_url(self) -> str:
        return f"http://127.0.0.1:{self.sim_port}"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.base_port}/api/v1/"

    def bot_env(self, **extra: str) -> dict[str, str]:
        """Everything `python -m bot` needs to use this stack (paper mode)."""
        return {
            "TRADEMAN_MODE": "paper",
            "BOT_LANGUAGE": "en",
            "BASE_URL": self.base_url,
            "BASE_TOKEN": self.base_token,
            "TINVEST_REST_URL": f"{self.sim_url}/rest",
            "TINVEST_WS_URL": f"ws://127.0.0.1:{self.sim_port}/ws",
            "BOT_STATE_DIR": str(self.tmp / "state"),
            "LOG_LEVEL": "INFO",
            **extra,
        }

    def start(self, name: str, args: list[str], env: dict[str, str]) -> Process:
        process = start(name, args, env, self.tmp, self.logs)  # cwd tmp: no .env there
        self.processes.append(process)
        return process


def manage(args: list[str], env: dict[str, str]) -> str:
    clean = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    result = subprocess.run(
        [sys.executable, "trademan/manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, f"manage.py {args} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


async def http_ok(url: str) -> bool:
    try:
        async with httpx.AsyncClient(timeout=2) as client:
            return (await client.get(url)).status_code == 200
    except httpx.HTTPError:
        return False


@contextlib.asynccontextmanager
async def running_stack(
    tmp: Path, *, walk_interval: str = "0", rate_scale: float | None = None
) -> AsyncIterator[Stack]:
    logs = tmp / "logs"
    logs.mkdir(exist_ok=True)
    db_env = {"DATABASE_URL": f"sqlite:///{tmp / 'base.sqlite3'}", "TRADEMAN_ENV": "development"}
    stack = Stack(tmp, logs, free_port(), free_port(), "")
    try:
        sim = stack.start(
            "simulator",
            [
                "-m",
                "simulator",
                "--port",
                str(stack.sim_port),
                "--seed",
                "1",
                "--always-open",
                "--walk-interval",
                walk_interval,
                *(["--rate-scale", str(rate_scale)] if rate_scale is not None else []),
            ],
            {},
        )
        manage(["migrate", "--noinput", "-v", "0"], db_env)
        stack.base_token = manage(["bot_token"], db_env).strip().splitlines()[-1]
        base = start(
            "base",
            ["trademan/manage.py", "runserver", f"127.0.0.1:{stack.base_port}", "--noreload"],
            db_env,
            ROOT,
            logs,
        )
        stack.processes.append(base)
        await wait_ready(sim, lambda: http_ok(f"{stack.sim_url}/control/state"))
        await wait_ready(base, lambda: http_ok(f"{stack.base_url}health/"))
        yield stack
    finally:
        for process in reversed(stack.processes):
            process.stop()
