"""The spread job's decisions as a pure state machine: no I/O, no clock, no randomness.

Inputs: book updates per leg, session open/closed per leg, order updates (acknowledged,
executed lots so far with their average price, final status), refusals of a placement or a
cancel, clock ticks, and a stop request. Outputs: `Action`s — place an order, cancel one, a fill
to report, an alert, a session wait, the end of the job. The driver (`job.py`) carries the
actions out through the engine's order lifecycle and feeds back what the broker says.

Rules (SPEC "Spread", `/spreads`):

- While both legs are in session and the executable spread meets the target, keep ONE limit
  order on the far leg at the passive best price, sized to what the near book can hedge at the
  target (never more than the amount left). Pull it when the spread no longer meets the target,
  move it (cancel, wait for the cancel to be final, place again) when the passive price moves.
- Every far fill is hedged at once on the near leg for exactly the unhedged quantity in whole
  lots with a marketable order. Orders in flight count, so a hedge is never sent twice.
- A hedge that ends (rejected, cancelled after its time-out) without being complete is retried
  with exponential backoff and reported as an Alert; the far leg stops growing until the
  position is neutral again.
- Quantities come from each order's cumulative executed lots (monotone), so an update seen
  twice, or a restart that replays orders, never double-counts.
- Stop: pull the far order, wait for in-flight hedges, hedge what is left, then finish.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, localcontext
from typing import Literal

from bot.engine.order_moves import MoveGate, MoveRules
from bot.engine.spreads.maths import (
    BookLike,
    Direction,
    LegName,
    LegSpec,
    average_spread,
    hedge_limit_price,
    hedge_target_pieces,
    leg_directions,
    max_far_lots,
    passive_price,
    tidy,
)

OrderStatus = Literal[
    "prepared", "sent", "unknown", "new", "partially_filled", "filled", "cancelled", "rejected"
]
FINAL_STATUSES: frozenset[str] = frozenset({"filled", "cancelled", "rejected"})
OrderType = Literal["limit", "market"]
Outcome = Literal["done", "stopped", "failed"]

# Alert / reason keys emitted by the spread job (rendered by bot.texts).
HEDGE_FAILED = "spread_hedge_failed"  # params: ticker, lots, attempt, message
HEDGE_RESTORED = "spread_hedge_restored"  # params: ticker
OVER_HEDGED = "spread_over_hedged"  # params: ticker, pieces
LEFT_UNHEDGED = "spread_left_unhedged"  # params: ticker, pieces
FAR_REFUSED = "spread_far_refused"  # params: ticker, message
HEDGE_WAITS_SESSION = "spread_hedge_waits_session"  # params: ticker, pieces


@dataclass(frozen=True, slots=True)
class SpreadConfig:
    spread_id: int
    direction: Direction
    far: LegSpec
    near: LegSpec
    ratio: Decimal
    amount: int  # far pieces
    target: Decimal  # roubles per far piece
    hedge_slip_ticks: int = 20
    hedge_timeout: float = 10.0  # seconds before a resting hedge is cancelled and re-sent
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    max_far_lots_per_order: int | None = None
    market_hedges: bool = False  # hedge with market orders (where the session allows them)
    stop_hedge_attempts: int = 8  # while stopping, give up (loudly) after this many failures
    # moving the far order: a new price must hold this long, at most this many far orders a
    # minute (bot.engine.order_moves)
    far_moves: MoveRules = field(default_factory=MoveRules)

    @property
    def far_direction(self) -> Direction:
        return leg_directions(self.direction)[0]

    @property
    def near_direction(self) -> Direction:
        return leg_directions(self.direction)[1]

    def leg(self, name: LegName) -> LegSpec:
        return self.far if name == "far" else self.near


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True, slots=True)
class OrderSnapshot:
    """A known order of this spread (from the Base and the broker on start)."""

    client_order_id: str
    leg: LegName
    direction: Direction
    lots: int
    status: OrderStatus
    lots_executed: int = 0
    average_price: Decimal | None = None  # per piece, quote units
    price: Decimal | None = None
    order_type: OrderType = "limit"
    # when it was placed (the machine's clock): a resting hedge adopted after a restart times
    # out as it would have without the restart, not at once (None: long ago)
    placed_at: float | None = None


@dataclass(frozen=True, slots=True)
class OrderUpdate:
    """What the broker says about an order now: status and cumulative executed lots."""

    client_order_id: str
    status: OrderStatus
    lots_executed: int
    average_price: Decimal | None = None  # average over all executed lots, quote units
    message: str = ""


# --------------------------------------------------------------------------- actions


@dataclass(frozen=True, slots=True)
class Place:
    client_order_id: str
    leg: LegName
    ticker: str
    direction: Direction
    lots: int
    price: Decimal | None  # None for a market order
    order_type: OrderType
    hedge: bool


@dataclass(frozen=True, slots=True)
class Cancel:
    client_order_id: str
    leg: LegName


@dataclass(frozen=True, slots=True)
class Filled:
    """A fill to report: `pieces` at `price` on `leg`; totals after it."""

    leg: LegName
    ticker: str
    direction: Direction
    pieces: int
    price: Decimal
    executed: int  # the leg's executed pieces
    leg_amount: int  # the leg's amount in pieces
    average_price: Decimal | None
    average_spread: Decimal | None


@dataclass(frozen=True, slots=True)
class Alert:
    reason_key: str
    params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SessionClosed:
    """Both legs are not in session: the far order is pulled; waiting for `tickers`."""

    tickers: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Finish:
    outcome: Outcome
    reason_key: str | None = None
    params: dict[str, str] = field(default_factory=dict)


Action = Place | Cancel | Filled | Alert | SessionClosed | Finish


# --------------------------------------------------------------------------- state


@dataclass(slots=True)
class _Order:
    client_order_id: str
    leg: LegName
    direction: Direction
    lots: int
    price: Decimal | None
    order_type: OrderType
    status: OrderStatus
    lots_executed: int = 0
    average_price: Decimal | None = None
    placed_at: float = 0.0
    cancelling: bool = False
    timed_out: bool = False

    @property
    def final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def acknowledged(self) -> bool:
        return self.status in ("new", "partially_filled")

    @property
    def remaining(self) -> int:
        return 0 if self.final else max(self.lots - self.lots_executed, 0)


class SpreadMachine:
    def __init__(
        self,
        config: SpreadConfig,
        new_id: Callable[[], str],
        orders: Iterable[OrderSnapshot] = (),
    ) -> None:
        self.config = config
        self._new_id = new_id
        self._orders: dict[str, _Order] = {}
        self._books: dict[LegName, BookLike | None] = {"far": None, "near": None}
        # None until the driver says: no SessionClosed for a leg we know nothing about yet
        self._session: dict[LegName, bool | None] = {"far": None, "near": None}
        self._waiting_session = False
        self._stopping = False
        self._finished: Finish | None = None
        self._hedge_failures = 0
        self._hedge_retry_at = 0.0
        self._far_retry_at = 0.0
        self._far_failures = 0
        self._over_hedge_alerted = False
        self._session_hedge_alerted = False
        self._far_paused = False
        self._far_cap: int | None = None
        # our far order just cancelled may still show in the last book: (price, lots)
        self._far_ghost: tuple[Decimal, int] | None = None
        self._fatal: Finish | None = None
        self._amount_lots = config.amount // config.far.lot
        self._far_gate = MoveGate(config.far_moves, config.far_direction)
        for snap in orders:
            self._orders[snap.client_order_id] = _Order(
                client_order_id=snap.client_order_id,
                leg=snap.leg,
                direction=snap.direction,
                lots=snap.lots,
                price=snap.price,
                order_type=snap.order_type,
                status=snap.status,
                lots_executed=snap.lots_executed,
                average_price=snap.average_price,
                placed_at=snap.placed_at if snap.placed_at is not None else 0.0,
            )
        # kept as orders come and fill, so a long day of orders is not walked through at every
        # decision: executed lots per leg, and the orders not final yet (in placement order; a
        # final order never comes back, so the final ones are dropped as they are met)
        self._executed_lots: dict[LegName, int] = {"far": 0, "near": 0}
        self._open: dict[str, _Order] = {}
        self._recount()

    def _recount(self) -> None:
        self._executed_lots = {"far": 0, "near": 0}
        for o in self._orders.values():
            self._executed_lots[o.leg] += o.lots_executed
        self._open = {key: o for key, o in self._orders.items() if not o.final}

    # ------------------------------------------------------------------ views

    def executed(self, leg: LegName) -> int:
        return self._executed_lots[leg] * self.config.leg(leg).lot

    def average(self, leg: LegName) -> Decimal | None:
        lots = 0
        value = Decimal(0)
        with localcontext() as ctx:
            ctx.prec = 60
            for o in self._orders.values():
                if o.leg == leg and o.lots_executed > 0 and o.average_price is not None:
                    lots += o.lots_executed
                    value += o.average_price * o.lots_executed
            return tidy(value / lots) if lots else None

    @property
    def near_amount(self) -> int:
        c = self.config
        return hedge_target_pieces(c.amount, c.ratio, c.near.lot)

    def average_spread(self) -> Decimal | None:
        c = self.config
        return average_spread(c.far, c.near, c.ratio, self.average("far"), self.average("near"))

    def hedge_needed(self) -> int:
        """Near pieces neither executed nor in flight that the far fills call for."""
        c = self.config
        target = hedge_target_pieces(self.executed("far"), c.ratio, c.near.lot)
        in_flight = sum(o.remaining for o in self._live("near")) * c.near.lot
        return target - self.executed("near") - in_flight

    def unhedged_pieces(self) -> int:
        """Near pieces the far fills call for that are not executed yet (in flight or not)."""
        c = self.config
        target = hedge_target_pieces(self.executed("far"), c.ratio, c.near.lot)
        return target - self.executed("near")

    @property
    def finished(self) -> Finish | None:
        return self._finished

    @property
    def stopping(self) -> bool:
        return self._stopping

    @property
    def hedge_failing(self) -> bool:
        return self._hedge_failures > 0

    @property
    def in_session(self) -> bool:
        return self._session["far"] is True and self._session["near"] is True

    def far_order(self) -> _Order | None:
        live = self._live("far")
        return live[0] if live else None

    def open_orders(self) -> list[_Order]:
        live = self._open
        for key in [key for key, o in live.items() if o.final]:
            del live[key]
        return list(live.values())

    def _live(self, leg: LegName) -> list[_Order]:
        return [o for o in self.open_orders() if o.leg == leg]

    # ------------------------------------------------------------------ inputs

    def start(self, now: float) -> list[Action]:
        """First decisions (e.g. after a restart: hedge an imbalance, pull stray far orders)."""
        actions: list[Action] = []
        far_live = self._live("far")
        # More than one open far order can only come from a crash mid-move: keep none of them.
        if len(far_live) > 1:
            for o in far_live:
                actions += self._cancel(o)
        return actions + self._decide(now)

    def on_book(self, leg: LegName, book: BookLike, now: float) -> list[Action]:
        self._books[leg] = book
        if leg == "far":
            self._far_ghost = None
        return self._decide(now)

    def on_session(self, leg: LegName, is_open: bool, now: float) -> list[Action]:
        self._session[leg] = is_open
        return self._decide(now)

    def pause_far(self, paused: bool, now: float) -> list[Action]:
        """Hold the far leg (e.g. while the Base is down): no new far order, the live one is
        pulled; hedges carry on."""
        self._far_paused = paused
        return self._decide(now)

    def on_tick(self, now: float) -> list[Action]:
        actions: list[Action] = []
        c = self.config
        for o in self._live("near"):
            if (
                o.acknowledged
                and not o.cancelling
                and o.order_type == "limit"
                and now - o.placed_at >= c.hedge_timeout
            ):
                o.timed_out = True
                actions += self._cancel(o)
        return actions + self._decide(now)

    def wake_at(self) -> float | None:
        """When the machine next wants `on_tick` without any other input (a hedge backoff or
        time-out, a far retry); None when only events can change anything."""
        c = self.config
        times: list[float] = []
        if self.hedge_needed() > 0:
            times.append(self._hedge_retry_at)
        if self._far_failures:
            times.append(self._far_retry_at)
        times += [
            o.placed_at + c.hedge_timeout
            for o in self._live("near")
            if o.order_type == "limit" and not o.cancelling
        ]
        return min(times) if times else None

    def stop(self, now: float) -> list[Action]:
        self._stopping = True
        return self._decide(now)

    def on_order(self, update: OrderUpdate, now: float) -> list[Action]:
        order = self._orders.get(update.client_order_id)
        if order is None or order.final:
            return []
        actions: list[Action] = []
        if order.leg == "far" and update.status in ("new", "partially_filled", "filled"):
            self._far_failures = 0
        if update.lots_executed > order.lots_executed:
            actions.append(self._record_fill(order, update))
        if update.status in FINAL_STATUSES:
            if order.leg == "far" and order.price is not None and order.remaining:
                self._far_ghost = (order.price, order.remaining)
            order.status = update.status
            order.cancelling = False
            if order.leg == "near" and order.lots_executed < order.lots:
                reason = "timeout" if order.timed_out else (update.message or update.status)
                actions += self._hedge_failed(order, reason, now)
            if order.leg == "far" and update.status == "rejected" and order.lots_executed == 0:
                actions += self._far_failed(update.message or "rejected", now)
        elif update.status in ("new", "partially_filled") or not order.acknowledged:
            order.status = update.status
        return actions + self._decide(now)

    def on_place_failed(
        self, client_order_id: str, message: str, now: float, *, permanent: bool = False
    ) -> list[Action]:
        """The broker refused the order: it does not exist (nothing executed)."""
        order = self._orders.get(client_order_id)
        if order is None or order.final:
            return []
        order.status = "rejected"
        actions: list[Action] = []
        if order.leg == "near":
            actions += self._hedge_failed(order, message, now)
        else:
            actions += self._far_failed(message, now, permanent=permanent)
        return actions + self._decide(now)

    def cap_far_lots(self, client_order_id: str, lots: int, now: float) -> list[Action]:
        """A far order was refused before sending because it was too large (e.g. the max value
        of one order): it does not exist; from now on far orders are at most `lots` lots."""
        order = self._orders.get(client_order_id)
        if order is not None and not order.final:
            order.status = "rejected"
        self._far_cap = max(lots, 0)
        return self._decide(now)

    def on_cancel_failed(self, client_order_id: str, now: float) -> list[Action]:
        """The cancel did not go through (the order may have filled meanwhile): the driver asks
        the broker for the order's state and feeds it back; the machine may try again later."""
        order = self._orders.get(client_order_id)
        if order is not None:
            order.cancelling = False
        return []

    # ------------------------------------------------------------------ internals

    def _record_fill(self, order: _Order, update: OrderUpdate) -> Filled:
        c = self.config
        spec = c.leg(order.leg)
        old_lots, old_avg = order.lots_executed, order.average_price
        new_lots = update.lots_executed
        new_avg = update.average_price
        delta = new_lots - old_lots
        with localcontext() as ctx:
            ctx.prec = 60
            if new_avg is None:
                new_avg = old_avg if old_avg is not None else order.price
            if new_avg is not None and old_avg is not None and old_lots:
                price = tidy((new_avg * new_lots - old_avg * old_lots) / delta)
            else:
                price = new_avg if new_avg is not None else Decimal(0)
        order.lots_executed = new_lots
        self._executed_lots[order.leg] += delta
        order.average_price = new_avg
        if order.status in ("prepared", "sent", "unknown"):
            order.status = "partially_filled"
        leg_amount = c.amount if order.leg == "far" else self.near_amount
        return Filled(
            leg=order.leg,
            ticker=spec.ticker,
            direction=order.direction,
            pieces=delta * spec.lot,
            price=price,
            executed=self.executed(order.leg),
            leg_amount=leg_amount,
            average_price=self.average(order.leg),
            average_spread=self.average_spread(),
        )

    def _backoff(self, failures: int) -> float:
        c = self.config
        return float(min(c.backoff_base * 2 ** max(failures - 1, 0), c.backoff_max))

    def _hedge_failed(self, order: _Order, message: str, now: float) -> list[Action]:
        self._hedge_failures += 1
        n = self._hedge_failures
        self._hedge_retry_at = now + self._backoff(n)
        c = self.config
        actions: list[Action] = []
        if n & (n - 1) == 0:  # alert on attempts 1, 2, 4, 8, ...: loud but not a flood
            actions.append(
                Alert(
                    HEDGE_FAILED,
                    {
                        "ticker": c.near.ticker,
                        "lots": str(order.lots - order.lots_executed),
                        "attempt": str(n),
                        "message": message,
                    },
                )
            )
        if self._stopping and n >= c.stop_hedge_attempts:
            self._fatal = Finish(
                "failed",
                LEFT_UNHEDGED,
                {"ticker": c.near.ticker, "pieces": str(self.unhedged_pieces())},
            )
        return actions

    def _far_failed(self, message: str, now: float, *, permanent: bool = False) -> list[Action]:
        self._far_failures += 1
        self._far_retry_at = now + self._backoff(self._far_failures)
        c = self.config
        if permanent:
            self._stopping = True
            self._fatal = Finish(
                "failed", FAR_REFUSED, {"ticker": c.far.ticker, "message": message}
            )
            return []
        if self._far_failures & (self._far_failures - 1) == 0:
            return [Alert(FAR_REFUSED, {"ticker": c.far.ticker, "message": message})]
        return []

    def _cancel(self, order: _Order) -> list[Action]:
        if order.cancelling or order.final:
            return []
        order.cancelling = True
        return [Cancel(order.client_order_id, order.leg)]

    def _place(
        self,
        leg: LegName,
        direction: Direction,
        lots: int,
        price: Decimal | None,
        now: float,
    ) -> Place:
        spec = self.config.leg(leg)
        order_type: OrderType = "market" if price is None else "limit"
        order = _Order(
            client_order_id=self._new_id(),
            leg=leg,
            direction=direction,
            lots=lots,
            price=price,
            order_type=order_type,
            status="sent",
            placed_at=now,
        )
        if order.client_order_id in self._orders:  # an id given twice replaces the order
            self._orders[order.client_order_id] = order
            self._recount()
        else:
            self._orders[order.client_order_id] = order
            self._open[order.client_order_id] = order
        return Place(
            order.client_order_id,
            leg,
            spec.ticker,
            direction,
            lots,
            price,
            order_type,
            hedge=leg == "near",
        )

    def _decide(self, now: float) -> list[Action]:
        if self._finished is not None:
            return []
        actions = self._decide_hedge(now)
        actions += self._decide_far(now)
        actions += self._decide_finish()
        return actions

    def _decide_hedge(self, now: float) -> list[Action]:
        c = self.config
        need = self.hedge_needed()
        actions: list[Action] = []
        if need < 0 and not self._live("near"):
            if not self._over_hedge_alerted:
                self._over_hedge_alerted = True
                actions.append(Alert(OVER_HEDGED, {"ticker": c.near.ticker, "pieces": str(-need)}))
            return actions
        if self.hedge_failing and self.unhedged_pieces() == 0 and not self._live("near"):
            self._hedge_failures = 0
            actions.append(Alert(HEDGE_RESTORED, {"ticker": c.near.ticker}))
        lots = need // c.near.lot
        if lots > 0 and self._session["near"] is False:
            if not self._session_hedge_alerted:  # a far fill raced the near leg's close
                self._session_hedge_alerted = True
                actions.append(
                    Alert(HEDGE_WAITS_SESSION, {"ticker": c.near.ticker, "pieces": str(need)})
                )
            return actions
        if lots <= 0 or self._session["near"] is not True or now < self._hedge_retry_at:
            return actions
        self._session_hedge_alerted = False
        book = self._books["near"]
        price: Decimal | None = None
        if not c.market_hedges:
            if book is None:
                return actions  # the stream's first book comes at once; price off it
            price = hedge_limit_price(
                c.near_direction, book, lots, c.near.min_price_increment, c.hedge_slip_ticks
            )
            if price is None:
                return actions  # the near side is empty: wait for a price
            price = _within_limits(price, book, c.near_direction)
        actions.append(self._place("near", c.near_direction, lots, price, now))
        return actions

    def _far_stopped(self) -> bool:
        """The far leg is held back whatever the market: stopping, hedge failing, paused."""
        return self._stopping or self.hedge_failing or self._far_paused

    def _far_held_back(self) -> bool:
        """No far order may stand now, whatever the books say."""
        return self._far_stopped() or not self.in_session

    def _uninformed(self) -> bool:
        """A book or a session not known yet, and no other reason to hold the far leg back."""
        unknown = None in self._books.values() or None in self._session.values()
        closed = False in self._session.values()
        return unknown and not closed and not self._far_stopped()

    def _wanted_far(self, now: float, own: _Order | None) -> tuple[Decimal, int] | None:
        c = self.config
        if self._far_held_back():
            return None
        if now < self._far_retry_at:
            return None
        far_book, near_book = self._books["far"], self._books["near"]
        if far_book is None or near_book is None:
            return None
        left = self._amount_lots - self.executed("far") // c.far.lot
        if c.max_far_lots_per_order is not None:
            left = min(left, c.max_far_lots_per_order)
        if self._far_cap is not None:
            left = min(left, self._far_cap)
        if left <= 0:
            return None
        side = far_book.asks if c.far_direction == "sell" else far_book.bids
        if own is not None:
            price = passive_price(side, own.price, own.remaining)
        elif self._far_ghost is not None:
            price = passive_price(side, *self._far_ghost)
        else:
            price = passive_price(side)
        if price is None:
            return None
        # stand at the held price: a better price that only flickers is not followed
        price = self._far_gate.held(price, now)
        lots, _ex = max_far_lots(
            c.direction, c.far, c.near, c.ratio, far_book, near_book, c.target, left, price
        )
        return (price, lots) if lots > 0 else None

    def _decide_far(self, now: float) -> list[Action]:
        c = self.config
        actions: list[Action] = []
        live = self._live("far")
        known_closed = False in self._session.values()
        if known_closed and not self._stopping:
            if not self._waiting_session:
                self._waiting_session = True
                closed = tuple(
                    self.config.leg(leg).ticker
                    for leg in ("far", "near")
                    if self._session[leg] is False
                )
                actions.append(SessionClosed(closed))
        elif self.in_session:
            self._waiting_session = False
        if len(live) > 1:
            for o in live:
                actions += self._cancel(o)
            return actions
        own = live[0] if live else None
        if own is not None and (own.cancelling or not own.acknowledged):
            return actions  # wait for the cancel (or the placement) to be final
        if own is not None and self._uninformed():
            # a far order adopted at a restart, before the books and sessions are known:
            # nothing to judge it by yet, so it stands (pulling it now would be an order moved
            # for nothing)
            return actions
        want = self._wanted_far(now, own)
        gate = self._far_gate
        if own is not None:
            if want is None or want[1] < own.remaining or not self._far_executable(own):
                # not to be traded now, or the target is no longer met at the standing price
                # for what it has left: pulled at once
                gate.pulled(now)
                actions += self._cancel(own)
            elif want[0] != own.price and gate.may_place(now):
                actions += self._cancel(own)  # the held price moved: follow it
            return actions
        if want is not None and gate.may_place(now):
            gate.placed(now)
            actions.append(self._place("far", c.far_direction, want[1], want[0], now))
        return actions

    def _far_executable(self, own: _Order) -> bool:
        """Whether the standing far order still meets the target at its own price for the lots
        it has left (the hedge priced in the near book now)."""
        c = self.config
        far_book, near_book = self._books["far"], self._books["near"]
        if far_book is None or near_book is None or own.price is None:
            return True  # nothing new to judge by
        lots, _ex = max_far_lots(
            c.direction,
            c.far,
            c.near,
            c.ratio,
            far_book,
            near_book,
            c.target,
            own.remaining,
            own.price,
        )
        return lots >= own.remaining

    def _decide_finish(self) -> list[Action]:
        c = self.config
        if self.open_orders():
            return []
        if self._fatal is not None:
            self._finished = self._fatal
            return [self._fatal]
        neutral = self.unhedged_pieces() == 0 or (
            self.unhedged_pieces() < 0 and self._over_hedge_alerted
        )
        if not neutral:
            return []
        if self.executed("far") >= c.amount:
            self._finished = Finish("done")
        elif self._stopping:
            self._finished = Finish("stopped")
        else:
            return []
        return [self._finished]


def _within_limits(price: Decimal, book: BookLike, direction: Direction) -> Decimal:
    """Keep a hedge price inside the exchange's price band when the book carries it."""
    up = getattr(book, "limit_up", None)
    down = getattr(book, "limit_down", None)
    if direction == "buy" and isinstance(up, Decimal) and up > 0 and price > up:
        return up
    if direction == "sell" and isinstance(down, Decimal) and price < down:
        return down
    return price
