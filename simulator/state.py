"""Everything one running simulator holds; ``reset()`` starts it afresh."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime
from pathlib import Path

from aiohttp import web

from simulator.api import BrokerApi
from simulator.clock import SimClock
from simulator.config import SimConfig
from simulator.counters import RequestCounter
from simulator.exchange import Exchange
from simulator.faults import Faults
from simulator.ratelimit import RateLimiter
from simulator.replay import Replay, attach
from simulator.stream import StreamHub


class Simulator:
    def __init__(
        self, config: SimConfig, clock: SimClock | None = None, replay: Replay | None = None
    ) -> None:
        """``replay`` gives the recording already read (in-process use, e.g. the bot's what-if),
        instead of ``config.replay``'s file or folder."""
        self.config = config
        # a replay starts the clock (frozen; the replay moves it) at the recording's start
        self.replay: Replay | None = replay
        if replay is None and config.replay:
            self.replay = Replay.load(Path(config.replay), config.replay_speed)
        self.clock = clock or SimClock(self._start())
        self.exchange = Exchange(config, self.clock)
        if self.replay is not None:
            attach(self.exchange, self.replay)
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
        if self.replay is not None:
            self.replay = Replay(self.replay.records, self.replay.speed)
        self.clock = SimClock(self._start())
        self.exchange = Exchange(self.config, self.clock)
        if self.replay is not None:
            attach(self.exchange, self.replay)
        self.api = BrokerApi(self.exchange)
        self.limiter = RateLimiter(self.config.rate_scale)
        self.faults = Faults(seed=self.config.seed)
        self.requests.reset()
        self.streams.attach(self.exchange)

    def _start(self) -> datetime | None:
        if self.config.start_time is None and self.replay is not None:
            return self.replay.start
        return self.config.start_time

    def advance_clock(self, seconds: float) -> None:
        self.clock.advance(seconds)
        self.after_clock_change()

    def after_clock_change(self) -> None:
        self.exchange.tick()
        self.streams.check_statuses()


#: Where the application keeps its ``Simulator``.
SIM_KEY = web.AppKey("sim", Simulator)
