"""Typed objects of the Base API. Prices and sums are Decimal (strings on the wire), amounts are
pieces, times are timezone-aware UTC."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Literal

OrderStatus = Literal[
    "prepared",
    "sent",
    "new",
    "partially_filled",
    "filled",
    "cancelled",
    "rejected",
    "unknown",
]
# the statuses only a stop order reaches: it fired, or it expired
UpdateStatus = OrderStatus | Literal["triggered", "expired"]
FINAL_STATUSES: frozenset[str] = frozenset(
    {"filled", "cancelled", "rejected", "triggered", "expired"}
)
OrderType = Literal["limit", "market", "take_profit", "stop_loss", "stop_limit"]
BulkCommand = Literal["stops", "shorts", "nuke", "restore"]
Direction = Literal["buy", "sell"]
TaskKind = Literal["sellbuy", "spread"]
Leg = Literal["far", "near"]

Json = dict[str, Any]


def dec(value: Any) -> Decimal:
    if isinstance(value, float):  # never expected from the Base; avoid binary noise anyway
        return Decimal(str(value))
    return Decimal(value)


def opt_dec(value: Any) -> Decimal | None:
    return None if value is None or value == "" else dec(value)


def parse_time(value: Any) -> datetime:
    text = str(value)
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def opt_time(value: Any) -> datetime | None:
    return None if value in (None, "") else parse_time(value)


def format_time(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def opt_date(value: Any) -> date | None:
    if value in (None, ""):
        return None
    text = str(value)
    if "T" in text:
        return parse_time(text).date()
    return date.fromisoformat(text)


@dataclass(frozen=True, slots=True)
class BaseHealth:
    ok: bool
    latency_ms: float
    database: str


@dataclass(frozen=True, slots=True)
class Instrument:
    id: int
    figi: str
    uid: str
    ticker: str
    class_code: str
    name: str
    kind: str  # "share" | "future"
    lot: int
    min_price_increment: Decimal
    min_price_increment_amount: Decimal | None = None
    currency: str = "rub"
    basic_asset: str = ""
    basic_asset_size: Decimal | None = None
    expiration: date | None = None
    api_trade_available: bool = True
    short_enabled: bool = False
    buy_available: bool = True
    sell_available: bool = True
    weekend_trading: bool = False
    exchange: str = ""
    active: bool = True

    @classmethod
    def from_json(cls, data: Json) -> Instrument:
        return cls(
            id=int(data["id"]),
            figi=str(data.get("figi", "")),
            uid=str(data.get("uid", "")),
            ticker=str(data["ticker"]),
            class_code=str(data.get("class_code", "")),
            name=str(data.get("name", "")),
            kind=str(data.get("kind", "share")),
            lot=int(data.get("lot", 1)),
            min_price_increment=dec(data.get("min_price_increment", "0")),
            min_price_increment_amount=opt_dec(data.get("min_price_increment_amount")),
            currency=str(data.get("currency", "rub")),
            basic_asset=str(data.get("basic_asset") or ""),
            basic_asset_size=opt_dec(data.get("basic_asset_size")),
            expiration=opt_date(data.get("expiration")),
            api_trade_available=bool(data.get("api_trade_available", True)),
            short_enabled=bool(data.get("short_enabled", False)),
            buy_available=bool(data.get("buy_available", True)),
            sell_available=bool(data.get("sell_available", True)),
            weekend_trading=bool(data.get("weekend_trading", False)),
            exchange=str(data.get("exchange") or ""),
            active=bool(data.get("active", True)),
        )


@dataclass(frozen=True, slots=True)
class OrderRecord:
    client_order_id: str
    instrument: int
    direction: Direction
    order_type: str
    price: Decimal | None
    lots: int
    status: OrderStatus
    lots_executed: int = 0
    broker_order_id: str | None = None
    task_kind: TaskKind | None = None
    task_id: int | None = None
    leg: Leg | None = None
    message: str = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None
    stop_price: Decimal | None = None  # stop orders only
    expire_at: datetime | None = None
    bulk_command: str | None = None

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @classmethod
    def from_json(cls, data: Json) -> OrderRecord:
        return cls(
            client_order_id=str(data["client_order_id"]),
            instrument=int(data["instrument"]),
            direction=data["direction"],
            order_type=str(data.get("order_type", "limit")),
            price=opt_dec(data.get("price")),
            lots=int(data["lots"]),
            status=data.get("status", "prepared"),
            lots_executed=int(data.get("lots_executed") or 0),
            broker_order_id=data.get("broker_order_id") or None,
            task_kind=data.get("task_kind"),
            task_id=None if data.get("task_id") is None else int(data["task_id"]),
            leg=data.get("leg"),
            message=str(data.get("message") or ""),
            created_at=opt_time(data.get("created_at")),
            updated_at=opt_time(data.get("updated_at")),
            stop_price=opt_dec(data.get("stop_price")),
            expire_at=opt_time(data.get("expire_at")),
            bulk_command=data.get("bulk_command") or None,
        )


@dataclass(frozen=True, slots=True)
class NewOrder:
    """An order to record before it is sent (POST orders/)."""

    client_order_id: str
    instrument: int
    direction: Direction
    order_type: OrderType
    price: Decimal | None
    lots: int
    status: OrderStatus = "prepared"
    task_kind: TaskKind | None = None
    task_id: int | None = None
    leg: Leg | None = None
    # the opposite best price when placed (best ask buying, best bid selling): what crossing
    # the spread would have paid; the reference of the price improvement in /stats
    opposite_price: Decimal | None = None
    # stop orders only (bot.engine.stops): the trigger price, expiry (None: till cancelled) and
    # the bulk command that placed it
    stop_price: Decimal | None = None
    expire_at: datetime | None = None
    bulk_command: BulkCommand | None = None

    def to_json(self) -> Json:
        body: Json = {
            "client_order_id": self.client_order_id,
            "instrument": self.instrument,
            "direction": self.direction,
            "order_type": self.order_type,
            "price": None if self.price is None else str(self.price),
            "lots": self.lots,
            "status": self.status,
            "task_kind": self.task_kind,
            "task_id": self.task_id,
            "leg": self.leg,
            **self._stop_json(),
        }
        if self.opposite_price is not None:
            body["opposite_price"] = str(self.opposite_price)
        return body

    def _stop_json(self) -> Json:
        if self.stop_price is None:
            return {}
        return {
            "stop_price": str(self.stop_price),
            "expire_at": None if self.expire_at is None else self.expire_at.isoformat(),
            "bulk_command": self.bulk_command,
        }


@dataclass(frozen=True, slots=True)
class OrderUpdate:
    """Status and broker facts of a recorded order (PATCH orders/{client_order_id}/)."""

    client_order_id: str
    status: UpdateStatus
    broker_order_id: str | None = None
    lots_executed: int | None = None
    message: str | None = None
    commission: Decimal | None = None  # RUB charged so far, as the broker reports it

    def to_json(self) -> Json:
        body: Json = {"status": self.status}
        if self.commission is not None:
            body["commission"] = str(self.commission)
        if self.broker_order_id is not None:
            body["broker_order_id"] = self.broker_order_id
        if self.lots_executed is not None:
            body["lots_executed"] = self.lots_executed
        if self.message is not None:
            body["message"] = self.message
        return body


@dataclass(frozen=True, slots=True)
class NewFill:
    """One fill of an order (POST fills/); unique per (order, trade_id)."""

    order: str  # client_order_id
    trade_id: str
    quantity: int  # pieces
    price: Decimal
    executed_at: datetime

    def to_json(self) -> Json:
        return {
            "order": self.order,
            "trade_id": self.trade_id,
            "quantity": self.quantity,
            "price": str(self.price),
            "executed_at": format_time(self.executed_at),
        }


@dataclass(frozen=True, slots=True)
class FillRecorded:
    """The Base's answer to a fill: whether it was new, and the task's progress after it."""

    created: bool
    executed: int | None = None
    average_price: Decimal | None = None
    raw: Json = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Json, created: bool) -> FillRecorded:
        progress: Json = data
        for key in ("task", "progress"):
            nested = data.get(key)
            if isinstance(nested, dict):
                progress = nested
                break
        executed = progress.get("executed", progress.get("far_executed"))
        average = progress.get("average_price", progress.get("far_average"))
        return cls(
            created=created,
            executed=None if executed is None else int(executed),
            average_price=opt_dec(average),
            raw=data,
        )


@dataclass(frozen=True, slots=True)
class SellBuyTask:
    id: int
    instrument: Instrument
    direction: Direction
    amount: int
    limit_price: Decimal | None
    active: bool
    executed: int
    average_price: Decimal | None
    created_at: datetime | None
    open_orders: tuple[OrderRecord, ...] = ()
    disabled_reason: str = ""  # why the bot switched it off (broker refusal), shown in the admin

    @classmethod
    def from_json(cls, data: Json) -> SellBuyTask:
        return cls(
            id=int(data["id"]),
            instrument=Instrument.from_json(data["instrument"]),
            direction=data["direction"],
            amount=int(data["amount"]),
            limit_price=opt_dec(data.get("limit_price")),
            active=bool(data.get("active", True)),
            executed=int(data.get("executed") or 0),
            average_price=opt_dec(data.get("average_price")),
            created_at=opt_time(data.get("created_at")),
            open_orders=tuple(OrderRecord.from_json(o) for o in data.get("open_orders") or ()),
            disabled_reason=str(data.get("disabled_reason") or ""),
        )


@dataclass(frozen=True, slots=True)
class Spread:
    id: int
    far: Instrument
    near: Instrument
    direction: Direction
    amount: int
    target_price: Decimal
    ratio: Decimal
    ratio_override: Decimal | None
    active: bool
    far_executed: int
    far_average: Decimal | None
    near_executed: int
    near_average: Decimal | None
    average_spread: Decimal | None
    created_at: datetime | None
    open_orders: tuple[OrderRecord, ...] = ()

    @classmethod
    def from_json(cls, data: Json) -> Spread:
        return cls(
            id=int(data["id"]),
            far=Instrument.from_json(data["far"]),
            near=Instrument.from_json(data["near"]),
            direction=data["direction"],
            amount=int(data["amount"]),
            target_price=dec(data["target_price"]),
            ratio=dec(data.get("ratio") or "1"),
            ratio_override=opt_dec(data.get("ratio_override")),
            active=bool(data.get("active", True)),
            far_executed=int(data.get("far_executed") or 0),
            far_average=opt_dec(data.get("far_average")),
            near_executed=int(data.get("near_executed") or 0),
            near_average=opt_dec(data.get("near_average")),
            average_spread=opt_dec(data.get("average_spread")),
            created_at=opt_time(data.get("created_at")),
            open_orders=tuple(OrderRecord.from_json(o) for o in data.get("open_orders") or ()),
        )


@dataclass(frozen=True, slots=True)
class ActiveTasks:
    sellbuy: tuple[SellBuyTask, ...]
    spreads: tuple[Spread, ...]


@dataclass(frozen=True, slots=True)
class SyncResult:
    created: int
    updated: int
    deactivated: int
    unchanged: int


@dataclass(frozen=True, slots=True)
class TradingSettings:
    long_levels: tuple[Decimal, ...] = (Decimal(15), Decimal(20), Decimal(25))
    short_levels: tuple[Decimal, ...] = (Decimal(20), Decimal(25), Decimal(30))
    stop_sum: Decimal = Decimal(300000)
    order_ttl_days: int = 30
    scan_rate: Decimal = Decimal(12)
    max_order_value: Decimal = Decimal(5000000)
    max_bulk_value: Decimal = Decimal(50000000)
    max_position_value: Decimal = Decimal(20000000)
    bulk_confirm_threshold: int = 50
    #: tickers the market recorder records besides the instruments of running jobs
    tape_watchlist: tuple[str, ...] = ()
    # notification levels per kind of event: "on", "silent" (no sound) or "off"
    notify_fills: str = "on"
    notify_progress: str = "on"
    notify_stops: str = "on"
    notify_alerts: str = "on"

    @classmethod
    def from_json(cls, data: Json) -> TradingSettings:
        default = cls()
        return cls(
            long_levels=tuple(dec(x) for x in data.get("long_levels", default.long_levels)),
            short_levels=tuple(dec(x) for x in data.get("short_levels", default.short_levels)),
            stop_sum=dec(data.get("stop_sum", default.stop_sum)),
            order_ttl_days=int(data.get("order_ttl_days", default.order_ttl_days)),
            scan_rate=dec(data.get("scan_rate", default.scan_rate)),
            max_order_value=dec(data.get("max_order_value", default.max_order_value)),
            max_bulk_value=dec(data.get("max_bulk_value", default.max_bulk_value)),
            max_position_value=dec(data.get("max_position_value", default.max_position_value)),
            bulk_confirm_threshold=int(
                data.get("bulk_confirm_threshold", default.bulk_confirm_threshold)
            ),
            tape_watchlist=tuple(str(t) for t in data.get("tape_watchlist") or ()),
            notify_fills=str(data.get("notify_fills", "on")),
            notify_progress=str(data.get("notify_progress", "on")),
            notify_stops=str(data.get("notify_stops", "on")),
            notify_alerts=str(data.get("notify_alerts", "on")),
        )
