"""A small in-memory broker (a BrokerPort) for engine unit tests: order books set by the test,
resting limit orders, idempotent request ids, trades the test makes happen, and faults (a lost
PostOrder answer, a rejection). The engine against the real simulator lives in test_sim_*.py."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from bot.broker import errors
from bot.broker.types import (
    AccessLevel,
    Account,
    AccountStatus,
    Instrument,
    OrderBook,
    OrderDirection,
    OrderState,
    OrderStatus,
    OrderTrade,
    OrderType,
    PositionBalance,
    Positions,
    PostOrderResult,
    PriceLevel,
    TradingDay,
    TradingSchedule,
)
from bot.engine.broker_port import BrokerPort
from bot.engine.events import Direction

ACCOUNT = "acc-1"


@dataclass
class FakeOrder:
    order_id: str
    request_id: str
    instrument_uid: str
    direction: Direction
    price: Decimal
    lots: int
    status: OrderStatus = OrderStatus.NEW
    trades: list[OrderTrade] = field(default_factory=list)

    @property
    def executed(self) -> int:
        return sum(t.quantity for t in self.trades)

    @property
    def active(self) -> bool:
        return self.status in (OrderStatus.NEW, OrderStatus.PARTIALLY_FILLED)

    def state(self) -> OrderState:
        return OrderState(
            order_id=self.order_id,
            request_id=self.request_id,
            status=self.status,
            direction=OrderDirection.from_side(self.direction),
            order_type=OrderType.LIMIT,
            lots_requested=self.lots,
            lots_executed=self.executed,
            instrument_uid=self.instrument_uid,
            trades=tuple(self.trades),
        )


class FakeBroker(BrokerPort):
    def __init__(self, *, lot_sizes: dict[str, int] | None = None) -> None:
        self.books: dict[str, OrderBook] = {}
        self.orders: dict[str, FakeOrder] = {}
        self.by_request: dict[str, FakeOrder] = {}
        self.positions_pieces: dict[str, int] = {}
        self.lot_sizes = lot_sizes or {}
        self.posts: list[str] = []  # request ids of every PostOrder call (retries included)
        self.cancels: list[str] = []
        self.max_live: dict[str, int] = {}  # most live orders seen at once per instrument
        self.lose_next_posts = 0  # place the order, then lose the answer
        self.drop_next_posts = 0  # lose the request before it arrives
        self.reject_next: str | None = None  # API code to reject the next order with
        self.schedule_open = True
        self.schedule: list[TradingSchedule] | None = None
        self.catalogue: list[Instrument] = []
        self.changed = asyncio.Event()
        self.book_reads = 0
        self._ids = itertools.count(1)
        self._trade_ids = itertools.count(1)

    # -- test controls --------------------------------------------------------------------

    def set_book(
        self, uid: str, bid: Decimal | str | None, ask: Decimal | str | None, lots: int = 100
    ) -> None:
        bids = () if bid is None else (PriceLevel(Decimal(bid), lots),)
        asks = () if ask is None else (PriceLevel(Decimal(ask), lots),)
        self.books[uid] = OrderBook(instrument_uid=uid, figi="", depth=10, bids=bids, asks=asks)

    def live_orders(self, uid: str | None = None) -> list[FakeOrder]:
        return [o for o in self.orders.values() if o.active and uid in (None, o.instrument_uid)]

    def fill(self, order: FakeOrder, lots: int, price: Decimal | None = None) -> None:
        lots = min(lots, order.lots - order.executed)
        if lots <= 0:
            return
        order.trades.append(
            OrderTrade(
                trade_id=f"T{next(self._trade_ids)}",
                quantity=lots,
                price=order.price if price is None else price,
                time=datetime.now(UTC),
            )
        )
        order.status = (
            OrderStatus.FILL if order.executed >= order.lots else OrderStatus.PARTIALLY_FILLED
        )
        pieces = lots * self.lot_sizes.get(order.instrument_uid, 1)
        sign = 1 if order.direction == "buy" else -1
        self.positions_pieces[order.instrument_uid] = (
            self.positions_pieces.get(order.instrument_uid, 0) + sign * pieces
        )
        self._changed()

    def _changed(self) -> None:
        self.changed.set()
        self.changed = asyncio.Event()

    # -- BrokerPort -----------------------------------------------------------------------

    async def accounts(self) -> list[Account]:
        return [
            Account(
                id=ACCOUNT,
                name="test",
                type="ACCOUNT_TYPE_TINKOFF",
                status=AccountStatus.OPEN,
                access_level=AccessLevel.FULL_ACCESS,
            )
        ]

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
        await asyncio.sleep(0)
        self.posts.append(request_id)
        if self.drop_next_posts:
            self.drop_next_posts -= 1
            raise errors.OrderOutcomeUnknown("timeout", request_id=request_id)
        if self.reject_next is not None:
            code, self.reject_next = self.reject_next, None
            raise errors.OrderRejected("rejected", api_code=code, method="PostOrder")
        order = self.by_request.get(request_id)
        if order is None:
            order = FakeOrder(
                order_id=f"X{next(self._ids)}",
                request_id=request_id,
                instrument_uid=instrument_id,
                direction=direction,
                price=price,
                lots=lots,
            )
            self.orders[order.order_id] = order
            self.by_request[request_id] = order
            live = len(self.live_orders(instrument_id))
            self.max_live[instrument_id] = max(self.max_live.get(instrument_id, 0), live)
            self._changed()
        if self.lose_next_posts:
            self.lose_next_posts -= 1
            raise errors.OrderOutcomeUnknown("timeout", request_id=request_id)
        return PostOrderResult(
            order_id=order.order_id,
            request_id=request_id,
            status=order.status,
            lots_requested=order.lots,
            lots_executed=order.executed,
            direction=OrderDirection.from_side(direction),
            order_type=OrderType.LIMIT,
        )

    async def cancel_order(self, *, account_id: str, order_id: str) -> None:
        await asyncio.sleep(0)
        self.cancels.append(order_id)
        order = self.orders.get(order_id)
        if order is None:
            raise errors.NotFound("order not found", api_code="50005")
        if not order.active:
            raise errors.InvalidArgument("cancel order error", api_code="30059")
        order.status = OrderStatus.CANCELLED
        self._changed()

    async def cancel_order_by_request_id(self, *, account_id: str, request_id: str) -> None:
        await asyncio.sleep(0)
        order = self.by_request.get(request_id)
        if order is None:
            raise errors.NotFound("order not found", api_code="50005")
        await self.cancel_order(account_id=account_id, order_id=order.order_id)

    async def order_state(self, *, account_id: str, order_id: str) -> OrderState:
        await asyncio.sleep(0)
        order = self.orders.get(order_id)
        if order is None:
            raise errors.NotFound("order not found", api_code="50005")
        return order.state()

    async def resolve_order(self, *, account_id: str, request_id: str) -> OrderState | None:
        await asyncio.sleep(0)
        order = self.by_request.get(request_id)
        return None if order is None else order.state()

    async def active_orders(self, *, account_id: str) -> list[OrderState]:
        return [o.state() for o in self.live_orders()]

    async def order_book(self, instrument_id: str, depth: int = 10) -> OrderBook:
        await asyncio.sleep(0)
        self.book_reads += 1
        book = self.books.get(instrument_id)
        if book is None:
            return OrderBook(instrument_uid=instrument_id, figi="", depth=depth, bids=(), asks=())
        return book

    async def positions(self, *, account_id: str) -> Positions:
        return Positions(
            account_id=account_id,
            money=(),
            blocked=(),
            securities=tuple(
                PositionBalance(figi="", instrument_uid=uid, balance=pieces, blocked=0)
                for uid, pieces in self.positions_pieces.items()
            ),
            futures=(),
        )

    async def trading_schedules(
        self, exchange: str, start: datetime, end: datetime
    ) -> list[TradingSchedule]:
        if self.schedule is not None:
            return self.schedule
        today = datetime.now(UTC)
        day = TradingDay(
            date=date.today(),
            is_trading_day=True,
            start=today - timedelta(days=2),
            end=today + timedelta(days=2),
        )
        return [TradingSchedule(exchange=exchange, days=(day,))] if self.schedule_open else []

    async def instruments(self) -> list[Instrument]:
        return list(self.catalogue)


def closed_until(opens_at: datetime, exchange: str = "MOEX") -> list[TradingSchedule]:
    """A schedule with no session now and the next one opening at `opens_at`."""
    day = TradingDay(
        date=opens_at.date(),
        is_trading_day=True,
        start=opens_at,
        end=opens_at + timedelta(hours=8),
    )
    return [TradingSchedule(exchange=exchange, days=(day,))]


def with_status(order: FakeOrder, status: OrderStatus) -> FakeOrder:
    return replace(order, status=status)
