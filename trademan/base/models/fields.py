"""Field helpers: every price and sum is a DecimalField with the same precision."""

from typing import Any

from django.db import models

PRICE_DIGITS = 24
PRICE_PLACES = 9


def price_field(verbose_name: Any, **kwargs: Any) -> models.DecimalField:
    return models.DecimalField(
        verbose_name, max_digits=PRICE_DIGITS, decimal_places=PRICE_PLACES, **kwargs
    )
