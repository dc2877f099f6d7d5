from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "trademan.api"
    label = "api"
    verbose_name = "API v1"
