from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BaseConfig(AppConfig):
    name = "trademan.base"
    label = "base"
    verbose_name = _("Trading base")
