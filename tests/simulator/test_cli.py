"""``python -m simulator`` as a real process: prints its URLs, serves, stops on SIGTERM."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import sys
from pathlib import Path

import aiohttp
import pytest

REPO = Path(__file__).resolve().parents[2]
PATH = "tinkoff.public.invest.api.contract.v1.MarketDataService/GetLastPrices"

pytestmark = pytest.mark.e2e


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_runs_walks_and_stops_cleanly() -> None:
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "simulator",
        "--port",
        str(port),
        "--seed",
        "1",
        "--walk-interval",
        "0.05",
        "--always-open",
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        first = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode()
        assert f"http://127.0.0.1:{port}/rest" in first
        url = f"http://127.0.0.1:{port}/rest/{PATH}"
        headers = {"Authorization": "Bearer any"}
        async with aiohttp.ClientSession() as session:

            async def prices() -> object:
                async with session.post(
                    url, json={"instrumentId": ["SBER_TQBR"]}, headers=headers
                ) as r:
                    assert r.status == 200
                    return json.loads(await r.text())["lastPrices"][0]["price"]

            start = await prices()
            for _ in range(400):  # the walk runs on its own timer
                if await prices() != start:
                    break
                await asyncio.sleep(0.05)
            else:
                pytest.fail("the price never moved with --walk-interval 0.05")
        proc.send_signal(signal.SIGTERM)
        out, _ = await asyncio.wait_for(proc.communicate(), 30)
        assert proc.returncode == 0
        assert "simulator stopped" in out.decode()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
