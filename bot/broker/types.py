"""Typed domain objects returned by the broker client.

Every price and sum is a Decimal; times are timezone-aware UTC datetimes; quantities named
`lots` are in lots (the broker's unit), the rest are said explicitly. Enums carry the wire
names as values: `OrderDirection.BUY.value == "ORDER_DIRECTION_BUY"`, and
`OrderDirection.from_wire(text)` maps an unknown or missing name to the UNSPECIFIED member.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import NamedTuple, Self


class WireEnum(StrEnum):
    """An enum whose values are the API's JSON enum names."""

    @classmethod
    def from_wire(cls, name: object) -> Self:
        if isinstance(name, str):
            try:
                return cls(name)
            except ValueError:
                pass
        return cls._unspecified()

    @classmethod
    def _unspecified(cls) -> Self:
        return next(iter(cls))  # first member is the UNSPECIFIED one by convention

    @property
    def wire(self) -> str:
        return self.value


class OrderDirection(WireEnum):
    UNSPECIFIED = "ORDER_DIRECTION_UNSPECIFIED"
    BUY = "ORDER_DIRECTION_BUY"
    SELL = "ORDER_DIRECTION_SELL"

    @classmethod
    def from_side(cls, side: str) -> OrderDirection:
        """'buy' / 'sell' (the engine's Direction) to the enum."""
        found = {"buy": cls.BUY, "sell": cls.SELL}.get(side.lower())
        if found is None:
            raise ValueError(f"direction must be 'buy' or 'sell', got {side!r}")
        return found

    @property
    def side(self) -> str:
        return {"ORDER_DIRECTION_BUY": "buy", "ORDER_DIRECTION_SELL": "sell"}.get(self.value, "")


class OrderType(WireEnum):
    UNSPECIFIED = "ORDER_TYPE_UNSPECIFIED"
    LIMIT = "ORDER_TYPE_LIMIT"
    MARKET = "ORDER_TYPE_MARKET"
    BESTPRICE = "ORDER_TYPE_BESTPRICE"


class TimeInForce(WireEnum):
    UNSPECIFIED = "TIME_IN_FORCE_UNSPECIFIED"
    DAY = "TIME_IN_FORCE_DAY"
    FILL_AND_KILL = "TIME_IN_FORCE_FILL_AND_KILL"
    FILL_OR_KILL = "TIME_IN_FORCE_FILL_OR_KILL"


class PriceType(WireEnum):
    UNSPECIFIED = "PRICE_TYPE_UNSPECIFIED"
    POINT = "PRICE_TYPE_POINT"
    CURRENCY = "PRICE_TYPE_CURRENCY"


class OrderIdType(WireEnum):
    UNSPECIFIED = "ORDER_ID_TYPE_UNSPECIFIED"
    EXCHANGE = "ORDER_ID_TYPE_EXCHANGE"
    REQUEST = "ORDER_ID_TYPE_REQUEST"


class OrderStatus(WireEnum):
    """OrderExecutionReportStatus."""

    UNSPECIFIED = "EXECUTION_REPORT_STATUS_UNSPECIFIED"
    FILL = "EXECUTION_REPORT_STATUS_FILL"
    REJECTED = "EXECUTION_REPORT_STATUS_REJECTED"
    CANCELLED = "EXECUTION_REPORT_STATUS_CANCELLED"
    NEW = "EXECUTION_REPORT_STATUS_NEW"
    PARTIALLY_FILLED = "EXECUTION_REPORT_STATUS_PARTIALLYFILL"

    @property
    def is_final(self) -> bool:
        return self in (OrderStatus.FILL, OrderStatus.REJECTED, OrderStatus.CANCELLED)


class StopOrderDirection(WireEnum):
    UNSPECIFIED = "STOP_ORDER_DIRECTION_UNSPECIFIED"
    BUY = "STOP_ORDER_DIRECTION_BUY"
    SELL = "STOP_ORDER_DIRECTION_SELL"


class StopOrderType(WireEnum):
    UNSPECIFIED = "STOP_ORDER_TYPE_UNSPECIFIED"
    TAKE_PROFIT = "STOP_ORDER_TYPE_TAKE_PROFIT"
    STOP_LOSS = "STOP_ORDER_TYPE_STOP_LOSS"
    STOP_LIMIT = "STOP_ORDER_TYPE_STOP_LIMIT"


class StopOrderExpiration(WireEnum):
    UNSPECIFIED = "STOP_ORDER_EXPIRATION_TYPE_UNSPECIFIED"
    GOOD_TILL_CANCEL = "STOP_ORDER_EXPIRATION_TYPE_GOOD_TILL_CANCEL"
    GOOD_TILL_DATE = "STOP_ORDER_EXPIRATION_TYPE_GOOD_TILL_DATE"


class StopOrderStatus(WireEnum):
    """StopOrderStatusOption (also the filter of GetStopOrders)."""

    UNSPECIFIED = "STOP_ORDER_STATUS_UNSPECIFIED"
    ALL = "STOP_ORDER_STATUS_ALL"
    ACTIVE = "STOP_ORDER_STATUS_ACTIVE"
    EXECUTED = "STOP_ORDER_STATUS_EXECUTED"
    CANCELED = "STOP_ORDER_STATUS_CANCELED"
    EXPIRED = "STOP_ORDER_STATUS_EXPIRED"


class ExchangeOrderType(WireEnum):
    UNSPECIFIED = "EXCHANGE_ORDER_TYPE_UNSPECIFIED"
    MARKET = "EXCHANGE_ORDER_TYPE_MARKET"
    LIMIT = "EXCHANGE_ORDER_TYPE_LIMIT"


class TakeProfitType(WireEnum):
    UNSPECIFIED = "TAKE_PROFIT_TYPE_UNSPECIFIED"
    REGULAR = "TAKE_PROFIT_TYPE_REGULAR"
    TRAILING = "TAKE_PROFIT_TYPE_TRAILING"


class TradingStatusCode(WireEnum):
    """SecurityTradingStatus."""

    UNSPECIFIED = "SECURITY_TRADING_STATUS_UNSPECIFIED"
    NOT_AVAILABLE_FOR_TRADING = "SECURITY_TRADING_STATUS_NOT_AVAILABLE_FOR_TRADING"
    OPENING_PERIOD = "SECURITY_TRADING_STATUS_OPENING_PERIOD"
    CLOSING_PERIOD = "SECURITY_TRADING_STATUS_CLOSING_PERIOD"
    BREAK_IN_TRADING = "SECURITY_TRADING_STATUS_BREAK_IN_TRADING"
    NORMAL_TRADING = "SECURITY_TRADING_STATUS_NORMAL_TRADING"
    CLOSING_AUCTION = "SECURITY_TRADING_STATUS_CLOSING_AUCTION"
    DARK_POOL_AUCTION = "SECURITY_TRADING_STATUS_DARK_POOL_AUCTION"
    DISCRETE_AUCTION = "SECURITY_TRADING_STATUS_DISCRETE_AUCTION"
    OPENING_AUCTION_PERIOD = "SECURITY_TRADING_STATUS_OPENING_AUCTION_PERIOD"
    TRADING_AT_CLOSING_AUCTION_PRICE = "SECURITY_TRADING_STATUS_TRADING_AT_CLOSING_AUCTION_PRICE"
    SESSION_ASSIGNED = "SECURITY_TRADING_STATUS_SESSION_ASSIGNED"
    SESSION_CLOSE = "SECURITY_TRADING_STATUS_SESSION_CLOSE"
    SESSION_OPEN = "SECURITY_TRADING_STATUS_SESSION_OPEN"
    DEALER_NORMAL_TRADING = "SECURITY_TRADING_STATUS_DEALER_NORMAL_TRADING"
    DEALER_BREAK_IN_TRADING = "SECURITY_TRADING_STATUS_DEALER_BREAK_IN_TRADING"
    DEALER_NOT_AVAILABLE_FOR_TRADING = "SECURITY_TRADING_STATUS_DEALER_NOT_AVAILABLE_FOR_TRADING"


class InstrumentKind(WireEnum):
    UNSPECIFIED = "INSTRUMENT_TYPE_UNSPECIFIED"
    BOND = "INSTRUMENT_TYPE_BOND"
    SHARE = "INSTRUMENT_TYPE_SHARE"
    CURRENCY = "INSTRUMENT_TYPE_CURRENCY"
    ETF = "INSTRUMENT_TYPE_ETF"
    FUTURES = "INSTRUMENT_TYPE_FUTURES"
    SP = "INSTRUMENT_TYPE_SP"
    OPTION = "INSTRUMENT_TYPE_OPTION"
    CLEARING_CERTIFICATE = "INSTRUMENT_TYPE_CLEARING_CERTIFICATE"
    INDEX = "INSTRUMENT_TYPE_INDEX"
    COMMODITY = "INSTRUMENT_TYPE_COMMODITY"


class InstrumentIdType(WireEnum):
    UNSPECIFIED = "INSTRUMENT_ID_UNSPECIFIED"
    FIGI = "INSTRUMENT_ID_TYPE_FIGI"
    TICKER = "INSTRUMENT_ID_TYPE_TICKER"
    UID = "INSTRUMENT_ID_TYPE_UID"
    POSITION_UID = "INSTRUMENT_ID_TYPE_POSITION_UID"


class InstrumentStatus(WireEnum):
    UNSPECIFIED = "INSTRUMENT_STATUS_UNSPECIFIED"
    BASE = "INSTRUMENT_STATUS_BASE"
    ALL = "INSTRUMENT_STATUS_ALL"


class AccountStatus(WireEnum):
    UNSPECIFIED = "ACCOUNT_STATUS_UNSPECIFIED"
    NEW = "ACCOUNT_STATUS_NEW"
    OPEN = "ACCOUNT_STATUS_OPEN"
    CLOSED = "ACCOUNT_STATUS_CLOSED"
    ALL = "ACCOUNT_STATUS_ALL"


class AccessLevel(WireEnum):
    UNSPECIFIED = "ACCOUNT_ACCESS_LEVEL_UNSPECIFIED"
    FULL_ACCESS = "ACCOUNT_ACCESS_LEVEL_FULL_ACCESS"
    READ_ONLY = "ACCOUNT_ACCESS_LEVEL_READ_ONLY"
    NO_ACCESS = "ACCOUNT_ACCESS_LEVEL_NO_ACCESS"


# ---------------------------------------------------------------- values


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str  # upper case, e.g. "RUB"


class PriceLevel(NamedTuple):
    """One order-book level: unpacks as (price, lots)."""

    price: Decimal
    lots: int


# ---------------------------------------------------------------- users


@dataclass(frozen=True, slots=True)
class Account:
    id: str
    name: str
    type: str  # e.g. "ACCOUNT_TYPE_TINKOFF"
    status: AccountStatus
    access_level: AccessLevel
    opened_at: datetime | None = None
    closed_at: datetime | None = None

    @property
    def can_trade(self) -> bool:
        return self.access_level == AccessLevel.FULL_ACCESS and self.status == AccountStatus.OPEN


@dataclass(frozen=True, slots=True)
class MarginAttributes:
    liquid_portfolio: Money | None
    starting_margin: Money | None
    minimal_margin: Money | None
    funds_sufficiency_level: Decimal
    amount_of_missing_funds: Money | None
    corrected_margin: Money | None


@dataclass(frozen=True, slots=True)
class UnaryLimit:
    limit_per_minute: int
    methods: tuple[str, ...]  # e.g. "tinkoff.public.invest.api.contract.v1.OrdersService/PostOrder"
    limit_per_second: int | None = None


@dataclass(frozen=True, slots=True)
class StreamLimit:
    limit: int
    streams: tuple[str, ...]
    open: int


@dataclass(frozen=True, slots=True)
class UserTariff:
    unary_limits: tuple[UnaryLimit, ...]
    stream_limits: tuple[StreamLimit, ...]


# ---------------------------------------------------------------- instruments


@dataclass(frozen=True, slots=True)
class Instrument:
    """A share, future or other instrument. Futures-only fields are None for other kinds."""

    kind: InstrumentKind
    figi: str
    uid: str
    ticker: str
    class_code: str
    name: str
    lot: int
    currency: str  # upper case
    min_price_increment: Decimal
    isin: str = ""
    exchange: str = ""
    position_uid: str = ""
    asset_uid: str = ""
    api_trade_available: bool = False
    buy_available: bool = False
    sell_available: bool = False
    short_enabled: bool = False
    weekend_trading: bool = False
    for_qual_investor: bool = False
    trading_status: TradingStatusCode = TradingStatusCode.UNSPECIFIED
    # margin rates (risk coefficients) for long/short, when the broker gives them
    dlong: Decimal | None = None
    dshort: Decimal | None = None
    dlong_min: Decimal | None = None
    dshort_min: Decimal | None = None
    # the broker's client risk rates: what it really blocks (the exchange's figure differs)
    dlong_client: Decimal | None = None
    dshort_client: Decimal | None = None
    # futures only
    basic_asset: str = ""
    basic_asset_size: Decimal | None = None
    basic_asset_position_uid: str = ""
    futures_type: str = ""
    asset_type: str = ""
    first_trade_date: datetime | None = None
    last_trade_date: datetime | None = None
    expiration_date: datetime | None = None
    min_price_increment_amount: Decimal | None = None
    initial_margin_on_buy: Money | None = None
    initial_margin_on_sell: Money | None = None

    @property
    def is_share(self) -> bool:
        return self.kind == InstrumentKind.SHARE

    @property
    def is_future(self) -> bool:
        return self.kind == InstrumentKind.FUTURES

    @property
    def instrument_id(self) -> str:
        """The id to send as `instrumentId`: the uid when known, else the figi."""
        return self.uid or self.figi


# Readable aliases for call sites: a Share is an Instrument of kind SHARE, etc.
Share = Instrument
Future = Instrument


@dataclass(frozen=True, slots=True)
class FuturesMargin:
    initial_margin_on_buy: Money | None
    initial_margin_on_sell: Money | None
    min_price_increment: Decimal
    min_price_increment_amount: Decimal


@dataclass(frozen=True, slots=True)
class Dividend:
    dividend_net: Money | None
    payment_date: datetime | None
    declared_date: datetime | None
    last_buy_date: datetime | None
    record_date: datetime | None
    dividend_type: str
    regularity: str
    close_price: Money | None
    yield_value: Decimal | None
    created_at: datetime | None


@dataclass(frozen=True, slots=True)
class TradingInterval:
    type: str
    start: datetime | None
    end: datetime | None


@dataclass(frozen=True, slots=True)
class TradingDay:
    date: date
    is_trading_day: bool
    start: datetime | None = None
    end: datetime | None = None
    opening_auction_start: datetime | None = None
    opening_auction_end: datetime | None = None
    closing_auction_start: datetime | None = None
    closing_auction_end: datetime | None = None
    evening_opening_auction_start: datetime | None = None
    evening_start: datetime | None = None
    evening_end: datetime | None = None
    clearing_start: datetime | None = None
    clearing_end: datetime | None = None
    premarket_start: datetime | None = None
    premarket_end: datetime | None = None
    intervals: tuple[TradingInterval, ...] = ()


@dataclass(frozen=True, slots=True)
class TradingSchedule:
    exchange: str
    days: tuple[TradingDay, ...]


# ---------------------------------------------------------------- market data


@dataclass(frozen=True, slots=True)
class OrderBook:
    instrument_uid: str
    figi: str
    depth: int
    bids: tuple[PriceLevel, ...]  # best (highest) first
    asks: tuple[PriceLevel, ...]  # best (lowest) first
    time: datetime | None = None
    ticker: str = ""
    class_code: str = ""
    last_price: Decimal | None = None
    close_price: Decimal | None = None
    limit_up: Decimal | None = None
    limit_down: Decimal | None = None

    @property
    def best_bid(self) -> Decimal | None:
        return self.bids[0].price if self.bids else None

    @property
    def best_ask(self) -> Decimal | None:
        return self.asks[0].price if self.asks else None

    @property
    def best_bid_lots(self) -> int:
        return self.bids[0].lots if self.bids else 0

    @property
    def best_ask_lots(self) -> int:
        return self.asks[0].lots if self.asks else 0

    @property
    def spread(self) -> Decimal | None:
        if self.best_bid is None or self.best_ask is None:
            return None
        return self.best_ask - self.best_bid


@dataclass(frozen=True, slots=True)
class LastPrice:
    instrument_uid: str
    figi: str
    price: Decimal
    time: datetime | None = None
    ticker: str = ""
    class_code: str = ""


@dataclass(frozen=True, slots=True)
class TradingStatus:
    instrument_uid: str
    figi: str
    status: TradingStatusCode
    limit_order_available: bool = False
    market_order_available: bool = False
    api_trade_available: bool = False
    bestprice_order_available: bool = False
    only_best_price: bool = False
    ticker: str = ""
    class_code: str = ""
    time: datetime | None = None  # set on stream updates

    @property
    def can_place_limit(self) -> bool:
        return self.api_trade_available and self.limit_order_available


# ---------------------------------------------------------------- orders


@dataclass(frozen=True, slots=True)
class OrderTrade:
    """One fill (order stage) of an order. `quantity` is in lots as the broker reports it."""

    trade_id: str
    quantity: int
    price: Decimal
    time: datetime | None = None


@dataclass(frozen=True, slots=True)
class OrderState:
    order_id: str  # broker (exchange) order id
    request_id: str  # our idempotency key (orderRequestId)
    status: OrderStatus
    direction: OrderDirection
    order_type: OrderType
    lots_requested: int
    lots_executed: int
    initial_order_price: Money | None = None  # whole order value at the limit price
    executed_order_price: Money | None = None  # whole executed value
    total_order_amount: Money | None = None
    average_position_price: Money | None = None  # average fill price per instrument
    initial_security_price: Money | None = None  # limit price per instrument
    initial_commission: Money | None = None
    executed_commission: Money | None = None
    figi: str = ""
    instrument_uid: str = ""
    ticker: str = ""
    class_code: str = ""
    currency: str = ""
    order_date: datetime | None = None
    trades: tuple[OrderTrade, ...] = ()

    @property
    def lots_left(self) -> int:
        return max(self.lots_requested - self.lots_executed, 0)

    @property
    def is_final(self) -> bool:
        return self.status.is_final

    @property
    def is_active(self) -> bool:
        return self.status in (OrderStatus.NEW, OrderStatus.PARTIALLY_FILLED)


@dataclass(frozen=True, slots=True)
class PostOrderResult:
    order_id: str
    request_id: str
    status: OrderStatus
    lots_requested: int
    lots_executed: int
    direction: OrderDirection
    order_type: OrderType
    initial_order_price: Money | None = None
    executed_order_price: Money | None = None
    total_order_amount: Money | None = None
    initial_security_price: Money | None = None
    figi: str = ""
    instrument_uid: str = ""
    ticker: str = ""
    class_code: str = ""
    message: str = ""
    tracking_id: str = ""


@dataclass(frozen=True, slots=True)
class StopOrder:
    stop_order_id: str
    lots_requested: int
    direction: StopOrderDirection
    order_type: StopOrderType
    status: StopOrderStatus
    price: Decimal | None  # execution price (limit of a stop-limit), per instrument
    stop_price: Decimal | None  # activation price, per instrument
    currency: str = ""
    figi: str = ""
    instrument_uid: str = ""
    ticker: str = ""
    class_code: str = ""
    created_at: datetime | None = None
    activated_at: datetime | None = None
    expires_at: datetime | None = None
    exchange_order_type: ExchangeOrderType = ExchangeOrderType.UNSPECIFIED
    exchange_order_id: str = ""  # non-empty once the stop has fired
    take_profit_type: TakeProfitType = TakeProfitType.UNSPECIFIED


@dataclass(frozen=True, slots=True)
class PostStopOrderResult:
    stop_order_id: str
    request_id: str
    tracking_id: str = ""


@dataclass(frozen=True, slots=True)
class MaxLots:
    currency: str
    buy_max_lots: int
    buy_max_market_lots: int
    buy_money_amount: Decimal
    buy_margin_max_lots: int
    sell_max_lots: int
    sell_margin_max_lots: int


# ---------------------------------------------------------------- portfolio


@dataclass(frozen=True, slots=True)
class PortfolioPosition:
    figi: str
    instrument_uid: str
    instrument_type: str  # "share", "futures", "currency", ...
    quantity: Decimal  # in pieces (units of the instrument)
    quantity_lots: Decimal | None = None
    average_position_price: Money | None = None
    current_price: Money | None = None
    expected_yield: Decimal | None = None
    blocked_lots: Decimal | None = None
    var_margin: Money | None = None
    position_uid: str = ""
    ticker: str = ""
    class_code: str = ""


@dataclass(frozen=True, slots=True)
class Portfolio:
    account_id: str
    total_amount_portfolio: Money | None
    total_amount_shares: Money | None
    total_amount_futures: Money | None
    total_amount_currencies: Money | None
    expected_yield: Decimal | None
    positions: tuple[PortfolioPosition, ...]

    def position(self, instrument_uid: str) -> PortfolioPosition | None:
        for p in self.positions:
            if instrument_uid in (p.instrument_uid, p.figi):
                return p
        return None


@dataclass(frozen=True, slots=True)
class PositionBalance:
    """A security or futures position from GetPositions: balance and blocked in pieces."""

    figi: str
    instrument_uid: str
    balance: int
    blocked: int
    instrument_type: str = ""
    position_uid: str = ""
    ticker: str = ""
    class_code: str = ""
    exchange_blocked: bool = False


@dataclass(frozen=True, slots=True)
class Positions:
    account_id: str
    money: tuple[Money, ...]
    blocked: tuple[Money, ...]
    securities: tuple[PositionBalance, ...]
    futures: tuple[PositionBalance, ...]
    limits_loading_in_progress: bool = False

    def money_in(self, currency: str = "RUB") -> Decimal:
        cur = currency.upper()
        return sum((m.amount for m in self.money if m.currency == cur), Decimal(0))

    def balance(self, instrument_uid: str) -> int:
        """Pieces held (securities and futures), 0 when absent."""
        for p in (*self.securities, *self.futures):
            if instrument_uid in (p.instrument_uid, p.figi):
                return p.balance
        return 0
