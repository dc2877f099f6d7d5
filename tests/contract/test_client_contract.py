"""Every request the broker client sends validates against the official T-Invest contract
(../shared/tinvest/openapi.yaml and asyncapi.yaml); skipped with a message when it is absent."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from bot.broker.client import TInvestClient
from bot.broker.config import BrokerConfig
from bot.broker.stream import StreamSettings
from bot.broker.types import (
    OrderDirection,
    OrderStatus,
    PriceType,
    StopOrderExpiration,
    StopOrderStatus,
    StopOrderType,
    TimeInForce,
)
from tests.contract.schema import requires_contract, validate_request, validate_stream_message
from tests.support.sim import DEFAULT_START, SimHandle, running_simulator

pytestmark = [pytest.mark.contract, requires_contract]

PREFIX = "/rest/tinkoff.public.invest.api.contract.v1."

# Every unary method the client implements.
CLIENT_METHODS = {
    "UsersService/GetAccounts",
    "UsersService/GetMarginAttributes",
    "UsersService/GetUserTariff",
    "InstrumentsService/Shares",
    "InstrumentsService/Futures",
    "InstrumentsService/ShareBy",
    "InstrumentsService/FutureBy",
    "InstrumentsService/GetInstrumentBy",
    "InstrumentsService/GetFuturesMargin",
    "InstrumentsService/GetDividends",
    "InstrumentsService/TradingSchedules",
    "MarketDataService/GetLastPrices",
    "MarketDataService/GetOrderBook",
    "MarketDataService/GetTradingStatus",
    "MarketDataService/GetTradingStatuses",
    "OrdersService/PostOrder",
    "OrdersService/CancelOrder",
    "OrdersService/GetOrderState",
    "OrdersService/GetOrders",
    "OrdersService/GetMaxLots",
    "StopOrdersService/PostStopOrder",
    "StopOrdersService/GetStopOrders",
    "StopOrdersService/CancelStopOrder",
    "OperationsService/GetPortfolio",
    "OperationsService/GetPositions",
    "SandboxService/OpenSandboxAccount",
    "SandboxService/GetSandboxAccounts",
    "SandboxService/SandboxPayIn",
}


class Recorder(httpx.AsyncBaseTransport):
    """Passes requests to the network transport and keeps (service/method, JSON body)."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.requests: list[tuple[str, Any]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        assert path.startswith(PREFIX), path
        self.requests.append((path[len(PREFIX) :], json.loads(request.content or b"{}")))
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.fixture
async def sim() -> AsyncIterator[SimHandle]:
    async with running_simulator() as handle:
        yield handle


async def test_every_request_matches_the_contract(sim: SimHandle) -> None:
    recorder = Recorder()
    cfg = BrokerConfig(
        token=sim.token, account_id=sim.account_id, rest_url=sim.rest_url, ws_url=sim.ws_url
    )
    async with TInvestClient(cfg, http_transport=recorder) as c:
        await c.get_accounts()
        await c.get_margin_attributes()
        await c.get_user_tariff()
        await c.shares()
        futures = await c.futures()
        sber = await c.share_by(ticker="SBER", class_code="TQBR")
        await c.share_by(figi=sber.figi)
        fut = next(f for f in futures if f.basic_asset == "SBER")
        await c.future_by(uid=fut.uid)
        await c.get_instrument_by(uid=sber.uid)
        await c.get_futures_margin(fut.uid)
        await c.get_dividends(sber.uid, DEFAULT_START - timedelta(days=365), DEFAULT_START)
        await c.trading_schedules("MOEX", DEFAULT_START, DEFAULT_START + timedelta(days=2))
        await c.get_last_prices([sber.uid, fut.uid])
        book = await c.get_order_book(sber.uid, 10)
        await c.get_trading_status(sber.uid)
        await c.get_trading_statuses([sber.uid, fut.uid])
        assert book.best_bid is not None
        res = await c.post_order(
            instrument_id=sber.uid,
            lots=1,
            direction=OrderDirection.BUY,
            price=book.best_bid - Decimal("0.5"),
            order_id=c.new_order_id(),
            time_in_force=TimeInForce.DAY,
            price_type=PriceType.CURRENCY,
        )
        await c.get_order_state(res.order_id, price_type=PriceType.CURRENCY)
        await c.get_order_state_by_request_id(res.request_id)
        await c.get_orders()
        await c.get_orders(statuses=[OrderStatus.NEW, OrderStatus.PARTIALLY_FILLED])
        await c.cancel_order(res.order_id)
        await c.get_max_lots(sber.uid, book.best_bid)
        stop = await c.post_stop_order(
            instrument_id=sber.uid,
            lots=1,
            direction=OrderDirection.SELL,
            stop_order_type=StopOrderType.STOP_LIMIT,
            stop_price=book.best_bid * 2,
            price=book.best_bid * 2,
            expiration=StopOrderExpiration.GOOD_TILL_DATE,
            expire_at=datetime(2026, 3, 20, tzinfo=UTC),
            order_id=c.new_order_id(),
        )
        await c.get_stop_orders(StopOrderStatus.ALL)
        await c.cancel_stop_order(stop.stop_order_id)
        await c.get_portfolio()
        await c.get_positions()
        # a negative price and a market order (no price) are encoded per the contract too
        await c.get_max_lots(fut.uid, Decimal("-0.05"))
        new_account = await c.open_sandbox_account("contract")
        await c.get_sandbox_accounts()
        await c.sandbox_pay_in(Decimal("1000.50"), account_id=new_account)
    await recorder.aclose()

    seen = {name for name, _ in recorder.requests}
    assert seen >= CLIENT_METHODS, f"not exercised: {sorted(CLIENT_METHODS - seen)}"
    failures = []
    for name, body in recorder.requests:
        service, method = name.split("/")
        try:
            validate_request(service, method, body)
        except AssertionError as exc:
            failures.append(f"{name}: {exc}\n  body: {body}")
    assert not failures, "\n".join(failures)


async def test_stream_requests_match_the_contract(sim: SimHandle) -> None:
    cfg = BrokerConfig(
        token=sim.token, account_id=sim.account_id, rest_url=sim.rest_url, ws_url=sim.ws_url
    )
    sent: dict[str, list[dict[str, Any]]] = {"MarketDataStream": [], "OrderStateStream": []}
    async with TInvestClient(cfg, stream_settings=StreamSettings(backoff_initial=0.01)) as c:
        sber = await c.share_by(ticker="SBER", class_code="TQBR")
        market = c.market_stream
        orders = c.order_state_stream()
        for stream, name in ((market, "MarketDataStream"), (orders, "OrderStateStream")):
            original = stream._send

            async def recording(msg: dict[str, Any], _o: Any = original, _n: str = name) -> None:
                sent[_n].append(msg)
                await _o(msg)

            stream._send = recording  # type: ignore[method-assign]
        books = market.subscribe_order_book(sber.uid, 10)
        prices = market.subscribe_last_price(sber.uid)
        await asyncio.wait_for(anext(books), 10)
        await asyncio.wait_for(anext(prices), 10)
        orders.start()
        await asyncio.wait_for(orders.wait_connected(), 10)
        books.close()
        prices.close()
        loop = asyncio.get_running_loop()
        end = loop.time() + 10
        while sum("subscribeLastPriceRequest" in m for m in sent["MarketDataStream"]) < 2:
            assert loop.time() < end, sent
            await asyncio.sleep(0.01)
    assert sent["MarketDataStream"] and sent["OrderStateStream"]
    for name, messages in sent.items():
        for msg in messages:
            validate_stream_message(name, msg, from_server=False)
