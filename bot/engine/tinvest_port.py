"""BrokerPort over the real broker client (bot.broker.TInvestClient): T-Invest or the simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from decimal import Decimal
from typing import Any

from bot.broker.client import TInvestClient
from bot.broker.types import (
    Account,
    Instrument,
    MarginAttributes,
    OrderBook,
    OrderDirection,
    OrderState,
    Portfolio,
    Positions,
    PostOrderResult,
    StopOrder,
    TradingSchedule,
)
from bot.engine.broker_port import BrokerPort
from bot.engine.events import Direction


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
