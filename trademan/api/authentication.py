"""Token authentication with a short in-process cache.

DRF's TokenAuthentication reads the token and its user on every request, and the permission
check reads the user's permissions (three queries). Here a valid token's user (with the
permissions Django caches on the user object) is kept for API_TOKEN_CACHE_SECONDS (10 s). A
revoked token (deleted or rotated with `manage.py bot_token`), a deactivated user or changed
permissions take effect at once in the process that made the change, and in every other worker
process within API_TOKEN_CACHE_SECONDS. Only valid tokens are cached: a wrong token costs the
full check every time.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

MAX_ENTRIES = 256

_cache: dict[str, tuple[float, Any, Token]] = {}


def ttl() -> float:
    return float(getattr(settings, "API_TOKEN_CACHE_SECONDS", 10))


def forget_all(**_signal: Any) -> None:
    """Signal receiver: a token, user or permission changed; check again from the database."""
    _cache.clear()


class CachedTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key: str) -> tuple[AbstractBaseUser, Token]:
        now = time.monotonic()
        hit = _cache.get(key)
        if hit is not None and hit[0] > now:
            return hit[1], hit[2]
        user, token = super().authenticate_credentials(key)  # 401 for unknown/inactive
        seconds = ttl()
        if seconds > 0:
            if len(_cache) >= MAX_ENTRIES:
                _cache.clear()
            _cache[key] = (now + seconds, user, token)
        return user, token
