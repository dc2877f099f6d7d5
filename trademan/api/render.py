"""Plain-dict rendering of the hot read (tasks/active/): the same JSON as the DRF serializers
(tests hold them equal), several times faster for hundreds of tasks."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from trademan.base.models import Instrument, Order, SellBuyTask, Spread
from trademan.base.services.rules import fmt


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else fmt(value)


def _time(value: datetime | None) -> str | None:
    if value is None:
        return None
    text = value.astimezone(UTC).isoformat()
    return text.removesuffix("+00:00") + "Z"


def instrument(i: Instrument) -> dict[str, Any]:
    return {
        "id": i.pk,
        "figi": i.figi,
        "uid": i.uid,
        "ticker": i.ticker,
        "class_code": i.class_code,
        "name": i.name,
        "kind": i.kind,
        "lot": i.lot,
        "min_price_increment": _dec(i.min_price_increment),
        "min_price_increment_amount": _dec(i.min_price_increment_amount),
        "currency": i.currency,
        "basic_asset": i.basic_asset,
        "basic_asset_size": _dec(i.basic_asset_size),
        "expiration": _time(i.expiration),
        "api_trade_available": i.api_trade_available,
        "short_enabled": i.short_enabled,
        "buy_available": i.buy_available,
        "sell_available": i.sell_available,
        "weekend_trading": i.weekend_trading,
        "exchange": i.exchange,
        "active": i.active,
    }


def order(o: Order) -> dict[str, Any]:
    return {
        "client_order_id": str(o.client_order_id),
        "broker_order_id": o.broker_order_id,
        "task_kind": o.task_kind,
        "task_id": o.task_id,
        "leg": o.leg_or_none,
        "instrument": o.instrument_id,
        "direction": o.direction,
        "order_type": o.order_type,
        "price": _dec(o.price),
        "stop_price": _dec(o.stop_price),
        "expire_at": _time(o.expire_at),
        "bulk_command": o.bulk_command or None,
        "lots": o.lots,
        "lots_executed": o.lots_executed,
        "status": o.status,
        "message": o.message,
        "opposite_price": _dec(o.opposite_price),
        "commission": _dec(o.commission),
        "created_at": _time(o.created_at),
        "updated_at": _time(o.updated_at),
    }


def sellbuy(t: SellBuyTask) -> dict[str, Any]:
    """`t` comes from selectors.sellbuy_tasks() (instrument and open orders loaded)."""
    return {
        "id": t.pk,
        "instrument": instrument(t.instrument),
        "direction": t.direction,
        "amount": t.amount,
        "limit_price": _dec(t.limit_price),
        "covered": t.covered,
        "active": t.active,
        "disabled_reason": t.disabled_reason,
        "executed": t.executed,
        "average_price": _dec(t.average_price),
        "created_at": _time(t.created_at),
        "open_orders": [order(o) for o in t.open_orders],  # type: ignore[attr-defined]
    }


def spread(s: Spread) -> dict[str, Any]:
    """`s` comes from selectors.spreads() (legs and open orders loaded)."""
    return {
        "id": s.pk,
        "far": instrument(s.far),
        "near": instrument(s.near),
        "direction": s.direction,
        "amount": s.amount,
        "target_price": _dec(s.target_price),
        "ratio_override": _dec(s.ratio_override),
        "ratio": _dec(s.ratio),
        "near_amount": s.near_amount,
        "active": s.active,
        "disabled_reason": s.disabled_reason,
        "far_executed": s.far_executed,
        "far_average": _dec(s.far_average),
        "near_executed": s.near_executed,
        "near_average": _dec(s.near_average),
        "average_spread": _dec(s.average_spread),
        "created_at": _time(s.created_at),
        "open_orders": [order(o) for o in s.open_orders],  # type: ignore[attr-defined]
    }


def active_tasks(tasks: list[SellBuyTask], spreads: list[Spread]) -> dict[str, Any]:
    return {"sellbuy": [sellbuy(t) for t in tasks], "spreads": [spread(s) for s in spreads]}
