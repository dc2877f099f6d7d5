from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from trademan.base.services.accounts import BOT_USERNAME, rotate_bot_token


class Command(BaseCommand):
    help = (
        "Create or rotate the bot user's API token and print it once (the old token stops "
        "working). Put it in the bot's BASE_TOKEN."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default=BOT_USERNAME)

    def handle(self, *args: Any, **options: Any) -> None:
        key = rotate_bot_token(options["username"])
        self.stdout.write(key)
