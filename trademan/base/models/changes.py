from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

# Tables whose rows make up GET /api/v1/tasks/active/. Database triggers (migration 0007) bump
# the counter on every insert, update and delete of their rows (and on TRUNCATE in PostgreSQL),
# whatever does the write: services, the admin, bulk updates, raw SQL. A new table that the
# answer reads from must be added to the triggers by a new migration.
WATCHED_TABLES = ("base_instrument", "base_sellbuytask", "base_spread", "base_order")


def new_epoch() -> str:
    return uuid.uuid4().hex


class ChangeCounter(models.Model):
    """One row: `version` grows with every write to WATCHED_TABLES (in the same transaction as
    the write); `epoch` tells this database's counter from another's (a recreated database
    starts again at 0). Together they are the ETag of the active tasks."""

    epoch = models.CharField(_("epoch"), max_length=32, default=new_epoch)
    version = models.BigIntegerField(_("version"), default=0)
    # PostgreSQL: the transaction that made the last bump (one bump per transaction)
    last_txid = models.BigIntegerField(_("last transaction"), null=True, blank=True)

    class Meta:
        verbose_name = _("change counter")
        verbose_name_plural = _("change counters")
