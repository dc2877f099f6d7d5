"""Pure: the account's live orders and stop orders, each with the task it serves when it is one
of ours (the broker's order request id is our client order id, recorded in the Base)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from bot.base_client.types import OrderRecord
from bot.broker.types import OrderState, StopOrder


@dataclass(frozen=True, slots=True)
class LiveOrder:
    kind: str  # "limit" | "market" | "stop"
    ticker: str
    direction: str  # "buy" | "sell"
    lots: int
    lots_executed: int
    price: Decimal | None  # limit (per instrument); a stop-limit's limit
    stop_price: Decimal | None = None  # a stop's activation price
    stop_type: str = ""  # take_profit | stop_loss | stop_limit
    order_id: str = ""
    task_kind: str | None = None
    task_id: int | None = None
    leg: str | None = None
    placed_at: datetime | None = None
    expires_at: datetime | None = None

    @property
    def ours(self) -> bool:
        return self.task_kind is not None


def _side(name: str) -> str:
    return "buy" if name.endswith("BUY") else "sell" if name.endswith("SELL") else "?"


def live_orders(
    orders: Iterable[OrderState],
    stops: Iterable[StopOrder],
    records: Iterable[OrderRecord],
    tickers: Mapping[str, str],
) -> list[LiveOrder]:
    """Limit/market orders first (ours first, then by ticker), then stop orders by ticker.
    `tickers` maps instrument uid and figi to tickers for orders that do not carry one."""
    ours = {r.client_order_id: r for r in records}

    def ticker(uid: str, figi: str, given: str) -> str:
        return given or tickers.get(uid) or tickers.get(figi) or figi or uid or "?"

    result: list[LiveOrder] = []
    for order in orders:
        if not order.is_active:
            continue
        record = ours.get(order.request_id)
        limit = order.initial_security_price
        kind = order.order_type.value.removeprefix("ORDER_TYPE_").lower()
        result.append(
            LiveOrder(
                kind=kind if kind in ("limit", "market") else "limit",
                ticker=ticker(order.instrument_uid, order.figi, order.ticker),
                direction=_side(order.direction.value),
                lots=order.lots_requested,
                lots_executed=order.lots_executed,
                price=None if limit is None else limit.amount,
                order_id=order.order_id,
                task_kind=None if record is None else record.task_kind,
                task_id=None if record is None else record.task_id,
                leg=None if record is None else record.leg,
                placed_at=order.order_date,
            )
        )
    result.sort(key=lambda o: (not o.ours, o.ticker, o.direction))
    stop_rows = [
        LiveOrder(
            kind="stop",
            ticker=ticker(stop.instrument_uid, stop.figi, stop.ticker),
            direction=_side(stop.direction.value),
            lots=stop.lots_requested,
            lots_executed=0,
            price=stop.price,
            stop_price=stop.stop_price,
            stop_type=stop.order_type.value.removeprefix("STOP_ORDER_TYPE_").lower(),
            order_id=stop.stop_order_id,
            placed_at=stop.created_at,
            expires_at=stop.expires_at,
        )
        for stop in stops
    ]
    stop_rows.sort(key=lambda o: (o.ticker, o.direction, o.stop_price or Decimal(0)))
    return result + stop_rows
