from __future__ import annotations

from decimal import Decimal
from typing import Any

from rest_framework import serializers

from trademan.base.models.fields import PRICE_DIGITS, PRICE_PLACES
from trademan.base.services.rules import fmt


class DecimalString(serializers.DecimalField):
    """A decimal written as a string without trailing zeros ("281.35"); by default the same
    precision as the Base's price fields, so what the API accepts fits the database."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", PRICE_DIGITS)
        kwargs.setdefault("decimal_places", PRICE_PLACES)
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> Any:
        if value is None:
            return None
        return fmt(Decimal(value))


MAX_INT = 2_000_000_000
