from __future__ import annotations

import os
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from trademan.base.services.accounts import ensure_admin


class Command(BaseCommand):
    help = (
        "Make sure an admin login exists (idempotent). Username and password come from "
        "TRADEMAN_ADMIN_USER (default admin) and TRADEMAN_ADMIN_PASSWORD; without a password a "
        "new user gets a generated one, printed once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        username = options["username"] or os.environ.get("TRADEMAN_ADMIN_USER") or "admin"
        password = os.environ.get("TRADEMAN_ADMIN_PASSWORD") or None
        login = ensure_admin(username, password)
        if login.created and login.password:
            self.stdout.write(f"Admin user {login.username} created, password: {login.password}")
        elif login.created:
            self.stdout.write(f"Admin user {login.username} created with the given password.")
        elif login.password_set:
            self.stdout.write(f"Admin user {login.username} exists; password set from the env.")
        else:
            self.stdout.write(f"Admin user {login.username} exists; password unchanged.")
