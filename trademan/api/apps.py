from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "trademan.api"
    label = "api"
    verbose_name = "API v1"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import Group, Permission
        from django.db.models.signals import m2m_changed, post_delete, post_save
        from rest_framework.authtoken.models import Token

        from trademan.api.authentication import forget_all

        user = get_user_model()
        for model in (Token, user, Group, Permission):
            post_save.connect(forget_all, sender=model, dispatch_uid=f"api-auth-{model}-save")
            post_delete.connect(forget_all, sender=model, dispatch_uid=f"api-auth-{model}-del")
        links = (user.groups.through, user.user_permissions.through, Group.permissions.through)
        for through in links:
            m2m_changed.connect(forget_all, sender=through, dispatch_uid=f"api-auth-{through}")
