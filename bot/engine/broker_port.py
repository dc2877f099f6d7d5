"""The broker calls the engine makes, as one small interface.

`BrokerPort` is what the engine's modules use; `bot.engine.tinvest_port.TInvestPort` adapts the
real `bot.broker` client (talking to T-Invest or the simulator) and unit tests may pass a small
fake subclass. Prices are Decimal per instrument, quantities in lots, ids are strings.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from datetime import datetime
from decimal import Decimal

from bot.broker.types import (
    Account,
    Dividend,
    Instrument,
    LastPrice,
    MarginAttributes,
    OrderBook,
    OrderState,
    Portfolio,
    Positions,
    PostOrderResult,
    StopOrder,
    StopOrderStatus,
    StopOrderType,
    TradingSchedule,
)
from bot.engine.events import Direction


class BrokerPort(ABC):
    @abstractmethod
    async def accounts(self) -> list[Account]: ...

    @abstractmethod
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
        """Place a limit order with `request_id` as the idempotency key. Raises
        bot.broker.errors.OrderOutcomeUnknown when the request left and no answer came."""

    @abstractmethod
    async def cancel_order(self, *, account_id: str, order_id: str) -> None: ...

    @abstractmethod
    async def cancel_order_by_request_id(self, *, account_id: str, request_id: str) -> None:
        """CancelOrder by our idempotency key (orderIdType REQUEST): for an order whose
        broker id we never learnt."""

    @abstractmethod
    async def order_state(self, *, account_id: str, order_id: str) -> OrderState:
        """State of an order by the broker's (exchange) order id."""

    @abstractmethod
    async def resolve_order(self, *, account_id: str, request_id: str) -> OrderState | None:
        """State of an order by our request id (GetOrderState by request id, then GetOrders);
        None when the broker has never seen it."""

    @abstractmethod
    async def active_orders(self, *, account_id: str) -> list[OrderState]: ...

    @abstractmethod
    async def order_book(self, instrument_id: str, depth: int = 10) -> OrderBook: ...

    @abstractmethod
    async def positions(self, *, account_id: str) -> Positions: ...

    @abstractmethod
    async def trading_schedules(
        self, exchange: str, start: datetime, end: datetime
    ) -> list[TradingSchedule]: ...

    @abstractmethod
    async def instruments(self) -> list[Instrument]:
        """Shares and futures (the catalogue)."""

    # -- bulk market data for the scanners (bot.engine.scanners); one request each ------------

    async def shares(self) -> list[Instrument]:
        """Every share with its flags, trading status and risk rates (InstrumentsService/Shares)."""
        raise NotImplementedError

    async def futures(self) -> list[Instrument]:
        """Every future with margins, risk rates and step values (InstrumentsService/Futures)."""
        raise NotImplementedError

    async def last_prices(self, instrument_ids: list[str]) -> list[LastPrice]:
        """Last prices of up to 3000 instruments in one GetLastPrices request."""
        raise NotImplementedError

    async def dividends(self, instrument_id: str, start: datetime, end: datetime) -> list[Dividend]:
        """Dividends with a record date in [start, end] (GetDividends, one share per request)."""
        raise NotImplementedError

    # -- stop orders and bulk reads (bot.engine.stops); the defaults have none ----------------

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
        """Place a stop order (good-till-date when `expire_at` is given, else till cancelled)
        with `request_id` as the idempotency key; returns the broker's stop-order id. Raises
        bot.broker.errors.OrderOutcomeUnknown when the request left and no answer came."""
        raise NotImplementedError

    async def stop_orders(
        self,
        *,
        account_id: str,
        status: StopOrderStatus = StopOrderStatus.ACTIVE,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> list[StopOrder]:
        raise NotImplementedError

    async def cancel_stop_order(self, *, account_id: str, stop_order_id: str) -> None:
        raise NotImplementedError

    def order_book_stream(self, instrument_id: str, depth: int = 10) -> AsyncIterator[OrderBook]:
        """Order books as they change. The default has no stream (jobs poll instead)."""
        raise NotImplementedError

    @property
    def has_book_stream(self) -> bool:
        return False

    def order_states(self, account_id: str) -> AsyncIterator[OrderState]:
        """Order states of the account as they change (OrderStateStream). Each state may carry
        only the trades of that event. The default has no stream (jobs poll instead)."""
        raise NotImplementedError

    @property
    def has_order_stream(self) -> bool:
        return False

    # -- the owner's views (bot.engine.views); a port without them refuses those commands --

    async def portfolio(self, *, account_id: str) -> Portfolio:
        raise NotImplementedError

    async def margin_attributes(self, *, account_id: str) -> MarginAttributes:
        raise NotImplementedError

    async def active_stop_orders(self, *, account_id: str) -> list[StopOrder]:
        raise NotImplementedError

    async def instrument_by_uid(self, uid: str) -> Instrument:
        raise NotImplementedError

    async def close(self) -> None:
        return None
