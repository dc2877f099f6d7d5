"""Run the exchange simulator in-process on a random loopback port.

    async with running_simulator(start_time=MONDAY_NOON) as sim:
        sim.rest_url      # http://127.0.0.1:<port>/rest
        sim.ws_url        # ws://127.0.0.1:<port>/ws
        sim.account_id    # "sim-account-1"
        await sim.call("OrdersService", "PostOrder", {...})   # -> (status, body, headers)
        await sim.set_price("SBER_TQBR", "250.5")

Or as a fixture: import :func:`simulator` into a conftest.

Defaults suit tests: the clock is frozen (at ``DEFAULT_START``, a weekday in the main session,
unless ``start_time=`` or ``always_open=True`` is given), the walk moves only on demand
(``walk_interval=0``), rate limits are off (``rate_scale=0``) unless given.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from simulator.app import create_app
from simulator.clock import SimClock
from simulator.config import SimConfig
from simulator.state import SIM_KEY, Simulator

#: Wednesday 2026-03-11 12:00 Moscow (09:00 UTC): shares and futures both in the main session.
DEFAULT_START = datetime(2026, 3, 11, 9, 0, tzinfo=UTC)
TOKEN = "sim-test-token"
PREFIX = "tinkoff.public.invest.api.contract.v1."
MARKET_DATA_STREAM = f"{PREFIX}MarketDataStreamService/MarketDataStream"
ORDER_STATE_STREAM = f"{PREFIX}OrdersStreamService/OrderStateStream"


class ControlFailed(AssertionError):
    pass


@dataclass
class SimHandle:
    base_url: str  # http://127.0.0.1:<port>
    account_id: str
    token: str
    app: web.Application
    session: aiohttp.ClientSession

    @property
    def simulator(self) -> Simulator:
        """The in-process simulator itself (exchange, clock, faults) for white-box checks."""
        return self.app[SIM_KEY]

    @property
    def rest_url(self) -> str:
        return f"{self.base_url}/rest"

    @property
    def ws_url(self) -> str:
        return "ws" + self.base_url[len("http") :] + "/ws"

    @property
    def control_url(self) -> str:
        return f"{self.base_url}/control"

    @property
    def market_data_url(self) -> str:
        return f"{self.ws_url}/{MARKET_DATA_STREAM}"

    @property
    def order_state_url(self) -> str:
        return f"{self.ws_url}/{ORDER_STATE_STREAM}"

    @property
    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    # ---- the broker API ---------------------------------------------------------------------

    async def call(
        self, service: str, method: str, body: Any, token: str | None = None
    ) -> tuple[int, Any, dict[str, str]]:
        """POST a broker method; returns (HTTP status, parsed JSON body, response headers)."""
        headers = {"Authorization": f"Bearer {self.token if token is None else token}"}
        url = f"{self.rest_url}/{PREFIX}{service}/{method}"
        async with self.session.post(url, json=body, headers=headers) as resp:
            data = await resp.json(content_type=None)
            return resp.status, data, dict(resp.headers)

    async def ok(self, service: str, method: str, body: Any) -> Any:
        """Call a method that must succeed; the body of the 200 answer."""
        status, data, _ = await self.call(service, method, body)
        if status != 200:
            raise AssertionError(f"{service}/{method} answered {status}: {data}")
        return data

    # ---- the control API --------------------------------------------------------------------

    async def control(self, verb: str, name: str, body: Any = None, **query: str) -> Any:
        url = f"{self.control_url}/{name}"
        async with self.session.request(verb, url, json=body, params=query or None) as resp:
            data = await resp.json(content_type=None)
            if resp.status != 200:
                raise ControlFailed(f"control {verb} {name} answered {resp.status}: {data}")
            return data

    async def state(self) -> Any:
        return await self.control("GET", "state")

    async def reset(self, seed: int | None = None) -> Any:
        return await self.control("POST", "reset", {} if seed is None else {"seed": seed})

    async def set_price(self, instrument_id: str, price: str | Decimal) -> Any:
        return await self.control(
            "POST", "price", {"instrumentId": instrument_id, "price": str(price)}
        )

    async def move_price(self, instrument_id: str, delta: str | Decimal) -> Any:
        return await self.control(
            "POST", "price", {"instrumentId": instrument_id, "delta": str(delta)}
        )

    async def set_book(
        self,
        instrument_id: str,
        bids: list[tuple[str, int]],
        asks: list[tuple[str, int]],
        last_price: str | None = None,
    ) -> Any:
        body: dict[str, Any] = {
            "instrumentId": instrument_id,
            "bids": [{"price": p, "quantity": q} for p, q in bids],
            "asks": [{"price": p, "quantity": q} for p, q in asks],
        }
        if last_price is not None:
            body["lastPrice"] = last_price
        return await self.control("POST", "book", body)

    async def walk(self, steps: int = 1) -> Any:
        return await self.control("POST", "walk", {"steps": steps})

    async def advance_clock(self, seconds: float) -> Any:
        return await self.control("POST", "clock", {"advance": seconds})

    async def set_clock(self, moment: datetime | str) -> Any:
        text = moment if isinstance(moment, str) else moment.astimezone(UTC).isoformat()
        return await self.control("POST", "clock", {"set": text})

    async def set_session_mode(self, mode: str) -> Any:
        """``calendar`` | ``always_open`` | ``closed``."""
        return await self.control("POST", "session", {"mode": mode})

    async def faults(self, **settings: Any) -> Any:
        """E.g. ``faults(latency={"PostOrder": 0.2}, errorRate={"GetOrderState": 0.5},
        losePostOrder=1, loseMode="close", streamDisconnectEvery=5, disconnectStreams=True,
        clear=True)``."""
        return await self.control("POST", "faults", settings)

    async def orders(self) -> Any:
        """``{"orders": [...every order with requestId...], "stopOrders": [...]}``."""
        return await self.control("GET", "orders")

    async def account(self, account_id: str | None = None) -> Any:
        return await self.control("GET", "account", accountId=account_id or self.account_id)

    async def set_money(self, money: str | Decimal, account_id: str | None = None) -> Any:
        body = {"accountId": account_id or self.account_id, "money": str(money)}
        return await self.control("POST", "account", body)

    async def instrument(self, instrument_id: str) -> Any:
        """Ids, lot, increment, margin, flags, status, last price, best bid/ask."""
        return await self.control("GET", "instrument", instrumentId=instrument_id)

    async def set_instrument(self, instrument_id: str, **flags: Any) -> Any:
        """Flags: apiTradeAvailableFlag, buyAvailableFlag, sellAvailableFlag, shortEnabledFlag
        (booleans), tradingStatus (a SECURITY_TRADING_STATUS_* name, or None to clear)."""
        return await self.control("POST", "instrument", {"instrumentId": instrument_id, **flags})


@contextlib.asynccontextmanager
async def running_simulator(
    *,
    seed: int = 1,
    start_time: datetime | None = DEFAULT_START,
    always_open: bool = False,
    rate_scale: float = 0.0,
    walk_interval: float = 0.0,
    ping_interval: float = 120.0,
    token: str | None = None,
    account_id: str = "sim-account-1",
    money: Decimal = Decimal(10_000_000),
    clock: SimClock | None = None,
    replay: str | None = None,
    replay_speed: str = "step",
) -> AsyncIterator[SimHandle]:
    """Start the simulator on 127.0.0.1:<random port>; stop it on exit.

    ``clock`` injects a ``simulator.clock.SimClock`` the test keeps and moves directly
    (``clock.advance(seconds)``, ``clock.set(moment)``); otherwise the clock is frozen at
    ``start_time`` (``None``: the wall clock) and moves through ``advance_clock``/``set_clock``.
    ``replay`` replays a market recording (``start_time=None`` starts at the recording's start;
    ``replay_speed`` "step": the clock moves only through the control API).
    """
    config = SimConfig(
        host="127.0.0.1",
        port=0,
        seed=seed,
        always_open=always_open,
        rate_scale=rate_scale,
        walk_interval=walk_interval,
        token=token,
        account_id=account_id,
        money=money,
        ping_interval=ping_interval,
        start_time=start_time,
        replay=replay,
        replay_speed=replay_speed,
    )
    app = create_app(config, clock)
    # a request a test cancelled mid-body leaves its handler waiting for the rest: at the end
    # of the test the server gives such handlers 1 s, not aiohttp's default minute
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    server = site._server
    assert server is not None and server.sockets  # type: ignore[attr-defined]
    port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
    session = aiohttp.ClientSession()
    try:
        yield SimHandle(f"http://127.0.0.1:{port}", account_id, token or TOKEN, app, session)
    finally:
        await session.close()
        await runner.cleanup()


@pytest.fixture
async def simulator() -> AsyncIterator[SimHandle]:
    """A fixture other test packages can import into their conftest:
    ``from tests.support.sim import simulator  # noqa: F401``."""
    async with running_simulator() as handle:
        yield handle
