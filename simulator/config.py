"""Simulator settings (command-line options map one to one onto these fields)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal


@dataclass
class SimConfig:
    host: str = "127.0.0.1"
    port: int = 8800
    seed: int = 1
    #: ``True``: every instrument trades at any time (demos); ``False``: the MOEX calendar.
    always_open: bool = False
    #: Multiplies every documented rate limit; ``0`` switches rate limiting off.
    rate_scale: float = 1.0
    #: Seconds between random-walk steps; ``0`` = the walk moves only through the control API.
    walk_interval: float = 0.0
    #: When set, only this bearer token is accepted; otherwise any non-empty token is.
    token: str | None = None
    account_id: str = "sim-account-1"
    money: Decimal = Decimal(10_000_000)
    #: Seconds between stream pings.
    ping_interval: float = 120.0
    #: Start the simulated clock frozen at this moment (tests); ``None`` = follow the wall clock.
    start_time: datetime | None = None
    #: A market recording (a tape day file or folder) to replay instead of the random walk for
    #: the instruments it holds; ``None`` = no replay.
    replay: str | None = None
    #: Replay speed: a factor of real time ("10"), "max" (as fast as possible) or "step" (the
    #: clock moves only through the control API).
    replay_speed: str = "1"
