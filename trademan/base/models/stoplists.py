from django.db import models
from django.utils.translation import gettext_lazy as _

from trademan.base.models.choices import StopListKind
from trademan.base.models.instruments import Instrument


class StopListEntry(models.Model):
    """One instrument on one of the three stop lists."""

    kind = models.CharField(_("list"), max_length=16, choices=StopListKind.choices)
    instrument = models.ForeignKey(
        Instrument,
        on_delete=models.PROTECT,
        related_name="stop_list_entries",
        verbose_name=_("instrument"),
    )
    note = models.CharField(_("note"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("stop list entry")
        verbose_name_plural = _("stop lists")
        ordering = (
            "kind",
            "instrument__ticker",
        )
        constraints = (
            models.UniqueConstraint(fields=["kind", "instrument"], name="stoplist_unique"),
        )

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.instrument.ticker}"
