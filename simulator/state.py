"""Everything one running simulator holds; ``reset()`` starts it afresh."""

from __future__ import annotations

import asyncio
import contextlib

from aiohttp import web

from simulator.api import BrokerApi
from simulator.clock import SimClock
from simulator.config import SimConfig
from simulator.counters import RequestCounter
from simulator.exchange import Exchange
from simulator.faults import Faults
from simulator.ratelimit import RateLimiter
from simulator.stream import StreamHub


class Simulator:
    def __init__(self, config: SimConfig, clock: SimClock | None = None) -> None:
        self.config = config
        self.clock = clock or SimClock(config.start_time)
        self.exchange = Exchange(config, self.clock)
        self.api = BrokerApi(self.exchange)
        self.limiter = RateLimiter(config.rate_scale)
        self.faults = Faults(seed=config.seed)
        #: requests served per method (simulator.counters; GET /control/requests)
        self.requests = RequestCounter()
        self.streams = StreamHub(self.exchange, lambda: self.faults, config.ping_interval)
        #: Set when the server shuts down: injected latency stops waiting.
        self.stopping = asyncio.Event()

    async def delay(self, seconds: float) -> None:
        """Injected latency that ends early when the server stops."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stopping.wait(), timeout=seconds)

    def reset(self, seed: int | None = None) -> None:
        """A fresh exchange, clock, limits and faults; open streams are dropped."""
        if seed is not None:
            self.config.seed = seed
        self.streams.disconnect_all()
        self.clock = SimClock(self.config.start_time)
        self.exchange = Exchange(self.config, self.clock)
        self.api = BrokerApi(self.exchange)
        self.limiter = RateLimiter(self.config.rate_scale)
        self.faults = Faults(seed=self.config.seed)
        self.requests.reset()
        self.streams.attach(self.exchange)

    def advance_clock(self, seconds: float) -> None:
        self.clock.advance(seconds)
        self.after_clock_change()

    def after_clock_change(self) -> None:
        self.exchange.tick()
        self.streams.check_statuses()


#: Where the application keeps its ``Simulator``.
SIM_KEY = web.AppKey("sim", Simulator)
