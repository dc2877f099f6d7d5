"""What the bot sends for the owner's dashboard: the latest account snapshot and the quote
history of each task (bounded). The Base never asks the broker for these itself."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from trademan.base.models.choices import TaskKind
from trademan.base.models.fields import price_field

# quote points kept per task (the bot downsamples before sending; the oldest go first)
QUOTE_LIMIT = 2000


class PortfolioSnapshot(models.Model):
    """The account as the bot last saw it (one record, pk=1): positions, cash, margin."""

    SINGLETON_PK = 1

    taken_at = models.DateTimeField(_("taken at"))
    data = models.JSONField(_("data"), default=dict)
    received_at = models.DateTimeField(_("received at"), auto_now=True)

    class Meta:
        verbose_name = _("portfolio snapshot")
        verbose_name_plural = _("portfolio snapshots")

    def __str__(self) -> str:
        return f"portfolio at {self.taken_at:%Y-%m-%d %H:%M:%S}"


class QuotePoint(models.Model):
    """One point of a task's executable price history: for a spread the spread price (RUB per
    far piece) to sell and to buy it; for a sell/buy task the best bid and ask."""

    task_kind = models.CharField(_("task kind"), max_length=8, choices=TaskKind.choices)
    task_id = models.PositiveIntegerField(_("task id"))
    at = models.DateTimeField(_("at"))
    sell = price_field(_("executable to sell"), null=True, blank=True)
    buy = price_field(_("executable to buy"), null=True, blank=True)
    target = price_field(_("target"), null=True, blank=True)

    class Meta:
        verbose_name = _("quote point")
        verbose_name_plural = _("quote points")
        ordering = ("task_kind", "task_id", "at")
        indexes = (models.Index(fields=["task_kind", "task_id", "at"], name="quote_task_at"),)
        constraints = (
            models.UniqueConstraint(fields=["task_kind", "task_id", "at"], name="quote_unique_at"),
        )

    def __str__(self) -> str:
        return f"{self.task_kind} #{self.task_id} {self.at:%H:%M:%S}"
