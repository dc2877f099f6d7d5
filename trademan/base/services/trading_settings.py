"""The single TradingSettings record."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from trademan.base.models import TradingSettings
from trademan.base.services.rules import ErrorList, check_levels

TICKER = re.compile(r"[A-Z0-9][A-Z0-9._-]{0,19}")


def get_trading_settings() -> TradingSettings:
    """The record, created with the documented defaults on first use."""
    settings, _created = TradingSettings.objects.get_or_create(pk=TradingSettings.SINGLETON_PK)
    return settings


def validate_trading_settings(settings: TradingSettings) -> None:
    errors = ErrorList()
    check_levels(errors, "long_levels", settings.long_levels, below_price=True)
    check_levels(errors, "short_levels", settings.short_levels, below_price=False)
    for field in ("stop_sum", "max_order_value", "max_bulk_value", "max_position_value"):
        if getattr(settings, field) <= 0:
            errors.add(field, _("Must be greater than zero."))
    if settings.scan_rate < 0:
        errors.add("scan_rate", _("Must not be negative."))
    if settings.order_ttl_days < 1:
        errors.add("order_ttl_days", _("Must be at least one day."))
    bad = [t for t in settings.tape_watchlist_list if not TICKER.fullmatch(t)]
    if bad:
        errors.add("tape_watchlist", _("Not a ticker: %(bad)s.") % {"bad": ", ".join(bad)})
    settings.tape_watchlist = ", ".join(settings.tape_watchlist_list)
    errors.raise_if_any()


def save_trading_settings(settings: TradingSettings) -> TradingSettings:
    validate_trading_settings(settings)
    settings.pk = TradingSettings.SINGLETON_PK
    settings.save()
    return settings
