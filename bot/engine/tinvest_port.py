"""BrokerPort over the real broker client (bot.broker.TInvestClient): T-Invest or the simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from decimal import Decimal
from typing import Any

from bot.broker.client import TInvestClient
from bot.broker.types import (
    Account,
    Dividend,
    Instrument,
    LastPrice,
    MarginAttributes,
    OrderBook,
    OrderDirection,
    OrderState,
    Portfolio,
    Positions,
    PostOrderResult,
    StopOrder,
    StopOrderDirection,
    StopOrderExpiration,
    StopOrderStatus,
    StopOrderType,
    TradingSchedule,
)
from bot.engine.broker_port import BrokerPort
from bot.engine.events import Direction

#: GetLastPrices takes up to 3000 instruments per request (API error 30218 beyond).
LAST_PRICES_PER_REQUEST = 3000


class TInvestPort(BrokerPort):
    def __init__(self, client: TInvestClient) -> None:
        self.client = client

    async def accounts(self) -> list[Account]:
        return await self.client.get_accounts()

    async def post_limit_order(
        self,
        *,
        account_id: str,
        instrument_id: str,
        direction: Direction,
        lots: int,
        price: Decimal,
        request_id: str,
    ) -> PostOrderResult:
        return await self.client.post_order(
            instrument_id=instrument_id,
            lots=lots,
            direction=OrderDirection.from_side(direction),
            order_id=request_id,
            price=price,
            account_id=account_id,
        )

    async def cancel_order(self, *, account_id: str, order_id: str) -> None:
        await self.client.cancel_order(order_id, account_id=account_id)

    async def cancel_order_by_request_id(self, *, account_id: str, request_id: str) -> None:
        await self.client.cancel_order(request_id, account_id=account_id, by_request_id=True)

    async def order_state(self, *, account_id: str, order_id: str) -> OrderState:
        return await self.client.get_order_state(order_id, account_id=account_id)

    async def resolve_order(self, *, account_id: str, request_id: str) -> OrderState | None:
        state = await self.client.resolve_order(request_id, account_id=account_id)
        if state is not None:
            return state
        for active in await self.client.get_orders(account_id=account_id):
            if active.request_id == request_id:
                return active
        return None

    async def active_orders(self, *, account_id: str) -> list[OrderState]:
        return await self.client.get_orders(account_id=account_id)

    async def order_book(self, instrument_id: str, depth: int = 10) -> OrderBook:
        return await self.client.get_order_book(instrument_id, depth)

    async def positions(self, *, account_id: str) -> Positions:
        return await self.client.get_positions(account_id=account_id)

    async def trading_schedules(
        self, exchange: str, start: datetime, end: datetime
    ) -> list[TradingSchedule]:
        return await self.client.trading_schedules(exchange, start, end)

    async def instruments(self) -> list[Instrument]:
        return [*(await self.client.shares()), *(await self.client.futures())]

    async def shares(self) -> list[Instrument]:
        return await self.client.shares()

    async def futures(self) -> list[Instrument]:
        return await self.client.futures()

    async def last_prices(self, instrument_ids: list[str]) -> list[LastPrice]:
        return await self.client.get_last_prices(instrument_ids, chunk=LAST_PRICES_PER_REQUEST)

    async def dividends(self, instrument_id: str, start: datetime, end: datetime) -> list[Dividend]:
        return await self.client.get_dividends(instrument_id, start, end)

    async def post_stop_order(
        self,
        *,
        account_id: str,
        instrument_id: str,
        direction: Direction,
        stop_type: StopOrderType,
        lots: int,
        stop_price: Decimal,
        expire_at: datetime | None,
        request_id: str,
        price: Decimal | None = None,
    ) -> str:
        result = await self.client.post_stop_order(
            instrument_id=instrument_id,
            lots=lots,
            direction=StopOrderDirection.BUY if direction == "buy" else StopOrderDirection.SELL,
            stop_order_type=stop_type,
            stop_price=stop_price,
            price=price,
            order_id=request_id,
            expiration=(
                StopOrderExpiration.GOOD_TILL_DATE
                if expire_at is not None
                else StopOrderExpiration.GOOD_TILL_CANCEL
            ),
            expire_at=expire_at,
            account_id=account_id,
        )
        return result.stop_order_id

    async def stop_orders(
        self,
        *,
        account_id: str,
        status: StopOrderStatus = StopOrderStatus.ACTIVE,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> list[StopOrder]:
        return await self.client.get_stop_orders(
            status, account_id=account_id, start=start, end=end
        )

    async def cancel_stop_order(self, *, account_id: str, stop_order_id: str) -> None:
        await self.client.cancel_stop_order(stop_order_id, account_id=account_id)

    @property
    def has_book_stream(self) -> bool:
        return callable(getattr(self.client, "order_book_stream", None))

    def order_book_stream(self, instrument_id: str, depth: int = 10) -> AsyncIterator[OrderBook]:
        stream: Any = getattr(self.client, "order_book_stream", None)
        if stream is None:
            raise NotImplementedError
        result: AsyncIterator[OrderBook] = stream(instrument_id, depth)
        return result

    @property
    def has_order_stream(self) -> bool:
        return callable(getattr(self.client, "order_state_stream", None))

    async def order_states(self, account_id: str) -> AsyncIterator[OrderState]:
        stream = self.client.order_state_stream(account_id)
        try:
            async for state in stream:
                yield state
        finally:
            await stream.close()

    async def portfolio(self, *, account_id: str) -> Portfolio:
        return await self.client.get_portfolio(account_id=account_id)

    async def margin_attributes(self, *, account_id: str) -> MarginAttributes:
        return await self.client.get_margin_attributes(account_id)

    async def active_stop_orders(self, *, account_id: str) -> list[StopOrder]:
        return await self.client.get_stop_orders(account_id=account_id)

    async def instrument_by_uid(self, uid: str) -> Instrument:
        return await self.client.get_instrument_by(uid=uid)

    async def close(self) -> None:
        await self.client.close()
