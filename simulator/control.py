"""The control API for tests and demos, under ``/control/`` (JSON in, JSON out).

See simulator/README.md for every endpoint. Errors answer 400 ``{"error": "..."}``
(404 for an unknown instrument or account).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from aiohttp import web

from simulator.codec import parse_decimal, parse_timestamp, timestamp
from simulator.errors import ApiError
from simulator.instruments import Instrument
from simulator.market import Level
from simulator.orders import Order, StopOrder
from simulator.sessions import SessionMode
from simulator.state import SIM_KEY, Simulator


class ControlError(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def _sim(request: web.Request) -> Simulator:
    sim: Simulator = request.app[SIM_KEY]
    return sim


async def _body(request: web.Request) -> dict[str, Any]:
    if not await request.read():
        return {}
    try:
        data = await request.json()
    except ValueError as exc:
        raise ControlError("the body is not JSON") from exc
    if not isinstance(data, dict):
        raise ControlError("the body must be a JSON object")
    return data


def _instrument(sim: Simulator, ident: Any) -> Instrument:
    if not isinstance(ident, str) or not ident:
        raise ControlError("instrumentId is required")
    inst = sim.exchange.catalogue.find(ident)
    if inst is None:
        raise ControlError(f"unknown instrument {ident!r}", 404)
    return inst


def _decimal(value: Any, name: str) -> Decimal:
    try:
        return parse_decimal(value)
    except (ValueError, ApiError) as exc:
        raise ControlError(f"{name} is not a number: {value!r}") from exc


def _levels(raw: Any, name: str) -> list[Level]:
    if not isinstance(raw, list):
        raise ControlError(f"{name} must be a list of {{price, quantity}}")
    out = []
    for item in raw:
        if isinstance(item, list | tuple) and len(item) == 2:
            price, qty = item
        elif isinstance(item, dict):
            price, qty = item.get("price"), item.get("quantity")
        else:
            raise ControlError(f"{name}: bad level {item!r}")
        try:
            lots = int(qty)
        except (TypeError, ValueError) as exc:
            raise ControlError(f"{name}: bad quantity {qty!r}") from exc
        out.append(Level(_decimal(price, "price"), lots))
    return out


def _num(value: Decimal) -> str:
    return format(value.normalize(), "f") if value != 0 else "0"


def order_json(order: Order) -> dict[str, Any]:
    return {
        "orderId": order.order_id,
        "requestId": order.request_id,
        "accountId": order.account_id,
        "instrumentUid": order.instrument.uid,
        "ticker": order.instrument.ticker,
        "direction": order.direction,
        "orderType": order.order_type,
        "timeInForce": order.time_in_force,
        "price": _num(order.price) if order.price is not None else None,
        "lotsRequested": order.lots_requested,
        "lotsExecuted": order.lots_executed,
        "status": order.status,
        "fills": [
            {
                "price": _num(f.price),
                "lots": f.lots,
                "tradeId": f.trade_id,
                "time": timestamp(f.time),
            }
            for f in order.fills
        ],
        "commission": _num(order.executed_commission),
        "created": timestamp(order.created),
        "stopOrderId": order.stop_order_id,
        "message": order.message,
    }


def stop_json(stop: StopOrder) -> dict[str, Any]:
    return {
        "stopOrderId": stop.stop_order_id,
        "requestId": stop.request_id,
        "accountId": stop.account_id,
        "instrumentUid": stop.instrument.uid,
        "ticker": stop.instrument.ticker,
        "direction": stop.direction,
        "stopOrderType": stop.stop_type,
        "lots": stop.lots,
        "stopPrice": _num(stop.stop_price),
        "price": _num(stop.price) if stop.price is not None else None,
        "expirationType": stop.expiration_type,
        "expireDate": timestamp(stop.expire_at) if stop.expire_at else None,
        "status": stop.status,
        "exchangeOrderId": stop.exchange_order_id,
    }


def instrument_json(sim: Simulator, inst: Instrument) -> dict[str, Any]:
    quote = sim.exchange.market.quote(inst)
    return {
        "uid": inst.uid,
        "figi": inst.figi,
        "ticker": inst.ticker,
        "classCode": inst.class_code,
        "kind": inst.kind,
        "lot": inst.lot,
        "minPriceIncrement": _num(inst.min_price_increment),
        "minPriceIncrementAmount": _num(inst.min_price_increment_amount),
        "initialMargin": _num(inst.initial_margin),
        "basicAsset": inst.basic_asset,
        "basicAssetSize": _num(inst.basic_asset_size),
        "expiration": timestamp(inst.expiration) if inst.expiration else None,
        "apiTradeAvailableFlag": inst.api_trade_available,
        "buyAvailableFlag": inst.buy_available,
        "sellAvailableFlag": inst.sell_available,
        "shortEnabledFlag": inst.short_enabled,
        "tradingStatus": sim.exchange.trading_status(inst),
        "lastPrice": _num(quote.last_price),
        "bestBid": _num(quote.book.bids[0].price) if quote.book.bids else None,
        "bestAsk": _num(quote.book.asks[0].price) if quote.book.asks else None,
    }


def account_json(sim: Simulator, account_id: str) -> dict[str, Any]:
    account = sim.exchange.accounts.get(account_id)
    if account is None:
        raise ControlError(f"unknown account {account_id!r}", 404)
    return {
        "accountId": account.id,
        "money": _num(account.money),
        "blockedMoney": _num(account.blocked_money()),
        "freeMoney": _num(account.free_money()),
        "futuresMargin": _num(account.futures_margin()),
        "positions": [
            {
                "instrumentUid": p.instrument.uid,
                "ticker": p.instrument.ticker,
                "balance": p.balance,
                "blocked": p.blocked,
                "averagePrice": _num(p.average_price),
            }
            for p in account.positions.values()
            if p.balance or p.blocked
        ],
    }


def state_json(sim: Simulator) -> dict[str, Any]:
    return {
        "time": timestamp(sim.clock.now()),
        "clockFrozen": sim.clock.frozen,
        "sessionMode": sim.exchange.calendar.mode.value,
        "seed": sim.config.seed,
        "accountId": sim.config.account_id,
        "rateScale": sim.limiter.scale,
        "faults": sim.faults.describe(),
        "streams": len(sim.streams.connections),
        "orders": len(sim.exchange.orders),
    }


# ---- handlers ---------------------------------------------------------------------------------


async def get_state(request: web.Request) -> dict[str, Any]:
    return state_json(_sim(request))


async def post_reset(request: web.Request) -> dict[str, Any]:
    body = await _body(request)
    seed = body.get("seed")
    if seed is not None and not isinstance(seed, int):
        raise ControlError("seed must be an integer")
    sim = _sim(request)
    sim.reset(seed)
    return state_json(sim)


async def post_price(request: web.Request) -> dict[str, Any]:
    sim = _sim(request)
    body = await _body(request)
    inst = _instrument(sim, body.get("instrumentId"))
    if "price" in body:
        price = _decimal(body["price"], "price")
    elif "delta" in body:
        price = sim.exchange.market.quote(inst).last_price + _decimal(body["delta"], "delta")
    else:
        raise ControlError("give price or delta")
    if not inst.on_increment(price):
        raise ControlError(f"price {price} is not a multiple of {inst.min_price_increment}")
    if price <= 0 and not inst.is_future:
        raise ControlError("price must be positive")
    sim.exchange.set_price(inst, price)
    return instrument_json(sim, inst)


async def post_book(request: web.Request) -> dict[str, Any]:
    sim = _sim(request)
    body = await _body(request)
    inst = _instrument(sim, body.get("instrumentId"))
    bids = _levels(body.get("bids", []), "bids")
    asks = _levels(body.get("asks", []), "asks")
    last = _decimal(body["lastPrice"], "lastPrice") if body.get("lastPrice") is not None else None
    sim.exchange.set_book(inst, bids, asks, last)
    return instrument_json(sim, inst)


async def post_walk(request: web.Request) -> dict[str, Any]:
    sim = _sim(request)
    body = await _body(request)
    steps = body.get("steps", 1)
    if not isinstance(steps, int) or steps < 0 or steps > 100_000:
        raise ControlError("steps must be an integer 0..100000")
    sim.exchange.step(steps)
    return state_json(sim)


async def post_clock(request: web.Request) -> dict[str, Any]:
    sim = _sim(request)
    body = await _body(request)
    if "set" in body:
        try:
            moment = parse_timestamp(body["set"], 30009)
        except ApiError as exc:
            raise ControlError(f"set: not a timestamp: {body['set']!r}") from exc
        sim.clock.set(moment)
        sim.after_clock_change()
    elif "advance" in body:
        seconds = body["advance"]
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
            raise ControlError("advance must be a non-negative number of seconds")
        sim.advance_clock(float(seconds))
    else:
        raise ControlError("give advance (seconds) or set (RFC 3339 time)")
    return state_json(sim)


async def post_session(request: web.Request) -> dict[str, Any]:
    sim = _sim(request)
    body = await _body(request)
    try:
        mode = SessionMode(str(body.get("mode")))
    except ValueError as exc:
        modes = ", ".join(m.value for m in SessionMode)
        raise ControlError(f"mode must be one of {modes}") from exc
    sim.exchange.calendar.mode = mode
    sim.after_clock_change()
    return state_json(sim)


def _rates(value: Any, name: str) -> dict[str, float]:
    if not isinstance(value, dict) or not all(
        isinstance(v, int | float) and not isinstance(v, bool) and v >= 0 for v in value.values()
    ):
        raise ControlError(f"{name} must map method names to non-negative numbers")
    return {str(k): float(v) for k, v in value.items()}


async def post_faults(request: web.Request) -> dict[str, Any]:
    sim = _sim(request)
    body = await _body(request)
    faults = sim.faults
    if body.get("clear"):
        seed = faults.seed
        faults.__init__(seed=seed)  # type: ignore[misc]
    if "latency" in body:
        faults.latency = _rates(body["latency"], "latency")
    if "errorRate" in body:
        rates = _rates(body["errorRate"], "errorRate")
        if any(v > 1 for v in rates.values()):
            raise ControlError("errorRate values are probabilities 0..1")
        faults.error_rate = rates
    if "errorCode" in body:
        code = body["errorCode"]
        if not isinstance(code, int):
            raise ControlError("errorCode must be an API error code")
        faults.error_code = code
    if "losePostStopOrder" in body:
        count = body["losePostStopOrder"]
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            raise ControlError("losePostStopOrder must be a non-negative integer")
        faults.lose_post_stop_order = count
    if "loseStopOrderRate" in body:
        rate = body["loseStopOrderRate"]
        if not isinstance(rate, int | float) or isinstance(rate, bool) or not 0 <= rate <= 1:
            raise ControlError("loseStopOrderRate is a probability 0..1")
        faults.lose_stop_order_rate = float(rate)
    if "losePostOrder" in body:
        count = body["losePostOrder"]
        if not isinstance(count, int) or count < 0:
            raise ControlError("losePostOrder must be a non-negative integer")
        faults.lose_post_order = count
    if "loseMode" in body:
        if body["loseMode"] not in ("close", "504"):
            raise ControlError('loseMode must be "close" or "504"')
        faults.lose_mode = body["loseMode"]
    if "streamDisconnectEvery" in body:
        every = body["streamDisconnectEvery"]
        if not isinstance(every, int) or every < 0:
            raise ControlError("streamDisconnectEvery must be a non-negative integer")
        faults.stream_disconnect_every = every
    dropped = sim.streams.disconnect_all() if body.get("disconnectStreams") else 0
    return {**faults.describe(), "droppedStreams": dropped}


async def get_orders(request: web.Request) -> dict[str, Any]:
    sim = _sim(request)
    account_id = request.query.get("accountId")
    orders = [
        o for o in sim.exchange.orders.values() if not account_id or o.account_id == account_id
    ]
    stops = [
        s for s in sim.exchange.stop_orders.values() if not account_id or s.account_id == account_id
    ]
    return {"orders": [order_json(o) for o in orders], "stopOrders": [stop_json(s) for s in stops]}


async def get_account(request: web.Request) -> dict[str, Any]:
    sim = _sim(request)
    return account_json(sim, request.query.get("accountId") or sim.config.account_id)


async def post_account(request: web.Request) -> dict[str, Any]:
    """Set the money of an account (``{"accountId"?, "money"}``)."""
    sim = _sim(request)
    body = await _body(request)
    account_id = body.get("accountId") or sim.config.account_id
    account = sim.exchange.accounts.get(account_id)
    if account is None:
        raise ControlError(f"unknown account {account_id!r}", 404)
    if "money" in body:
        account.money = _decimal(body["money"], "money")
    return account_json(sim, account_id)


async def get_instrument(request: web.Request) -> dict[str, Any]:
    sim = _sim(request)
    return instrument_json(sim, _instrument(sim, request.query.get("instrumentId")))


async def post_instrument(request: web.Request) -> dict[str, Any]:
    sim = _sim(request)
    body = await _body(request)
    inst = _instrument(sim, body.get("instrumentId"))
    flags = {
        "apiTradeAvailableFlag": "api_trade_available",
        "buyAvailableFlag": "buy_available",
        "sellAvailableFlag": "sell_available",
        "shortEnabledFlag": "short_enabled",
    }
    for key, attr in flags.items():
        if key in body:
            if not isinstance(body[key], bool):
                raise ControlError(f"{key} must be true or false")
            setattr(inst, attr, body[key])
    if "tradingStatus" in body:
        status = body["tradingStatus"]
        if status is None:
            sim.exchange.status_overrides.pop(inst.uid, None)
        elif isinstance(status, str) and status.startswith("SECURITY_TRADING_STATUS_"):
            sim.exchange.status_overrides[inst.uid] = status
        else:
            raise ControlError("tradingStatus must be a SECURITY_TRADING_STATUS_* name or null")
        sim.after_clock_change()
    return instrument_json(sim, inst)


async def get_replay(request: web.Request) -> dict[str, Any]:
    sim = _sim(request)
    if sim.replay is None:
        raise ControlError("no replay (start the simulator with --replay)", 404)
    return {"time": timestamp(sim.clock.now()), **sim.replay.describe()}


async def post_replay(request: web.Request) -> dict[str, Any]:
    """Move the clock to the next recorded moment (``{"next": true}``) or to ``until``; every
    record due is applied."""
    sim = _sim(request)
    body = await _body(request)
    replay = sim.replay
    if replay is None:
        raise ControlError("no replay (start the simulator with --replay)", 404)
    if "until" in body:
        try:
            moment = parse_timestamp(body["until"], 30009)
        except ApiError as exc:
            raise ControlError(f"until: not a timestamp: {body['until']!r}") from exc
    elif body.get("next"):
        upcoming = replay.next_time
        moment = upcoming if upcoming is not None else sim.clock.now()
    else:
        raise ControlError('give {"next": true} or {"until": RFC 3339 time}')
    changed = replay_until(sim, moment).orders
    # the orders this move changed (filled by the replayed books), by request id
    return {"time": timestamp(sim.clock.now()), **replay.describe(), "ordersChanged": changed}


@dataclass(frozen=True, slots=True)
class ReplayMove:
    #: the request ids of the orders the move changed (filled by the replayed books), in order
    orders: list[str]
    #: the instruments whose books or last prices the move changed
    instruments: list[Instrument]


def replay_until(sim: Simulator, moment: datetime) -> ReplayMove:
    """Move the clock to `moment` (never back) and apply every record due."""
    changed: list[str] = []
    touched: dict[str, Instrument] = {}

    def note(order: Order) -> None:
        if order.request_id not in changed:
            changed.append(order.request_id)

    def saw(instruments: list[Instrument]) -> None:
        for inst in instruments:
            touched.setdefault(inst.uid, inst)

    sim.exchange.order_listeners.append(note)
    sim.exchange.market_listeners.append(saw)
    try:
        if moment > sim.clock.now():
            sim.clock.set(moment)
        sim.after_clock_change()
    finally:
        sim.exchange.order_listeners.remove(note)
        sim.exchange.market_listeners.remove(saw)
    return ReplayMove(changed, list(touched.values()))


ROUTES = [
    ("GET", "state", get_state),
    ("POST", "reset", post_reset),
    ("POST", "price", post_price),
    ("POST", "book", post_book),
    ("POST", "walk", post_walk),
    ("POST", "clock", post_clock),
    ("POST", "session", post_session),
    ("POST", "faults", post_faults),
    ("GET", "orders", get_orders),
    ("GET", "account", get_account),
    ("POST", "account", post_account),
    ("GET", "instrument", get_instrument),
    ("POST", "instrument", post_instrument),
    ("GET", "replay", get_replay),
    ("POST", "replay", post_replay),
]


def _wrap(fn: Any) -> Any:
    async def handler(request: web.Request) -> web.Response:
        try:
            result = await fn(request)
        except ControlError as err:
            return web.json_response({"error": str(err)}, status=err.status)
        return web.Response(
            text=json.dumps(result, ensure_ascii=False), content_type="application/json"
        )

    return handler


def add_routes(app: web.Application) -> None:
    for verb, name, fn in ROUTES:
        app.router.add_route(verb, f"/control/{name}", _wrap(fn))
