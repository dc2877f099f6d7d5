"""Order and stop-order records."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from simulator.instruments import Instrument

NEW = "EXECUTION_REPORT_STATUS_NEW"
PARTIAL = "EXECUTION_REPORT_STATUS_PARTIALLYFILL"
FILL = "EXECUTION_REPORT_STATUS_FILL"
CANCELLED = "EXECUTION_REPORT_STATUS_CANCELLED"
REJECTED = "EXECUTION_REPORT_STATUS_REJECTED"
ACTIVE_STATUSES = frozenset({NEW, PARTIAL})

BUY = "ORDER_DIRECTION_BUY"
SELL = "ORDER_DIRECTION_SELL"
LIMIT = "ORDER_TYPE_LIMIT"
MARKET = "ORDER_TYPE_MARKET"
BESTPRICE = "ORDER_TYPE_BESTPRICE"

TIF_DAY = "TIME_IN_FORCE_DAY"
TIF_FAK = "TIME_IN_FORCE_FILL_AND_KILL"
TIF_FOK = "TIME_IN_FORCE_FILL_OR_KILL"

STOP_TAKE_PROFIT = "STOP_ORDER_TYPE_TAKE_PROFIT"
STOP_LOSS = "STOP_ORDER_TYPE_STOP_LOSS"
STOP_LIMIT = "STOP_ORDER_TYPE_STOP_LIMIT"
STOP_BUY = "STOP_ORDER_DIRECTION_BUY"
STOP_SELL = "STOP_ORDER_DIRECTION_SELL"
GTC = "STOP_ORDER_EXPIRATION_TYPE_GOOD_TILL_CANCEL"
GTD = "STOP_ORDER_EXPIRATION_TYPE_GOOD_TILL_DATE"
STOP_ACTIVE = "STOP_ORDER_STATUS_ACTIVE"
STOP_EXECUTED = "STOP_ORDER_STATUS_EXECUTED"
STOP_CANCELED = "STOP_ORDER_STATUS_CANCELED"
STOP_EXPIRED = "STOP_ORDER_STATUS_EXPIRED"
EXCHANGE_MARKET = "EXCHANGE_ORDER_TYPE_MARKET"
EXCHANGE_LIMIT = "EXCHANGE_ORDER_TYPE_LIMIT"


@dataclass
class Fill:
    price: Decimal
    lots: int
    trade_id: str
    time: datetime


@dataclass
class Order:
    order_id: str
    request_id: str
    account_id: str
    instrument: Instrument
    direction: str
    order_type: str
    time_in_force: str
    lots_requested: int
    price: Decimal | None  # limit price, None for market orders
    initial_price: Decimal  # the price used for the initial estimate
    created: datetime
    seq: int
    status: str = NEW
    fills: list[Fill] = field(default_factory=list)
    executed_commission: Decimal = Decimal(0)
    message: str = ""
    updated: datetime | None = None
    stop_order_id: str = ""
    #: Pieces of a share position held for this resting sell order.
    blocked_units: int = 0

    @property
    def buy(self) -> bool:
        return self.direction == BUY

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def lots_executed(self) -> int:
        return sum(f.lots for f in self.fills)

    @property
    def lots_left(self) -> int:
        return self.lots_requested - self.lots_executed

    @property
    def lots_cancelled(self) -> int:
        return self.lots_left if self.status in (CANCELLED, REJECTED) else 0

    def executed_value(self) -> Decimal:
        return sum((self.instrument.lot_value(f.price) * f.lots for f in self.fills), Decimal(0))

    def average_price(self) -> Decimal:
        """Average fill price per instrument unit (points for futures)."""
        lots = self.lots_executed
        if not lots:
            return Decimal(0)
        return sum((f.price * f.lots for f in self.fills), Decimal(0)) / lots


@dataclass
class StopOrder:
    stop_order_id: str
    request_id: str
    account_id: str
    instrument: Instrument
    direction: str  # STOP_ORDER_DIRECTION_*
    stop_type: str
    lots: int
    stop_price: Decimal
    price: Decimal | None
    expiration_type: str
    expire_at: datetime | None
    exchange_order_type: str
    created: datetime
    status: str = STOP_ACTIVE
    activated: datetime | None = None
    exchange_order_id: str = ""

    @property
    def buy(self) -> bool:
        return self.direction == STOP_BUY

    def triggered_by(self, last: Decimal) -> bool:
        """Take-profit fires when the price moves in the position's favour, stops against it."""
        if self.stop_type == STOP_TAKE_PROFIT:
            return last <= self.stop_price if self.buy else last >= self.stop_price
        return last >= self.stop_price if self.buy else last <= self.stop_price
