"""Async client of the Base REST API v1 (docs/base-api.md)."""

from bot.base_client.api import BaseApi
from bot.base_client.client import BaseClient
from bot.base_client.errors import BaseError, BaseRejected, BaseUnavailable
from bot.base_client.types import (
    ActiveTasks,
    BaseHealth,
    FillRecorded,
    Instrument,
    NewFill,
    NewOrder,
    OrderRecord,
    OrderUpdate,
    SellBuyTask,
    Spread,
    SyncResult,
    TradingSettings,
)

__all__ = [
    "ActiveTasks",
    "BaseApi",
    "BaseClient",
    "BaseError",
    "BaseHealth",
    "BaseRejected",
    "BaseUnavailable",
    "FillRecorded",
    "Instrument",
    "NewFill",
    "NewOrder",
    "OrderRecord",
    "OrderUpdate",
    "SellBuyTask",
    "Spread",
    "SyncResult",
    "TradingSettings",
]
