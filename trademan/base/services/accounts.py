"""The bot's API user and its token; the admin login for the demo."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Permission
from django.db import transaction
from rest_framework.authtoken.models import Token

BOT_USERNAME = "trademan-bot"


def api_permission() -> Permission:
    return Permission.objects.get(content_type__app_label="base", codename="use_api")


@transaction.atomic
def rotate_bot_token(username: str = BOT_USERNAME) -> str:
    """Create the bot user if needed (no password, not staff, allowed to use the API) and give it
    a new token; any previous token stops working. Returns the new key."""
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(username=username)
    if created:
        user.set_unusable_password()
        user.save()
    user.user_permissions.add(api_permission())
    Token.objects.filter(user=user).delete()
    return str(Token.objects.create(user=user).key)


@dataclass(frozen=True, slots=True)
class AdminLogin:
    username: str
    password: str | None  # set only when generated here (to print once)
    created: bool
    password_set: bool


@transaction.atomic
def ensure_admin(username: str, password: str | None = None) -> AdminLogin:
    """A superuser for the panel. Creates it with `password` (or a generated one, returned);
    an existing user is left alone unless a password is given, which is then set."""
    user_model = get_user_model()
    user: AbstractBaseUser | None = user_model.objects.filter(username=username).first()
    if user is None:
        generated = None if password else secrets.token_urlsafe(12)
        user_model.objects.create_superuser(
            username=username, email="", password=password or generated
        )
        return AdminLogin(username, generated, True, True)
    if password:
        user.set_password(password)
        user.save()
        return AdminLogin(username, None, False, True)
    return AdminLogin(username, None, False, False)
