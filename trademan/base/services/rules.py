"""The trading rules of the Base, in one place. Each check adds a message to an ErrorList keyed
by the form/API field it concerns; callers raise it as one ValidationError."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from trademan.base.models import Direction, Instrument


class ErrorList:
    """Collects field -> messages and raises them together."""

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.errors.setdefault(field, []).append(message)

    def __bool__(self) -> bool:
        return bool(self.errors)

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)


def fmt(value: Decimal) -> str:
    """A decimal as people write it: no exponent, no trailing zeros ('281.35', '100')."""
    text = format(value.normalize(), "f")
    return text if text != "-0" else "0"


def check_direction(errors: ErrorList, direction: str) -> bool:
    """True when `direction` is buy or sell; otherwise adds the error and returns False."""
    if direction not in Direction.values:
        errors.add("direction", _("Direction must be buy or sell."))
        return False
    return True


def check_amount(errors: ErrorList, field: str, amount: int, instrument: Instrument) -> None:
    if amount <= 0:
        errors.add(field, _("Amount must be greater than zero."))
    elif amount % instrument.lot:
        errors.add(
            field,
            _(
                "Amount must be a whole number of lots (lot = %(lot)s): %(amount)s pieces "
                "of %(ticker)s is not."
            )
            % {"lot": instrument.lot, "amount": amount, "ticker": instrument.ticker},
        )


def on_increment(price: Decimal, instrument: Instrument) -> bool:
    step = instrument.min_price_increment
    return step > 0 and price % step == 0


def check_price(
    errors: ErrorList, field: str, price: Decimal | None, instrument: Instrument
) -> None:
    if price is None:
        return
    if price <= 0:
        errors.add(field, _("Price must be greater than zero."))
    elif not on_increment(price, instrument):
        errors.add(
            field,
            _("Price %(price)s is not a multiple of the price increment %(step)s of %(ticker)s.")
            % {
                "price": fmt(price),
                "step": fmt(instrument.min_price_increment),
                "ticker": instrument.ticker,
            },
        )


def check_tradable(
    errors: ErrorList,
    field: str,
    instrument: Instrument,
    direction: str,
    *,
    short_allowed_without_flag: bool = False,
) -> None:
    """Active, API-tradable, the side available, and a share sold only if it can be shorted.

    The Base cannot see the account's positions, so selling a share is treated as a possible
    short and needs `short_enabled`, unless the caller states the sale is covered by a long
    position (`short_allowed_without_flag`, the sell/buy task's `covered` field)."""
    ticker = instrument.ticker
    if not instrument.active:
        errors.add(
            field,
            _("%(ticker)s is inactive (no longer in the broker's catalogue).") % {"ticker": ticker},
        )
        return
    if not instrument.api_trade_available:
        errors.add(field, _("%(ticker)s cannot be traded through the API.") % {"ticker": ticker})
        return
    if direction == Direction.BUY and not instrument.buy_available:
        errors.add(field, _("Buying %(ticker)s is not available.") % {"ticker": ticker})
    if direction == Direction.SELL and not instrument.sell_available:
        errors.add(field, _("Selling %(ticker)s is not available.") % {"ticker": ticker})
    if (
        direction == Direction.SELL
        and instrument.is_share
        and not instrument.short_enabled
        and not short_allowed_without_flag
    ):
        errors.add(
            field,
            _(
                "%(ticker)s cannot be shorted: a sale of it must be covered by a long position "
                "(mark the task as covered)."
            )
            % {"ticker": ticker},
        )


def derive_ratio(far: Instrument, near: Instrument) -> Decimal | None:
    """Near pieces per far piece from the underlying sizes (None when they are unknown).

    Future vs share: the future's underlying size (100 shares per contract -> 100).
    Future vs future: far size / near size (usually 1)."""
    far_size = far.basic_asset_size
    if not far_size or far_size <= 0:
        return None
    if near.is_share:
        return far_size
    near_size = near.basic_asset_size
    if not near_size or near_size <= 0:
        return None
    return far_size / near_size


def _same_asset(a: str, b: str) -> bool:
    return bool(a) and a.strip().upper() == b.strip().upper()


def check_spread_legs(errors: ErrorList, far: Instrument, near: Instrument) -> None:
    if far.pk is not None and far.pk == near.pk:
        errors.add("near", _("The far and near legs must be different instruments."))
        return
    if not far.is_future:
        errors.add("far", _("The far leg %(ticker)s must be a future.") % {"ticker": far.ticker})
        return
    if near.is_share:
        if not _same_asset(far.basic_asset, near.ticker):
            errors.add(
                "near",
                _(
                    "The near leg %(near)s is not the underlying of %(far)s "
                    "(its underlying is %(asset)s)."
                )
                % {"near": near.ticker, "far": far.ticker, "asset": far.basic_asset or "-"},
            )
        return
    # future vs future: same underlying, and the far leg expires later
    if not _same_asset(far.basic_asset, near.basic_asset):
        errors.add(
            "near",
            _("The futures %(far)s and %(near)s have different underlyings.")
            % {"far": far.ticker, "near": near.ticker},
        )
    if far.expiration is None or near.expiration is None or far.expiration <= near.expiration:
        errors.add(
            "far",
            _("The far leg %(far)s must be a future that expires after the near leg %(near)s.")
            % {"far": far.ticker, "near": near.ticker},
        )


def near_amount(amount: int, ratio: Decimal) -> Decimal:
    return amount * ratio


def check_spread_amounts(
    errors: ErrorList,
    far: Instrument,
    near: Instrument,
    amount: int,
    ratio_override: Decimal | None,
) -> Decimal | None:
    """Amount in far lots; ratio known and positive; near amount a whole number of near lots.
    Returns the effective ratio (None when it cannot be known)."""
    check_amount(errors, "amount", amount, far)
    if ratio_override is not None and ratio_override <= 0:
        errors.add("ratio_override", _("The ratio must be greater than zero."))
        return None
    ratio = ratio_override or derive_ratio(far, near)
    if ratio is None:
        errors.add(
            "ratio_override",
            _(
                "The ratio cannot be derived: the underlying size of %(far)s or %(near)s is "
                "unknown. Set a ratio override."
            )
            % {"far": far.ticker, "near": near.ticker},
        )
        return None
    if amount > 0:
        pieces = near_amount(amount, ratio)
        whole = pieces.to_integral_value(rounding=ROUND_HALF_UP)
        if pieces != whole or int(whole) % near.lot:
            errors.add(
                "amount",
                _(
                    "The near leg would be %(pieces)s pieces of %(near)s (amount x ratio "
                    "%(ratio)s), which is not a whole number of lots (lot = %(lot)s)."
                )
                % {
                    "pieces": fmt(pieces),
                    "near": near.ticker,
                    "ratio": fmt(ratio),
                    "lot": near.lot,
                },
            )
    return ratio


def check_levels(errors: ErrorList, field: str, text: str, *, below_price: bool) -> None:
    parts = [part.strip() for part in text.replace(";", ",").split(",") if part.strip()]
    if not parts:
        errors.add(field, _("Give at least one level, e.g. 15, 20, 25."))
        return
    for part in parts:
        try:
            value = Decimal(part)
        except ArithmeticError:
            errors.add(field, _("%(value)s is not a number.") % {"value": part})
            continue
        if not value.is_finite() or value <= 0 or (below_price and value >= 100):
            limit = _("between 0 and 100") if below_price else _("greater than 0")
            errors.add(
                field,
                _("Level %(value)s must be %(limit)s percent.") % {"value": part, "limit": limit},
            )
