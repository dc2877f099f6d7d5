from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from trademan.base.services.demo import EmptyCatalogue, seed_demo


class Command(BaseCommand):
    help = (
        "Create demo sell/buy tasks, spreads (future vs share, future vs future) and stop lists "
        "over the instruments already in the catalogue. Idempotent."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = seed_demo()
        except EmptyCatalogue as exc:
            raise CommandError(str(exc)) from exc
        for line in result.created:
            self.stdout.write(f"created: {line}")
        for line in result.existing:
            self.stdout.write(f"exists:  {line}")
        for line in result.skipped:
            self.stdout.write(f"skipped: {line}")
