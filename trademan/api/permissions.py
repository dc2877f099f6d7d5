from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

API_PERMISSION = "base.use_api"


class CanUseApi(BasePermission):
    """Authenticated, active, and a superuser or holder of base.use_api (the bot user has it)."""

    message = _("You do not have permission to use the API.")

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_active):
            return False
        return bool(user.is_superuser or user.has_perm(API_PERMISSION))
