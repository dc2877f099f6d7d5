"""GET /api/v1/tasks/active/, the bot's hot read, made cheap.

- Conditional GET: the ETag is the Base's change counter (trademan.base.models.changes), which
  database triggers bump on every write to the tables the answer is made of, whatever does the
  write. The counter is read BEFORE the tasks, so an answer is never older than its ETag; an
  unchanged counter answers 304 without reading a task.
- A changed answer: four `.values()` queries (no model instances for tasks, orders and
  instruments), every instrument rendered once however many tasks name it, and the body encoded
  by the standard library's C JSON encoder straight into the response (no DRF renderer).
The JSON is the same as render.active_tasks() / the DRF serializers (tests hold them equal).
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Q, TextField
from django.db.models.functions import Cast
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified

from trademan.api.render import _time
from trademan.base.models import Instrument, InstrumentKind, SellBuyTask, Spread
from trademan.base.models.tasks import AVERAGE_QUANTUM, average
from trademan.base.selectors import change_version, open_orders
from trademan.base.services.rules import derive_ratio, fmt

# Bump when the JSON of tasks/active/ changes shape, so that no client keeps an answer of the
# previous code under the same ETag.
RENDER_REVISION = "1"

INSTRUMENT_FIELDS = (
    "id",
    "figi",
    "uid",
    "ticker",
    "class_code",
    "name",
    "kind",
    "lot",
    "min_price_increment",
    "min_price_increment_amount",
    "currency",
    "basic_asset",
    "basic_asset_size",
    "api_trade_available",
    "short_enabled",
    "buy_available",
    "sell_available",
    "weekend_trading",
    "exchange",
    "active",
)
DECIMAL_INSTRUMENT_FIELDS = (
    "min_price_increment",
    "min_price_increment_amount",
    "basic_asset_size",
)
SELLBUY_FIELDS = (
    "id",
    "instrument_id",
    "direction",
    "amount",
    "limit_price",
    "covered",
    "active",
    "disabled_reason",
    "executed",
    "executed_value",
)
SPREAD_FIELDS = (
    "id",
    "far_id",
    "near_id",
    "direction",
    "amount",
    "target_price",
    "ratio_override",
    "active",
    "disabled_reason",
    "far_executed",
    "far_value",
    "near_executed",
    "near_value",
)
ORDER_FIELDS = (
    "client_order_id",
    "broker_order_id",
    "sellbuy_id",
    "spread_id",
    "leg",
    "instrument_id",
    "direction",
    "order_type",
    "price",
    "lots",
    "lots_executed",
    "status",
    "message",
    "opposite_price",
    "commission",
)


def _as_text(*names: str) -> dict[str, Cast]:
    """Timestamps read as the database's text (`<name>_text`): turning that text into ISO 8601
    is several times cheaper than parsing a datetime and formatting it again."""
    return {f"{name}_text": Cast(name, output_field=TextField()) for name in names}


def _stamp(text: str | None) -> str | None:
    """A UTC timestamp as the database writes it ('2026-12-04 10:00:00.12+00' in PostgreSQL
    with the connection in UTC, as Django sets it; '2026-12-04 10:00:00.120000' in SQLite) ->
    render._time()'s text ('2026-12-04T10:00:00.120000Z'). Anything else goes the slow way."""
    if text is None:
        return None
    stamp = text.replace(" ", "T", 1)
    if stamp.endswith("+00:00"):
        stamp = stamp[:-6]
    elif stamp.endswith("+00"):
        stamp = stamp[:-3]
    if (
        len(stamp) < 19
        or not stamp[:19].replace("-", "").replace(":", "").replace("T", "").isdigit()
    ):
        return _time(datetime.fromisoformat(text))
    fraction = stamp[19:]
    if fraction:
        digits = fraction[1:]
        if fraction[0] != "." or not digits.isdigit() or len(digits) > 6:
            return _time(datetime.fromisoformat(text))
        stamp = stamp[:20] + digits.ljust(6, "0")
    return stamp + "Z"


_texts: dict[Decimal, str] = {}


def _dec(value: Decimal | None) -> str | None:
    """render._dec, remembered: equal decimals have the same text (fmt normalises), and an
    answer repeats the same prices and increments many times."""
    if value is None:
        return None
    text = _texts.get(value)
    if text is None:
        if len(_texts) > 50_000:
            _texts.clear()
        text = _texts[value] = fmt(value)
    return text


def etag() -> str:
    epoch, version = change_version()
    return f'"tasks-{RENDER_REVISION}-{epoch}-{version}"'


def _matches(request: HttpRequest, tag: str) -> bool:
    header = request.headers.get("If-None-Match", "")
    if not header:
        return False
    candidates = {t.strip().removeprefix("W/") for t in header.split(",")}
    return tag in candidates or "*" in candidates


def _instrument_json(row: dict[str, Any]) -> dict[str, Any]:
    out = dict(row)
    for name in DECIMAL_INSTRUMENT_FIELDS:
        out[name] = _dec(row[name])
    out["expiration"] = _stamp(out.pop("expiration_text"))
    return out


def _order_json(row: dict[str, Any]) -> dict[str, Any]:
    sellbuy_id, spread_id = row["sellbuy_id"], row["spread_id"]
    return {
        "client_order_id": str(row["client_order_id"]),
        "broker_order_id": row["broker_order_id"],
        "task_kind": "sellbuy" if sellbuy_id else ("spread" if spread_id else None),
        "task_id": sellbuy_id or spread_id,
        "leg": row["leg"] or None,
        "instrument": row["instrument_id"],
        "direction": row["direction"],
        "order_type": row["order_type"],
        "price": _dec(row["price"]),
        # a task's orders are never stop orders (those belong to no task)
        "stop_price": None,
        "expire_at": None,
        "bulk_command": None,
        "lots": row["lots"],
        "lots_executed": row["lots_executed"],
        "status": row["status"],
        "message": row["message"],
        "opposite_price": _dec(row["opposite_price"]),
        "commission": _dec(row["commission"]),
        "created_at": _stamp(row["created_at_text"]),
        "updated_at": _stamp(row["updated_at_text"]),
    }


def _average(value: Decimal, quantity: int) -> str | None:
    return _dec(average(value, quantity))


class _Leg:
    """What the spread maths needs of an instrument (the model's own properties, without
    building a model instance per row)."""

    __slots__ = ("basic_asset_size", "is_future", "is_share", "min_price_increment", "step_amount")

    def __init__(self, row: dict[str, Any]) -> None:
        self.basic_asset_size = row["basic_asset_size"]
        self.is_share = row["kind"] == InstrumentKind.SHARE
        self.is_future = row["kind"] == InstrumentKind.FUTURE
        self.min_price_increment = row["min_price_increment"]
        self.step_amount = row["min_price_increment_amount"]

    def price_in_roubles(self, price: Decimal) -> Decimal:
        # = Instrument.price_in_roubles
        if self.is_future and self.step_amount:
            return price / self.min_price_increment * self.step_amount
        return price


def _spread_json(
    row: dict[str, Any],
    legs: dict[int, _Leg],
    instruments: dict[int, dict[str, Any]],
    open_orders: list[dict[str, Any]],
) -> dict[str, Any]:
    """= render.spread() of a Spread model: the same derived figures (ratio, near amount,
    averages, average spread) from the same functions."""
    far, near = legs[row["far_id"]], legs[row["near_id"]]
    ratio = row["ratio_override"] or derive_ratio(far, near)  # type: ignore[arg-type]
    near_amount = (
        None
        if ratio is None
        else int((row["amount"] * ratio).to_integral_value(rounding=ROUND_HALF_UP))
    )
    far_average = average(row["far_value"], row["far_executed"])
    near_average = average(row["near_value"], row["near_executed"])
    average_spread = None
    if far_average is not None and near_average is not None and ratio is not None:
        value = far.price_in_roubles(far_average) - ratio * near.price_in_roubles(near_average)
        average_spread = value.quantize(AVERAGE_QUANTUM, rounding=ROUND_HALF_UP)
    return {
        "id": row["id"],
        "far": instruments[row["far_id"]],
        "near": instruments[row["near_id"]],
        "direction": row["direction"],
        "amount": row["amount"],
        "target_price": _dec(row["target_price"]),
        "ratio_override": _dec(row["ratio_override"]),
        "ratio": _dec(ratio),
        "near_amount": near_amount,
        "active": row["active"],
        "disabled_reason": row["disabled_reason"],
        "far_executed": row["far_executed"],
        "far_average": _dec(far_average),
        "near_executed": row["near_executed"],
        "near_average": _dec(near_average),
        "average_spread": _dec(average_spread),
        "created_at": _stamp(row["created_at_text"]),
        "open_orders": open_orders,
    }


def active_tasks_json() -> bytes:
    """The body of tasks/active/: four queries whatever the number of tasks."""
    sellbuy_rows = list(
        SellBuyTask.objects.filter(active=True)
        .order_by("created_at", "id")
        .values(*SELLBUY_FIELDS, **_as_text("created_at"))
    )
    spread_rows = list(
        Spread.objects.filter(active=True)
        .order_by("created_at", "id")
        .values(*SPREAD_FIELDS, **_as_text("created_at"))
    )
    active_sellbuy = SellBuyTask.objects.filter(active=True).values("id")
    active_spreads = Spread.objects.filter(active=True)
    instrument_rows = Instrument.objects.filter(
        Q(pk__in=active_sellbuy.values("instrument_id"))
        | Q(pk__in=active_spreads.values("far_id"))
        | Q(pk__in=active_spreads.values("near_id"))
    ).values(*INSTRUMENT_FIELDS, **_as_text("expiration"))
    instruments: dict[int, dict[str, Any]] = {}
    legs: dict[int, _Leg] = {}
    for row in instrument_rows:
        instruments[row["id"]] = _instrument_json(row)
        legs[row["id"]] = _Leg(row)
    orders: dict[tuple[str, int], list[dict[str, Any]]] = {}
    order_rows = (
        open_orders()
        .filter(Q(sellbuy_id__in=active_sellbuy) | Q(spread_id__in=active_spreads.values("id")))
        .values(*ORDER_FIELDS, **_as_text("created_at", "updated_at"))
    )
    for row in order_rows:
        key = ("sellbuy", row["sellbuy_id"]) if row["sellbuy_id"] else ("spread", row["spread_id"])
        orders.setdefault(key, []).append(_order_json(row))

    sellbuy = [
        {
            "id": t["id"],
            "instrument": instruments[t["instrument_id"]],
            "direction": t["direction"],
            "amount": t["amount"],
            "limit_price": _dec(t["limit_price"]),
            "covered": t["covered"],
            "active": t["active"],
            "disabled_reason": t["disabled_reason"],
            "executed": t["executed"],
            "average_price": _average(t["executed_value"], t["executed"]),
            "created_at": _stamp(t["created_at_text"]),
            "open_orders": orders.get(("sellbuy", t["id"]), []),
        }
        for t in sellbuy_rows
    ]
    spreads = [
        _spread_json(row, legs, instruments, orders.get(("spread", row["id"]), []))
        for row in spread_rows
    ]
    body = {"sellbuy": sellbuy, "spreads": spreads}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def response(request: HttpRequest) -> HttpResponse:
    """200 with the body and its ETag, or 304 when the client's ETag is still current."""
    tag = etag()  # first: the answer read after it is at least as new
    if _matches(request, tag):
        not_modified = HttpResponseNotModified()
        not_modified["ETag"] = tag
        not_modified["Cache-Control"] = "private, no-cache"
        return not_modified
    answer = HttpResponse(active_tasks_json(), content_type="application/json")
    answer["ETag"] = tag
    answer["Cache-Control"] = "private, no-cache"
    return answer
