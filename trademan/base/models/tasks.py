from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from trademan.base.models.choices import Direction
from trademan.base.models.fields import price_field
from trademan.base.models.instruments import Instrument

AVERAGE_QUANTUM = Decimal("0.000001")


def average(value: Decimal, quantity: int) -> Decimal | None:
    if quantity <= 0:
        return None
    return (value / quantity).quantize(AVERAGE_QUANTUM, rounding=ROUND_HALF_UP)


class SellBuyTask(models.Model):
    """Buy or sell `amount` pieces of one instrument at the best passive price.

    `executed` and `executed_value` are denormalised sums of the task's fills, written only by
    trademan.base.services.fills in the transaction that records a fill."""

    instrument = models.ForeignKey(
        Instrument,
        on_delete=models.PROTECT,
        related_name="sellbuy_tasks",
        verbose_name=_("instrument"),
    )
    direction = models.CharField(_("direction"), max_length=4, choices=Direction.choices)
    amount = models.PositiveIntegerField(_("amount, pieces"))
    limit_price = price_field(
        _("limit price"),
        null=True,
        blank=True,
        help_text=_("Never buy above / sell below this price (empty: no limit)."),
    )
    covered = models.BooleanField(
        _("covered by a long position"),
        default=False,
        help_text=_(
            "A sale of a share that cannot be shorted is accepted only when the seller states "
            "that it holds the shares."
        ),
    )
    active = models.BooleanField(_("active"), default=True, db_index=True)
    disabled_reason = models.CharField(
        _("switched off because"),
        max_length=300,
        blank=True,
        default="",
        help_text=_(
            "Set by the bot when the broker refuses the task for a reason that will not go away "
            "by itself; cleared when the task is activated again."
        ),
    )
    executed = models.PositiveIntegerField(_("executed, pieces"), default=0, editable=False)
    executed_value = price_field(_("executed value"), default=Decimal(0), editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("sell/buy task")
        verbose_name_plural = _("sell/buy tasks")
        ordering = (
            "-created_at",
            "-id",
        )

    def __str__(self) -> str:
        ticker = self.instrument.ticker if self.instrument_id else "?"
        return f"{self.ref} {self.get_direction_display()} {self.amount} {ticker}"

    @property
    def ref(self) -> str:
        """The number the owner sees in the bot too (/tasks, /stop T5, reports): T + id."""
        return f"T{self.pk}" if self.pk else "T?"

    @property
    def average_price(self) -> Decimal | None:
        return average(self.executed_value, self.executed)

    @property
    def done(self) -> bool:
        return self.executed >= self.amount


class Spread(models.Model):
    """A market-neutral pair: far leg (a future) against near leg (its share or a nearer future).

    `direction` sell sells the far leg and buys the near leg. `amount` is in far pieces; the near
    leg is `amount x ratio` pieces. Per-leg counters are denormalised sums of the fills."""

    far = models.ForeignKey(
        Instrument,
        on_delete=models.PROTECT,
        related_name="spreads_far",
        verbose_name=_("far leg"),
    )
    near = models.ForeignKey(
        Instrument,
        on_delete=models.PROTECT,
        related_name="spreads_near",
        verbose_name=_("near leg"),
    )
    direction = models.CharField(
        _("direction"),
        max_length=4,
        choices=Direction.choices,
        help_text=_("Sell: sell the far leg and buy the near leg; buy: the opposite."),
    )
    amount = models.PositiveIntegerField(_("amount, far pieces"))
    target_price = price_field(_("target spread, RUB per far piece"))
    ratio_override = price_field(
        _("ratio override"),
        null=True,
        blank=True,
        help_text=_("Near pieces per far piece; empty: derived from the underlying sizes."),
    )
    active = models.BooleanField(_("active"), default=True, db_index=True)
    disabled_reason = models.CharField(
        _("switched off because"),
        max_length=300,
        blank=True,
        default="",
        help_text=_(
            "Set by the bot when the broker refuses the task for a reason that will not go away "
            "by itself; cleared when the task is activated again."
        ),
    )
    far_executed = models.PositiveIntegerField(_("far executed"), default=0, editable=False)
    far_value = price_field(_("far executed value"), default=Decimal(0), editable=False)
    near_executed = models.PositiveIntegerField(_("near executed"), default=0, editable=False)
    near_value = price_field(_("near executed value"), default=Decimal(0), editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("spread")
        verbose_name_plural = _("spreads")
        ordering = (
            "-created_at",
            "-id",
        )

    def __str__(self) -> str:
        far = self.far.ticker if self.far_id else "?"
        near = self.near.ticker if self.near_id else "?"
        return f"{self.ref} {self.get_direction_display()} {self.amount} {far}/{near}"

    @property
    def ref(self) -> str:
        """The number the owner sees in the bot too (/tasks, /stop S5, reports): S + id."""
        return f"S{self.pk}" if self.pk else "S?"

    @property
    def ratio(self) -> Decimal | None:
        from trademan.base.services.rules import derive_ratio

        if self.ratio_override:
            return self.ratio_override
        if not (self.far_id and self.near_id):
            return None
        return derive_ratio(self.far, self.near)

    @property
    def near_amount(self) -> int | None:
        ratio = self.ratio
        if ratio is None:
            return None
        return int((self.amount * ratio).to_integral_value(rounding=ROUND_HALF_UP))

    @property
    def far_average(self) -> Decimal | None:
        return average(self.far_value, self.far_executed)

    @property
    def near_average(self) -> Decimal | None:
        return average(self.near_value, self.near_executed)

    @property
    def average_spread(self) -> Decimal | None:
        """Roubles per far piece: far average - ratio x near average (futures in roubles)."""
        far_avg, near_avg, ratio = self.far_average, self.near_average, self.ratio
        if far_avg is None or near_avg is None or ratio is None:
            return None
        value = self.far.price_in_roubles(far_avg) - ratio * self.near.price_in_roubles(near_avg)
        return value.quantize(AVERAGE_QUANTUM, rounding=ROUND_HALF_UP)

    @property
    def done(self) -> bool:
        near_amount = self.near_amount
        return self.far_executed >= self.amount and (
            near_amount is None or self.near_executed >= near_amount
        )
