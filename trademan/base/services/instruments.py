"""The instrument catalogue: bulk upsert by uid; missing ones become inactive, never deleted."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from trademan.base.models import Instrument, InstrumentKind
from trademan.base.services.rules import ErrorList

SYNC_FIELDS = (
    "figi",
    "ticker",
    "class_code",
    "name",
    "kind",
    "lot",
    "min_price_increment",
    "min_price_increment_amount",
    "currency",
    "basic_asset",
    "basic_asset_size",
    "expiration",
    "api_trade_available",
    "short_enabled",
    "buy_available",
    "sell_available",
    "weekend_trading",
    "exchange",
)


@dataclass(frozen=True, slots=True)
class SyncResult:
    created: int
    updated: int
    deactivated: int
    unchanged: int


def _validate(items: list[dict[str, Any]]) -> None:
    errors = ErrorList()
    seen: set[str] = set()
    for index, item in enumerate(items):
        uid = str(item.get("uid") or "")
        where = f"{item.get('ticker', '?')} (#{index})"
        if not uid:
            errors.add("instruments", _("%(where)s: uid is required.") % {"where": where})
        elif uid in seen:
            errors.add("instruments", _("uid %(uid)s appears twice.") % {"uid": uid})
        seen.add(uid)
        if item.get("kind") not in InstrumentKind.values:
            errors.add(
                "instruments", _("%(where)s: kind must be share or future.") % {"where": where}
            )
        if int(item.get("lot") or 0) < 1:
            errors.add("instruments", _("%(where)s: lot must be at least 1.") % {"where": where})
        if Decimal(item.get("min_price_increment") or 0) <= 0:
            errors.add(
                "instruments",
                _("%(where)s: the price increment must be greater than zero.") % {"where": where},
            )
    errors.raise_if_any()


def _differs(instrument: Instrument, item: dict[str, Any]) -> bool:
    if not instrument.active:
        return True
    return any(field in item and getattr(instrument, field) != item[field] for field in SYNC_FIELDS)


@transaction.atomic
def sync_instruments(items: list[dict[str, Any]], *, complete: bool) -> SyncResult:
    """Upsert `items` (dicts with Instrument field names) by uid; everything listed becomes
    active. With `complete`, active instruments not listed become inactive."""
    _validate(items)
    now = timezone.now()  # bulk_update and update() skip auto_now: stamp the changed rows here
    by_uid = {str(item["uid"]): item for item in items}
    existing = {i.uid: i for i in Instrument.objects.select_for_update().filter(uid__in=by_uid)}
    to_create: list[Instrument] = []
    to_update: list[Instrument] = []
    unchanged = 0
    for uid, item in by_uid.items():
        values = {field: item[field] for field in SYNC_FIELDS if field in item}
        current = existing.get(uid)
        if current is None:
            to_create.append(Instrument(uid=uid, active=True, **values))
        elif _differs(current, item):
            for field, value in values.items():
                setattr(current, field, value)
            current.active = True
            current.updated_at = now
            to_update.append(current)
        else:
            unchanged += 1
    Instrument.objects.bulk_create(to_create, batch_size=500)
    if to_update:
        for instrument in to_update:
            instrument.full_clean(exclude=["uid"], validate_unique=False)
        Instrument.objects.bulk_update(
            to_update, [*SYNC_FIELDS, "active", "updated_at"], batch_size=500
        )
    deactivated = 0
    if complete:
        deactivated = (
            Instrument.objects.filter(active=True)
            .exclude(uid__in=by_uid)
            .update(active=False, updated_at=now)
        )
    return SyncResult(len(to_create), len(to_update), deactivated, unchanged)
