"""From the Base's spread task to what the maths and the state machine need."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal

from bot.base_client.types import Instrument, Spread
from bot.engine.order_moves import MoveRules
from bot.engine.spreads.machine import SpreadConfig
from bot.engine.spreads.maths import (
    InstrumentKind,
    LegSpec,
    SpreadError,
    check_amount,
    derive_ratio,
)


def leg_spec(instrument: Instrument) -> LegSpec:
    kind: InstrumentKind = "future" if instrument.kind == "future" else "share"
    return LegSpec(
        ticker=instrument.ticker,
        kind=kind,
        lot=instrument.lot,
        min_price_increment=instrument.min_price_increment,
        min_price_increment_amount=instrument.min_price_increment_amount,
        basic_asset_size=instrument.basic_asset_size,
    )


def spread_title(spread: Spread) -> str:
    """Data for JobStarted/JobFinished titles, e.g. "sell SRH7/SBER"."""
    return f"{spread.direction} {spread.far.ticker}/{spread.near.ticker}"


def spread_key(spread: Spread) -> str:
    """Job registry key: the same spread task never runs twice at once."""
    return f"spread:{spread.id}"


def effective_ratio(spread: Spread, far: LegSpec, near: LegSpec) -> Decimal:
    """The override, else the Base's effective ratio, else derived from the instruments."""
    if spread.ratio_override is not None:
        return derive_ratio(far, near, spread.ratio_override)
    if spread.ratio > 0:
        return spread.ratio
    return derive_ratio(far, near)


@dataclass(frozen=True, slots=True)
class SpreadTuning:
    """Knobs of the spread job (defaults suit the real broker; tests and the bench shrink them)."""

    hedge_slip_ticks: int = 20
    hedge_timeout: float = 10.0
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    stop_hedge_attempts: int = 8
    tick_interval: float = 0.2  # how often the job looks at the clock (backoff, time-outs)
    session_check_interval: float = 30.0
    # with a healthy order-state stream, live orders are still polled this often (safety net
    # within the Orders budget of ~100 requests a minute)
    safety_poll_interval: float = 60.0
    # the far order is moved to a new price only once it has held, within a budget of orders
    # a minute (bot.engine.order_moves)
    far_moves: MoveRules = field(default_factory=MoveRules)


def spread_config(spread: Spread, tuning: SpreadTuning | None = None) -> SpreadConfig:
    """SpreadConfig for a Base spread; SpreadError when it cannot be traded as described (a far
    leg that is not a future, sizes that are not whole lots, a future without its step value)."""
    tuning = tuning or SpreadTuning()
    far, near = leg_spec(spread.far), leg_spec(spread.near)
    if far.kind != "future":
        raise SpreadError("spread_far_not_future", ticker=far.ticker)
    for leg in (far, near):
        if leg.kind == "future" and leg.min_price_increment_amount is None:
            raise SpreadError("spread_no_increment_amount", ticker=leg.ticker)
    ratio = effective_ratio(spread, far, near)
    check_amount(spread.amount, ratio, far, near)
    config = SpreadConfig(
        spread_id=spread.id,
        direction=spread.direction,
        far=far,
        near=near,
        ratio=ratio,
        amount=spread.amount,
        target=spread.target_price,
    )
    return replace(
        config,
        hedge_slip_ticks=tuning.hedge_slip_ticks,
        hedge_timeout=tuning.hedge_timeout,
        backoff_base=tuning.backoff_base,
        backoff_max=tuning.backoff_max,
        stop_hedge_attempts=tuning.stop_hedge_attempts,
        far_moves=tuning.far_moves,
    )
