"""Stop-list entries."""

from __future__ import annotations

from django.utils.translation import gettext as _

from trademan.base.models import StopListEntry, StopListKind
from trademan.base.services.rules import ErrorList


def validate_stop_list_entry(entry: StopListEntry) -> None:
    errors = ErrorList()
    if entry.kind not in StopListKind.values:
        errors.add("kind", _("Unknown list."))
    if not entry.instrument.is_share:
        errors.add("instrument", _("Stop lists hold shares only."))
    duplicate = StopListEntry.objects.filter(kind=entry.kind, instrument=entry.instrument_id)
    if entry.pk:
        duplicate = duplicate.exclude(pk=entry.pk)
    if duplicate.exists():
        errors.add(
            "instrument",
            _("%(ticker)s is already on this list.") % {"ticker": entry.instrument.ticker},
        )
    errors.raise_if_any()


def save_stop_list_entry(entry: StopListEntry) -> StopListEntry:
    validate_stop_list_entry(entry)
    entry.save()
    return entry
