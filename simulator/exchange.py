"""The exchange: instruments, market, accounts, order matching and stop orders.

Everything here is synchronous and driven by calls (requests, the control API, the walk timer);
``tick()`` applies the passage of time (session-end cancellation, stop-order expiry).
Listeners are told about every order change and every market-data change (the streams use them).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from simulator import stop_rules
from simulator.accounts import COMMISSION_RATE, Account
from simulator.clock import SimClock
from simulator.config import SimConfig
from simulator.errors import ApiError
from simulator.instruments import Catalogue, Instrument
from simulator.market import Book, Level, Market, price_limits
from simulator.orders import (
    BUY,
    CANCELLED,
    EXCHANGE_LIMIT,
    FILL,
    GTD,
    LIMIT,
    MARKET,
    NEW,
    PARTIAL,
    REJECTED,
    STOP_ACTIVE,
    STOP_CANCELED,
    STOP_EXECUTED,
    STOP_EXPIRED,
    STOP_LIMIT,
    STOP_SELL,
    TIF_DAY,
    TIF_FAK,
    TIF_FOK,
    Fill,
    Order,
    StopOrder,
)
from simulator.sessions import MOSCOW, Calendar, SessionMode, accepts, is_open

if TYPE_CHECKING:
    from simulator.replay import Replay


def with_orders(book: Book, orders: list[Order]) -> Book:
    """`book` with these resting limit orders added at their prices."""
    bids = {lv.price: lv.quantity for lv in book.bids}
    asks = {lv.price: lv.quantity for lv in book.asks}
    for order in orders:
        side = bids if order.buy else asks
        assert order.price is not None
        side[order.price] = side.get(order.price, 0) + order.lots_left
    return Book(
        [Level(p, q) for p, q in sorted(bids.items(), key=lambda kv: -kv[0])],
        [Level(p, q) for p, q in sorted(asks.items())],
        book.time,
    )


ID_NAMESPACE = uuid.UUID("0d3f2f8e-7a55-4b1e-8a51-9f0e3c6d2b11")


def _priority(order: Order) -> tuple[str, bool, Decimal, int]:
    """Price-time priority: per instrument and side, the better price first, then the earlier."""
    price = order.price if order.price is not None else order.initial_price
    return (order.instrument.uid, not order.buy, -price if order.buy else price, order.seq)


OrderListener = Callable[[Order], None]
MarketListener = Callable[[list[Instrument]], None]


@dataclass
class NewOrder:
    account_id: str
    instrument_id: str
    request_id: str
    direction: str
    order_type: str
    lots: int
    price: Decimal | None
    time_in_force: str = TIF_DAY


class Exchange:
    def __init__(self, config: SimConfig, clock: SimClock) -> None:
        self.config = config
        self.clock = clock
        now = clock.now()
        self.catalogue = Catalogue(now)
        self.market = Market(self.catalogue, config.seed, now)
        self.calendar = Calendar(
            SessionMode.ALWAYS_OPEN if config.always_open else SessionMode.CALENDAR
        )
        self.accounts: dict[str, Account] = {}
        self.orders: dict[str, Order] = {}  # by exchange order id, in placement order
        # the orders that may still be active (an order is active from its placement until it
        # fills, is cancelled or rejected, never again): a day of orders is not walked through
        # at every book
        self._open: dict[str, Order] = {}
        self.by_request: dict[tuple[str, str], Order] = {}
        self.stop_orders: dict[str, StopOrder] = {}
        self.stops_by_request: dict[tuple[str, str], StopOrder] = {}
        self.status_overrides: dict[str, str] = {}
        self.order_listeners: list[OrderListener] = []
        self.market_listeners: list[MarketListener] = []
        self._seq = 0
        self._trade_seq = 0
        #: a market recording driving some books (simulator.replay); applied as the clock moves
        self.replay: Replay | None = None
        self._trading_date = now.astimezone(MOSCOW).date()
        self.open_account(config.account_id, "Simulator", config.money)

    # ---- ids --------------------------------------------------------------------------------

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def _trade_id(self) -> str:
        self._trade_seq += 1
        return str(900_000_000 + self._trade_seq)

    # ---- accounts -----------------------------------------------------------------------------

    def open_account(self, account_id: str, name: str, money: Decimal) -> Account:
        account = Account(account_id, name, self.clock.now(), money)
        self.accounts[account_id] = account
        return account

    def account(self, account_id: str) -> Account:
        if not account_id:
            raise ApiError(30021)
        account = self.accounts.get(account_id)
        if account is None:
            raise ApiError(50004)
        return account

    # ---- instruments and sessions -----------------------------------------------------------

    def instrument(self, instrument_id: str) -> Instrument:
        if not instrument_id:
            raise ApiError(30093)
        inst = self.catalogue.find(instrument_id)
        if inst is None:
            raise ApiError(50002)
        return inst

    def trading_status(self, inst: Instrument) -> str:
        forced = self.status_overrides.get(inst.uid)
        if forced:
            return forced
        if inst.expiration is not None and self.clock.now() >= inst.expiration:
            return "SECURITY_TRADING_STATUS_NOT_AVAILABLE_FOR_TRADING"
        return self.calendar.status(inst.market, self.clock.now())

    # ---- listeners ------------------------------------------------------------------------------

    def _order_changed(self, order: Order) -> None:
        order.updated = self.clock.now()
        for listener in list(self.order_listeners):
            listener(order)

    def _market_changed(self, instruments: list[Instrument]) -> None:
        for listener in list(self.market_listeners):
            listener(instruments)

    # ---- orders -------------------------------------------------------------------------------

    def post_order(self, req: NewOrder) -> tuple[Order, bool]:
        """Place an order; returns it and whether it is new (``False``: a repeated orderId)."""
        account = self.account(req.account_id)
        existing = self.by_request.get((account.id, req.request_id))
        if existing is not None:
            return existing, False
        inst = self.instrument(req.instrument_id)
        self._check_tradable(inst, req)
        price = self._estimate_price(inst, req)
        self._check_funds(account, inst, req, price)
        now = self.clock.now()
        seq = self._next_seq()
        order = Order(
            order_id=str(30_000_000_000 + seq),
            request_id=req.request_id,
            account_id=account.id,
            instrument=inst,
            direction=req.direction,
            order_type=req.order_type,
            time_in_force=req.time_in_force,
            lots_requested=req.lots,
            price=req.price if req.order_type == LIMIT else None,
            initial_price=price,
            created=now,
            seq=seq,
        )
        self.orders[order.order_id] = order
        self._open[order.order_id] = order
        self.by_request[(account.id, req.request_id)] = order
        self._execute_incoming(account, order)
        self._order_changed(order)
        if order.fills:
            self._after_trades([inst])
        return order, True

    def _check_tradable(self, inst: Instrument, req: NewOrder) -> None:
        if req.lots <= 0:
            raise ApiError(30015)
        if req.order_type == LIMIT:
            if req.price is None:
                raise ApiError(30017)
            if req.price <= 0 and not inst.is_future:
                raise ApiError(30100)
            if not inst.on_increment(req.price):
                raise ApiError(30078)
            low, high = price_limits(inst, self.market.quote(inst).close_price)
            if not low <= req.price <= high:
                raise ApiError(30099)
        if not inst.api_trade_available:
            raise ApiError(30052)
        buy = req.direction == BUY
        if (buy and not inst.buy_available) or (not buy and not inst.sell_available):
            raise ApiError(30079)
        status = self.trading_status(inst)
        if status == "SECURITY_TRADING_STATUS_NOT_AVAILABLE_FOR_TRADING":
            if inst.uid in self.status_overrides:
                raise ApiError(30079)
            raise ApiError(30097)
        if not accepts(status, req.order_type != LIMIT):
            raise ApiError(30097)

    def _estimate_price(self, inst: Instrument, req: NewOrder) -> Decimal:
        if req.order_type == LIMIT and req.price is not None:
            return req.price
        book = self.market.quote(inst).book
        levels = book.asks if req.direction == BUY else book.bids
        left = req.lots
        worst = self.market.quote(inst).last_price
        for level in levels:
            if left <= 0:
                break
            worst = level.price
            left -= level.quantity
        return worst

    def _check_funds(
        self, account: Account, inst: Instrument, req: NewOrder, price: Decimal
    ) -> None:
        buy = req.direction == BUY
        free = account.free_money()
        pos = account.position(inst)
        if inst.is_future:
            signed = req.lots * inst.lot * (1 if buy else -1)
            opening = max(0, abs(pos.balance + signed) - abs(pos.balance))
            fee = inst.lot_value(price) * req.lots * COMMISSION_RATE
            if opening * inst.initial_margin + fee > free:
                raise ApiError(30042)
            return
        value = inst.lot_value(price) * req.lots
        if buy:
            if value * (1 + COMMISSION_RATE) > free:
                raise ApiError(30034)
            return
        units = req.lots * inst.lot
        short_units = units - max(pos.available(), 0)
        if short_units > 0:
            if not inst.short_enabled:
                raise ApiError(30042)
            if short_units * price * inst.dshort > free - account.short_collateral():
                raise ApiError(30042)

    def _execute_incoming(self, account: Account, order: Order) -> None:
        inst = order.instrument
        book = self.market.quote(inst).book
        levels = book.asks if order.buy else book.bids
        limit = order.price

        def crosses(level: Level) -> bool:
            if limit is None:
                return True
            return level.price <= limit if order.buy else level.price >= limit

        if order.time_in_force == TIF_FOK:
            available = sum(lv.quantity for lv in levels if crosses(lv))
            if available < order.lots_requested:
                order.status = CANCELLED
                order.message = "Fill-or-kill order could not be filled in full"
                return
        self._match_against(account, order, levels, crosses)
        if order.lots_left == 0:
            order.status = FILL
        elif order.order_type != LIMIT or order.time_in_force in (TIF_FAK, TIF_FOK):
            order.status = CANCELLED
        else:
            order.status = PARTIAL if order.fills else NEW
            self._block_for(account, order)

    def _match_against(
        self,
        account: Account,
        order: Order,
        levels: list[Level],
        crosses: Callable[[Level], bool],
        at_price: Decimal | None = None,
    ) -> None:
        """Consume crossing levels. An incoming order trades at each level's price; a resting
        order (``at_price`` = its limit) trades at its own price, as the maker."""
        now = self.clock.now()
        while order.lots_left > 0 and levels and crosses(levels[0]):
            level = levels[0]
            lots = min(level.quantity, order.lots_left)
            self._fill(account, order, at_price if at_price is not None else level.price, lots, now)
            level.quantity -= lots
            if level.quantity <= 0:
                levels.pop(0)

    def _fill(
        self, account: Account, order: Order, price: Decimal, lots: int, now: datetime
    ) -> None:
        inst = order.instrument
        fee = account.apply_fill(inst, order.buy, lots, price)
        order.executed_commission += fee
        order.fills.append(Fill(price, lots, self._trade_id(), now))
        self.market.record_trade(inst, price, now)

    def _block_for(self, account: Account, order: Order) -> None:
        """Hold money (buys, futures) or pieces (share sells) for a resting order's remainder.

        Blocks are always released before an order is matched and taken again afterwards.
        """
        inst = order.instrument
        price = order.price or order.initial_price
        if inst.is_future:
            account.order_blocks[order.order_id] = order.lots_left * inst.initial_margin
        elif order.buy:
            value = inst.lot_value(price) * order.lots_left
            account.order_blocks[order.order_id] = value * (1 + COMMISSION_RATE)
        else:
            pos = account.position(inst)
            units = min(order.lots_left * inst.lot, max(pos.available(), 0))
            pos.blocked += units
            order.blocked_units = units

    def _release(self, account: Account, order: Order) -> None:
        account.order_blocks.pop(order.order_id, None)
        if order.blocked_units:
            pos = account.position(order.instrument)
            pos.blocked = max(pos.blocked - order.blocked_units, 0)
            order.blocked_units = 0

    def cancel_order(self, account_id: str, order_id: str, by_request: bool = False) -> Order:
        account = self.account(account_id)
        order = self.find_order(account.id, order_id, by_request)
        if not order.active:
            raise ApiError(30059, "order is not active")
        self._release(account, order)
        order.status = CANCELLED
        self._order_changed(order)
        return order

    def find_order(self, account_id: str, order_id: str, by_request: bool = False) -> Order:
        if by_request:
            order = self.by_request.get((account_id, order_id))
        else:
            order = self.orders.get(order_id)
        if order is None or order.account_id != account_id:
            raise ApiError(50005)
        return order

    def open_orders(self) -> list[Order]:
        """The active orders of every account, in placement order."""
        open_ = self._open
        for order_id in [key for key, order in open_.items() if not order.active]:
            del open_[order_id]
        return list(open_.values())

    def active_orders(self, account_id: str) -> list[Order]:
        return [o for o in self.open_orders() if o.account_id == account_id]

    def max_lots(self, account: Account, inst: Instrument, price: Decimal | None) -> dict[str, int]:
        price = price or self.market.quote(inst).last_price
        free = account.free_money()
        pos = account.position(inst)
        if inst.is_future:
            per_lot = inst.initial_margin or inst.lot_value(price)
            buy = int(free // per_lot) if per_lot > 0 else 0
            return {"buy": buy, "buy_margin": buy, "sell": buy, "sell_margin": buy, "money": 0}
        per_lot = inst.lot_value(price) * (1 + COMMISSION_RATE)
        buy = int(free // per_lot) if per_lot > 0 else 0
        sell = max(pos.available(), 0) // inst.lot
        sell_margin = sell
        if inst.short_enabled and price > 0:
            sell_margin += int(
                max(free - account.short_collateral(), Decimal(0))
                // (price * inst.lot * inst.dshort)
            )
        return {"buy": buy, "buy_margin": buy, "sell": sell, "sell_margin": sell_margin, "money": 0}

    # ---- resting orders and stops after the market moves ------------------------------------

    def _after_trades(self, instruments: list[Instrument], market_traded: bool = False) -> None:
        """React to a change: resting orders meet the book (and, when the rest of the market
        printed a trade, its last price), stops see the last price, streams are told."""
        self._match_resting(instruments, market_traded)
        self._check_stops(instruments)
        self._market_changed(instruments)

    def _match_resting(self, instruments: list[Instrument], market_traded: bool) -> None:
        wanted = {inst.uid for inst in instruments}
        resting = [o for o in self.open_orders() if o.instrument.uid in wanted]
        if not resting:
            return
        resting.sort(key=_priority)
        market_last = {uid: self.market.quotes[uid].market_last for uid in wanted}
        now = self.clock.now()
        for order in resting:
            inst = order.instrument
            if not order.active or not accepts(self.trading_status(inst), market_order=False):
                continue
            account = self.accounts[order.account_id]
            quote = self.market.quote(inst)
            levels = quote.book.asks if order.buy else quote.book.bids
            limit = order.price if order.price is not None else order.initial_price
            before = order.lots_executed
            self._release(account, order)

            def crosses(level: Level, limit: Decimal = limit, buy: bool = order.buy) -> bool:
                return level.price <= limit if buy else level.price >= limit

            self._match_against(account, order, levels, crosses, at_price=limit)
            last = market_last[inst.uid]
            traded_through = market_traded and (last <= limit if order.buy else last >= limit)
            if order.lots_left > 0 and traded_through:
                # the market traded at or through the limit: the resting order is filled there
                self._fill(account, order, limit, order.lots_left, now)
            if order.lots_left == 0:
                order.status = FILL
            else:
                order.status = PARTIAL if order.fills else NEW
                self._block_for(account, order)
            if order.lots_executed != before:
                self._order_changed(order)

    def _check_stops(self, instruments: list[Instrument]) -> None:
        wanted = {inst.uid for inst in instruments}
        for stop in list(self.stop_orders.values()):
            if stop.status != STOP_ACTIVE or stop.instrument.uid not in wanted:
                continue
            if not accepts(self.trading_status(stop.instrument), market_order=False):
                continue
            last = self.market.quote(stop.instrument).last_price
            if stop.triggered_by(last):
                self._fire(stop)

    def _fire(self, stop: StopOrder) -> None:
        limit = stop.stop_type == STOP_LIMIT or (
            stop.exchange_order_type == EXCHANGE_LIMIT and stop.price is not None
        )
        req = NewOrder(
            account_id=stop.account_id,
            instrument_id=stop.instrument.uid,
            request_id=f"stop:{stop.stop_order_id}",
            direction="ORDER_DIRECTION_SELL" if stop.direction == STOP_SELL else BUY,
            order_type=LIMIT if limit else MARKET,
            lots=stop.lots,
            price=stop.price if limit else None,
        )
        stop.status = STOP_EXECUTED
        stop.activated = self.clock.now()
        try:
            order, _ = self.post_order(req)
        except ApiError as err:
            order = self._rejected(req, err)
        order.stop_order_id = stop.stop_order_id
        stop.exchange_order_id = order.order_id

    def _rejected(self, req: NewOrder, err: ApiError) -> Order:
        inst = self.catalogue.find(req.instrument_id)
        assert inst is not None
        seq = self._next_seq()
        order = Order(
            order_id=str(30_000_000_000 + seq),
            request_id=req.request_id,
            account_id=req.account_id,
            instrument=inst,
            direction=req.direction,
            order_type=req.order_type,
            time_in_force=req.time_in_force,
            lots_requested=req.lots,
            price=req.price,
            initial_price=req.price or self.market.quote(inst).last_price,
            created=self.clock.now(),
            seq=seq,
            status=REJECTED,
            message=err.message,
        )
        self.orders[order.order_id] = order
        self.by_request[(req.account_id, req.request_id)] = order
        self._order_changed(order)
        return order

    # ---- stop orders -------------------------------------------------------------------------

    def post_stop_order(self, stop: StopOrder) -> tuple[StopOrder, bool]:
        account = self.account(stop.account_id)
        if stop.request_id:
            existing = self.stops_by_request.get((account.id, stop.request_id))
            if existing is not None:
                return existing, False
        inst = stop.instrument
        if not inst.api_trade_available:
            raise ApiError(30052)
        stop_rules.check_day(self.calendar.mode, self.clock.now())
        stop_rules.check_side(stop, self.market.quote(inst).last_price)
        for value in (stop.stop_price, stop.price):
            if value is not None and not inst.on_increment(value):
                raise ApiError(30078)
        if stop.expiration_type == GTD and (
            stop.expire_at is None or stop.expire_at <= self.clock.now()
        ):
            raise ApiError(30040)
        seq = self._next_seq()
        stop.stop_order_id = str(uuid.uuid5(ID_NAMESPACE, f"stop:{self.config.seed}:{seq}"))
        self.stop_orders[stop.stop_order_id] = stop
        if stop.request_id:
            self.stops_by_request[(account.id, stop.request_id)] = stop
        return stop, True

    def cancel_stop_order(self, account_id: str, stop_order_id: str) -> StopOrder:
        self.account(account_id)
        stop = self.stop_orders.get(stop_order_id)
        if stop is None or stop.account_id != account_id or stop.status != STOP_ACTIVE:
            raise ApiError(50006)
        stop.status = STOP_CANCELED
        return stop

    # ---- time -----------------------------------------------------------------------------

    def tick(self) -> None:
        """Apply the passage of time: stop-order expiry and end-of-day cancellation."""
        now = self.clock.now()
        day = now.astimezone(MOSCOW).date()
        if day != self._trading_date:
            self._trading_date = day
            self.market.new_day()
        for stop in self.stop_orders.values():
            if (
                stop.status == STOP_ACTIVE
                and stop.expiration_type == GTD
                and stop.expire_at
                and stop.expire_at <= now
            ):
                stop.status = STOP_EXPIRED
        for order in self.open_orders():
            if not is_open(self.trading_status(order.instrument)):
                self._release(self.accounts[order.account_id], order)
                order.status = CANCELLED
                order.message = "Cancelled at the end of the trading session"
                self._order_changed(order)
        if self.replay is not None:
            self.replay.apply_until(self, now)

    def displayed_book(self, inst: Instrument) -> Book | None:
        """The book shown for a replayed instrument: the recorded one with the resting limit
        orders of the accounts added, as an exchange shows them (None: the market's own)."""
        if self.replay is None or inst.uid not in self.market.replayed:
            return None
        return with_orders(self.market.quote(inst).book, self.active_on(inst))

    def active_on(self, inst: Instrument) -> list[Order]:
        return [
            o for o in self.open_orders() if o.instrument.uid == inst.uid and o.price is not None
        ]

    def replayed_change(self, instruments: list[Instrument], market_traded: bool) -> None:
        """A replayed book or trade: resting orders and stops react, streams are told."""
        self._after_trades(instruments, market_traded=market_traded)

    def step(self, steps: int = 1) -> None:
        """Advance the random walk; resting orders and stops react to each step."""
        for _ in range(steps):
            self.tick()
            changed = self.market.step(self.clock.now())
            self._after_trades(changed, market_traded=True)

    def set_price(self, inst: Instrument, price: Decimal) -> None:
        self.tick()
        self.market.set_price(inst, price, self.clock.now())
        changed = [
            inst,
            *(
                f
                for f in self.catalogue.futures
                if f.basic_asset == inst.ticker and not inst.is_future
            ),
        ]
        self._after_trades(changed, market_traded=True)

    def set_book(
        self, inst: Instrument, bids: list[Level], asks: list[Level], last: Decimal | None
    ) -> None:
        self.tick()
        self.market.set_book(inst, bids, asks, self.clock.now(), last)
        self._after_trades([inst], market_traded=last is not None)
