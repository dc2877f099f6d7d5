"""ModelForms that run the service rules after Django's own checks, so the admin shows the same
messages as the API, next to the field concerned."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import construct_instance

from trademan.base.models import SellBuyTask, Spread, StopListEntry, TradingSettings
from trademan.base.services.stoplists import validate_stop_list_entry
from trademan.base.services.tasks import validate_sellbuy, validate_spread
from trademan.base.services.trading_settings import validate_trading_settings


class ServiceRulesForm(forms.ModelForm):
    rules: Callable[[Any], object]

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        if self.errors:
            return cleaned
        construct_instance(self, self.instance, self._meta.fields, self._meta.exclude)
        try:
            type(self).rules(self.instance)
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                known = {k: v for k, v in exc.error_dict.items() if k in self.fields}
                other = [e for k, v in exc.error_dict.items() if k not in self.fields for e in v]
                if other:
                    known.setdefault("__all__", []).extend(other)
                exc = ValidationError(known)
            self.add_error(None, exc)
        return cleaned


class SellBuyTaskForm(ServiceRulesForm):
    rules = staticmethod(validate_sellbuy)

    class Meta:
        model = SellBuyTask
        fields = ("instrument", "direction", "amount", "limit_price", "covered", "active")


class SpreadForm(ServiceRulesForm):
    rules = staticmethod(validate_spread)

    class Meta:
        model = Spread
        fields = ("far", "near", "direction", "amount", "target_price", "ratio_override", "active")


class StopListEntryForm(ServiceRulesForm):
    rules = staticmethod(validate_stop_list_entry)

    class Meta:
        model = StopListEntry
        fields = ("kind", "instrument", "note")


class TradingSettingsForm(ServiceRulesForm):
    rules = staticmethod(validate_trading_settings)

    class Meta:
        model = TradingSettings
        fields = (
            "long_levels",
            "short_levels",
            "stop_sum",
            "order_ttl_days",
            "scan_rate",
            "max_order_value",
            "max_bulk_value",
            "max_position_value",
            "bulk_confirm_threshold",
            "tape_watchlist",
            "notify_fills",
            "notify_progress",
            "notify_stops",
            "notify_alerts",
        )
