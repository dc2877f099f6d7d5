import asyncio
from decimal import Decimal

import httpx
import pytest

from bot.broker.client import TInvestClient
from bot.broker.ratelimit import RateLimiter, parse_limit_header
from bot.broker.types import OrderDirection
from tests.bot.broker.fakes import FakeBroker, config, error

TIME_SCALE = 0.004  # a broker minute lasts 0.24 s


def max_in_any_window(times: list[float], window: float) -> int:
    times = sorted(times)
    best = 0
    j = 0
    for i, t in enumerate(times):
        while times[j] <= t - window:
            j += 1
        best = max(best, i - j + 1)
    return best


async def test_concurrent_callers_never_exceed_the_budget() -> None:
    limiter = RateLimiter(scale=0.1, time_scale=TIME_SCALE, global_per_second=None, safety_margin=0)
    starts: list[float] = []
    loop = asyncio.get_running_loop()

    async def caller(n: int) -> None:
        for _ in range(n):
            await limiter.acquire("OrdersService", "PostOrder")
            starts.append(loop.time())

    await asyncio.wait_for(asyncio.gather(*(caller(3) for _ in range(50))), timeout=30)
    assert len(starts) == 150
    limit = 30  # 300 per minute x scale 0.1
    window = 60 * TIME_SCALE
    assert max_in_any_window(starts, window) <= limit
    # and the budget is actually used: the first window is full
    assert max_in_any_window(starts, window) == limit


async def test_buckets_are_per_method_and_per_service() -> None:
    limiter = RateLimiter()
    assert limiter.key("OrdersService", "PostOrder") == "OrdersService/PostOrder"
    assert limiter.key("OrdersService", "GetOrderState") == "OrdersService"
    assert limiter.key("OrdersService", "GetMaxLots") == "OrdersService"
    assert limiter.bucket("OrdersService", "PostOrder").limit == 300
    assert limiter.bucket("OrdersService", "CancelOrder").limit == 100
    assert limiter.bucket("OrdersService", "GetOrders").limit == 200
    assert limiter.bucket("StopOrdersService", "PostStopOrder").limit == 50
    assert limiter.bucket("MarketDataService", "GetOrderBook").limit == 600
    half = RateLimiter(scale=0.5)
    assert half.bucket("OrdersService", "PostOrder").limit == 150


async def test_waiters_are_served_in_arrival_order() -> None:
    limiter = RateLimiter(
        scale=2 / 300, time_scale=TIME_SCALE, global_per_second=None, safety_margin=0
    )  # 2 per window
    order: list[int] = []

    async def caller(k: int) -> None:
        await limiter.acquire("OrdersService", "PostOrder")
        order.append(k)

    tasks = []
    for k in range(8):
        tasks.append(asyncio.create_task(caller(k)))
        await asyncio.sleep(0)  # arrive in this order
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=30)
    assert order == list(range(8))


async def test_a_cancelled_waiter_does_not_block_the_others() -> None:
    limiter = RateLimiter(scale=1 / 300, time_scale=TIME_SCALE, global_per_second=None)
    await limiter.acquire("OrdersService", "PostOrder")
    stuck = asyncio.create_task(limiter.acquire("OrdersService", "PostOrder"))
    other = asyncio.create_task(limiter.acquire("OrdersService", "PostOrder"))
    await asyncio.sleep(0)
    stuck.cancel()
    await asyncio.wait_for(other, timeout=30)
    assert stuck.cancelled()


def test_limit_header_forms() -> None:
    assert parse_limit_header("300, 300;w=60") == (300, 60.0)
    assert parse_limit_header("2, 2;w=1") == (2, 1.0)
    assert parse_limit_header("120") == (120, None)
    assert parse_limit_header("nonsense") is None


async def test_headers_adjust_the_bucket() -> None:
    limiter = RateLimiter(time_scale=TIME_SCALE, global_per_second=None, safety_margin=0)
    limiter.observe(
        "OrdersService", "PostOrder", {"Grpc-Metadata-X-Ratelimit-Limit": "120, 120;w=60"}
    )
    assert limiter.bucket("OrdersService", "PostOrder").limit == 120
    # the server says nothing is left for 30 s: the next caller waits for the reset
    waits: list[tuple[str, float]] = []
    limiter.on_wait = lambda method, seconds: waits.append((method, seconds))
    limiter.report_threshold = 0
    limiter.observe(
        "OrdersService", "PostOrder", {"X-RateLimit-Remaining": "0", "x-ratelimit-reset": "30"}
    )
    waited = await limiter.acquire("OrdersService", "PostOrder")
    assert waited >= 30 * TIME_SCALE * 0.99
    assert waits and waits[0][0] == "OrdersService/PostOrder" and 29 <= waits[0][1] <= 31


async def test_tariff_replaces_documented_limits() -> None:
    limiter = RateLimiter()
    limiter.apply_tariff(
        [
            (
                50,
                [
                    "tinkoff.public.invest.api.contract.v1.OrdersService/PostOrder",
                    "tinkoff.public.invest.api.contract.v1.OrdersService/CancelOrder",
                ],
            ),
        ]
    )
    assert limiter.key("OrdersService", "PostOrder") == limiter.key("OrdersService", "CancelOrder")
    assert limiter.bucket("OrdersService", "PostOrder").limit == 50
    limiter.apply_tariff([(77, ["tinkoff.public.invest.api.contract.v1.OrdersService/*"])])
    assert limiter.bucket("OrdersService", "GetOrderState").limit == 77
    assert limiter.bucket("OrdersService", "PostOrder").limit == 50
    assert limiter.bucket("OrdersService", "GetOrders").limit == 200  # its own documented line


async def test_429_waits_for_the_reset_then_retries_and_reports() -> None:
    broker = FakeBroker()
    loop = asyncio.get_running_loop()
    sent_at: list[float] = []

    def post(body: dict, request: httpx.Request) -> httpx.Response:
        sent_at.append(loop.time())
        if len(sent_at) == 1:
            return error(
                429, 8, "80002", "", **{"x-ratelimit-reset": "20", "x-ratelimit-remaining": "0"}
            )
        return httpx.Response(
            200,
            json={
                "orderId": "e",
                "orderRequestId": body["orderId"],
                "executionReportStatus": "EXECUTION_REPORT_STATUS_NEW",
            },
        )

    broker.on("OrdersService/PostOrder", post)
    waits: list[tuple[str, float]] = []
    client = TInvestClient(
        config(rate_limit_time_scale=TIME_SCALE, rate_limit_report_threshold=1.0),
        http_transport=broker.transport(),
        on_rate_limit_wait=lambda method, s: waits.append((method, s)),
    )
    key = client.new_order_id()
    res = await client.post_order(
        instrument_id="u", lots=1, direction=OrderDirection.BUY, price=Decimal(1), order_id=key
    )
    await client.close()
    assert res.request_id == key
    assert [s.body["orderId"] for s in broker.sent] == [key, key]
    assert sent_at[1] - sent_at[0] >= 20 * TIME_SCALE
    assert waits and waits[0][0] == "OrdersService/PostOrder" and waits[0][1] >= 19
    assert client.stats["rate_limited"] == 1


async def test_429_blocks_other_callers_too() -> None:
    limiter = RateLimiter(time_scale=TIME_SCALE, global_per_second=None)
    limiter.block("OrdersService", "PostOrder", 25)
    waited = await asyncio.gather(
        *(limiter.acquire("OrdersService", "PostOrder") for _ in range(5))
    )
    assert all(w >= 25 * TIME_SCALE * 0.99 for w in waited), waited


def test_scales_must_be_positive() -> None:
    with pytest.raises(ValueError):
        RateLimiter(scale=0)


async def test_mixed_methods_blocks_and_cancellations_all_finish_within_budget(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import random

    from bot.broker.ratelimit import Bucket

    # the limiter's own grant times: a loaded machine may run a caller late after its grant,
    # which says nothing about the budget the limiter kept
    granted: dict[str, tuple[Bucket, list[float]]] = {}
    record = Bucket.record

    def spy(self: Bucket, now: float) -> None:
        granted.setdefault(self.name, (self, []))[1].append(now)
        record(self, now)

    monkeypatch.setattr(Bucket, "record", spy)

    rng = random.Random(7)
    limiter = RateLimiter(scale=0.05, time_scale=TIME_SCALE, global_per_second=50, safety_margin=0)
    methods = [
        ("OrdersService", "PostOrder"),
        ("OrdersService", "CancelOrder"),
        ("OrdersService", "GetOrderState"),
        ("StopOrdersService", "PostStopOrder"),
        ("MarketDataService", "GetOrderBook"),
    ]
    starts: dict[str, list[float]] = {}
    loop = asyncio.get_running_loop()

    async def caller(k: int) -> None:
        for _ in range(4):
            service, method = rng.choice(methods)
            if rng.random() < 0.05:
                limiter.block(service, method, 5)
            await limiter.acquire(service, method)
            starts.setdefault(limiter.key(service, method), []).append(loop.time())

    tasks = [asyncio.create_task(caller(k)) for k in range(40)]
    victims = tasks[::7]
    await asyncio.sleep(0)
    for t in victims:
        t.cancel()
    await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), timeout=60)
    assert all(t.done() for t in tasks)
    assert set(starts) <= set(granted)
    for key, (bucket, times) in granted.items():
        assert max_in_any_window(times, bucket.window) <= bucket.limit, (key, bucket.limit)
