"""Real processes on loopback for end-to-end tests: start, wait until ready, always stop."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""

    def stop(self, timeout: float = 20.0) -> int | None:
        """SIGTERM the process group, then SIGKILL what is left."""
        if self.popen.poll() is None:
            with _suppress_lookup():
                os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                with _suppress_lookup():
                    os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(10)
        with _suppress_lookup():  # children that outlived their parent
            os.killpg(self.popen.pid, signal.SIGKILL)
        return self.popen.returncode


class _suppress_lookup:
    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, value: object, tb: object) -> bool:
        return isinstance(value, ProcessLookupError | PermissionError)


def start(name: str, args: list[str], env: dict[str, str], cwd: Path, logs: Path) -> Process:
    log = logs / f"{name}.log"
    handle = log.open("wb")
    popen = subprocess.Popen(
        [sys.executable, *args],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        stdin=subprocess.DEVNULL,
        stdout=handle,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: stop() takes the children too
    )
    handle.close()
    return Process(name, popen, log)


async def wait_ready(
    process: Process,
    probe: Callable[[], Awaitable[bool]],
    timeout: float = 60.0,  # noqa: ASYNC109
) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        if process.popen.poll() is not None:
            raise AssertionError(f"{process.name} exited early:\n{process.output()}")
        if await probe():
            return
        if loop.time() > deadline:
            raise AssertionError(f"{process.name} not ready after {timeout} s:\n{process.output()}")
        await asyncio.sleep(0.2)  # polling a readiness condition, bounded by the deadline
