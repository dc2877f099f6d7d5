"""Models of the Base. Writes go through trademan.base.services; reads through selectors."""

from trademan.base.models.changes import ChangeCounter
from trademan.base.models.choices import (
    FINAL_ORDER_STATUSES,
    STOP_ORDER_TYPES,
    BulkCommand,
    Direction,
    InstrumentKind,
    Leg,
    OrderStatus,
    OrderType,
    StopListKind,
    StopOrderExpiration,
    StopOrderType,
    TaskKind,
)
from trademan.base.models.instruments import Instrument
from trademan.base.models.orders import Fill, Order
from trademan.base.models.stash import StashedStopOrder
from trademan.base.models.stoplists import StopListEntry
from trademan.base.models.tasks import SellBuyTask, Spread
from trademan.base.models.trading_settings import NotifyLevel, TradingSettings
from trademan.base.models.views import PortfolioSnapshot, QuotePoint

__all__ = [
    "FINAL_ORDER_STATUSES",
    "STOP_ORDER_TYPES",
    "BulkCommand",
    "ChangeCounter",
    "Direction",
    "Fill",
    "Instrument",
    "InstrumentKind",
    "Leg",
    "NotifyLevel",
    "Order",
    "OrderStatus",
    "OrderType",
    "PortfolioSnapshot",
    "QuotePoint",
    "SellBuyTask",
    "Spread",
    "StashedStopOrder",
    "StopListEntry",
    "StopListKind",
    "StopOrderExpiration",
    "StopOrderType",
    "TaskKind",
    "TradingSettings",
]
