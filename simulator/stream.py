"""WebSocket streams: MarketDataStream (order books, last prices, trading status) and
OrderStateStream, in the JSON the broker's WebSocket proxy speaks (subprotocol ``json``).

Each connection has a queue and a writer task; exchange listeners (synchronous) enqueue.
Faults: ``disconnect_all()`` drops every connection now; ``Faults.stream_disconnect_every``
drops a connection after it has sent that many messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from simulator import serialize as ser
from simulator.codec import timestamp
from simulator.errors import ApiError
from simulator.exchange import Exchange
from simulator.faults import Faults
from simulator.instruments import Instrument
from simulator.orders import Order

PREFIX = "tinkoff.public.invest.api.contract.v1."
MARKET_DATA_PATH = f"{PREFIX}MarketDataStreamService/MarketDataStream"
ORDER_STATE_PATH = f"{PREFIX}OrdersStreamService/OrderStateStream"
SUBSCRIBE = "SUBSCRIPTION_ACTION_SUBSCRIBE"
UNSUBSCRIBE = "SUBSCRIPTION_ACTION_UNSUBSCRIBE"
DEPTHS = (1, 10, 20, 30, 40, 50)
OK = "SUBSCRIPTION_STATUS_SUCCESS"


@dataclass(eq=False)
class Connection:
    ws: web.WebSocketResponse
    kind: str  # "market" | "orders"
    stream_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    queue: asyncio.Queue[dict[str, Any] | None] = field(default_factory=asyncio.Queue)
    sent: int = 0
    ping_interval: float = 120.0
    books: dict[str, int] = field(default_factory=dict)  # uid -> depth
    last_prices: set[str] = field(default_factory=set)
    statuses: dict[str, str] = field(default_factory=dict)  # uid -> last status sent
    accounts: set[str] = field(default_factory=set)
    ping_changed: asyncio.Event = field(default_factory=asyncio.Event)

    def send(self, message: dict[str, Any]) -> None:
        self.queue.put_nowait(message)


class StreamHub:
    def __init__(
        self, exchange: Exchange, faults: Callable[[], Faults], ping_interval: float
    ) -> None:
        self.exchange = exchange
        self._faults = faults
        self.ping_interval = ping_interval
        self.connections: set[Connection] = set()
        self._fills_sent: dict[str, int] = {}
        self.attach(exchange)

    def attach(self, exchange: Exchange) -> None:
        """(Re)attach to an exchange, e.g. after a reset."""
        self.exchange = exchange
        self._fills_sent.clear()
        exchange.market_listeners.append(self.on_market)
        exchange.order_listeners.append(self.on_order)

    # ---- exchange events ------------------------------------------------------------------

    def on_market(self, instruments: list[Instrument]) -> None:
        for conn in list(self.connections):
            if conn.kind != "market":
                continue
            for inst in instruments:
                depth = conn.books.get(inst.uid)
                if depth is not None:
                    conn.send({"orderbook": self._book(inst, depth)})
                if inst.uid in conn.last_prices:
                    conn.send({"lastPrice": ser.last_price(self.exchange.market.quote(inst))})
        self.check_statuses()

    def check_statuses(self) -> None:
        for conn in list(self.connections):
            for uid, sent in list(conn.statuses.items()):
                inst = self.exchange.catalogue.find(uid)
                if inst is None:
                    continue
                status = self.exchange.trading_status(inst)
                if status != sent:
                    conn.statuses[uid] = status
                    conn.send({"tradingStatus": self._status(inst)})

    def on_order(self, order: Order) -> None:
        new_fills = len(order.fills) - self._fills_sent.get(order.order_id, 0)
        self._fills_sent[order.order_id] = len(order.fills)
        for conn in list(self.connections):
            if conn.kind == "orders" and order.account_id in conn.accounts:
                conn.send({"orderState": ser.order_state_event(order, new_fills)})

    def disconnect_all(self) -> int:
        count = 0
        for conn in list(self.connections):
            conn.queue.put_nowait(None)
            count += 1
        return count

    # ---- messages -------------------------------------------------------------------------

    def _book(self, inst: Instrument, depth: int) -> dict[str, Any]:
        quote = self.exchange.market.quote(inst)
        full = ser.order_book(quote, depth, self.exchange.displayed_book(inst))
        return {
            "figi": inst.figi,
            "depth": depth,
            "isConsistent": True,
            "bids": full["bids"],
            "asks": full["asks"],
            "time": full["orderbookTs"],
            "limitUp": full["limitUp"],
            "limitDown": full["limitDown"],
            "instrumentUid": inst.uid,
            "orderBookType": "ORDERBOOK_TYPE_EXCHANGE",
            "ticker": inst.ticker,
            "classCode": inst.class_code,
        }

    def _status(self, inst: Instrument) -> dict[str, Any]:
        body = ser.trading_status(inst, self.exchange.trading_status(inst))
        return {
            "figi": inst.figi,
            "tradingStatus": body["tradingStatus"],
            "time": timestamp(self.exchange.clock.now()),
            "limitOrderAvailableFlag": body["limitOrderAvailableFlag"],
            "marketOrderAvailableFlag": body["marketOrderAvailableFlag"],
            "instrumentUid": inst.uid,
            "ticker": inst.ticker,
            "classCode": inst.class_code,
        }

    def _ping(self, conn: Connection) -> dict[str, Any]:
        return {"ping": {"time": timestamp(self.exchange.clock.now()), "streamId": conn.stream_id}}

    # ---- connection handling ----------------------------------------------------------------

    async def serve(self, request: web.Request, kind: str) -> web.StreamResponse:
        ws = web.WebSocketResponse(protocols=("json",), autoping=True)
        await ws.prepare(request)
        conn = Connection(ws, kind, ping_interval=self.ping_interval)
        self.connections.add(conn)
        writer = asyncio.create_task(self._writer(conn))
        pinger = asyncio.create_task(self._pinger(conn))
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                try:
                    data = json.loads(msg.data)
                except ValueError:
                    conn.send(_error(ApiError(30049, message="Invalid request: not JSON")))
                    continue
                if kind == "market":
                    self._market_request(conn, data)
                else:
                    self._orders_request(conn, data)
        finally:
            self.connections.discard(conn)
            pinger.cancel()
            conn.queue.put_nowait(None)
            with contextlib.suppress(asyncio.CancelledError):
                await writer
            with contextlib.suppress(asyncio.CancelledError):
                await pinger
        return ws

    async def _writer(self, conn: Connection) -> None:
        while True:
            message = await conn.queue.get()
            if message is None or conn.ws.closed:
                break
            try:
                await conn.ws.send_str(json.dumps(message, ensure_ascii=False))
            except (ConnectionError, RuntimeError):
                break
            conn.sent += 1
            every = self._faults().stream_disconnect_every
            if every and conn.sent % every == 0:
                break
        self.connections.discard(conn)
        if not conn.ws.closed:
            await conn.ws.close(code=1011, message=b"stream closed by the server")

    async def _pinger(self, conn: Connection) -> None:
        while True:
            conn.ping_changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(conn.ping_changed.wait(), timeout=conn.ping_interval)
                continue  # the interval changed: start a fresh wait
            conn.send(self._ping(conn))

    def _set_ping(self, conn: Connection, millis: Any) -> None:
        if isinstance(millis, int) and not isinstance(millis, bool) and millis > 0:
            conn.ping_interval = millis / 1000
            conn.ping_changed.set()

    def _market_request(self, conn: Connection, data: Any) -> None:
        if not isinstance(data, dict):
            conn.send(_error(ApiError(30049, message="Invalid request: not an object")))
            return
        if "subscribeOrderBookRequest" in data:
            self._sub_books(conn, data["subscribeOrderBookRequest"])
        if "subscribeLastPriceRequest" in data:
            self._sub_simple(conn, data["subscribeLastPriceRequest"], "lastPrice")
        for key in ("subscribeInfoRequest", "subscribeTradingStatusRequest"):
            if key in data:
                self._sub_simple(conn, data[key], "info")
        if "pingSettings" in data and isinstance(data["pingSettings"], dict):
            self._set_ping(conn, data["pingSettings"].get("pingDelayMs"))
        if "ping" in data:
            conn.send(self._ping(conn))

    def _sub_books(self, conn: Connection, req: Any) -> None:
        action, items = _action_items(req)
        subs = []
        for item in items:
            ident = str(item.get("instrumentId") or item.get("figi") or "")
            depth = item.get("depth")
            inst = self.exchange.catalogue.find(ident) if ident else None
            entry: dict[str, Any] = {
                "figi": inst.figi if inst else ident,
                "depth": depth if isinstance(depth, int) else 0,
                "instrumentUid": inst.uid if inst else "",
                "streamId": conn.stream_id,
                "subscriptionId": str(uuid.uuid4()),
                "orderBookType": "ORDERBOOK_TYPE_EXCHANGE",
                "subscriptionAction": action or "SUBSCRIPTION_ACTION_UNSPECIFIED",
            }
            if inst is None:
                entry["subscriptionStatus"] = "SUBSCRIPTION_STATUS_INSTRUMENT_NOT_FOUND"
            elif action not in (SUBSCRIBE, UNSUBSCRIBE):
                entry["subscriptionStatus"] = "SUBSCRIPTION_STATUS_SUBSCRIPTION_ACTION_IS_INVALID"
            elif action == SUBSCRIBE and depth not in DEPTHS:
                entry["subscriptionStatus"] = "SUBSCRIPTION_STATUS_DEPTH_IS_INVALID"
            else:
                entry["subscriptionStatus"] = OK
                entry["ticker"], entry["classCode"] = inst.ticker, inst.class_code
            subs.append((entry, inst, depth))
        conn.send(
            {
                "subscribeOrderBookResponse": {
                    "trackingId": uuid.uuid4().hex,
                    "orderBookSubscriptions": [e for e, _, _ in subs],
                }
            }
        )
        for entry, inst, _depth in subs:
            if entry["subscriptionStatus"] != OK or inst is None:
                continue
            if action == SUBSCRIBE:
                conn.books[inst.uid] = entry["depth"]
                conn.send({"orderbook": self._book(inst, entry["depth"])})
            else:
                conn.books.pop(inst.uid, None)

    def _sub_simple(self, conn: Connection, req: Any, what: str) -> None:
        action, items = _action_items(req)
        subs = []
        for item in items:
            ident = str(item.get("instrumentId") or item.get("figi") or "")
            inst = self.exchange.catalogue.find(ident) if ident else None
            entry: dict[str, Any] = {
                "figi": inst.figi if inst else ident,
                "instrumentUid": inst.uid if inst else "",
                "streamId": conn.stream_id,
                "subscriptionId": str(uuid.uuid4()),
                "subscriptionAction": action or "SUBSCRIPTION_ACTION_UNSPECIFIED",
            }
            if inst is None:
                entry["subscriptionStatus"] = "SUBSCRIPTION_STATUS_INSTRUMENT_NOT_FOUND"
            elif action not in (SUBSCRIBE, UNSUBSCRIBE):
                entry["subscriptionStatus"] = "SUBSCRIPTION_STATUS_SUBSCRIPTION_ACTION_IS_INVALID"
            else:
                entry["subscriptionStatus"] = OK
                entry["ticker"], entry["classCode"] = inst.ticker, inst.class_code
            subs.append((entry, inst))
        entries = [e for e, _ in subs]
        if what == "lastPrice":
            conn.send(
                {
                    "subscribeLastPriceResponse": {
                        "trackingId": uuid.uuid4().hex,
                        "lastPriceSubscriptions": entries,
                    }
                }
            )
        else:
            conn.send(
                {
                    "subscribeInfoResponse": {
                        "trackingId": uuid.uuid4().hex,
                        "infoSubscriptions": entries,
                    }
                }
            )
        for entry, inst in subs:
            if entry["subscriptionStatus"] != OK or inst is None:
                continue
            if what == "lastPrice":
                if action == SUBSCRIBE:
                    conn.last_prices.add(inst.uid)
                    conn.send({"lastPrice": ser.last_price(self.exchange.market.quote(inst))})
                else:
                    conn.last_prices.discard(inst.uid)
            elif action == SUBSCRIBE:
                conn.statuses[inst.uid] = self.exchange.trading_status(inst)
                conn.send({"tradingStatus": self._status(inst)})
            else:
                conn.statuses.pop(inst.uid, None)

    def _orders_request(self, conn: Connection, data: Any) -> None:
        if not isinstance(data, dict):
            conn.send(_error(ApiError(30049, message="Invalid request: not an object")))
            return
        accounts = data.get("accounts")
        if isinstance(accounts, list):
            wanted = {a for a in accounts if isinstance(a, str)}
            unknown = [a for a in wanted if a not in self.exchange.accounts]
            if unknown:
                conn.send(_error(ApiError(50004)))
                return
            conn.accounts = wanted or set(self.exchange.accounts)
            conn.send(
                {
                    "subscription": {
                        "trackingId": uuid.uuid4().hex,
                        "status": "RESULT_SUBSCRIPTION_STATUS_OK",
                        "streamId": conn.stream_id,
                        "accounts": sorted(conn.accounts),
                    }
                }
            )
        self._set_ping(conn, data.get("pingDelayMillis"))


def _action_items(req: Any) -> tuple[str, list[dict[str, Any]]]:
    if not isinstance(req, dict):
        return "", []
    action = req.get("subscriptionAction")
    items = req.get("instruments")
    clean = [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []
    return (action if isinstance(action, str) else ""), clean


def _error(err: ApiError) -> dict[str, Any]:
    return {"code": err.grpc_code, "message": err.message, "details": []}
