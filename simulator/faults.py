"""Faults injected on request through the control API (all seeded, all per method)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass
class Faults:
    seed: int = 1
    #: Extra seconds before answering, by method name (e.g. ``"PostOrder"``) or ``"*"``.
    latency: dict[str, float] = field(default_factory=dict)
    #: Probability (0..1) of answering an error instead, by method name or ``"*"``.
    error_rate: dict[str, float] = field(default_factory=dict)
    #: The API error code used for injected errors (70001 INTERNAL -> HTTP 500).
    error_code: int = 70001
    #: Lose the responses of this many accepted PostOrder calls (the order is placed).
    lose_post_order: int = 0
    #: The same for PostStopOrder: a count, and a probability (0..1) for every call.
    lose_post_stop_order: int = 0
    lose_stop_order_rate: float = 0.0
    #: How a response is lost: ``"close"`` drops the connection, ``"504"`` answers 504.
    lose_mode: str = "close"
    #: Drop every stream connection after it has sent this many messages (0 = never).
    stream_disconnect_every: int = 0
    rng: random.Random = field(default_factory=random.Random)

    def __post_init__(self) -> None:
        self.rng = random.Random(f"faults:{self.seed}")

    def latency_for(self, method: str) -> float:
        return self.latency.get(method, self.latency.get("*", 0.0))

    def should_fail(self, method: str) -> bool:
        rate = self.error_rate.get(method, self.error_rate.get("*", 0.0))
        return rate > 0 and self.rng.random() < rate

    def take_lost_post_order(self) -> bool:
        if self.lose_post_order > 0:
            self.lose_post_order -= 1
            return True
        return False

    def take_lost_stop_order(self) -> bool:
        if self.lose_post_stop_order > 0:
            self.lose_post_stop_order -= 1
            return True
        return self.lose_stop_order_rate > 0 and self.rng.random() < self.lose_stop_order_rate

    def describe(self) -> dict[str, object]:
        return {
            "latency": self.latency,
            "errorRate": self.error_rate,
            "errorCode": self.error_code,
            "losePostOrder": self.lose_post_order,
            "losePostStopOrder": self.lose_post_stop_order,
            "loseStopOrderRate": self.lose_stop_order_rate,
            "loseMode": self.lose_mode,
            "streamDisconnectEvery": self.stream_disconnect_every,
        }
