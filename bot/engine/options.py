"""Tunable timings of the engine (seconds). Defaults suit the real broker; tests shrink them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time


@dataclass(frozen=True, slots=True)
class EngineOptions:
    # how often a job polls its live order's state (fills) and, without a stream, the book
    poll_interval: float = 1.0
    # with the broker's order-state stream, polling GetOrderState is only a safety net
    stream_poll_interval: float = 15.0
    # how long to wait for a cancel to be confirmed before asking again
    cancel_confirm_timeout: float = 10.0
    # unknown order outcome: how often and how long to ask the broker before alerting
    resolve_interval: float = 1.0
    resolve_attempts: int = 10
    # broker refused for a closed session / a transient error: wait before trying again
    retry_after_refusal: float = 30.0
    # depth of the order book the jobs read
    book_depth: int = 10
    # stopping: how long to wait for a job to cancel its orders and finish
    stop_timeout: float = 30.0
    # Base recorder back-off
    base_retry_initial: float = 0.5
    base_retry_max: float = 10.0
    # while idle, check the Base is reachable this often (None: only when writing)
    base_probe_interval: float | None = 10.0
    # daily catalogue refresh, Moscow time; None disables it
    catalogue_refresh_at: time | None = time(7, 0)
    # fsync the journal on every record (turn off only in benchmarks)
    journal_fsync: bool = True
    # the owner's views: a portfolio snapshot, quote history and notification levels go to /
    # come from the Base this often while the bot runs (None: never; the app sets 60 s)
    views_snapshot_interval: float | None = None
    # how often running tasks' executable prices are sampled (from books already watched)
    views_sample_interval: float = 5.0
    # a sell/buy job's order follows a new best price only once it has held this long, and
    # places at most this many orders a minute (bot.engine.order_moves)
    order_move_hold: float = 1.0
    order_moves_per_minute: int = 12
