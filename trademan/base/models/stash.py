from django.db import models
from django.utils.translation import gettext_lazy as _

from trademan.base.models.choices import Direction, StopOrderExpiration, StopOrderType
from trademan.base.models.fields import price_field
from trademan.base.models.instruments import Instrument


class StashedStopOrder(models.Model):
    """A saved copy of one active stop order (the stash is replaced as a whole)."""

    instrument = models.ForeignKey(
        Instrument,
        on_delete=models.PROTECT,
        related_name="stashed_stop_orders",
        verbose_name=_("instrument"),
    )
    direction = models.CharField(_("direction"), max_length=4, choices=Direction.choices)
    stop_order_type = models.CharField(
        _("stop order type"), max_length=16, choices=StopOrderType.choices
    )
    lots = models.PositiveIntegerField(_("lots"))
    price = price_field(_("limit price"), null=True, blank=True)
    stop_price = price_field(_("stop price"))
    expiration_type = models.CharField(
        _("expiration"), max_length=20, choices=StopOrderExpiration.choices
    )
    expire_date = models.DateTimeField(_("expires at"), null=True, blank=True)
    broker_stop_order_id = models.CharField(_("broker stop order id"), max_length=64, blank=True)
    saved_at = models.DateTimeField(_("saved at"), db_index=True)

    class Meta:
        verbose_name = _("stashed stop order")
        verbose_name_plural = _("stashed stop orders")
        ordering = (
            "instrument__ticker",
            "id",
        )

    def __str__(self) -> str:
        return (
            f"{self.instrument.ticker} {self.get_direction_display()} {self.lots} "
            f"@ {self.stop_price.normalize():f}"
        )
