"""A real browser (headless Chromium from Debian's packages) opens the dashboard as the signed-in
owner and finds the spread chart drawn with data. Skipped, with a message, where Chromium is not
installed (`apt-get install -y chromium`).

The browser is driven over its DevTools protocol (a WebSocket, aiohttp): the owner's session
cookie is set, the page loaded, then the page is asked what uPlot drew. With the environment
variable DASHBOARD_SCREENSHOT=path.png it also saves a screenshot there.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import os
import re
import shutil
import tempfile
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests.trademan.test_owner_views import fill, order
from trademan.base.models import Instrument, SellBuyTask, Spread
from trademan.base.services.snapshots import save_portfolio, store_quotes

CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser")) if p), None)
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="headless Chromium is not installed (Debian: apt-get install -y chromium); "
        "the dashboard's browser check is skipped",
    ),
]


class DevTools:
    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.ids = itertools.count(1)

    async def call(self, method: str, session: str | None = None, **params: Any) -> Any:
        ident = next(self.ids)
        message: dict[str, Any] = {"id": ident, "method": method, "params": params}
        if session is not None:
            message["sessionId"] = session
        await self.ws.send_json(message)
        while True:
            reply = json.loads((await self.ws.receive()).data)
            if reply.get("id") == ident:
                if "error" in reply:
                    raise AssertionError(f"{method}: {reply['error']}")
                return reply.get("result", {})


@contextlib.asynccontextmanager
async def chromium() -> AsyncIterator[DevTools]:
    assert CHROMIUM is not None
    profile = tempfile.mkdtemp(prefix="dash-chromium-")
    process = await asyncio.create_subprocess_exec(
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        f"--user-data-dir={profile}",
        "--remote-debugging-address=127.0.0.1",
        "--remote-debugging-port=0",
        "--window-size=1400,1800",
        "about:blank",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stderr is not None
        url = None
        while url is None:
            line = (await asyncio.wait_for(process.stderr.readline(), 30)).decode()
            assert line, "Chromium exited before opening its DevTools port"
            found = re.search(r"DevTools listening on (ws://\S+)", line)
            url = found.group(1) if found else None
        async with aiohttp.ClientSession() as http, http.ws_connect(url, max_msg_size=0) as ws:
            yield DevTools(ws)
    finally:
        with contextlib.suppress(ProcessLookupError):
            process.terminate()
        try:
            await asyncio.wait_for(process.wait(), 10)
        except TimeoutError:
            process.kill()
            await process.wait()
        shutil.rmtree(profile, ignore_errors=True)


def _data(share: Instrument, spread: Spread) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    # a far fill hedged at once: realised 31 005 − 100 × 295.00 = 1 505 against the target 1 500
    far = order(spread.far, "sell", "31005", 1, task=spread, leg="far")
    near = order(share, "buy", "295.00", 10, task=spread, leg="near")
    fill(far, "f1", 1, "31005", now - timedelta(minutes=20))
    fill(near, "n1", 100, "295.00", now - timedelta(minutes=20))
    task = SellBuyTask.objects.create(instrument=share, direction="buy", amount=20)
    first = order(share, "buy", "281.40", 2, task=task, opposite="281.50", commission="2.81")
    fill(first, "t1", 20, "281.40", now - timedelta(minutes=5))
    points = [
        {
            "at": now - timedelta(minutes=60 - i),
            "sell": Decimal("1500") + Decimal(i % 7),
            "buy": Decimal("1512") + Decimal(i % 5),
            "target": spread.target_price,
        }
        for i in range(60)
    ]
    store_quotes([{"task_kind": "spread", "task_id": spread.pk, "points": points}])
    save_portfolio(
        now - timedelta(seconds=40),
        {
            "positions": [
                {
                    "ticker": "SBER",
                    "quantity": "20",
                    "average_price": "281.4",
                    "current_price": "282",
                    "value": "5640.00",
                    "pnl": "12.00",
                    "pnl_percent": "0.21",
                    "group": None,
                }
            ],
            "cash": [{"currency": "RUB", "amount": "994369.19"}],
            "margin": {"used": "0.00", "free": "1000009.19", "liquid": "1000009.19"},
            "total": "1000009.19",
            "jobs": [
                {
                    "id": "1",
                    "kind": "spread",
                    "title": "sell SRM7/SBER",
                    "executed": 0,
                    "amount": 2,
                    "average_price": None,
                    "state": "running",
                }
            ],
        },
    )


async def test_the_dashboard_draws_its_spread_chart(
    live_server: Any, share: Instrument, spread: Spread
) -> None:
    await asyncio.to_thread(_data, share, spread)
    owner = await asyncio.to_thread(
        User.objects.create_user, "owner", password="pw-owner-1", is_staff=True
    )
    client = Client()
    await asyncio.to_thread(client.force_login, owner)
    session_id = client.cookies["sessionid"].value
    async with chromium() as browser:
        target = await browser.call("Target.createTarget", url="about:blank")
        attached = await browser.call(
            "Target.attachToTarget", targetId=target["targetId"], flatten=True
        )
        page = attached["sessionId"]
        await browser.call("Network.enable", page)
        await browser.call(
            "Network.setCookie", page, name="sessionid", value=session_id, url=live_server.url
        )
        await browser.call(
            "Network.setCookie", page, name="django_language", value="en", url=live_server.url
        )
        await browser.call("Page.navigate", page, url=f"{live_server.url}/dashboard/?period=all")
        probe = (
            "(() => { const el = document.getElementById('plot-spread-SPREAD');"
            " const canvas = el && el.querySelector('canvas');"
            " return JSON.stringify({drawn: el ? el.dataset.drawn || null : null,"
            " canvas: canvas ? [canvas.width, canvas.height] : null,"
            " legend: Array.from(document.querySelectorAll('.u-legend .u-label'))"
            ".map(x => x.textContent), text: document.body.innerText.slice(0, 4000)}); })()"
        ).replace("SPREAD", str(spread.pk))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 30
        while True:
            result = await browser.call("Runtime.evaluate", page, expression=probe)
            seen = json.loads(result["result"].get("value") or "{}")
            if seen.get("drawn"):
                break
            assert loop.time() < deadline, f"the chart was never drawn: {seen}"
            await asyncio.sleep(0.2)
        assert int(seen["drawn"]) >= 60  # the 60 quote points (and the fill times) are plotted
        assert seen["canvas"][0] > 300 and seen["canvas"][1] > 200
        assert {"to sell", "to buy", "target", "fills"} <= set(seen["legend"])
        assert "Patience saved 2.00 ₽ (3.6 bp)" in seen["text"]
        assert "1\u2009505" in seen["text"]  # the spread's realised average
        assert "Running jobs" in seen["text"] and "sell SRM7/SBER" in seen["text"]
        shot = os.environ.get("DASHBOARD_SCREENSHOT")
        if shot:
            image = await browser.call("Page.captureScreenshot", page, captureBeyondViewport=True)
            await asyncio.to_thread(Path(shot).write_bytes, base64.b64decode(image["data"]))
