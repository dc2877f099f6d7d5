"""The admin panel: every model; validation through the same services as the API."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from trademan.base.admin import instruments, lists, orders, tasks, trading_settings

admin.site.site_header = _("Trademan")
admin.site.site_title = _("Trademan")
admin.site.index_title = _("Trading base")

__all__ = ["instruments", "lists", "orders", "tasks", "trading_settings"]
