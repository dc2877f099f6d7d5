"""Priorities between bulk commands in the one rate limiter (per bucket), plan estimates, and
the tighter bound on whole-second x-ratelimit-reset values."""

import asyncio

from bot.broker import ratelimit
from bot.broker.ratelimit import RateLimiter

TIME_SCALE = 0.004  # a broker minute lasts 0.24 s


async def test_cancel_overtakes_stops_and_background_polls_wait_for_both() -> None:
    limiter = RateLimiter(
        scale=1 / 50, time_scale=TIME_SCALE, global_per_second=None, safety_margin=0
    )  # StopOrders: one call per window
    await limiter.acquire("StopOrdersService", "PostStopOrder")  # the window is now used up
    order: list[str] = []

    async def caller(name: str, level: int) -> None:
        with ratelimit.priority(level):
            await limiter.acquire("StopOrdersService", "PostStopOrder")
        order.append(name)

    tasks = []
    for name, level in (
        ("poll", ratelimit.PRIORITY_BACKGROUND),
        ("stops-1", ratelimit.PRIORITY_STOPS),
        ("stops-2", ratelimit.PRIORITY_STOPS),
        ("shorts", ratelimit.PRIORITY_SHORTS),
        ("restore", ratelimit.PRIORITY_RESTORE),
        ("nuke", ratelimit.PRIORITY_NUKE),
        ("cancel", ratelimit.PRIORITY_CANCEL),
    ):
        tasks.append(asyncio.create_task(caller(name, level)))
        await asyncio.sleep(0)  # arrive in this order
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=30)
    # the first arrival already held the bucket; the rest go by priority, FIFO within one
    assert order == ["poll", "cancel", "nuke", "restore", "stops-1", "stops-2", "shorts"]


async def test_priority_follows_tasks_started_in_its_context() -> None:
    seen: list[int] = []

    async def inner() -> None:
        seen.append(ratelimit.current_priority())

    with ratelimit.priority(ratelimit.PRIORITY_CANCEL):
        task = asyncio.create_task(inner())
    await task
    assert seen == [ratelimit.PRIORITY_CANCEL]
    assert ratelimit.current_priority() == ratelimit.PRIORITY_DEFAULT


async def test_estimate_counts_what_the_window_still_allows() -> None:
    limiter = RateLimiter(time_scale=TIME_SCALE, global_per_second=None, safety_margin=0)
    assert limiter.estimate("StopOrdersService", "PostStopOrder", 50) == 0
    assert limiter.estimate("StopOrdersService", "PostStopOrder", 300) == 300  # 5 more windows
    for _ in range(10):
        await limiter.acquire("StopOrdersService", "GetStopOrders")  # the same budget
    assert limiter.estimate("StopOrdersService", "PostStopOrder", 45) == 60


async def test_whole_second_resets_of_one_window_keep_the_earliest_bound() -> None:
    limiter = RateLimiter(time_scale=TIME_SCALE, global_per_second=None, safety_margin=0)
    bucket = limiter.bucket("StopOrdersService", "PostStopOrder")
    limiter.observe(
        "StopOrdersService",
        "PostStopOrder",
        {"x-ratelimit-remaining": "3", "x-ratelimit-reset": "31"},
    )
    first = bucket.server_reset_at
    limiter.observe(
        "StopOrdersService",
        "PostStopOrder",
        {"x-ratelimit-remaining": "2", "x-ratelimit-reset": "32"},
    )
    assert bucket.server_reset_at == first  # a later bound of the same window
    limiter.observe(
        "StopOrdersService",
        "PostStopOrder",
        {"x-ratelimit-remaining": "50", "x-ratelimit-reset": "60"},
    )
    assert bucket.server_reset_at > first  # a new window replaces it
