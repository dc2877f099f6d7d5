"""TInvestClient: the T-Invest API v2 over REST, with typed results.

    async with TInvestClient(BrokerConfig(token=..., account_id=...)) as broker:
        book = await broker.get_order_book("BBG004730N88", depth=10)
        key = broker.new_order_id()          # store it in the Base first
        result = await broker.post_order(instrument_id=..., lots=1, direction=OrderDirection.BUY,
                                         price=book.best_bid, order_id=key)

Orders: the caller supplies `order_id` (the idempotency key) and the client never makes another
one; if no answer comes, `OrderOutcomeUnknown.request_id` is that key and `resolve_order(key)`
tells whether the order exists (an OrderState) or was never placed (None).
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from types import TracebackType
from typing import Any

import httpx

from bot.broker import parse
from bot.broker.config import BrokerConfig
from bot.broker.errors import BrokerError, InvalidArgument, NotFound, OrderOutcomeUnknown
from bot.broker.money import decimal_to_money_value, decimal_to_quotation
from bot.broker.ratelimit import Clock, RateLimiter, WaitHook
from bot.broker.stream import MarketDataStream, OrderStateStream, StreamSettings, Subscription
from bot.broker.transport import Reply, RestTransport
from bot.broker.types import (
    Account,
    AccountStatus,
    Dividend,
    ExchangeOrderType,
    FuturesMargin,
    Instrument,
    InstrumentIdType,
    InstrumentKind,
    InstrumentStatus,
    LastPrice,
    MarginAttributes,
    MaxLots,
    Money,
    OrderBook,
    OrderDirection,
    OrderIdType,
    OrderState,
    OrderStatus,
    OrderType,
    Portfolio,
    Positions,
    PostOrderResult,
    PostStopOrderResult,
    PriceType,
    StopOrder,
    StopOrderDirection,
    StopOrderExpiration,
    StopOrderStatus,
    StopOrderType,
    TimeInForce,
    TradingSchedule,
    TradingStatus,
    UserTariff,
)

log = logging.getLogger(__name__)

ORDER_BOOK_DEPTHS = (1, 10, 20, 30, 40, 50)
DUPLICATE_ORDER_CODE = "30057"


def _iso(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("naive datetime: use timezone-aware UTC times")
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _chunks(items: Sequence[str], size: int) -> list[Sequence[str]]:
    return [items[k : k + size] for k in range(0, len(items), size)]


class TInvestClient:
    def __init__(
        self,
        config: BrokerConfig,
        *,
        http_transport: httpx.AsyncBaseTransport | None = None,
        on_rate_limit_wait: WaitHook | None = None,
        limiter: RateLimiter | None = None,
        clock: Clock | None = None,
        stream_settings: StreamSettings | None = None,
    ) -> None:
        self.config = config
        self.stream_settings = stream_settings
        self._market_stream: MarketDataStream | None = None
        self._order_streams: list[OrderStateStream] = []
        self.limiter = limiter or RateLimiter(
            scale=config.rate_limit_scale,
            time_scale=config.rate_limit_time_scale,
            clock=clock,
            on_wait=on_rate_limit_wait,
            report_threshold=config.rate_limit_report_threshold,
            global_per_second=config.rate_limit_global_per_second,
        )
        self._rest = RestTransport(config, limiter=self.limiter, http_transport=http_transport)

    def __repr__(self) -> str:
        cfg = self.config
        return f"TInvestClient(rest_url={cfg.rest_url!r}, account_id={cfg.account_id!r})"

    async def __aenter__(self) -> TInvestClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        if self._market_stream is not None:
            await self._market_stream.close()
            self._market_stream = None
        for stream in self._order_streams:
            await stream.close()
        self._order_streams.clear()
        await self._rest.aclose()

    # ============================================================ streams

    @property
    def market_stream(self) -> MarketDataStream:
        """The shared MarketDataStream (one WebSocket; falls back to polling this client)."""
        if self._market_stream is None:
            self._market_stream = MarketDataStream(self.config, self, settings=self.stream_settings)
        return self._market_stream

    def order_book_stream(self, instrument_id: str, depth: int = 10) -> AsyncIterator[OrderBook]:
        """Order books of one instrument as they change: the WebSocket when it works, polling
        GetOrderBook while it does not. Unsubscribes when the consumer stops iterating."""
        if depth not in ORDER_BOOK_DEPTHS:
            raise ValueError(f"order-book depth must be one of {ORDER_BOOK_DEPTHS}, got {depth}")
        return self.market_stream.order_books(instrument_id, depth)

    def last_price_subscription(self, instrument_id: str) -> Subscription[LastPrice]:
        return self.market_stream.subscribe_last_price(instrument_id)

    def order_state_stream(self, account_id: str | None = None) -> OrderStateStream:
        """Order states of the account as they change (iterate it; close() it when done)."""
        stream = OrderStateStream(
            self.config, self, account_id=self._account(account_id), settings=self.stream_settings
        )
        self._order_streams.append(stream)
        return stream

    @property
    def stats(self) -> dict[str, int]:
        """Counters for diagnostics and benchmarks: calls, retries, 429s seen."""
        return {
            "calls": self._rest.calls,
            "retries": self._rest.retries,
            "rate_limited": self._rest.rate_limited,
        }

    def set_rate_limit_hook(self, hook: WaitHook | None) -> None:
        self.limiter.on_wait = hook

    async def _call(
        self,
        service: str,
        method: str,
        body: dict[str, Any],
        *,
        idempotency_key: str | None = None,
    ) -> Reply:
        return await self._rest.call(service, method, body, idempotency_key=idempotency_key)

    async def _body(self, service: str, method: str, body: dict[str, Any]) -> dict[str, Any]:
        return (await self._call(service, method, body)).body

    def _account(self, account_id: str | None) -> str:
        acc = account_id or self.config.account_id
        if not acc:
            raise ValueError("no broker account id configured")
        return acc

    @staticmethod
    def new_order_id() -> str:
        """A fresh idempotency key (UUID4, 36 characters). Store it before sending the order."""
        return str(uuid.uuid4())

    # ============================================================ users

    async def get_accounts(self, status: AccountStatus | None = None) -> list[Account]:
        body: dict[str, Any] = {}
        if status is not None:
            body["status"] = status.wire
        data = await self._body("UsersService", "GetAccounts", body)
        return [parse.account(parse._obj(a)) for a in parse._list(data.get("accounts"))]

    async def get_margin_attributes(self, account_id: str | None = None) -> MarginAttributes:
        data = await self._body(
            "UsersService", "GetMarginAttributes", {"accountId": self._account(account_id)}
        )
        return parse.margin_attributes(data)

    async def get_user_tariff(self, *, apply_limits: bool = False) -> UserTariff:
        """The live per-method limits; with apply_limits they replace the documented ones."""
        tariff = parse.user_tariff(await self._body("UsersService", "GetUserTariff", {}))
        if apply_limits:
            self.limiter.apply_tariff((u.limit_per_minute, u.methods) for u in tariff.unary_limits)
        return tariff

    async def ping(self) -> float:
        """Round trip of GetAccounts in milliseconds (health checks)."""
        started = time.perf_counter()
        await self.get_accounts()
        return (time.perf_counter() - started) * 1000

    # ============================================================ instruments

    async def shares(self, status: InstrumentStatus = InstrumentStatus.BASE) -> list[Instrument]:
        data = await self._body("InstrumentsService", "Shares", {"instrumentStatus": status.wire})
        return [
            parse.instrument(parse._obj(x), InstrumentKind.SHARE)
            for x in parse._list(data.get("instruments"))
        ]

    async def futures(self, status: InstrumentStatus = InstrumentStatus.BASE) -> list[Instrument]:
        data = await self._body("InstrumentsService", "Futures", {"instrumentStatus": status.wire})
        return [
            parse.instrument(parse._obj(x), InstrumentKind.FUTURES)
            for x in parse._list(data.get("instruments"))
        ]

    async def _instrument_by(
        self,
        method: str,
        kind: InstrumentKind | None,
        figi: str | None,
        uid: str | None,
        ticker: str | None,
        class_code: str | None,
    ) -> Instrument:
        """One instrument by exactly one of figi, uid or ticker+class_code (ShareBy & co.)."""
        given = [x for x in (figi, uid, ticker) if x]
        if len(given) != 1:
            raise ValueError("give exactly one of figi, uid or ticker (with class_code)")
        body: dict[str, Any]
        if figi:
            body = {"idType": InstrumentIdType.FIGI.wire, "id": figi}
        elif uid:
            body = {"idType": InstrumentIdType.UID.wire, "id": uid}
        elif not class_code:
            raise ValueError("a ticker needs its class_code (e.g. TQBR, SPBFUT)")
        else:
            body = {"idType": InstrumentIdType.TICKER.wire, "id": ticker, "classCode": class_code}
        data = await self._body("InstrumentsService", method, body)
        return parse.instrument(parse._obj(data.get("instrument")), kind)

    async def share_by(
        self,
        *,
        figi: str | None = None,
        uid: str | None = None,
        ticker: str | None = None,
        class_code: str | None = None,
    ) -> Instrument:
        return await self._instrument_by(
            "ShareBy", InstrumentKind.SHARE, figi, uid, ticker, class_code
        )

    async def future_by(
        self,
        *,
        figi: str | None = None,
        uid: str | None = None,
        ticker: str | None = None,
        class_code: str | None = None,
    ) -> Instrument:
        return await self._instrument_by(
            "FutureBy", InstrumentKind.FUTURES, figi, uid, ticker, class_code
        )

    async def get_instrument_by(
        self,
        *,
        figi: str | None = None,
        uid: str | None = None,
        ticker: str | None = None,
        class_code: str | None = None,
    ) -> Instrument:
        """Any kind; the kind comes from `instrumentKind` (or `instrumentType`)."""
        return await self._instrument_by("GetInstrumentBy", None, figi, uid, ticker, class_code)

    async def get_futures_margin(self, instrument_id: str) -> FuturesMargin:
        data = await self._body(
            "InstrumentsService", "GetFuturesMargin", {"instrumentId": instrument_id}
        )
        return parse.futures_margin(data)

    async def get_dividends(
        self, instrument_id: str, start: datetime | None = None, end: datetime | None = None
    ) -> list[Dividend]:
        body: dict[str, Any] = {"instrumentId": instrument_id}
        if start is not None:
            body["from"] = _iso(start)
        if end is not None:
            body["to"] = _iso(end)
        data = await self._body("InstrumentsService", "GetDividends", body)
        return [parse.dividend(parse._obj(x)) for x in parse._list(data.get("dividends"))]

    async def trading_schedules(
        self,
        exchange: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> list[TradingSchedule]:
        body: dict[str, Any] = {}
        if exchange:
            body["exchange"] = exchange
        if start is not None:
            body["from"] = _iso(start)
        if end is not None:
            body["to"] = _iso(end)
        data = await self._body("InstrumentsService", "TradingSchedules", body)
        return [parse.trading_schedule(parse._obj(x)) for x in parse._list(data.get("exchanges"))]

    # ============================================================ market data

    async def get_last_prices(
        self, instrument_ids: Sequence[str], *, chunk: int | None = None
    ) -> list[LastPrice]:
        """Last prices of the given instruments; a long list is sent in chunks of `chunk` ids
        (default `config.last_prices_chunk`; the broker takes up to 3000), concurrently, within
        the MarketData budget. An empty list asks for nothing (not "all")."""
        ids = list(dict.fromkeys(instrument_ids))
        if not ids:
            return []

        async def one(chunk: Sequence[str]) -> list[LastPrice]:
            data = await self._body(
                "MarketDataService", "GetLastPrices", {"instrumentId": list(chunk)}
            )
            return [parse.last_price(parse._obj(x)) for x in parse._list(data.get("lastPrices"))]

        parts = await asyncio.gather(
            *(one(c) for c in _chunks(ids, max(chunk or self.config.last_prices_chunk, 1)))
        )
        return [p for part in parts for p in part]

    async def get_order_book(self, instrument_id: str, depth: int = 10) -> OrderBook:
        if depth not in ORDER_BOOK_DEPTHS:
            raise ValueError(f"order-book depth must be one of {ORDER_BOOK_DEPTHS}, got {depth}")
        data = await self._body(
            "MarketDataService", "GetOrderBook", {"instrumentId": instrument_id, "depth": depth}
        )
        return parse.order_book(data)

    async def get_trading_status(self, instrument_id: str) -> TradingStatus:
        data = await self._body(
            "MarketDataService", "GetTradingStatus", {"instrumentId": instrument_id}
        )
        return parse.trading_status(data)

    async def get_trading_statuses(self, instrument_ids: Sequence[str]) -> list[TradingStatus]:
        ids = list(dict.fromkeys(instrument_ids))
        if not ids:
            return []

        async def one(chunk: Sequence[str]) -> list[TradingStatus]:
            data = await self._body(
                "MarketDataService", "GetTradingStatuses", {"instrumentId": list(chunk)}
            )
            return [
                parse.trading_status(parse._obj(x))
                for x in parse._list(data.get("tradingStatuses"))
            ]

        parts = await asyncio.gather(
            *(one(c) for c in _chunks(ids, max(self.config.last_prices_chunk, 1)))
        )
        return [p for part in parts for p in part]

    # ============================================================ orders

    async def post_order(
        self,
        *,
        instrument_id: str,
        lots: int,
        direction: OrderDirection,
        order_id: str,
        price: Decimal | None = None,
        order_type: OrderType = OrderType.LIMIT,
        time_in_force: TimeInForce | None = None,
        price_type: PriceType | None = None,
        account_id: str | None = None,
        confirm_margin_trade: bool = False,
    ) -> PostOrderResult:
        """Place an order. `order_id` is the idempotency key (UUID, <= 36 chars) the caller has
        stored; retries reuse it. Raises OrderRejected when the broker refuses it and
        OrderOutcomeUnknown (with request_id=order_id) when no answer came."""
        _check_order_args(order_id, lots, direction)
        if order_type == OrderType.LIMIT and price is None:
            raise ValueError("a limit order needs a price")
        body: dict[str, Any] = {
            "quantity": str(lots),
            "direction": direction.wire,
            "accountId": self._account(account_id),
            "orderType": order_type.wire,
            "orderId": order_id,
            "instrumentId": instrument_id,
        }
        if price is not None and order_type != OrderType.MARKET:
            body["price"] = decimal_to_quotation(price)
        if time_in_force is not None:
            body["timeInForce"] = time_in_force.wire
        if price_type is not None:
            body["priceType"] = price_type.wire
        if confirm_margin_trade:
            body["confirmMarginTrade"] = True
        try:
            reply = await self._call("OrdersService", "PostOrder", body, idempotency_key=order_id)
        except InvalidArgument as err:
            if err.api_code != DUPLICATE_ORDER_CODE:
                raise
            # The key was seen before (an earlier attempt got through): report that order. If
            # it cannot be read now, the order still exists: its outcome is unknown (never a
            # connection error, which would mean "not sent").
            try:
                state = await self.resolve_order(order_id, account_id=account_id)
            except BrokerError as read_err:
                raise OrderOutcomeUnknown(
                    f"duplicate order id; its state could not be read: {read_err}",
                    request_id=order_id,
                    method="PostOrder",
                ) from err
            if state is None:
                raise OrderOutcomeUnknown(
                    "duplicate order id but no order found", request_id=order_id, method="PostOrder"
                ) from err
            return _result_from_state(state)
        result = parse.post_order_result(reply.body, reply.tracking_id)
        if not result.request_id:
            result = _with_request_id(result, order_id)
        for stream in self._order_streams:
            stream.track(result.order_id)
        return result

    async def cancel_order(
        self, order_id: str, *, account_id: str | None = None, by_request_id: bool = False
    ) -> datetime | None:
        """Cancel an order by its broker id (or by our request id). Returns the cancel time."""
        body: dict[str, Any] = {"accountId": self._account(account_id), "orderId": order_id}
        if by_request_id:
            body["orderIdType"] = OrderIdType.REQUEST.wire
        data = await self._body("OrdersService", "CancelOrder", body)
        return parse.ts(data, "time")

    async def get_order_state(
        self,
        order_id: str,
        *,
        account_id: str | None = None,
        by_request_id: bool = False,
        price_type: PriceType | None = None,
    ) -> OrderState:
        body: dict[str, Any] = {"accountId": self._account(account_id), "orderId": order_id}
        if by_request_id:
            body["orderIdType"] = OrderIdType.REQUEST.wire
        if price_type is not None:
            body["priceType"] = price_type.wire
        return parse.order_state(await self._body("OrdersService", "GetOrderState", body))

    async def get_order_state_by_request_id(
        self, request_id: str, *, account_id: str | None = None
    ) -> OrderState:
        return await self.get_order_state(request_id, account_id=account_id, by_request_id=True)

    async def resolve_order(
        self, request_id: str, *, account_id: str | None = None
    ) -> OrderState | None:
        """What became of an order sent with this idempotency key: its state, or None when
        the broker has never seen it (it was not placed; the engine may send it again with the
        same key)."""
        try:
            return await self.get_order_state_by_request_id(request_id, account_id=account_id)
        except NotFound:
            return None

    async def get_orders(
        self,
        *,
        account_id: str | None = None,
        statuses: Iterable[OrderStatus] = (),
    ) -> list[OrderState]:
        """Active orders of the account (optionally filtered by status)."""
        body: dict[str, Any] = {"accountId": self._account(account_id)}
        wanted = [s.wire for s in statuses]
        if wanted:
            body["advancedFilters"] = {"executionStatus": wanted}
        data = await self._body("OrdersService", "GetOrders", body)
        return [parse.order_state(parse._obj(x)) for x in parse._list(data.get("orders"))]

    async def get_max_lots(
        self, instrument_id: str, price: Decimal | None = None, *, account_id: str | None = None
    ) -> MaxLots:
        body: dict[str, Any] = {
            "accountId": self._account(account_id),
            "instrumentId": instrument_id,
        }
        if price is not None:
            body["price"] = decimal_to_quotation(price)
        return parse.max_lots(await self._body("OrdersService", "GetMaxLots", body))

    # ============================================================ stop orders

    async def post_stop_order(
        self,
        *,
        instrument_id: str,
        lots: int,
        direction: StopOrderDirection | OrderDirection,
        stop_order_type: StopOrderType,
        stop_price: Decimal,
        order_id: str,
        price: Decimal | None = None,
        expiration: StopOrderExpiration = StopOrderExpiration.GOOD_TILL_CANCEL,
        expire_at: datetime | None = None,
        exchange_order_type: ExchangeOrderType | None = None,
        price_type: PriceType | None = None,
        account_id: str | None = None,
        confirm_margin_trade: bool = False,
    ) -> PostStopOrderResult:
        """Place a stop order (prices in currency). `order_id` is the idempotency key."""
        if isinstance(direction, OrderDirection):
            direction = StopOrderDirection.from_wire(
                direction.wire.replace("ORDER_DIRECTION", "STOP_ORDER_DIRECTION")
            )
        _check_order_args(order_id, lots, direction)
        if expiration == StopOrderExpiration.GOOD_TILL_DATE and expire_at is None:
            raise ValueError("a good-till-date stop order needs expire_at")
        if stop_order_type == StopOrderType.STOP_LIMIT and price is None:
            raise ValueError("a stop-limit order needs a price")
        body: dict[str, Any] = {
            "quantity": str(lots),
            "stopPrice": decimal_to_quotation(stop_price),
            "direction": direction.wire,
            "accountId": self._account(account_id),
            "expirationType": expiration.wire,
            "stopOrderType": stop_order_type.wire,
            "instrumentId": instrument_id,
            "orderId": order_id,
        }
        if price is not None:
            body["price"] = decimal_to_quotation(price)
        if expire_at is not None and expiration == StopOrderExpiration.GOOD_TILL_DATE:
            body["expireDate"] = _iso(expire_at)
        if exchange_order_type is not None:
            body["exchangeOrderType"] = exchange_order_type.wire
        if price_type is not None:
            body["priceType"] = price_type.wire
        if confirm_margin_trade:
            body["confirmMarginTrade"] = True
        reply = await self._call(
            "StopOrdersService", "PostStopOrder", body, idempotency_key=order_id
        )
        result = parse.post_stop_order_result(reply.body, reply.tracking_id)
        if not result.request_id:
            result = PostStopOrderResult(result.stop_order_id, order_id, result.tracking_id)
        return result

    async def get_stop_orders(
        self,
        status: StopOrderStatus = StopOrderStatus.ACTIVE,
        *,
        account_id: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> list[StopOrder]:
        body: dict[str, Any] = {"accountId": self._account(account_id), "status": status.wire}
        if start is not None:
            body["from"] = _iso(start)
        if end is not None:
            body["to"] = _iso(end)
        data = await self._body("StopOrdersService", "GetStopOrders", body)
        return [parse.stop_order(parse._obj(x)) for x in parse._list(data.get("stopOrders"))]

    async def cancel_stop_order(
        self, stop_order_id: str, *, account_id: str | None = None
    ) -> datetime | None:
        data = await self._body(
            "StopOrdersService",
            "CancelStopOrder",
            {"accountId": self._account(account_id), "stopOrderId": stop_order_id},
        )
        return parse.ts(data, "time")

    # ============================================================ operations

    async def get_portfolio(
        self, *, account_id: str | None = None, currency: str = "RUB"
    ) -> Portfolio:
        data = await self._body(
            "OperationsService",
            "GetPortfolio",
            {"accountId": self._account(account_id), "currency": currency.upper()},
        )
        return parse.portfolio(data)

    async def get_positions(self, *, account_id: str | None = None) -> Positions:
        data = await self._body(
            "OperationsService", "GetPositions", {"accountId": self._account(account_id)}
        )
        return parse.positions(data)

    # ============================================================ sandbox

    async def open_sandbox_account(self, name: str = "") -> str:
        """A new sandbox account (the broker's sandbox host or the simulator); its id."""
        body: dict[str, Any] = {"name": name} if name else {}
        data = await self._body("SandboxService", "OpenSandboxAccount", body)
        return parse.s(data, "accountId")

    async def get_sandbox_accounts(self) -> list[Account]:
        data = await self._body("SandboxService", "GetSandboxAccounts", {})
        return [parse.account(parse._obj(a)) for a in parse._list(data.get("accounts"))]

    async def sandbox_pay_in(
        self, amount: Decimal, *, account_id: str | None = None, currency: str = "RUB"
    ) -> Money | None:
        """Top up a sandbox account (roubles only at the broker); returns the new balance."""
        data = await self._body(
            "SandboxService",
            "SandboxPayIn",
            {
                "accountId": self._account(account_id),
                "amount": decimal_to_money_value(amount, currency),
            },
        )
        return parse.money(data, "balance")


def _check_order_args(order_id: str, lots: int, direction: object) -> None:
    if not order_id or len(order_id) > 36:
        raise ValueError("order_id must be a UUID of at most 36 characters")
    if isinstance(lots, bool) or not isinstance(lots, int) or lots <= 0:
        raise ValueError(f"lots must be a positive whole number, got {lots!r}")
    if getattr(direction, "name", "") == "UNSPECIFIED":
        raise ValueError("the order direction is unspecified")


def _with_request_id(result: PostOrderResult, request_id: str) -> PostOrderResult:
    return replace(result, request_id=request_id)


def _result_from_state(state: OrderState) -> PostOrderResult:
    return PostOrderResult(
        order_id=state.order_id,
        request_id=state.request_id,
        status=state.status,
        lots_requested=state.lots_requested,
        lots_executed=state.lots_executed,
        direction=state.direction,
        order_type=state.order_type,
        initial_order_price=state.initial_order_price,
        executed_order_price=state.executed_order_price,
        total_order_amount=state.total_order_amount,
        initial_security_price=state.initial_security_price,
        figi=state.figi,
        instrument_uid=state.instrument_uid,
        ticker=state.ticker,
        class_code=state.class_code,
    )
