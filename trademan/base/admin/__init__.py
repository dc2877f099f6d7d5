"""The admin panel: every model; validation through the same services as the API."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from trademan.base.admin import instruments, lists, orders, tasks, trading_settings

admin.site.site_header = _("Trademan")
admin.site.site_title = _("Trademan")
admin.site.index_title = _("Trading base")
# the left-hand model list would take a fifth of a laptop screen from every list page; the
# breadcrumbs and the index lead to the other models
admin.site.enable_nav_sidebar = False

__all__ = ["instruments", "lists", "orders", "tasks", "trading_settings"]
