"""Staff only: anyone else is refused (anonymous visitors are sent to the admin login, a
signed-in user who is not staff gets 403). Everything shown comes from the Base's own tables:
the bot sends the portfolio snapshot and the quote history (the Base never asks the broker)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from functools import wraps
from typing import Any

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from trademan.base import reports
from trademan.base.models import Fill, Order, PortfolioSnapshot, SellBuyTask, Spread, TaskKind

View = Callable[..., HttpResponse]
CHART_SPREADS = 12  # spreads charted on the dashboard (active first, then the newest)


def staff_only(view: View) -> View:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path(), "admin:login")
        if not (user.is_active and user.is_staff):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def _chart_json(data: dict[str, Any]) -> dict[str, Any]:
    """The chart's series as [unix seconds], [sell], [buy], [target] and fills [[t, price]]."""

    def num(value: Decimal | None) -> float | None:
        return None if value is None else float(value)

    def ts(moment: datetime) -> float:
        return moment.timestamp()

    points = data["points"]
    return {
        "id": f"{data['task_kind']}-{data['task_id']}",
        "title": data["title"],
        "t": [ts(p["at"]) for p in points],
        "sell": [num(p["sell"]) for p in points],
        "buy": [num(p["buy"]) for p in points],
        "target": [num(p["target"] if p["target"] is not None else data["target"]) for p in points],
        "fills": [[ts(f["at"]), num(f["price"])] for f in data["fills"]],
    }


def _labels() -> dict[str, str]:
    return {
        "sell": _("to sell"),
        "buy": _("to buy"),
        "target": _("target"),
        "fills": _("fills"),
    }


def _age_seconds(moment: datetime | None) -> int | None:
    if moment is None:
        return None
    return max(0, int((timezone.now() - moment).total_seconds()))


@staff_only
def dashboard(request: HttpRequest) -> HttpResponse:
    period = request.GET.get("period", "today")
    if period not in reports.PERIODS:
        period = "today"
    snapshot = PortfolioSnapshot.objects.filter(pk=PortfolioSnapshot.SINGLETON_PK).first()
    today = reports.period_start("today")
    fills = (
        Fill.objects.select_related("order", "order__instrument")
        .filter(executed_at__gte=today)
        .order_by("-executed_at", "-id")[:200]
    )
    spreads = list(
        Spread.objects.select_related("far", "near").order_by("-active", "-created_at")[
            :CHART_SPREADS
        ]
    )
    charts = []
    for spread in spreads:
        data = reports.chart(TaskKind.SPREAD, spread.pk)
        if data is not None:
            charts.append(_chart_json(data))
    context = {
        **admin.site.each_context(request),
        "is_nav_sidebar_enabled": False,
        "chart_labels": _labels(),
        "title": _("Dashboard"),
        "period": period,
        "periods": reports.PERIODS,
        "stats": reports.stats(period),
        "snapshot": snapshot.data if snapshot else None,
        "snapshot_at": snapshot.taken_at if snapshot else None,
        "snapshot_age": _age_seconds(snapshot.taken_at if snapshot else None),
        "fills": fills,
        "spreads": spreads,
        "charts": charts,
        "sellbuy": SellBuyTask.objects.select_related("instrument").order_by(
            "-active", "-created_at"
        )[:20],
    }
    return render(request, "dashboard/index.html", context)


@staff_only
def task(request: HttpRequest, task_kind: str, pk: int) -> HttpResponse:
    if task_kind not in TaskKind.values:
        raise Http404
    data = reports.chart(task_kind, pk)
    if data is None:
        raise Http404
    lookup = {"sellbuy_id": pk} if task_kind == TaskKind.SELLBUY else {"spread_id": pk}
    orders = Order.objects.select_related("instrument").filter(**lookup).order_by("-created_at")
    fills = (
        Fill.objects.select_related("order", "order__instrument")
        .filter(**lookup)
        .order_by("-executed_at", "-id")
    )
    context = {
        **admin.site.each_context(request),
        "is_nav_sidebar_enabled": False,
        "chart_labels": _labels(),
        "title": data["title"],
        "task": data,
        "orders": orders[:500],
        "fills": fills[:500],
        "charts": [_chart_json(data)],
    }
    return render(request, "dashboard/task.html", context)
