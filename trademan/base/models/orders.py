from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from trademan.base.models.choices import (
    FINAL_ORDER_STATUSES,
    STOP_ORDER_TYPES,
    BulkCommand,
    Direction,
    Leg,
    OrderStatus,
    OrderType,
    TaskKind,
)
from trademan.base.models.fields import price_field
from trademan.base.models.instruments import Instrument
from trademan.base.models.tasks import SellBuyTask, Spread


class Order(models.Model):
    """An order the bot placed (or is about to place), keyed by its client UUID."""

    client_order_id = models.UUIDField(_("client order id"), unique=True, default=uuid.uuid4)
    broker_order_id = models.CharField(
        _("broker order id"), max_length=64, null=True, blank=True, db_index=True
    )
    sellbuy = models.ForeignKey(
        SellBuyTask,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders",
        verbose_name=_("sell/buy task"),
    )
    spread = models.ForeignKey(
        Spread,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders",
        verbose_name=_("spread"),
    )
    leg = models.CharField(_("spread leg"), max_length=4, choices=Leg.choices, blank=True)
    instrument = models.ForeignKey(
        Instrument, on_delete=models.PROTECT, related_name="orders", verbose_name=_("instrument")
    )
    direction = models.CharField(_("direction"), max_length=4, choices=Direction.choices)
    order_type = models.CharField(_("order type"), max_length=12, choices=OrderType.choices)
    price = price_field(_("price"), null=True, blank=True)
    # stop orders only: the trigger price, the expiry (none: till cancelled), the command
    stop_price = price_field(_("stop price"), null=True, blank=True)
    expire_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    bulk_command = models.CharField(
        _("bulk command"), max_length=8, choices=BulkCommand.choices, blank=True
    )
    lots = models.PositiveIntegerField(_("lots"))
    lots_executed = models.PositiveIntegerField(_("lots executed"), default=0)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=OrderStatus.choices,
        default=OrderStatus.PREPARED,
        db_index=True,
    )
    message = models.TextField(_("message"), blank=True)
    opposite_price = price_field(
        _("opposite best price when placed"),
        null=True,
        blank=True,
        help_text=_(
            "What crossing the spread would have paid then (best ask buying, best bid "
            "selling): the reference of the price improvement."
        ),
    )
    commission = price_field(_("commission, RUB"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = (
            "-created_at",
            "-id",
        )
        constraints = (
            models.CheckConstraint(
                condition=~models.Q(sellbuy__isnull=False, spread__isnull=False),
                name="order_one_task",
            ),
            models.CheckConstraint(
                condition=models.Q(stop_price__isnull=True)
                | models.Q(order_type__in=sorted(STOP_ORDER_TYPES)),
                name="order_stop_price_iff_stop",
            ),
            models.CheckConstraint(
                condition=models.Q(spread__isnull=True, leg="")
                | models.Q(spread__isnull=False, leg__in=["far", "near"]),
                name="order_leg_iff_spread",
            ),
        )

    def __str__(self) -> str:
        return (
            f"{self.client_order_id} {self.get_direction_display()} {self.lots} "
            f"({self.get_status_display()})"
        )

    @property
    def task_kind(self) -> str | None:
        if self.sellbuy_id:
            return TaskKind.SELLBUY.value
        if self.spread_id:
            return TaskKind.SPREAD.value
        return None

    @property
    def is_stop(self) -> bool:
        return self.order_type in STOP_ORDER_TYPES

    @property
    def bulk_command_or_none(self) -> str | None:
        return self.bulk_command or None

    @property
    def task_id(self) -> int | None:
        return self.sellbuy_id or self.spread_id

    @property
    def leg_or_none(self) -> str | None:
        return self.leg or None

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_ORDER_STATUSES


class Fill(models.Model):
    """One broker trade of an order; the task link and leg are copied from the order."""

    order = models.ForeignKey(
        Order, on_delete=models.PROTECT, related_name="fills", verbose_name=_("order")
    )
    trade_id = models.CharField(_("trade id"), max_length=64)
    quantity = models.PositiveIntegerField(_("quantity, pieces"))
    price = price_field(_("price"))
    executed_at = models.DateTimeField(_("executed at"))
    sellbuy = models.ForeignKey(
        SellBuyTask,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="fills",
        verbose_name=_("sell/buy task"),
        editable=False,
    )
    spread = models.ForeignKey(
        Spread,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="fills",
        verbose_name=_("spread"),
        editable=False,
    )
    leg = models.CharField(
        _("spread leg"), max_length=4, choices=Leg.choices, blank=True, editable=False
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("fill")
        verbose_name_plural = _("fills")
        ordering = (
            "-executed_at",
            "-id",
        )
        constraints = (
            models.UniqueConstraint(fields=["order", "trade_id"], name="fill_unique_trade"),
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="fill_quantity"),
        )

    def __str__(self) -> str:
        return f"{self.trade_id}: {self.quantity} @ {self.price.normalize():f}"
