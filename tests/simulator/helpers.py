"""Small builders for simulator tests."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from tests.support.sim import SimHandle

SBER = "SBER_TQBR"  # lot 10, step 0.01, short-enabled
NOT_SHORTABLE = "ABRD_TQBR"  # lot 10, step 0.5, short_enabled = 0 in the data


def q(value: str | Decimal) -> dict[str, Any]:
    """A Quotation from a decimal string."""
    d = Decimal(value)
    units = int(d)
    return {"units": str(units), "nano": int((d - units) * 1_000_000_000)}


def dec(value: dict[str, Any]) -> Decimal:
    """A Quotation or MoneyValue back to Decimal."""
    return Decimal(value["units"]) + Decimal(value["nano"]) / Decimal(1_000_000_000)


def order(
    sim: SimHandle,
    lots: int,
    direction: str = "buy",
    price: str | None = None,
    instrument: str = SBER,
    order_id: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "instrumentId": instrument,
        "quantity": str(lots),
        "direction": "ORDER_DIRECTION_BUY" if direction == "buy" else "ORDER_DIRECTION_SELL",
        "accountId": sim.account_id,
        "orderType": "ORDER_TYPE_LIMIT" if price is not None else "ORDER_TYPE_MARKET",
        "orderId": order_id or str(uuid.uuid4()),
    }
    if price is not None:
        body["price"] = q(price)
    body.update(extra)
    return body


async def place(sim: SimHandle, *args: Any, **kwargs: Any) -> dict[str, Any]:
    result: dict[str, Any] = await sim.ok("OrdersService", "PostOrder", order(sim, *args, **kwargs))
    return result


async def refused(sim: SimHandle, body: dict[str, Any]) -> tuple[int, str]:
    status, data, _ = await sim.call("OrdersService", "PostOrder", body)
    assert status != 200, f"expected a refusal, got {data}"
    return status, str(data["description"])


async def state(sim: SimHandle, order_id: str) -> dict[str, Any]:
    result: dict[str, Any] = await sim.ok(
        "OrdersService", "GetOrderState", {"accountId": sim.account_id, "orderId": order_id}
    )
    return result


async def positions(sim: SimHandle) -> dict[str, Any]:
    result: dict[str, Any] = await sim.ok(
        "OperationsService", "GetPositions", {"accountId": sim.account_id}
    )
    return result


async def book(sim: SimHandle, instrument: str = SBER, depth: int = 10) -> dict[str, Any]:
    result: dict[str, Any] = await sim.ok(
        "MarketDataService", "GetOrderBook", {"instrumentId": instrument, "depth": depth}
    )
    return result


def stages(order_state: dict[str, Any]) -> list[tuple[Decimal, int]]:
    return [(dec(s["price"]), int(s["quantity"])) for s in order_state["stages"]]
