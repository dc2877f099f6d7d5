"""What the engine needs from the Base: BaseClient implements it, and so does the in-memory fake
used by engine tests (tests/support/fake_base.py)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Protocol

from bot.base_client.types import (
    ActiveTasks,
    BaseHealth,
    FillRecorded,
    Instrument,
    Json,
    NewFill,
    NewOrder,
    OrderRecord,
    OrderUpdate,
    SellBuyTask,
    Spread,
    SyncResult,
    TradingSettings,
)


class BaseApi(Protocol):
    async def health(self) -> BaseHealth: ...

    async def instrument_by_ticker(self, ticker: str) -> Instrument | None: ...

    async def instrument(self, instrument_id: int) -> Instrument: ...

    async def instruments(self, **filters: Any) -> list[Instrument]:
        """The catalogue (filters: active, kind, ticker, basic_asset, class_code)."""
        ...

    async def open_orders(self, task_kind: str | None = None) -> list[OrderRecord]: ...

    async def sync_instruments(
        self, instruments: list[dict[str, Any]], *, complete: bool
    ) -> SyncResult: ...

    async def active_tasks(self) -> ActiveTasks: ...

    async def create_sellbuy(
        self,
        *,
        instrument_id: int,
        direction: str,
        amount: int,
        limit_price: Decimal | None,
        covered: bool = False,
    ) -> SellBuyTask: ...

    async def sellbuy(self, task_id: int) -> SellBuyTask: ...

    async def set_sellbuy_active(
        self, task_id: int, active: bool, reason: str | None = None
    ) -> SellBuyTask: ...

    async def spread(self, spread_id: int) -> Spread | None: ...

    async def set_spread_active(
        self, spread_id: int, active: bool, reason: str | None = None
    ) -> Spread: ...

    async def record_order(self, order: NewOrder) -> OrderRecord: ...

    async def update_order(self, update: OrderUpdate) -> OrderRecord: ...

    async def order(self, client_order_id: str) -> OrderRecord | None: ...

    async def record_fill(self, fill: NewFill) -> FillRecorded: ...

    async def record_batch(
        self, records: list[tuple[str, dict[str, Any]]]
    ) -> list[tuple[int, dict[str, Any]]]: ...

    async def settings(self) -> TradingSettings: ...

    # the owner's views (bot.engine.views): results, dashboard snapshot, quote history
    async def stats(self, period: str) -> Json: ...

    async def put_portfolio(self, snapshot: Json) -> None: ...

    async def post_quotes(self, series: list[Json]) -> int: ...

    async def chart(self, task_kind: str, task_id: int) -> Json | None: ...

    async def orders_missing_commission(self) -> list[OrderRecord]: ...

    async def close(self) -> None: ...
