"""Storing what the bot sends for the dashboard: the portfolio snapshot and quote points."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction

from trademan.base.models import PortfolioSnapshot, QuotePoint
from trademan.base.models.views import QUOTE_LIMIT


def save_portfolio(taken_at: datetime, data: dict[str, Any]) -> PortfolioSnapshot:
    """Keep the newer snapshot: an older one arriving late never replaces it."""
    with transaction.atomic():
        snapshot = (
            PortfolioSnapshot.objects.select_for_update()
            .filter(pk=PortfolioSnapshot.SINGLETON_PK)
            .first()
        )
        if snapshot is None:
            return PortfolioSnapshot.objects.create(
                pk=PortfolioSnapshot.SINGLETON_PK, taken_at=taken_at, data=data
            )
        if snapshot.taken_at <= taken_at:
            snapshot.taken_at = taken_at
            snapshot.data = data
            snapshot.save()
        return snapshot


def store_quotes(series: list[dict[str, Any]], limit: int = QUOTE_LIMIT) -> int:
    """Append quote points (a point at a time already stored is skipped) and keep the newest
    `limit` per task. Returns how many points were new."""
    stored = 0
    for one in series:
        kind, task_id = one["task_kind"], one["task_id"]
        rows = [
            QuotePoint(
                task_kind=kind,
                task_id=task_id,
                at=p["at"],
                sell=_dec(p.get("sell")),
                buy=_dec(p.get("buy")),
                target=_dec(p.get("target")),
            )
            for p in one["points"]
        ]
        with transaction.atomic():
            before = QuotePoint.objects.filter(task_kind=kind, task_id=task_id).count()
            QuotePoint.objects.bulk_create(rows, ignore_conflicts=True)
            after = QuotePoint.objects.filter(task_kind=kind, task_id=task_id).count()
            stored += after - before
            if after > limit:
                cut = (
                    QuotePoint.objects.filter(task_kind=kind, task_id=task_id)
                    .order_by("-at")
                    .values_list("at", flat=True)[limit - 1]
                )
                QuotePoint.objects.filter(task_kind=kind, task_id=task_id, at__lt=cut).delete()
    return stored


def _dec(value: Any) -> Decimal | None:
    return None if value is None else Decimal(value)
