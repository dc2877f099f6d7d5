"""Creating, changing and (de)activating sell/buy tasks and spreads."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from trademan.base.models import Direction, Instrument, SellBuyTask, Spread
from trademan.base.services.rules import (
    ErrorList,
    check_amount,
    check_direction,
    check_price,
    check_spread_amounts,
    check_spread_legs,
    check_tradable,
)


def _previous(model: type[SellBuyTask] | type[Spread], pk: int | None) -> dict[str, object]:
    if pk is None:
        return {}
    row = model.objects.filter(pk=pk).values().first()
    return dict(row) if row else {}


def validate_sellbuy(task: SellBuyTask) -> None:
    """Every rule for a sell/buy task (new or changed); raises ValidationError."""
    errors = ErrorList()
    if not check_direction(errors, task.direction):
        errors.raise_if_any()
    instrument: Instrument = task.instrument
    check_amount(errors, "amount", task.amount, instrument)
    check_price(errors, "limit_price", task.limit_price, instrument)
    if task.active:
        check_tradable(
            errors,
            "instrument",
            instrument,
            task.direction,
            short_allowed_without_flag=task.covered,
        )
    before = _previous(SellBuyTask, task.pk)
    if before and task.executed > 0:
        if before["instrument_id"] != task.instrument_id:
            errors.add("instrument", _("The instrument cannot change once the task has fills."))
        if before["direction"] != task.direction:
            errors.add("direction", _("The direction cannot change once the task has fills."))
    if task.executed and task.amount < task.executed:
        errors.add(
            "amount",
            _("Amount cannot be less than what is already executed (%(executed)s).")
            % {"executed": task.executed},
        )
    errors.raise_if_any()


def validate_spread(spread: Spread) -> Decimal | None:
    """Every rule for a spread (new or changed); raises ValidationError; returns the ratio."""
    errors = ErrorList()
    if not check_direction(errors, spread.direction):
        errors.raise_if_any()
    far: Instrument = spread.far
    near: Instrument = spread.near
    check_spread_legs(errors, far, near)
    if errors:
        errors.raise_if_any()
    ratio = check_spread_amounts(errors, far, near, spread.amount, spread.ratio_override)
    if spread.active:
        far_direction = Direction(spread.direction)
        check_tradable(errors, "far", far, far_direction)
        check_tradable(errors, "near", near, far_direction.opposite)
    before = _previous(Spread, spread.pk)
    if before and (spread.far_executed or spread.near_executed):
        for field in ("far_id", "near_id", "direction", "ratio_override"):
            if before[field] != getattr(spread, field):
                errors.add(
                    field.removesuffix("_id"),
                    _("This cannot change once the spread has fills."),
                )
    if spread.far_executed and spread.amount < spread.far_executed:
        errors.add(
            "amount",
            _("Amount cannot be less than what is already executed (%(executed)s).")
            % {"executed": spread.far_executed},
        )
    errors.raise_if_any()
    return ratio


# Written only by the fill service; an edit made from a copy read earlier (the admin form) must
# not write its stale copy of them back over fills recorded meanwhile.
SELLBUY_PROGRESS = ("executed", "executed_value")
SPREAD_PROGRESS = ("far_executed", "far_value", "near_executed", "near_value")


def _take_progress(target: object, current: object, fields: tuple[str, ...]) -> None:
    for field in fields:
        setattr(target, field, getattr(current, field))


@transaction.atomic
def save_sellbuy(task: SellBuyTask) -> SellBuyTask:
    """Validate and save (create or change). A task whose amount is done is inactive. A change
    locks the row and keeps its current fill progress."""
    if task.pk is not None:
        _take_progress(task, lock_sellbuy(task.pk), SELLBUY_PROGRESS)
    validate_sellbuy(task)
    if task.done:
        task.active = False
    if task.active:
        task.disabled_reason = ""  # switched on again by the owner: the reason is history
    task.save()
    return task


@transaction.atomic
def save_spread(spread: Spread) -> Spread:
    """Like save_sellbuy, for a spread."""
    if spread.pk is not None:
        _take_progress(spread, lock_spread(spread.pk), SPREAD_PROGRESS)
    validate_spread(spread)
    if spread.done:
        spread.active = False
    if spread.active:
        spread.disabled_reason = ""
    spread.save()
    return spread


def create_sellbuy(
    *,
    instrument: Instrument,
    direction: str,
    amount: int,
    limit_price: Decimal | None = None,
    covered: bool = False,
) -> SellBuyTask:
    task = SellBuyTask(
        instrument=instrument,
        direction=direction,
        amount=amount,
        limit_price=limit_price,
        covered=covered,
        active=True,
    )
    return save_sellbuy(task)


def create_spread(
    *,
    far: Instrument,
    near: Instrument,
    direction: str,
    amount: int,
    target_price: Decimal,
    ratio_override: Decimal | None = None,
) -> Spread:
    spread = Spread(
        far=far,
        near=near,
        direction=direction,
        amount=amount,
        target_price=target_price,
        ratio_override=ratio_override,
        active=True,
    )
    return save_spread(spread)


def _refuse_done(done: bool) -> None:
    if done:
        errors = ErrorList()
        errors.add("active", _("The task is done: its whole amount is executed."))
        errors.raise_if_any()


def lock_sellbuy(pk: int) -> SellBuyTask:
    """The task row, locked until the transaction ends (with its instrument)."""
    return (
        SellBuyTask.objects.select_for_update(of=("self",)).select_related("instrument").get(pk=pk)
    )


def lock_spread(pk: int) -> Spread:
    """The spread row, locked until the transaction ends (with both legs)."""
    return Spread.objects.select_for_update(of=("self",)).select_related("far", "near").get(pk=pk)


@transaction.atomic
def set_sellbuy_active(task: SellBuyTask, active: bool, reason: str = "") -> SellBuyTask:
    """Deactivation always works (with the bot's `reason`, shown in the admin); activation
    re-checks the rules (and refuses a done task) and clears the reason."""
    task = lock_sellbuy(task.pk)
    reason = "" if active else reason[:300]
    if task.active == active and (active or not reason or task.disabled_reason == reason):
        return task
    if active and not task.active:
        _refuse_done(task.done)
    task.active = active
    task.disabled_reason = reason
    if active:
        validate_sellbuy(task)
    task.save(update_fields=["active", "disabled_reason", "updated_at"])
    return task


@transaction.atomic
def set_spread_active(spread: Spread, active: bool, reason: str = "") -> Spread:
    """As set_sellbuy_active, for a spread."""
    spread = lock_spread(spread.pk)
    reason = "" if active else reason[:300]
    if spread.active == active and (active or not reason or spread.disabled_reason == reason):
        return spread
    if active and not spread.active:
        _refuse_done(spread.done)
    spread.active = active
    spread.disabled_reason = reason
    if active:
        validate_spread(spread)
    spread.save(update_fields=["active", "disabled_reason", "updated_at"])
    return spread
