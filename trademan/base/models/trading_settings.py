from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from trademan.base.models.fields import price_field


class NotifyLevel(models.TextChoices):
    ON = "on", _("on")
    SILENT = "silent", _("silent (no sound)")
    OFF = "off", _("off")


DEFAULT_LONG_LEVELS = "15, 20, 25"
DEFAULT_SHORT_LEVELS = "20, 25, 30"


def parse_levels(text: str) -> list[Decimal]:
    """'15, 20, 25' -> [Decimal('15'), ...] (validation lives in services.rules)."""
    return [Decimal(part.strip()) for part in text.replace(";", ",").split(",") if part.strip()]


def parse_tickers(text: str) -> list[str]:
    """'sber, GAZP; SRZ6' -> ['SBER', 'GAZP', 'SRZ6'] (each once, in order)."""
    parts = [part.strip().upper() for part in text.replace(";", ",").split(",")]
    return list(dict.fromkeys(part for part in parts if part))


class TradingSettings(models.Model):
    """The single record of trading settings (pk=1), edited in the admin, read by the bot."""

    SINGLETON_PK = 1

    long_levels = models.CharField(
        _("long levels, %"),
        max_length=100,
        default=DEFAULT_LONG_LEVELS,
        help_text=_("Buy stops this many percent below the current price, comma-separated."),
    )
    short_levels = models.CharField(
        _("short levels, %"),
        max_length=100,
        default=DEFAULT_SHORT_LEVELS,
        help_text=_("Sell stops this many percent above the current price, comma-separated."),
    )
    stop_sum = price_field(_("stop sum, RUB"), default=Decimal(300_000))
    order_ttl_days = models.PositiveIntegerField(_("order time-to-live, days"), default=30)
    scan_rate = price_field(_("default scan rate, % a year"), default=Decimal(12))
    max_order_value = price_field(_("max order value, RUB"), default=Decimal(5_000_000))
    max_bulk_value = price_field(_("max bulk value, RUB"), default=Decimal(50_000_000))
    max_position_value = price_field(_("max position value, RUB"), default=Decimal(20_000_000))
    bulk_confirm_threshold = models.PositiveIntegerField(
        _("bulk confirmation threshold, orders"),
        default=50,
        help_text=_("A bulk plan with more orders than this asks for confirmation."),
    )
    tape_watchlist = models.CharField(
        _("market recorder watchlist"),
        max_length=1000,
        blank=True,
        default="",
        help_text=_(
            "Tickers whose order books the bot records besides the instruments of its running "
            "jobs (for /whatif), comma-separated."
        ),
    )
    notify_fills = models.CharField(
        _("notify each fill"), max_length=8, choices=NotifyLevel.choices, default=NotifyLevel.ON
    )
    notify_progress = models.CharField(
        _("notify stage progress"),
        max_length=8,
        choices=NotifyLevel.choices,
        default=NotifyLevel.ON,
        help_text=_("Jobs started and finished, session waits, bulk progress."),
    )
    notify_stops = models.CharField(
        _("notify stop activations"),
        max_length=8,
        choices=NotifyLevel.choices,
        default=NotifyLevel.ON,
    )
    notify_alerts = models.CharField(
        _("notify alerts"),
        max_length=8,
        choices=NotifyLevel.choices,
        default=NotifyLevel.ON,
        help_text=_("Refusals, Base outages, hedges to look at."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("trading settings")
        verbose_name_plural = _("trading settings")
        permissions = (("use_api", _("Can use the REST API")),)

    def __str__(self) -> str:
        return str(_("Trading settings"))

    @property
    def tape_watchlist_list(self) -> list[str]:
        return parse_tickers(self.tape_watchlist)

    @property
    def long_level_list(self) -> list[Decimal]:
        return parse_levels(self.long_levels)

    @property
    def short_level_list(self) -> list[Decimal]:
        return parse_levels(self.short_levels)
