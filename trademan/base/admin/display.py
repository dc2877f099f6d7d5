"""How the admin shows numbers and ids: prices at the instrument's precision, sums in roubles
with thousands separators, UUIDs shortened (the full one is on the detail page)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.db import models
from django.utils import formats, timezone

from trademan.base.models import Instrument

EMPTY = "-"
SHORT_ID = 8  # characters of a UUID shown in lists: enough to tell orders apart and search


def places_of(step: Decimal | None) -> int:
    """Decimal places of a price step: 0.01 -> 2, 0.5 -> 1, 1 -> 0, 0.0025 -> 4."""
    if not step:
        return 2
    exponent = step.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 2


def number(value: Decimal | int | None, places: int | None = None) -> str:
    """Grouped thousands in the active language ("300 000", "281,35"); `places=None` keeps the
    value's own digits without trailing zeros."""
    if value is None:
        return EMPTY
    value = Decimal(value)
    if places is None:
        normal = value.normalize()
        exponent = normal.as_tuple().exponent
        places = max(0, -exponent) if isinstance(exponent, int) else 0
    return formats.number_format(value, places, use_l10n=True, force_grouping=True)


def price(value: Decimal | None, instrument: Instrument | None) -> str:
    """A price at the instrument's precision (its min price increment)."""
    if value is None:
        return EMPTY
    step = instrument.min_price_increment if instrument is not None else None
    return number(value, max(places_of(step), _places_needed(value)))


def _places_needed(value: Decimal) -> int:
    """Never hide digits a price really has (an average can be finer than the step)."""
    exponent = value.normalize().as_tuple().exponent
    return min(max(0, -exponent), 4) if isinstance(exponent, int) else 0


def roubles(value: Decimal | int | None) -> str:
    """A sum of money: "300 000,00 ₽"."""
    return EMPTY if value is None else f"{number(value, 2)}\u00a0₽"


def moment(value: datetime | None) -> str:
    """A time in a list column, compact: "04.12.26 23:41" (the server's time zone, Moscow)."""
    if value is None:
        return EMPTY
    return formats.date_format(timezone.localtime(value), "d.m.y H:i")


def short_id(value: uuid.UUID | str | None) -> str:
    if not value:
        return EMPTY
    text = str(value)
    return text if len(text) <= SHORT_ID else text[:SHORT_ID] + "…"


class PlainDecimalInput(forms.NumberInput):
    """A decimal field's input without the database's nine decimal places ("300000", not
    "300000.000000000")."""

    def format_value(self, value: Any) -> str | None:
        if isinstance(value, Decimal):
            normal = value.normalize()
            return f"{normal:f}" if normal == normal else str(value)
        if isinstance(value, str) and value:
            try:
                return self.format_value(Decimal(value))
            except ArithmeticError:
                return value
        return super().format_value(value)


DECIMAL_WIDGETS: dict[type[models.Field[Any, Any]], dict[str, Any]] = {
    models.DecimalField: {"widget": PlainDecimalInput(attrs={"step": "any"})}
}
