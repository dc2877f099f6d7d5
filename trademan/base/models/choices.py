"""Enumerations shared by the models, the services and the API (values are the API strings)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class InstrumentKind(models.TextChoices):
    SHARE = "share", _("share")
    FUTURE = "future", _("future")


class Direction(models.TextChoices):
    BUY = "buy", _("buy")
    SELL = "sell", _("sell")

    @property
    def opposite(self) -> "Direction":
        return Direction.SELL if self is Direction.BUY else Direction.BUY


class TaskKind(models.TextChoices):
    SELLBUY = "sellbuy", _("sell/buy task")
    SPREAD = "spread", _("spread")


class Leg(models.TextChoices):
    FAR = "far", _("far leg")
    NEAR = "near", _("near leg")


class OrderType(models.TextChoices):
    LIMIT = "limit", _("limit")
    MARKET = "market", _("market")
    # stop orders (the broker's StopOrdersService): the stop price triggers them
    TAKE_PROFIT = "take_profit", _("take profit (stop order)")
    STOP_LOSS = "stop_loss", _("stop loss (stop order)")
    STOP_LIMIT = "stop_limit", _("stop limit (stop order)")


STOP_ORDER_TYPES: frozenset[str] = frozenset(
    {OrderType.TAKE_PROFIT, OrderType.STOP_LOSS, OrderType.STOP_LIMIT}
)


class OrderStatus(models.TextChoices):
    PREPARED = "prepared", _("prepared")
    SENT = "sent", _("sent")
    NEW = "new", _("new")
    PARTIALLY_FILLED = "partially_filled", _("partially filled")
    FILLED = "filled", _("filled")
    CANCELLED = "cancelled", _("cancelled")
    REJECTED = "rejected", _("rejected")
    UNKNOWN = "unknown", _("unknown")
    # a stop order that fired: the broker placed an exchange order in its stead
    TRIGGERED = "triggered", _("triggered")
    EXPIRED = "expired", _("expired")


FINAL_ORDER_STATUSES: frozenset[str] = frozenset(
    {
        OrderStatus.FILLED,
        OrderStatus.CANCELLED,
        OrderStatus.REJECTED,
        OrderStatus.TRIGGERED,
        OrderStatus.EXPIRED,
    }
)


class BulkCommand(models.TextChoices):
    """The bulk stop command that placed a stop order."""

    STOPS = "stops", "/stops"
    SHORTS = "shorts", "/shorts"
    NUKE = "nuke", "/nuke"
    RESTORE = "restore", "/restore"


class StopListKind(models.TextChoices):
    WHITELIST = "whitelist", _("whitelist (bulk stops)")
    STOP_BLACKLIST = "stop_blacklist", _("stop blacklist (/stops)")
    SHORT_BLACKLIST = "short_blacklist", _("short blacklist (/shorts)")


class StopOrderType(models.TextChoices):
    TAKE_PROFIT = "take_profit", _("take profit")
    STOP_LOSS = "stop_loss", _("stop loss")
    STOP_LIMIT = "stop_limit", _("stop limit")


class StopOrderExpiration(models.TextChoices):
    GOOD_TILL_CANCEL = "good_till_cancel", _("good till cancelled")
    GOOD_TILL_DATE = "good_till_date", _("good till date")
