"""Per-method request limits as documented (NOTES.md section 5), counted per token per minute.

A limit applies to a whole service, except the methods with their own line (GetOrders,
PostOrder, CancelOrder, PostOrderAsync), which have their own counters. ``scale`` multiplies
every limit (``--rate-scale 0.05`` turns PostOrder's 300/min into 15/min for tests);
``scale == 0`` switches limiting off. Windows follow the simulator's clock: a fixed minute that
starts with the first request, so tests reset them by advancing the clock.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

WINDOW_SECONDS = 60

SERVICE_LIMITS: dict[str, int] = {
    "InstrumentsService": 200,
    "UsersService": 100,
    "OperationsService": 200,
    "MarketDataService": 600,
    "StopOrdersService": 50,
    "SandboxService": 200,
    "OrdersService": 100,
}
METHOD_LIMITS: dict[str, int] = {
    "GetOrders": 200,
    "PostOrder": 300,
    "CancelOrder": 100,
    "PostOrderAsync": 450,
}


def bucket_for(service: str, method: str) -> tuple[str, int]:
    if service == "OrdersService" and method in METHOD_LIMITS:
        return f"{service}/{method}", METHOD_LIMITS[method]
    return service, SERVICE_LIMITS.get(service, 100)


def unary_limits() -> list[tuple[int, list[str]]]:
    """The limits as GetUserTariff lists them: (per minute, [full method names])."""
    prefix = "tinkoff.public.invest.api.contract.v1."
    out: list[tuple[int, list[str]]] = [
        (limit, [f"{prefix}{service}/*"]) for service, limit in SERVICE_LIMITS.items()
    ]
    out.extend((limit, [f"{prefix}OrdersService/{m}"]) for m, limit in METHOD_LIMITS.items())
    return out


@dataclass
class Window:
    start: datetime
    count: int = 0


@dataclass
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    reset: int

    def headers(self) -> dict[str, str]:
        return {
            "x-ratelimit-limit": f"{self.limit}, {self.limit};w={WINDOW_SECONDS}",
            "x-ratelimit-remaining": str(self.remaining),
            "x-ratelimit-reset": str(self.reset),
        }


class RateLimiter:
    def __init__(self, scale: float) -> None:
        self.scale = scale
        self._windows: dict[tuple[str, str], Window] = {}

    def reset(self) -> None:
        self._windows.clear()

    def limit_for(self, service: str, method: str) -> int:
        _, base = bucket_for(service, method)
        if self.scale <= 0:
            return base
        return max(1, int(base * self.scale))

    def check(self, token: str, service: str, method: str, now: datetime) -> Verdict:
        bucket, _ = bucket_for(service, method)
        limit = self.limit_for(service, method)
        key = (token, bucket)
        window = self._windows.get(key)
        if window is None or (now - window.start).total_seconds() >= WINDOW_SECONDS:
            window = self._windows[key] = Window(now)
        elapsed = (now - window.start).total_seconds()
        reset = max(1, math.ceil(WINDOW_SECONDS - elapsed))
        if self.scale <= 0:
            # Limiting off: never advertise a budget that runs out, or a well-behaved client
            # would pace itself against a limit that is not enforced.
            return Verdict(True, limit, limit, reset)
        if window.count >= limit:
            return Verdict(False, limit, 0, reset)
        window.count += 1
        return Verdict(True, limit, max(limit - window.count, 0), reset)
