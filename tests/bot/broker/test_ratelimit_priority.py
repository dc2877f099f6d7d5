"""Order calls go first in the shared global bucket: a burst of market-data polling (e.g. order
books of many spreads) must not hold back placing, cancelling or checking an order."""

import asyncio

from bot.broker.ratelimit import RateLimiter

TIME_SCALE = 0.004  # a broker second lasts 4 ms


def limiter() -> RateLimiter:
    # 5 requests per (scaled) second in total; GetOrderBook's own budget (600/min) lets a whole
    # burst through to the global bucket at once
    return RateLimiter(time_scale=TIME_SCALE, global_per_second=5, safety_margin=0)


async def test_orders_waiting_behind_a_burst_of_book_polls_go_first() -> None:
    rl = limiter()
    served: list[str] = []
    served_before: dict[str, int] = {}  # polls already through when each order call arrived

    async def call(service: str, method: str) -> None:
        if service == "OrdersService":
            served_before[method] = len(served)
        await rl.acquire(service, method)
        served.append(method)

    polls = [asyncio.create_task(call("MarketDataService", "GetOrderBook")) for _ in range(100)]
    await asyncio.sleep(0)  # the polls are queued first
    methods = ("PostOrder", "CancelOrder", "GetOrderState")
    orders = []
    for method in methods:
        orders.append(asyncio.create_task(call("OrdersService", method)))
        await asyncio.sleep(0)  # arrive in this order
    await asyncio.wait_for(asyncio.gather(*polls, *orders), timeout=30)
    assert len(served) == 103
    assert served_before["PostOrder"] < 50, "the burst was not queued when the orders came"
    # each order call waits for the one poll holding the bucket and the order calls before it
    for k, method in enumerate(methods):
        assert served.index(method) <= served_before[method] + 1 + k, (method, served[:20])


async def test_polls_keep_their_order_and_an_order_passes_only_the_queued_ones() -> None:
    rl = limiter()
    served: list[str] = []
    before = 0

    async def call(service: str, method: str, tag: str) -> None:
        nonlocal before
        if tag == "order":
            before = len(served)
        await rl.acquire(service, method)
        served.append(tag)

    tasks = []
    for k in range(12):
        tasks.append(asyncio.create_task(call("MarketDataService", "GetOrderBook", f"book{k}")))
        await asyncio.sleep(0)
    tasks.append(asyncio.create_task(call("OrdersService", "PostOrder", "order")))
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=30)
    books = [tag for tag in served if tag.startswith("book")]
    assert books == [f"book{k}" for k in range(12)]  # FIFO among market-data calls
    assert before < 11, "no poll was waiting when the order came"
    assert served.index("order") <= before + 1, served


async def test_a_cancelled_waiter_in_the_global_queue_does_not_block_the_others() -> None:
    rl = RateLimiter(time_scale=TIME_SCALE, global_per_second=1, safety_margin=0)
    await rl.acquire("MarketDataService", "GetOrderBook")  # the global window is now full
    holder = asyncio.create_task(rl.acquire("MarketDataService", "GetOrderBook"))
    await asyncio.sleep(0)
    stuck = asyncio.create_task(rl.acquire("OrdersService", "PostOrder"))
    other = asyncio.create_task(rl.acquire("MarketDataService", "GetLastPrices"))
    await asyncio.sleep(0)
    stuck.cancel()
    await asyncio.wait_for(asyncio.gather(holder, other), timeout=30)
    assert stuck.cancelled()
    await asyncio.wait_for(rl.acquire("OrdersService", "PostOrder"), timeout=30)
