"""How many requests of each broker method the simulator has served (tests and benchmarks
count a command's broker traffic with it).

Control API: ``GET /control/requests`` answers ``{"requests": {"MarketDataService/GetLastPrices":
1, ...}, "total": N}``; ``POST /control/requests`` answers the same and starts counting afresh.
Every request that names a method is counted, whatever its answer (rate-limited and failed
requests too: they reached the server).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from aiohttp import web


class RequestCounter:
    def __init__(self) -> None:
        self._counts: Counter[str] = Counter()

    def count(self, service: str, method: str) -> None:
        self._counts[f"{service}/{method}"] += 1

    def snapshot(self) -> dict[str, Any]:
        counts = dict(sorted(self._counts.items()))
        return {"requests": counts, "total": sum(counts.values())}

    def reset(self) -> dict[str, Any]:
        before = self.snapshot()
        self._counts.clear()
        return before


def _counter(request: web.Request) -> RequestCounter:
    from simulator.state import SIM_KEY  # the state module holds a RequestCounter itself

    counter: RequestCounter = request.app[SIM_KEY].requests
    return counter


async def _get(request: web.Request) -> web.Response:
    return web.json_response(_counter(request).snapshot())


async def _post(request: web.Request) -> web.Response:
    return web.json_response(_counter(request).reset())


def add_routes(app: web.Application) -> None:
    app.router.add_get("/control/requests", _get)
    app.router.add_post("/control/requests", _post)
