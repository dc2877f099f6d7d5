"""WebSocket streams with a polling fallback.

`MarketDataStream` keeps one WebSocket to MarketDataStreamService/MarketDataStream
(subprotocol "json", `Authorization: Bearer`), subscribes order books and last prices, and
delivers typed updates to `Subscription`s (async iterators that always yield the newest value:
a slow consumer skips stale books instead of piling them up). When the connection drops it
reconnects with exponential backoff and subscribes everything again; while it is down, the same
subscriptions are fed by polling GetOrderBook / GetLastPrices through the REST client, and
polling stops as soon as the stream is back.

`OrderStateStream` does the same for OrdersStreamService/OrderStateStream (fills as they
happen); its fallback polls GetOrders and the final state of orders that left the active list.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

import aiohttp

from bot.broker import parse
from bot.broker.config import BrokerConfig
from bot.broker.errors import BrokerError
from bot.broker.transport import ssl_context
from bot.broker.types import LastPrice, OrderBook, OrderState, OrderTrade

if TYPE_CHECKING:
    from bot.broker.client import TInvestClient

log = logging.getLogger(__name__)

PACKAGE = "tinkoff.public.invest.api.contract.v1"
MARKET_DATA_PATH = f"{PACKAGE}.MarketDataStreamService/MarketDataStream"
ORDER_STATE_PATH = f"{PACKAGE}.OrdersStreamService/OrderStateStream"
SUBSCRIBE = "SUBSCRIPTION_ACTION_SUBSCRIBE"
UNSUBSCRIBE = "SUBSCRIPTION_ACTION_UNSUBSCRIBE"

T = TypeVar("T")
Mode = Literal["idle", "connecting", "stream", "polling", "closed"]


@dataclass(frozen=True, slots=True)
class StreamSettings:
    backoff_initial: float = 0.5
    backoff_max: float = 30.0
    poll_interval: float = 1.0  # seconds between polls while the stream is down
    ping_delay_ms: int = 30_000  # ask the server for pings this often
    idle_factor: float = 2.5  # no message for idle_factor x ping delay = a dead connection
    connect_timeout: float = 10.0


class Subscription(Generic[T]):
    """An async iterator of the newest value. `close()` (or `async with`) unsubscribes."""

    def __init__(
        self, key: str, on_close: Callable[[Subscription[T]], None], *, poll: bool = True
    ) -> None:
        self.key = key
        self.poll = poll  # False: fed by the stream only, never by the polling fallback
        self._latest: T | None = None
        self._ready = asyncio.Event()
        self._closed = False
        self._on_close = on_close
        self.delivered = 0

    def push(self, value: T) -> None:
        if self._closed:
            return
        self._latest = value
        self._ready.set()

    @property
    def latest(self) -> T | None:
        return self._latest

    def __aiter__(self) -> Subscription[T]:
        return self

    async def __anext__(self) -> T:
        if self._closed:
            raise StopAsyncIteration
        await self._ready.wait()
        if self._closed or self._latest is None:
            raise StopAsyncIteration
        self._ready.clear()
        self.delivered += 1
        return self._latest

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._ready.set()
            self._on_close(self)

    async def __aenter__(self) -> Subscription[T]:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()


def _ws_url(base: str, path: str) -> str:
    return f"{base.rstrip('/')}/{path}"


def _headers(config: BrokerConfig) -> dict[str, str]:
    return {"Authorization": f"Bearer {config.token}", "x-app-name": config.app_name}


@dataclass
class _BookSub:
    instrument_id: str
    depth: int
    subs: list[Subscription[OrderBook]] = field(default_factory=list)


class _Reconnecting:
    """Shared connect / read / reconnect / fallback loop."""

    path: str = ""

    def __init__(
        self,
        config: BrokerConfig,
        client: TInvestClient | None,
        settings: StreamSettings | None,
        session: aiohttp.ClientSession | None,
    ) -> None:
        self.config = config
        self.client = client
        self.settings = settings or StreamSettings()
        self._session = session
        self._own_session = session is None
        self._task: asyncio.Task[None] | None = None
        self._poller: asyncio.Task[None] | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self.connects = 0
        self.disconnects = 0
        self._connected = asyncio.Event()
        self._polling = asyncio.Event()
        self._closing = False
        self._wakeup = asyncio.Event()
        self._data_messages = 0
        self.next_delay = 0.0  # the current reconnect backoff (diagnostics)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(url={self.url!r}, mode={self.mode!r})"

    @property
    def mode(self) -> Mode:
        """Where updates come from now: the stream, polling (stream down), or nowhere yet."""
        if self._closing:
            return "closed"
        if self._connected.is_set():
            return "stream"
        if self._poller is not None and not self._poller.done():
            return "polling"
        return "connecting" if self._task is not None else "idle"

    @property
    def url(self) -> str:
        return _ws_url(self.config.ws_url, self.path)

    # ---- lifecycle

    def start(self) -> None:
        if self._task is None and not self._closing:
            self._task = asyncio.create_task(self._run(), name=f"{type(self).__name__}")

    async def wait_connected(self) -> None:
        await self._connected.wait()

    async def wait_polling(self) -> None:
        await self._polling.wait()

    async def close(self) -> None:
        self._closing = True
        self._wakeup.set()
        for task in (self._task, self._poller):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        self._task = self._poller = None
        if self._ws is not None and not self._ws.closed:
            with contextlib.suppress(Exception):
                await self._ws.close()
        if self._own_session and self._session is not None:
            await self._session.close()
            self._session = None

    def _ensure_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            ctx = ssl_context(self.config)
            connector = aiohttp.TCPConnector(ssl=ctx) if ctx is not None else None
            self._session = aiohttp.ClientSession(connector=connector)
        return self._session

    async def _run(self) -> None:
        attempt = 0
        while not self._closing:
            self._data_messages = 0
            try:
                await self._connect_and_read()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # network errors, handshake refusals, protocol errors
                reason = _safe(f"{type(exc).__name__}: {exc}", self.config.token)
                log.warning("%s: %s; reconnecting", type(self).__name__, reason)
            finally:
                if self._connected.is_set():
                    self.disconnects += 1
                self._connected.clear()
                self._ws = None
            if self._closing:
                break
            self._start_polling()
            # a connection that delivered data was healthy: start the backoff afresh; one that
            # was refused or closed at once (bad token, limits) backs off further each time
            attempt = 1 if self._data_messages else attempt + 1
            delay = min(
                self.settings.backoff_initial * 2 ** (attempt - 1), self.settings.backoff_max
            )
            delay *= 0.75 + random.random() / 4
            self.next_delay = delay
            self._wakeup.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), timeout=delay)

    async def _connect_and_read(self) -> None:
        session = self._ensure_session()
        timeout = aiohttp.ClientWSTimeout(ws_close=5.0)
        async with session.ws_connect(
            self.url,
            protocols=("json",),
            headers=_headers(self.config),
            timeout=timeout,
            heartbeat=None,
            autoping=True,
        ) as ws:
            self._ws = ws
            self.connects += 1
            await self._on_connected(ws)
            self._connected.set()
            self._stop_polling()
            idle = self.settings.ping_delay_ms / 1000 * self.settings.idle_factor
            while True:
                msg = await ws.receive(timeout=idle)
                if msg.type == aiohttp.WSMsgType.TEXT:
                    try:
                        data = json.loads(msg.data)
                    except ValueError:
                        log.warning("%s: a message that is not JSON", type(self).__name__)
                        continue
                    if isinstance(data, dict):
                        if "ping" not in data:
                            self._data_messages += 1
                        self._on_message(data)
                elif msg.type in (
                    aiohttp.WSMsgType.CLOSE,
                    aiohttp.WSMsgType.CLOSING,
                    aiohttp.WSMsgType.CLOSED,
                    aiohttp.WSMsgType.ERROR,
                ):
                    log.info(
                        "%s closed by the server (code %s)", type(self).__name__, ws.close_code
                    )
                    return

    async def _send(self, message: dict[str, Any]) -> None:
        ws = self._ws
        if ws is not None and not ws.closed:
            await ws.send_str(json.dumps(message))

    # ---- fallback

    def _start_polling(self) -> None:
        if self.client is None or self._closing:
            return
        if self._poller is None or self._poller.done():
            self._polling.set()
            self._poller = asyncio.create_task(self._poll_loop(), name="stream-fallback-poll")

    def _stop_polling(self) -> None:
        self._polling.clear()
        if self._poller is not None:
            self._poller.cancel()
            self._poller = None

    async def _poll_loop(self) -> None:
        while True:
            try:
                await self._poll_once()
            except asyncio.CancelledError:
                raise
            except BrokerError as exc:
                log.warning("fallback poll: %s", exc)
            except Exception:
                log.exception("fallback poll failed")
            await asyncio.sleep(self.settings.poll_interval)

    # ---- to override

    async def _on_connected(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        raise NotImplementedError

    def _on_message(self, data: dict[str, Any]) -> None:
        raise NotImplementedError

    async def _poll_once(self) -> None:
        raise NotImplementedError


def _safe(text: str, token: str) -> str:
    return text.replace(token, "***") if token else text


class MarketDataStream(_Reconnecting):
    path = MARKET_DATA_PATH

    def __init__(
        self,
        config: BrokerConfig,
        client: TInvestClient | None = None,
        *,
        settings: StreamSettings | None = None,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        super().__init__(config, client, settings, session)
        self._books: dict[tuple[str, int], _BookSub] = {}
        self._prices: dict[str, list[Subscription[LastPrice]]] = {}
        self._aliases: dict[str, str] = {}  # figi/uid/ticker_class -> requested id
        # called with every book and last price the stream delivers (the market recorder);
        # a tap must return at once and never raise
        self.taps: list[Callable[[OrderBook | LastPrice], None]] = []

    # ---- public

    def subscribe_order_book(
        self, instrument_id: str, depth: int = 10, *, poll: bool = True
    ) -> Subscription[OrderBook]:
        """Order books of one instrument (figi, uid or ticker_classCode) as they change.
        `poll=False`: from the stream only (no GetOrderBook while the stream is down)."""
        key = (instrument_id, depth)
        entry = self._books.get(key)
        sub: Subscription[OrderBook] = Subscription(instrument_id, self._drop_book(key), poll=poll)
        if entry is None:
            deeper = any(i == instrument_id and d > depth for i, d in self._books)
            entry = self._books[key] = _BookSub(instrument_id, depth)
            if not deeper:
                self._later(lambda: self._send_books(SUBSCRIBE, [(instrument_id, depth)]))
        entry.subs.append(sub)
        self.start()
        return sub

    def subscribe_last_price(
        self, instrument_id: str, *, poll: bool = True
    ) -> Subscription[LastPrice]:
        subs = self._prices.get(instrument_id)
        sub: Subscription[LastPrice] = Subscription(instrument_id, self._drop_price, poll=poll)
        if subs is None:
            subs = self._prices[instrument_id] = []
            self._later(lambda: self._send_prices(SUBSCRIBE, [instrument_id]))
        subs.append(sub)
        self.start()
        return sub

    async def order_books(self, instrument_id: str, depth: int = 10) -> AsyncIterator[OrderBook]:
        """`async for book in stream.order_books(uid)`: unsubscribes when the loop ends."""
        sub = self.subscribe_order_book(instrument_id, depth)
        try:
            async for book in sub:
                yield book
        finally:
            sub.close()

    async def close(self) -> None:
        """Close the connection; every open subscription's iteration ends."""
        self._closing = True
        for entry in list(self._books.values()):
            for book_sub in list(entry.subs):
                book_sub.close()
        for price_subs in list(self._prices.values()):
            for price_sub in list(price_subs):
                price_sub.close()
        await super().close()

    @property
    def subscriptions(self) -> dict[str, list[str]]:
        return {
            "order_books": [f"{i}@{d}" for i, d in self._books],
            "last_prices": list(self._prices),
        }

    # ---- subscription bookkeeping

    def _later(self, make: Callable[[], Awaitable[None]]) -> None:
        """Send a (un)subscription now if connected; otherwise `_on_connected` sends the whole
        current set when the connection comes up."""
        if self._closing or self._ws is None or self._ws.closed:
            return
        task = asyncio.ensure_future(make())
        task.add_done_callback(_log_failure)

    def _drop_book(self, key: tuple[str, int]) -> Callable[[Subscription[OrderBook]], None]:
        def drop(sub: Subscription[OrderBook]) -> None:
            entry = self._books.get(key)
            if entry is None:
                return
            with contextlib.suppress(ValueError):
                entry.subs.remove(sub)
            if not entry.subs:
                del self._books[key]
                others = [d for i, d in self._books if i == key[0]]
                if others:  # one server subscription per instrument: keep the deepest
                    deepest = (key[0], max(others))
                    self._later(lambda: self._send_books(SUBSCRIBE, [deepest]))
                else:
                    self._later(lambda: self._send_books(UNSUBSCRIBE, [key]))

        return drop

    def _drop_price(self, sub: Subscription[LastPrice]) -> None:
        subs = self._prices.get(sub.key)
        if subs is None:
            return
        with contextlib.suppress(ValueError):
            subs.remove(sub)
        if not subs:
            del self._prices[sub.key]
            self._later(lambda: self._send_prices(UNSUBSCRIBE, [sub.key]))

    async def _send_books(self, action: str, items: list[tuple[str, int]]) -> None:
        if items:
            await self._send(
                {
                    "subscribeOrderBookRequest": {
                        "subscriptionAction": action,
                        "instruments": [{"instrumentId": i, "depth": d} for i, d in items],
                    }
                }
            )

    async def _send_prices(self, action: str, ids: list[str]) -> None:
        if ids:
            await self._send(
                {
                    "subscribeLastPriceRequest": {
                        "subscriptionAction": action,
                        "instruments": [{"instrumentId": i} for i in ids],
                    }
                }
            )

    # ---- stream

    async def _on_connected(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self._ws = ws
        await self._send({"pingSettings": {"pingDelayMs": self.settings.ping_delay_ms}})
        deepest: dict[str, int] = {}
        for ident, depth in self._books:
            deepest[ident] = max(depth, deepest.get(ident, 0))
        await self._send_books(SUBSCRIBE, list(deepest.items()))
        await self._send_prices(SUBSCRIBE, list(self._prices))

    def _route(self, figi: str, uid: str, ticker: str, class_code: str) -> set[str]:
        names = {n for n in (figi, uid) if n}
        if ticker and class_code:
            names.add(f"{ticker}_{class_code}")
        return names | {self._aliases[n] for n in list(names) if n in self._aliases}

    def _on_message(self, data: dict[str, Any]) -> None:
        if "orderbook" in data:
            raw = parse._obj(data["orderbook"])
            try:
                book = parse.order_book(raw)
            except BrokerError as exc:
                log.warning("bad order book in the stream: %s", exc)
                return
            self._tap(book)
            names = self._route(book.figi, book.instrument_uid, book.ticker, book.class_code)
            for (ident, depth), entry in self._books.items():
                if ident in names and (not book.depth or depth <= book.depth):
                    trimmed = book
                    if book.depth and depth < book.depth:
                        trimmed = replace(book, bids=book.bids[:depth], asks=book.asks[:depth])
                    for sub in entry.subs:
                        sub.push(trimmed)
        elif "lastPrice" in data:
            try:
                price = parse.last_price(parse._obj(data["lastPrice"]))
            except BrokerError as exc:
                log.warning("bad last price in the stream: %s", exc)
                return
            self._tap(price)
            names = self._route(price.figi, price.instrument_uid, price.ticker, price.class_code)
            for ident, price_subs in self._prices.items():
                if ident in names:
                    for psub in price_subs:
                        psub.push(price)
        elif "subscribeOrderBookResponse" in data or "subscribeLastPriceResponse" in data:
            self._learn_aliases(data)
        elif "ping" in data:
            pass  # liveness only: any message resets the idle timer
        elif "code" in data or "error" in data:
            log.warning("market-data stream error: %s", _safe(str(data), self.config.token)[:300])

    def _tap(self, item: OrderBook | LastPrice) -> None:
        for tap in self.taps:
            try:
                tap(item)
            except Exception:  # a recorder never breaks trading
                log.exception("market-data tap failed")

    def _learn_aliases(self, data: dict[str, Any]) -> None:
        body = parse._obj(
            data.get("subscribeOrderBookResponse") or data.get("subscribeLastPriceResponse")
        )
        entries = body.get("orderBookSubscriptions") or body.get("lastPriceSubscriptions") or []
        requested = {i for i, _ in self._books} | set(self._prices)
        for e in parse._list(entries):
            e = parse._obj(e)
            status = parse.s(e, "subscriptionStatus")
            figi, uid = parse.s(e, "figi"), parse.s(e, "instrumentUid")
            if status and status != "SUBSCRIPTION_STATUS_SUCCESS":
                log.warning("subscription to %s refused: %s", figi or uid, status)
                continue
            ticker_class = f"{parse.s(e, 'ticker')}_{parse.s(e, 'classCode')}"
            for ident in requested:
                if ident in (figi, uid, ticker_class):
                    for n in (figi, uid, ticker_class):
                        if n and n != ident:
                            self._aliases[n] = ident

    # ---- fallback

    async def _poll_once(self) -> None:
        assert self.client is not None
        client = self.client
        for (ident, depth), entry in list(self._books.items()):
            if not any(sub.poll for sub in entry.subs):
                continue  # stream-only (the recorder's watchlist): no extra requests
            book = await client.get_order_book(ident, depth)
            for sub in entry.subs:
                sub.push(book)
        wanted = [i for i, subs in self._prices.items() if any(sub.poll for sub in subs)]
        if wanted:
            for price in await client.get_last_prices(wanted):
                names = self._route(
                    price.figi, price.instrument_uid, price.ticker, price.class_code
                )
                for ident in wanted:
                    if ident in names:
                        for psub in self._prices.get(ident, []):
                            psub.push(price)


def _log_failure(task: asyncio.Future[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.warning("stream send failed: %s", task.exception())


class OrderStateStream(_Reconnecting):
    """Order states of one account as they change (fills as they happen)."""

    path = ORDER_STATE_PATH

    def __init__(
        self,
        config: BrokerConfig,
        client: TInvestClient | None = None,
        *,
        account_id: str | None = None,
        settings: StreamSettings | None = None,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        super().__init__(config, client, settings, session)
        self.account_id = account_id or config.account_id
        self._queue: asyncio.Queue[OrderState | None] = asyncio.Queue()
        self._seen: dict[str, tuple[str, int]] = {}  # order id -> (status, lots executed)
        self._active: set[str] = set()

    def __aiter__(self) -> OrderStateStream:
        self.start()
        return self

    async def __anext__(self) -> OrderState:
        if self._closing:
            raise StopAsyncIteration
        state = await self._queue.get()
        if state is None:  # closed while waiting
            raise StopAsyncIteration
        return state

    async def close(self) -> None:
        self._queue.put_nowait(None)
        await super().close()

    async def _on_connected(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self._ws = ws
        await self._send(
            {"accounts": [self.account_id], "pingDelayMillis": self.settings.ping_delay_ms}
        )

    def track(self, order_id: str) -> None:
        """Follow an order placed by this process: while the stream is down, the fallback asks
        for its state until it is final (even if it never shows among the active orders)."""
        if order_id and order_id not in self._seen:
            self._active.add(order_id)

    def _emit(self, state: OrderState) -> None:
        mark = (state.status.value, state.lots_executed)
        key = state.order_id or state.request_id
        if self._seen.get(key) == mark and not state.trades:
            return
        self._seen[key] = mark
        if state.is_active:
            self._active.add(key)
        else:
            self._active.discard(key)
        self._queue.put_nowait(state)

    def _on_message(self, data: dict[str, Any]) -> None:
        if "orderState" in data:
            raw = parse._obj(data["orderState"])
            try:
                state = parse.order_state(raw)
                lot = parse.i(raw, "lotSize")
            except BrokerError as exc:
                log.warning("bad order state in the stream: %s", exc)
                return
            if lot > 1 and state.trades:  # stream trades count pieces; OrderTrade counts lots
                trades = tuple(
                    OrderTrade(
                        t.trade_id,
                        t.quantity // lot if t.quantity % lot == 0 else t.quantity,
                        t.price,
                        t.time,
                    )
                    for t in state.trades
                )
                state = replace(state, trades=trades)
            self._emit(state)
        elif "code" in data or "error" in data:
            log.warning("order-state stream error: %s", _safe(str(data), self.config.token)[:300])

    async def _poll_once(self) -> None:
        assert self.client is not None
        active = await self.client.get_orders(account_id=self.account_id)
        now_active = set()
        for state in active:
            now_active.add(state.order_id)
            self._emit(state)
        for gone in self._active - now_active:
            try:
                self._emit(await self.client.get_order_state(gone, account_id=self.account_id))
            except BrokerError as exc:
                log.warning("order %s: %s", gone, exc)
