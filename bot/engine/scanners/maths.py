"""Scanner maths: pure functions on Decimal, no I/O, never a division by zero.

Selling a calendar spread — the far future sold, the near leg (its share, or a nearer future)
bought, `ratio` near pieces per far piece — earns the spread's convergence by the far expiry:

    profit per far piece = far − ratio × near            (roubles; futures from points)
    margin per far piece = far value × far short rate  (never below the exchange's initial margin)
                         + ratio × near value × near long rate
    return for the period = profit / margin
    annual return = (1 + period return) ^ (365 / days) − 1      (compounded to a year)

where the rates are the broker's client risk rates (dshortClient, dlongClient): what it really
blocks, above the exchange's minimum. `days` counts calendar days from today (Moscow) to the far
leg's expiry; a pair expiring today or earlier has no return (None).

The dividend a future's price implies (simple-interest carry at `rate` % a year to its expiry):

    implied dividend per share = S × (1 + rate × days / 365) − F / basicAssetSize

(F in roubles per contract): what the holder of the share receives by the expiry and the holder
of the future does not. Its yield is per cent of the share price.

Ratio and points → roubles come from the spread maths (`bot.engine.spreads.maths`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation, localcontext

from bot.engine.spreads.maths import LegSpec, spread_price, to_roubles

_PREC = 40
HUNDRED = Decimal(100)
YEAR_DAYS = Decimal(365)
#: An annual return shown as at most this many per cent (a tiny margin over a day or two can
#: compound to astronomical figures that mean nothing).
ANNUAL_CAP = Decimal(10) ** 6


@dataclass(frozen=True, slots=True)
class LegRisk:
    """What the broker blocks for one piece of a leg: client risk rates (fractions of the
    value, e.g. 0.2 = 20 %) and, for futures, the exchange's initial margin per piece."""

    long_rate: Decimal | None = None
    short_rate: Decimal | None = None
    initial_buy: Decimal | None = None
    initial_sell: Decimal | None = None


@dataclass(frozen=True, slots=True)
class PairFigures:
    """One pair priced: everything per far piece, in roubles."""

    spread: Decimal  # far − ratio × near: the profit of selling the spread by the far expiry
    margin: Decimal
    days: int
    period_return: Decimal  # fraction
    annual_percent: Decimal  # per cent a year, compounded


@dataclass(frozen=True, slots=True)
class DividendFigures:
    implied: Decimal  # roubles per share
    yield_percent: Decimal  # of the share price
    spread: Decimal  # far − ratio × near, roubles per contract
    days: int


def days_to(expiry: date, today: date) -> int:
    """Calendar days from today to the expiry (0 today, negative once past)."""
    return (expiry - today).days


def leg_margin(value: Decimal, rate: Decimal | None, floor: Decimal | None) -> Decimal | None:
    """Roubles the broker blocks for one piece worth `value` roubles: the client rate × value,
    never less than `floor` (the exchange's initial margin, for futures). None when neither the
    rate nor the floor is known."""
    with localcontext() as ctx:
        ctx.prec = _PREC
        by_rate = abs(value) * rate if rate is not None and rate > 0 else None
    candidates = [m for m in (by_rate, floor) if m is not None and m > 0]
    return max(candidates) if candidates else None


def pair_margin(
    far: LegSpec,
    near: LegSpec,
    ratio: Decimal,
    far_price: Decimal,
    near_price: Decimal,
    far_risk: LegRisk,
    near_risk: LegRisk,
) -> Decimal | None:
    """Margin per far piece of the sold spread: far sold, `ratio` near pieces bought."""
    far_margin = leg_margin(to_roubles(far, far_price), far_risk.short_rate, far_risk.initial_sell)
    near_margin = leg_margin(
        to_roubles(near, near_price), near_risk.long_rate, near_risk.initial_buy
    )
    if far_margin is None or near_margin is None:
        return None
    with localcontext() as ctx:
        ctx.prec = _PREC
        return far_margin + ratio * near_margin


def annualise(period_return: Decimal, days: int) -> Decimal | None:
    """(1 + r) ^ (365 / days) − 1 in per cent; None unless days > 0. A loss of the whole margin
    or more is −100 %; gains are capped at ANNUAL_CAP per cent."""
    if days <= 0:
        return None
    base = 1 + period_return
    if base <= 0:
        return -HUNDRED
    with localcontext() as ctx:
        ctx.prec = _PREC
        try:
            grown = base ** (YEAR_DAYS / days)
        except (InvalidOperation, OverflowError):
            return ANNUAL_CAP
        return min((grown - 1) * HUNDRED, ANNUAL_CAP)


def pair_figures(
    far: LegSpec,
    near: LegSpec,
    ratio: Decimal,
    far_price: Decimal,
    near_price: Decimal,
    far_risk: LegRisk,
    near_risk: LegRisk,
    days: int,
) -> PairFigures | None:
    """The pair priced at these prices (quote units); None when it expires today or earlier or
    its margin is unknown or not positive."""
    if days <= 0:
        return None
    margin = pair_margin(far, near, ratio, far_price, near_price, far_risk, near_risk)
    if margin is None or margin <= 0:
        return None
    spread = spread_price(far, near, ratio, far_price, near_price)
    with localcontext() as ctx:
        ctx.prec = _PREC
        period = spread / margin
    annual = annualise(period, days)
    if annual is None:
        return None
    return PairFigures(spread, margin, days, period, annual)


def implied_dividend(
    share_price: Decimal, future_per_share: Decimal, rate_percent: Decimal, days: int
) -> Decimal:
    """S × (1 + rate × days / 365) − F per share (days below zero count as zero)."""
    with localcontext() as ctx:
        ctx.prec = _PREC
        carry = 1 + rate_percent / HUNDRED * Decimal(max(days, 0)) / YEAR_DAYS
        return share_price * carry - future_per_share


def dividend_figures(
    future: LegSpec,
    share: LegSpec,
    ratio: Decimal,
    future_price: Decimal,
    share_price: Decimal,
    rate_percent: Decimal,
    days: int,
) -> DividendFigures | None:
    """The dividend the future's price implies for one share; None for an expired future, a
    price that is not positive or a ratio that is not positive."""
    if days <= 0 or share_price <= 0 or ratio <= 0:
        return None
    spread = spread_price(future, share, ratio, future_price, share_price)
    with localcontext() as ctx:
        ctx.prec = _PREC
        per_share = to_roubles(future, future_price) / ratio
        implied = implied_dividend(share_price, per_share, rate_percent, days)
        return DividendFigures(implied, implied / share_price * HUNDRED, spread, days)


def beats(annual_percent: Decimal, rate_percent: Decimal) -> bool:
    return annual_percent > rate_percent
