"""The real client against the real simulator (in-process, random loopback port)."""

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal

import pytest

from bot.broker.client import TInvestClient
from bot.broker.config import BrokerConfig, RetryPolicy, Timeouts
from bot.broker.errors import NotFound, OrderOutcomeUnknown, OrderRejected
from bot.broker.stream import StreamSettings
from bot.broker.types import (
    InstrumentKind,
    OrderDirection,
    OrderStatus,
    StopOrderDirection,
    StopOrderStatus,
    StopOrderType,
    TradingStatusCode,
)
from tests.support.sim import DEFAULT_START, SimHandle, running_simulator

FAST = StreamSettings(backoff_initial=0.01, backoff_max=0.05, poll_interval=0.02)


def make_config(sim: SimHandle, **kw: object) -> BrokerConfig:
    base: dict = {
        "token": sim.token,
        "account_id": sim.account_id,
        "rest_url": sim.rest_url,
        "ws_url": sim.ws_url,
        "retry": RetryPolicy(attempts=3, backoff_initial=0.01, backoff_max=0.02),
        "timeouts": Timeouts(read=5, order=5),
    }
    base.update(kw)
    return BrokerConfig(**base)


@pytest.fixture
async def sim() -> AsyncIterator[SimHandle]:
    async with running_simulator() as handle:
        yield handle


@pytest.fixture
async def client(sim: SimHandle) -> AsyncIterator[TInvestClient]:
    c = TInvestClient(make_config(sim), stream_settings=FAST)
    yield c
    await c.close()


async def orders_with_key(sim: SimHandle, key: str) -> list[dict]:
    return [o for o in (await sim.orders())["orders"] if o["requestId"] == key]


async def test_catalogue_and_market_data(client: TInvestClient) -> None:
    (acc,) = await client.get_accounts()
    assert acc.id == "sim-account-1" and acc.can_trade
    shares = await client.shares()
    futures = await client.futures()
    assert shares and futures and all(f.kind is InstrumentKind.FUTURES for f in futures)
    sber = await client.share_by(ticker="SBER", class_code="TQBR")
    assert sber.lot == 10 and sber.min_price_increment == Decimal("0.01")
    assert sber.uid in {s.uid for s in shares}
    same = await client.get_instrument_by(uid=sber.uid)
    assert same.ticker == "SBER" and same.kind is InstrumentKind.SHARE
    fut = next(f for f in futures if f.basic_asset == "SBER")
    assert (await client.future_by(figi=fut.figi)).uid == fut.uid
    margin = await client.get_futures_margin(fut.uid)
    assert margin.min_price_increment > 0 and margin.min_price_increment_amount > 0
    book = await client.get_order_book(sber.uid, 10)
    assert book.best_bid is not None and book.best_ask is not None
    assert book.best_bid < book.best_ask and len(book.bids) <= 10
    prices = await client.get_last_prices([sber.uid, fut.uid])
    assert {p.instrument_uid for p in prices} == {sber.uid, fut.uid}
    status = await client.get_trading_status(sber.uid)
    assert status.status is TradingStatusCode.NORMAL_TRADING and status.can_place_limit
    statuses = await client.get_trading_statuses([sber.uid, fut.uid])
    assert len(statuses) == 2
    schedules = await client.trading_schedules(
        "MOEX", DEFAULT_START, DEFAULT_START + timedelta(days=3)
    )
    assert schedules and any(d.is_trading_day for s in schedules for d in s.days)
    await client.get_dividends(sber.uid, DEFAULT_START - timedelta(days=365), DEFAULT_START)
    tariff = await client.get_user_tariff(apply_limits=True)
    assert any(u.limit_per_minute == 300 for u in tariff.unary_limits)
    assert client.limiter.bucket("OrdersService", "PostOrder").limit == 300


async def test_order_lifecycle(sim: SimHandle, client: TInvestClient) -> None:
    sber = await client.share_by(ticker="SBER", class_code="TQBR")
    book = await client.get_order_book(sber.uid, 1)
    assert book.best_bid is not None
    price = book.best_bid - Decimal("1.00")
    key = client.new_order_id()
    res = await client.post_order(
        instrument_id=sber.uid, lots=2, direction=OrderDirection.BUY, price=price, order_id=key
    )
    assert res.request_id == key and res.status is OrderStatus.NEW and res.lots_requested == 2
    state = await client.get_order_state(res.order_id)
    assert state.is_active and state.request_id == key
    assert (await client.get_order_state_by_request_id(key)).order_id == res.order_id
    assert res.order_id in {o.order_id for o in await client.get_orders()}
    await client.cancel_order(res.order_id)
    assert (await client.get_order_state(res.order_id)).status is OrderStatus.CANCELLED
    # a marketable order fills and reports its trades
    key2 = client.new_order_id()
    ask = (await client.get_order_book(sber.uid, 1)).best_ask
    assert ask is not None
    filled = await client.post_order(
        instrument_id=sber.uid, lots=1, direction=OrderDirection.BUY, price=ask, order_id=key2
    )
    state2 = await client.get_order_state(filled.order_id)
    assert state2.status is OrderStatus.FILL and state2.lots_executed == 1
    assert state2.trades and state2.trades[0].trade_id and state2.trades[0].price == ask
    positions = await client.get_positions()
    assert positions.balance(sber.uid) == 10  # one lot of 10 shares
    portfolio = await client.get_portfolio()
    pos = portfolio.position(sber.uid)
    assert pos is not None and pos.quantity == 10
    attrs = await client.get_margin_attributes()
    assert attrs.liquid_portfolio is not None
    await client.get_max_lots(sber.uid, ask)


async def test_rejection_is_typed(client: TInvestClient) -> None:
    sber = await client.share_by(ticker="SBER", class_code="TQBR")
    with pytest.raises(OrderRejected) as err:
        await client.post_order(
            instrument_id=sber.uid,
            lots=1,
            direction=OrderDirection.BUY,
            price=Decimal("250.001"),
            order_id=client.new_order_id(),
        )
    assert err.value.api_code is not None and err.value.user_message().startswith("Broker: ")
    with pytest.raises(NotFound):
        await client.get_order_book("no-such-instrument", 10)


async def test_stop_orders(client: TInvestClient) -> None:
    sber = await client.share_by(ticker="SBER", class_code="TQBR")
    last = (await client.get_last_prices([sber.uid]))[0].price
    stop_price = (last * Decimal("0.8")).quantize(Decimal("0.01"))
    res = await client.post_stop_order(
        instrument_id=sber.uid,
        lots=1,
        direction=OrderDirection.BUY,
        stop_order_type=StopOrderType.TAKE_PROFIT,
        stop_price=stop_price,
        order_id=client.new_order_id(),
    )
    active = await client.get_stop_orders()
    mine = [s for s in active if s.stop_order_id == res.stop_order_id]
    assert mine and mine[0].stop_price == stop_price
    assert mine[0].direction is StopOrderDirection.BUY and mine[0].status is StopOrderStatus.ACTIVE
    await client.cancel_stop_order(res.stop_order_id)
    assert res.stop_order_id not in {s.stop_order_id for s in await client.get_stop_orders()}


@pytest.mark.parametrize("mode", ["close", "504"])
async def test_lost_post_order_response_resolves_to_exactly_one_order(
    sim: SimHandle, client: TInvestClient, mode: str
) -> None:
    sber = await client.share_by(ticker="SBER", class_code="TQBR")
    await sim.faults(losePostOrder=1, loseMode=mode)
    key = client.new_order_id()
    res = await client.post_order(
        instrument_id=sber.uid,
        lots=1,
        direction=OrderDirection.BUY,
        price=Decimal("200"),
        order_id=key,
    )
    assert res.request_id == key
    placed = await orders_with_key(sim, key)
    assert len(placed) == 1, placed
    assert placed[0]["orderId"] == res.order_id


async def test_outcome_unknown_then_resolved_by_request_id(
    sim: SimHandle, client: TInvestClient
) -> None:
    sber = await client.share_by(ticker="SBER", class_code="TQBR")
    await sim.faults(losePostOrder=10, loseMode="close")
    key = client.new_order_id()
    with pytest.raises(OrderOutcomeUnknown) as err:
        await client.post_order(
            instrument_id=sber.uid,
            lots=1,
            direction=OrderDirection.BUY,
            price=Decimal("200"),
            order_id=key,
        )
    assert err.value.request_id == key
    await sim.faults(clear=True)
    state = await client.resolve_order(key)
    assert state is not None and state.request_id == key
    assert len(await orders_with_key(sim, key)) == 1
    assert await client.resolve_order(client.new_order_id()) is None


async def test_429_waits_for_the_reset() -> None:
    async with running_simulator(rate_scale=0.02) as limited:  # PostOrder: 6 per minute
        waits: list[tuple[str, float]] = []
        advanced: list[asyncio.Task] = []

        def on_wait(method: str, seconds: float) -> None:
            waits.append((method, seconds))
            # the simulator's clock is frozen: move it past the window so the reset arrives
            advanced.append(asyncio.ensure_future(limited.advance_clock(61)))

        c = TInvestClient(
            make_config(limited, rate_limit_time_scale=0.001), on_rate_limit_wait=on_wait
        )
        sber = await c.share_by(ticker="SBER", class_code="TQBR")
        # another app with the same token uses up the PostOrder budget
        for _ in range(6):
            await limited.ok(
                "OrdersService",
                "PostOrder",
                {
                    "instrumentId": sber.uid,
                    "quantity": "1",
                    "direction": "ORDER_DIRECTION_BUY",
                    "accountId": limited.account_id,
                    "orderType": "ORDER_TYPE_LIMIT",
                    "orderId": c.new_order_id(),
                    "price": {"units": "200", "nano": 0},
                },
            )
        key = c.new_order_id()
        res = await c.post_order(
            instrument_id=sber.uid,
            lots=1,
            direction=OrderDirection.BUY,
            price=Decimal("200"),
            order_id=key,
        )
        await c.close()
        await asyncio.gather(*advanced)
        assert res.request_id == key
        assert c.stats["rate_limited"] == 1
        assert waits and waits[0][0] == "OrdersService/PostOrder" and waits[0][1] >= 1
        counts = Counter(o["requestId"] for o in (await limited.orders())["orders"])
        assert counts[key] == 1 and len(counts) == 7


async def test_client_paces_itself_to_the_server_limit() -> None:
    async with running_simulator(rate_scale=0.02) as limited:  # PostOrder: 6 per minute
        advanced: list[asyncio.Task] = []

        def on_wait(method: str, seconds: float) -> None:
            advanced.append(asyncio.ensure_future(limited.advance_clock(61)))

        c = TInvestClient(
            make_config(limited, rate_limit_time_scale=0.001, rate_limit_report_threshold=0),
            on_rate_limit_wait=on_wait,
        )
        sber = await c.share_by(ticker="SBER", class_code="TQBR")
        keys = [c.new_order_id() for _ in range(8)]
        for key in keys:
            await c.post_order(
                instrument_id=sber.uid,
                lots=1,
                direction=OrderDirection.BUY,
                price=Decimal("200"),
                order_id=key,
            )
        await c.close()
        await asyncio.gather(*advanced)
        # the limit header taught the client 6/min: it waited instead of being refused
        assert c.stats["rate_limited"] == 0 and advanced
        counts = Counter(o["requestId"] for o in (await limited.orders())["orders"])
        assert all(counts[k] == 1 for k in keys), counts


async def test_stream_against_the_simulator(sim: SimHandle, client: TInvestClient) -> None:
    sber = await client.share_by(ticker="SBER", class_code="TQBR")
    it = client.order_book_stream(sber.uid, 10)
    first = await asyncio.wait_for(anext(it), 10)
    assert first.best_bid is not None
    await sim.set_book(sber.uid, [("240.00", 5)], [("240.10", 7)], last_price="240.05")
    book = await asyncio.wait_for(anext(it), 10)
    while book.best_bid != Decimal("240.00"):
        book = await asyncio.wait_for(anext(it), 10)
    assert book.best_ask == Decimal("240.10") and book.asks[0].lots == 7
    stream = client.market_stream
    await sim.faults(disconnectStreams=True)
    loop = asyncio.get_running_loop()
    end = loop.time() + 10
    while stream.connects < 2 or stream.mode != "stream":
        assert loop.time() < end, "no reconnect"
        await asyncio.sleep(0.01)
    await sim.set_book(sber.uid, [("241.00", 5)], [("241.10", 7)], last_price="241.05")
    book = await asyncio.wait_for(anext(it), 10)
    while book.best_bid != Decimal("241.00"):
        book = await asyncio.wait_for(anext(it), 10)
    await it.aclose()


async def test_order_state_stream_reports_fills(sim: SimHandle, client: TInvestClient) -> None:
    sber = await client.share_by(ticker="SBER", class_code="TQBR")
    stream = client.order_state_stream()
    it = aiter(stream)
    await stream.wait_connected()
    ask = (await client.get_order_book(sber.uid, 1)).best_ask
    assert ask is not None
    key = client.new_order_id()
    await client.post_order(
        instrument_id=sber.uid, lots=1, direction=OrderDirection.BUY, price=ask, order_id=key
    )
    state = await asyncio.wait_for(anext(it), 10)
    while state.request_id != key or state.status is not OrderStatus.FILL:
        state = await asyncio.wait_for(anext(it), 10)
    assert state.trades and sum(t.quantity for t in state.trades) == 1


async def test_sandbox_accounts(client: TInvestClient) -> None:
    new_id = await client.open_sandbox_account("second")
    assert new_id in {a.id for a in await client.get_sandbox_accounts()}
    balance = await client.sandbox_pay_in(Decimal("1000.50"), account_id=new_id)
    assert balance is not None and balance.currency == "RUB"
    positions = await client.get_positions(account_id=new_id)
    assert positions.money_in("RUB") == balance.amount
