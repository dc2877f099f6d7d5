"""Timing helpers shared by bench/bot.py and bench/spreads.py (not a benchmark itself).

- `TimedTransport`: the broker client's httpx transport, noting the moment each request leaves
  it (after the rate limiter, the retry logic and httpx's own work: what the broker would see);
- `BareBooks`: a bare WebSocket subscriber of the simulator's order books (no engine, no parsing
  beyond json), giving the floor of "a book changed -> a process knows";
- `bare_round_trip`: one bare REST call to the simulator (the floor of a request/answer).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import statistics
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import aiohttp
import httpx

PACKAGE = "tinkoff.public.invest.api.contract.v1"
MARKET_DATA_PATH = f"{PACKAGE}.MarketDataStreamService/MarketDataStream"


def quotation(q: dict[str, Any] | None) -> Decimal | None:
    if not q:
        return None
    return Decimal(int(q.get("units", 0))) + Decimal(int(q.get("nano", 0))) / Decimal(10**9)


class Sent:
    __slots__ = ("at", "body", "method")

    def __init__(self, method: str, body: dict[str, Any], at: float) -> None:
        self.method = method
        self.body = body
        self.at = at

    @property
    def instrument(self) -> str:
        return str(self.body.get("instrumentId") or self.body.get("figi") or "")

    @property
    def price(self) -> Decimal | None:
        return quotation(self.body.get("price"))


class TimedTransport(httpx.AsyncHTTPTransport):
    """Notes every request when it leaves for the simulator."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[Sent] = []
        self._changed = asyncio.Event()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        at = time.perf_counter()
        method = request.url.path.rsplit("/", 1)[-1]
        try:
            body = json.loads(request.content or b"{}")
        except ValueError:
            body = {}
        self.sent.append(Sent(method, body, at))
        self._changed.set()
        return await super().handle_async_request(request)

    def first(self, method: str, after: float, match: Callable[[Sent], bool]) -> Sent | None:
        return next(
            (s for s in self.sent if s.at >= after and s.method == method and match(s)), None
        )

    async def wait_first(
        self,
        method: str,
        after: float,
        match: Callable[[Sent], bool],
        timeout: float,  # noqa: ASYNC109
    ) -> Sent:
        deadline = time.perf_counter() + timeout
        while True:
            found = self.first(method, after, match)
            if found is not None:
                return found
            left = deadline - time.perf_counter()
            if left <= 0:
                raise TimeoutError(f"no {method} after the change")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), left)


class BareBooks:
    """A bare subscriber of the simulator's order-book stream: when each update arrived."""

    def __init__(self, ws_url: str, token: str) -> None:
        self.url = f"{ws_url.rstrip('/')}/{MARKET_DATA_PATH}"
        self.token = token
        self.arrivals: dict[str, list[tuple[float, Decimal | None, Decimal | None]]] = {}
        self._session: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task[None] | None = None
        self._changed = asyncio.Event()

    async def start(self, uids: list[str], depth: int = 10) -> None:
        self._session = aiohttp.ClientSession()
        self._ws = await self._session.ws_connect(
            self.url, protocols=("json",), headers={"Authorization": f"Bearer {self.token}"}
        )
        await self._ws.send_json(
            {
                "subscribeOrderBookRequest": {
                    "subscriptionAction": "SUBSCRIPTION_ACTION_SUBSCRIBE",
                    "instruments": [{"instrumentId": u, "depth": depth} for u in uids],
                }
            }
        )
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self._ws is not None
        async for message in self._ws:
            at = time.perf_counter()
            if message.type != aiohttp.WSMsgType.TEXT:
                continue
            data = json.loads(message.data)
            book = data.get("orderbook")
            if not book:
                continue
            bids, asks = book.get("bids") or [], book.get("asks") or []
            bid = quotation(bids[0].get("price")) if bids else None
            ask = quotation(asks[0].get("price")) if asks else None
            uid = book.get("instrumentUid") or book.get("figi") or ""
            self.arrivals.setdefault(uid, []).append((at, bid, ask))
            self._changed.set()

    def first(
        self, uid: str, after: float, match: Callable[[Decimal | None, Decimal | None], bool]
    ) -> float | None:
        return next(
            (at for at, bid, ask in self.arrivals.get(uid, []) if at >= after and match(bid, ask)),
            None,
        )

    async def wait_first(
        self,
        uid: str,
        after: float,
        match: Callable[[Decimal | None, Decimal | None], bool],
        timeout: float,  # noqa: ASYNC109
    ) -> float:
        deadline = time.perf_counter() + timeout
        while True:
            found = self.first(uid, after, match)
            if found is not None:
                return found
            left = deadline - time.perf_counter()
            if left <= 0:
                raise TimeoutError(f"no book update of {uid} reached the bare subscriber")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), left)

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
        if self._ws is not None:
            await self._ws.close()
        if self._session is not None:
            await self._session.close()


async def bare_round_trip(http: httpx.AsyncClient, rest_url: str, uid: str) -> float:
    """One bare GetOrderBook through `http` (its own pool, no limiter): seconds."""
    started = time.perf_counter()
    response = await http.post(
        f"{rest_url.rstrip('/')}/{PACKAGE}.MarketDataService/GetOrderBook",
        json={"instrumentId": uid, "depth": 1},
    )
    response.read()
    return time.perf_counter() - started


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def figures(name: str, values: list[float], floor: list[float], expected: int) -> str:
    """'name: p50 .. p99 .. (floor p50 .. p99 ..; x.. / x.. the floor)' in ms."""
    if not values:
        return f"  {name}: no samples"
    ms = [v * 1000 for v in values]
    text = (
        f"  {name}: p50 {statistics.median(ms):6.1f} ms  p99 {pct(ms, 0.99):6.1f} ms  "
        f"({len(values)}/{expected} samples)"
    )
    if floor:
        fl = [v * 1000 for v in floor]
        f50, f99 = statistics.median(fl), pct(fl, 0.99)
        text += (
            f"; floor p50 {f50:5.1f} ms  p99 {f99:5.1f} ms; "
            f"x{statistics.median(ms) / max(f50, 1e-6):.1f} / x{pct(ms, 0.99) / max(f99, 1e-6):.1f}"
            " the floor"
        )
    return text
