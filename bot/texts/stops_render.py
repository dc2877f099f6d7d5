"""The stop-order family's results and events as text (keys in bot.texts.stops)."""

from __future__ import annotations

import math
from datetime import datetime
from decimal import Decimal

from bot.engine import events as ev
from bot.engine.stops.plan import CancelPlan, StashResult, StopPlan
from bot.texts import Texts
from bot.texts.format import format_decimal, format_money, format_time
from bot.texts.render import localise

PLAN_LINES = 30  # a plan shows its first orders; the count and total cover the rest


def duration(texts: Texts, seconds: float) -> str:
    """ "3 min 40 s" / "3 мин 40 с"; under a second: "<1 s"."""
    ru = texts.language == "ru"
    whole = math.ceil(max(seconds, 0.0))
    if whole < 1:
        return "<1 с" if ru else "<1 s"
    minutes, secs = divmod(whole, 60)
    m, s = ("мин", "с") if ru else ("min", "s")
    if not minutes:
        return f"{secs} {s}"
    return f"{minutes} {m} {secs} {s}" if secs else f"{minutes} {m}"


def _price(texts: Texts, value: Decimal | None) -> str:
    return "—" if value is None else format_decimal(value, texts.language)


def _reason(texts: Texts, key: str, params: dict[str, str]) -> str:
    return texts(key, **localise(texts, params))


def render_plan(texts: Texts, plan: StopPlan, *, now: datetime | None = None) -> str:
    lang = texts.language
    value = format_money(plan.total_value, lang)
    if plan.kind == "restore":
        head = texts(
            "stops.plan_restore",
            count=plan.count,
            value=value,
            active=plan.already_active,
            time=duration(texts, plan.seconds),
        )
    else:
        levels = ""
        if plan.levels:
            levels = texts(
                "stops.plan_levels",
                levels=", ".join(format_decimal(x, lang) for x in plan.levels),
                sum=format_money(plan.stop_sum or 0, lang)
                if plan.kind != "nuke"
                else format_money((plan.stop_sum or Decimal(0)) / 4, lang),
            )
        head = texts(
            "stops.plan",
            kind=plan.kind,
            count=plan.count,
            instruments=plan.instruments,
            value=value,
            levels=levels,
            expire="—" if plan.expire_at is None else format_time(plan.expire_at, lang, now=now),
            time=duration(texts, plan.seconds),
        )
    lines = [head]
    for order in plan.orders[:PLAN_LINES]:
        lines.append(
            texts(
                "stops.plan_line",
                ticker=order.ticker,
                direction=texts(f"stops.direction.{order.direction}"),
                lots=order.lots,
                lot=order.lot,
                price=_price(texts, order.stop_price),
                value=format_money(order.value, lang),
            )
        )
    if plan.count > PLAN_LINES:
        lines.append(f"… (+{plan.count - PLAN_LINES})")
    if plan.skipped:
        lines.append(texts("stops.plan_skipped", count=len(plan.skipped)))
        for skipped in plan.skipped:
            lines.append(
                texts(
                    "stops.skip_line",
                    ticker=skipped.ticker,
                    reason=_reason(texts, skipped.reason, skipped.params),
                )
            )
    return "\n".join(lines)


def render_cancel_plan(texts: Texts, plan: CancelPlan) -> str:
    return texts(
        "stops.cancel_plan",
        orders=plan.orders,
        stops=plan.stops,
        time=duration(texts, plan.seconds),
    )


def render_stash(texts: Texts, result: StashResult) -> str:
    return texts("stops.stashed", saved=result.saved, replaced=result.replaced)


def render_started(texts: Texts, job_id: str, kind: str, count: int) -> str:
    if kind == "cancel":
        key = "stops.cancel_started" if count else "stops.cancel_nothing"
        return texts(key, id=job_id, count=count)
    return texts("stops.started", id=job_id, kind=kind, count=count)


def render_stop_event(texts: Texts, event: ev.Event) -> str | None:
    """The family's events as text; None for any other event."""
    if isinstance(event, ev.BulkProgress):
        key = "stops.progress_cancel" if event.kind == "cancel" else "stops.progress"
        return texts(
            key,
            id=event.job_id,
            kind=event.kind,
            done=event.done,
            total=event.total,
            failed=event.failed,
            left=duration(texts, event.seconds_left),
        )
    if isinstance(event, ev.BulkFinished):
        return _finished(texts, event)
    if isinstance(event, ev.StopActivated):
        fill = ""
        if event.lots_executed:
            fill = texts(
                "stops.activated_fill",
                lots=event.lots_executed,
                price=_price(texts, event.average_price),
            )
        return texts(
            "stops.activated",
            direction=texts(f"stops.direction.{event.direction}"),
            lots=event.lots,
            ticker=event.ticker,
            price=_price(texts, event.stop_price),
            status=texts(f"stops.status.{event.order_status}"),
            fill=fill,
        )
    return None


def _finished(texts: Texts, event: ev.BulkFinished) -> str:
    common = {
        "id": event.job_id,
        "kind": event.kind,
        "done": event.done,
        "total": event.total,
        "not_sent": event.not_sent,
        "orders": event.orders_done,
        "stops": event.stops_done,
        "time": duration(texts, event.seconds),
    }
    if event.kind == "cancel":
        key = "stops.cancel_stopped" if event.outcome == "stopped" else "stops.cancel_finished"
    else:
        key = f"stops.finished_{event.outcome}"
    lines = [texts(key, **common)]
    if event.failures:
        lines.append(texts("stops.failed_header", count=len(event.failures)))
        for failure in event.failures:
            lines.append(
                texts(
                    "stops.failed_line",
                    ticker=failure.ticker,
                    direction=""
                    if failure.direction is None
                    else texts(f"stops.direction.{failure.direction}"),
                    lots=failure.lots,
                    price=_price(texts, failure.price),
                    reason=failure.reason,
                )
            )
    return "\n".join(lines)
