"""/sprices: the executable price of every active spread in both directions now, or how long
until both legs are in session. Returns data; bot.texts renders it.

Both directions are priced like the job would trade them: selling the spread puts the far leg at
the best ask and hedges by buying the near leg up its asks; buying puts the far leg at the best
bid and sells the near leg down its bids. Each side is priced for one far lot and for the whole
amount still to do (walking the near book deeper; None when the book is too thin).
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from bot.base_client.types import Instrument, Spread
from bot.broker import errors as broker_errors
from bot.engine.spreads.legs import spread_config
from bot.engine.spreads.machine import SpreadConfig
from bot.engine.spreads.maths import (
    BookLike,
    Direction,
    SpreadError,
    executable_spread,
    meets_target,
)

if TYPE_CHECKING:
    from bot.engine.context import EngineContext


@dataclass(frozen=True, slots=True)
class LegSession:
    open: bool
    opens_at: datetime | None = None  # next opening when closed (None = unknown)


@dataclass(frozen=True, slots=True)
class SideQuote:
    """One direction of a spread. `spread` is roubles per far piece for one far lot (None when it
    cannot be priced: `reason` "no_far_price" or "not_enough_depth"); `spread_full` for the
    whole remaining amount."""

    direction: Direction
    spread: Decimal | None
    far_price: Decimal | None  # quote units (points for futures)
    near_price: Decimal | None  # VWAP of the hedge, quote units
    spread_full: Decimal | None
    meets_target: bool  # this direction's executable spread is at least as good as the target
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class SpreadQuote:
    spread_id: int
    far_ticker: str
    near_ticker: str
    direction: Direction  # the task's direction
    amount: int  # far pieces
    remaining: int  # far pieces still to do
    ratio: Decimal | None
    target: Decimal
    in_session: bool
    sell: SideQuote | None = None
    buy: SideQuote | None = None
    opens_at: datetime | None = None  # both legs in session from then (None = unknown)
    minutes_to_open: int | None = None
    error_key: str | None = None  # a spread that cannot be priced (bot.texts key)
    error_params: tuple[tuple[str, str], ...] = ()

    def side(self, direction: Direction) -> SideQuote | None:
        return self.sell if direction == "sell" else self.buy


def _side(
    cfg: SpreadConfig, direction: Direction, far_book: BookLike, near_book: BookLike, left: int
) -> SideQuote:
    one = executable_spread(direction, cfg.far, cfg.near, cfg.ratio, far_book, near_book, 1)
    full = executable_spread(
        direction, cfg.far, cfg.near, cfg.ratio, far_book, near_book, max(left, 1)
    )
    ok = one.spread is not None and meets_target(direction, one.spread, cfg.target)
    return SideQuote(
        direction=direction,
        spread=one.spread,
        far_price=one.far_price,
        near_price=one.near_price,
        spread_full=full.spread,
        meets_target=ok,
        reason=one.reason,
    )


def both_open_at(far: LegSession, near: LegSession) -> datetime | None:
    """When both legs will be in session (the later of the closed legs' openings)."""
    closed = [s for s in (far, near) if not s.open]
    if any(s.opens_at is None for s in closed) or not closed:
        return None
    return max(s.opens_at for s in closed if s.opens_at is not None)


def quote_spread(
    spread: Spread,
    far_book: BookLike | None,
    near_book: BookLike | None,
    far_session: LegSession,
    near_session: LegSession,
    now: datetime,
) -> SpreadQuote:
    """Pure: the quote of one spread from its books and sessions."""
    remaining = max(spread.amount - spread.far_executed, 0)
    base = SpreadQuote(
        spread_id=spread.id,
        far_ticker=spread.far.ticker,
        near_ticker=spread.near.ticker,
        direction=spread.direction,
        amount=spread.amount,
        remaining=remaining,
        ratio=None,
        target=spread.target_price,
        in_session=far_session.open and near_session.open,
    )
    try:
        cfg = spread_config(spread)
    except SpreadError as exc:
        return _replace(base, error_key=exc.key, error_params=tuple(exc.params.items()))
    base = _replace(base, ratio=cfg.ratio)
    if not base.in_session:
        opens = both_open_at(far_session, near_session)
        minutes = None
        if opens is not None:
            minutes = max(math.ceil((opens - now).total_seconds() / 60), 0)
        return _replace(base, opens_at=opens, minutes_to_open=minutes)
    if far_book is None or near_book is None:
        return _replace(base, error_key="no_price", error_params=(("ticker", spread.far.ticker),))
    left = max(remaining // cfg.far.lot, 1)
    return _replace(
        base,
        sell=_side(cfg, "sell", far_book, near_book, left),
        buy=_side(cfg, "buy", far_book, near_book, left),
    )


def _replace(quote: SpreadQuote, **changes: Any) -> SpreadQuote:
    return replace(quote, **changes)


BookReader = Callable[[Instrument], Awaitable[BookLike]]
SessionReader = Callable[[Instrument], Awaitable[LegSession]]


async def spread_prices(
    spreads: Sequence[Spread],
    read_book: BookReader,
    read_session: SessionReader,
    now: Callable[[], datetime],
) -> list[SpreadQuote]:
    """Quotes of `spreads` (in their order), the books of each read concurrently; a leg whose
    book the broker would not give is reported as `error_key` "broker_error"."""

    async def one(spread: Spread) -> SpreadQuote:
        far_s, near_s = await asyncio.gather(read_session(spread.far), read_session(spread.near))
        far_b: BookLike | None = None
        near_b: BookLike | None = None
        if far_s.open and near_s.open:
            try:
                far_b, near_b = await asyncio.gather(read_book(spread.far), read_book(spread.near))
            except broker_errors.BrokerError as exc:
                q = quote_spread(spread, None, None, LegSession(False), LegSession(False), now())
                return _replace(
                    q,
                    in_session=True,
                    opens_at=None,
                    minutes_to_open=None,
                    error_key="broker_error",
                    error_params=(("message", exc.user_message()), ("code", exc.api_code or "")),
                )
        return quote_spread(spread, far_b, near_b, far_s, near_s, now())

    return list(await asyncio.gather(*(one(s) for s in spreads)))


async def engine_spread_prices(ctx: EngineContext, spreads: Sequence[Spread]) -> list[SpreadQuote]:
    """`spread_prices` with the engine's broker and session calendar (Trader.spread_prices)."""

    async def read_book(instrument: Instrument) -> BookLike:
        return await ctx.broker.order_book(
            instrument.uid or instrument.figi, ctx.options.book_depth
        )

    async def read_session(instrument: Instrument) -> LegSession:
        state = await ctx.calendar.state(instrument)
        return LegSession(open=state.open, opens_at=state.opens_at)

    return await spread_prices(spreads, read_book, read_session, ctx.clock.now)
