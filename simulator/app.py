"""The aiohttp application: REST under ``/rest``, streams under ``/ws``, control under
``/control``. ``create_app(config)`` is the factory for in-process use."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from aiohttp import web

from simulator import control, counters, replay, rest
from simulator.clock import SimClock
from simulator.config import SimConfig
from simulator.errors import ApiError
from simulator.state import SIM_KEY, Simulator
from simulator.stream import MARKET_DATA_PATH, ORDER_STATE_PATH

#: How often the background task applies the passage of wall-clock time (session end, expiry).
TICK_SECONDS = 1.0


async def _stream(request: web.Request, kind: str) -> web.StreamResponse:
    sim: Simulator = request.app[SIM_KEY]
    token = rest.bearer_token(request)
    if not token:
        # the browser form: subprotocols "json, <token>"
        offered = [p.strip() for p in request.headers.get("Sec-WebSocket-Protocol", "").split(",")]
        extra = [p for p in offered if p and p not in ("json", "json-proto")]
        token = extra[0] if extra else ""
    try:
        rest.authenticate(sim, token)
    except ApiError as err:
        return web.json_response(err.body(), status=err.http_status)
    return await sim.streams.serve(request, kind)


async def market_data_stream(request: web.Request) -> web.StreamResponse:
    return await _stream(request, "market")


async def order_state_stream(request: web.Request) -> web.StreamResponse:
    return await _stream(request, "orders")


async def _on_shutdown(app: web.Application) -> None:
    app[SIM_KEY].stopping.set()
    app[SIM_KEY].streams.disconnect_all()


async def _background(app: web.Application) -> AsyncIterator[None]:
    sim: Simulator = app[SIM_KEY]

    async def walk() -> None:
        while True:
            await asyncio.sleep(sim.config.walk_interval)
            sim.exchange.step(1)

    async def tick() -> None:
        while True:
            await asyncio.sleep(TICK_SECONDS)
            if not sim.clock.frozen:
                sim.after_clock_change()

    tasks = [asyncio.create_task(tick())]
    if sim.replay is not None and sim.replay.speed != "step":
        tasks.append(asyncio.create_task(replay.drive(sim)))
    if sim.config.walk_interval > 0:
        tasks.append(asyncio.create_task(walk()))
    yield
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task
    sim.streams.disconnect_all()


def create_app(config: SimConfig | None = None, clock: SimClock | None = None) -> web.Application:
    """The simulator as an aiohttp application; ``clock`` injects a clock (tests keep a
    reference and move it), otherwise ``config.start_time`` decides (frozen or wall clock)."""
    config = config or SimConfig()
    app = web.Application()
    app[SIM_KEY] = Simulator(config, clock)
    app.router.add_post("/rest/{method:.+}", rest.handle)
    app.router.add_get(f"/ws/{MARKET_DATA_PATH}", market_data_stream)
    app.router.add_get(f"/ws/{ORDER_STATE_PATH}", order_state_stream)
    control.add_routes(app)
    counters.add_routes(app)
    app.cleanup_ctx.append(_background)
    app.on_shutdown.append(_on_shutdown)
    return app
