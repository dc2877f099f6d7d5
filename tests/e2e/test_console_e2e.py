"""`python -m bot console` as a real process against the simulator and the Base."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import httpx
import pytest

from tests.e2e.processes import ROOT
from tests.e2e.stack import Stack, running_stack

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(400)]


class Console:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.output = ""

    async def wait_for(self, needle: str, timeout: float = 90.0) -> None:  # noqa: ASYNC109
        assert self.process.stdout is not None

        async def read() -> None:
            while needle not in self.output:
                chunk = await self.process.stdout.read(4096)  # type: ignore[union-attr]
                if not chunk:
                    raise AssertionError(f"console ended before {needle!r}:\n{self.output}")
                self.output += chunk.decode("utf-8", errors="replace")

        try:
            await asyncio.wait_for(read(), timeout)
        except TimeoutError:
            raise AssertionError(f"{needle!r} not printed in {timeout} s:\n{self.output}") from None

    def type(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write((line + "\n").encode())

    async def finish(self, timeout: float = 120.0) -> int:  # noqa: ASYNC109
        rest, _ = await asyncio.wait_for(self.process.communicate(), timeout)
        self.output += rest.decode("utf-8", errors="replace")
        assert self.process.returncode is not None
        return self.process.returncode


async def open_console(stack: Stack, *args: str) -> Console:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "console",
        *args,
        cwd=stack.tmp,
        env={**os.environ, "PYTHONPATH": str(ROOT), **stack.bot_env()},
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=(stack.logs / "console.log").open("wb"),
        start_new_session=True,
    )
    return Console(process)


async def sim_live_orders(stack: Stack, ticker: str) -> list[dict[str, object]]:
    async with httpx.AsyncClient(base_url=stack.sim_url, timeout=10) as control:
        orders = (await control.get("/control/orders")).json()["orders"]
    return [
        o
        for o in orders
        if o["ticker"] == ticker
        and o["status"] in ("EXECUTION_REPORT_STATUS_NEW", "EXECUTION_REPORT_STATUS_PARTIALLYFILL")
    ]


async def test_console_commands_then_exit_on_eof_and_sigterm_stops_jobs(tmp_path: Path) -> None:
    async with running_stack(tmp_path) as stack:
        console = await open_console(stack, "--exit-on-eof")
        for line in ("/health", "/update", "/tasks"):
            console.type(line)
        assert console.process.stdin is not None
        console.process.stdin.close()
        assert await console.finish() == 0, console.output
        assert "Base: ok" in console.output
        assert "Broker: ok" in console.output
        assert "Catalogue updated:" in console.output
        assert "« No running tasks." in console.output

        # a job running when SIGTERM arrives is stopped cleanly: its order is cancelled
        console = await open_console(stack)
        console.type("/sell 10 SBER")  # nothing held: it opens a short, asked first
        await console.wait_for("[1] Confirm")
        console.type("1")
        await console.wait_for("Started #T")

        async def order_live() -> bool:
            return bool(await sim_live_orders(stack, "SBER"))

        loop = asyncio.get_running_loop()
        deadline = loop.time() + 60
        while not await order_live():
            assert loop.time() < deadline, "the job never placed its order"
            await asyncio.sleep(0.2)
        os.killpg(console.process.pid, signal.SIGTERM)
        assert await console.finish() == 0, console.output
        assert "sell 10 SBER stopped: [0/10]" in console.output
        assert await sim_live_orders(stack, "SBER") == []
