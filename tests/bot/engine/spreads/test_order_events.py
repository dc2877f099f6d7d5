"""Routing order-state events to the jobs following those orders."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from bot.engine.spreads.order_events import OrderEventRouter


@dataclass(frozen=True)
class State:
    request_id: str


def test_events_reach_only_the_watcher_of_that_order() -> None:
    router = OrderEventRouter()
    seen: list[State] = []
    router.watch("a", seen.append)
    router.dispatch(State("a"))
    router.dispatch(State("b"))  # nobody follows b
    router.unwatch("a")
    router.dispatch(State("a"))
    assert seen == [State("a")] and router.events == 3


async def test_run_reopens_a_failed_stream_and_reports_health() -> None:
    router = OrderEventRouter(retry_after=0.0)
    seen: list[State] = []
    router.watch("x", seen.append)
    opened = 0
    second = asyncio.Event()
    health_in_stream: list[bool] = []

    async def stream() -> AsyncIterator[State]:
        nonlocal opened
        opened += 1
        health_in_stream.append(router.healthy)
        yield State("x")
        if opened == 1:
            raise ConnectionError("dropped")
        second.set()
        await asyncio.Event().wait()

    task = asyncio.create_task(router.run(stream))
    await asyncio.wait_for(second.wait(), 5)
    assert opened == 2 and seen == [State("x"), State("x")] and health_in_stream == [True, True]
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    assert not router.healthy
