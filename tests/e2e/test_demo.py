"""`make demo` (scripts/demo.py): the stack comes up, the console answers, Ctrl-C stops
everything and leaves no process behind."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import psutil
import pytest

from tests.e2e.processes import ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(400)]


async def test_demo_starts_answers_and_stops_cleanly(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "TRADEMAN_DEMO_DIR": str(tmp_path / "demo"),
        "BOT_LANGUAGE": "en",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("DATABASE_URL", None)
    demo = await asyncio.create_subprocess_exec(
        sys.executable,
        "scripts/demo.py",
        cwd=ROOT,
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        start_new_session=True,
    )
    assert demo.stdin is not None and demo.stdout is not None
    output = ""

    async def wait_for(needle: str, timeout: float = 180) -> None:  # noqa: ASYNC109
        nonlocal output

        async def read() -> None:
            nonlocal output
            while needle not in output:
                chunk = await demo.stdout.read(4096)  # type: ignore[union-attr]
                if not chunk:
                    raise AssertionError(f"demo ended before {needle!r}:\n{output}")
                output += chunk.decode("utf-8", errors="replace")

        try:
            await asyncio.wait_for(read(), timeout)
        except TimeoutError:
            raise AssertionError(f"{needle!r} not printed in {timeout} s:\n{output}") from None

    children: list[psutil.Process] = []
    try:
        await wait_for("Trademan console")
        children = psutil.Process(demo.pid).children(recursive=True)
        assert len(children) >= 2, children  # the simulator and the Base
        assert "Admin panel: http://127.0.0.1:" in output
        assert "password: " in output
        assert "Catalogue updated:" in output

        demo.stdin.write(b"/health\n/tasks\n")
        await demo.stdin.drain()
        await wait_for("Broker: ok")
        await wait_for("« ")

        os.kill(demo.pid, signal.SIGINT)  # Ctrl-C
        rest, _ = await asyncio.wait_for(demo.communicate(), 150)
        output += rest.decode("utf-8", errors="replace")
        assert demo.returncode == 0, output
        assert "Demo stopped" in output
        _, alive = psutil.wait_procs(children, timeout=10)
        assert alive == [], f"left behind: {alive}"
    finally:
        if demo.returncode is None:
            os.killpg(demo.pid, signal.SIGKILL)
        for child in children:
            if child.is_running():
                child.kill()
