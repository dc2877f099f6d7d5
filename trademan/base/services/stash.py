"""The stop-order stash: replaced as a whole, atomically; never with nothing."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from trademan.base.models import Instrument, StashedStopOrder, StopOrderExpiration
from trademan.base.services.rules import ErrorList

STASH_FIELDS = (
    "direction",
    "stop_order_type",
    "lots",
    "price",
    "stop_price",
    "expiration_type",
    "expire_date",
    "broker_stop_order_id",
)


def _instrument_id(order: dict[str, Any]) -> int:
    instrument = order["instrument"]
    return int(instrument.pk if isinstance(instrument, Instrument) else instrument)


@transaction.atomic
def replace_stash(orders: list[dict[str, Any]]) -> list[StashedStopOrder]:
    """Replace the stash with `orders` (dicts with `instrument` as an Instrument or id)."""
    errors = ErrorList()
    if not orders:
        errors.add(
            "orders",
            _("The stash cannot be replaced with nothing: there are no stop orders to save."),
        )
        errors.raise_if_any()
    ids = {_instrument_id(o) for o in orders}
    known = set(Instrument.objects.filter(pk__in=ids).values_list("pk", flat=True))
    for missing in sorted(ids - known):
        errors.add("orders", _("No instrument #%(id)s.") % {"id": missing})
    for order in orders:
        if order["lots"] <= 0:
            errors.add("orders", _("Lots must be greater than zero."))
        if order["stop_price"] <= 0:
            errors.add("orders", _("The stop price must be greater than zero."))
        if order.get("price") is not None and order["price"] <= 0:
            errors.add("orders", _("Price must be greater than zero."))
        if (
            order["expiration_type"] == StopOrderExpiration.GOOD_TILL_DATE
            and order.get("expire_date") is None
        ):
            errors.add("orders", _("A good-till-date stop order needs expire_date."))
    errors.raise_if_any()
    saved_at = timezone.now()
    StashedStopOrder.objects.all().delete()
    rows = [
        StashedStopOrder(
            instrument_id=_instrument_id(o),
            saved_at=saved_at,
            **{field: o.get(field) for field in STASH_FIELDS if field in o},
        )
        for o in orders
    ]
    for row in rows:
        row.broker_stop_order_id = row.broker_stop_order_id or ""
    return StashedStopOrder.objects.bulk_create(rows)
