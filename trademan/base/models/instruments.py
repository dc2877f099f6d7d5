from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from trademan.base.models.choices import InstrumentKind
from trademan.base.models.fields import price_field


class Instrument(models.Model):
    """A share or a future from the broker's catalogue. Never deleted by a sync."""

    figi = models.CharField(_("FIGI"), max_length=32, db_index=True)
    uid = models.CharField(_("UID"), max_length=64, unique=True)
    ticker = models.CharField(_("ticker"), max_length=32, db_index=True)
    class_code = models.CharField(_("class code"), max_length=16)
    name = models.CharField(_("name"), max_length=255, blank=True)
    kind = models.CharField(_("kind"), max_length=8, choices=InstrumentKind.choices)
    lot = models.PositiveIntegerField(_("lot"), default=1)
    min_price_increment = price_field(_("min price increment"))
    min_price_increment_amount = price_field(
        _("price increment value, RUB"),
        null=True,
        blank=True,
        help_text=_("Futures: roubles per one price increment."),
    )
    currency = models.CharField(_("currency"), max_length=8, default="rub")
    basic_asset = models.CharField(_("underlying"), max_length=64, blank=True)
    basic_asset_size = price_field(
        _("underlying size"),
        null=True,
        blank=True,
        help_text=_("Futures: pieces of the underlying per contract."),
    )
    expiration = models.DateTimeField(_("expiration"), null=True, blank=True)
    api_trade_available = models.BooleanField(_("API trading available"), default=True)
    short_enabled = models.BooleanField(_("short enabled"), default=False)
    buy_available = models.BooleanField(_("buy available"), default=True)
    sell_available = models.BooleanField(_("sell available"), default=True)
    weekend_trading = models.BooleanField(_("weekend trading"), default=False)
    exchange = models.CharField(_("exchange schedule"), max_length=64, blank=True)
    active = models.BooleanField(_("active"), default=True, db_index=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("instrument")
        verbose_name_plural = _("instruments")
        ordering = (
            "ticker",
            "class_code",
            "id",
        )
        constraints = (
            models.CheckConstraint(
                condition=models.Q(lot__gte=1),
                name="instrument_lot_positive",
                violation_error_message=_("The lot must be at least 1."),
            ),
            models.CheckConstraint(
                condition=models.Q(min_price_increment__gt=0),
                name="instrument_increment_positive",
                violation_error_message=_("The price increment must be greater than zero."),
            ),
        )

    def __str__(self) -> str:
        suffix = "" if self.active else " [inactive]"
        return f"{self.ticker} ({self.class_code}){suffix}"

    @property
    def is_future(self) -> bool:
        return self.kind == InstrumentKind.FUTURE

    @property
    def is_share(self) -> bool:
        return self.kind == InstrumentKind.SHARE

    def price_in_roubles(self, price: Decimal) -> Decimal:
        """Roubles per piece: futures are quoted in points worth `increment_amount` each step."""
        if self.is_future and self.min_price_increment_amount:
            return price / self.min_price_increment * self.min_price_increment_amount
        return price
