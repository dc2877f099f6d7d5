"""Reads of the Base, shaped for the API and the admin (a fixed number of queries each)."""

from __future__ import annotations

from django.db import connection
from django.db.models import Prefetch, QuerySet

from trademan.base.models import (
    FINAL_ORDER_STATUSES,
    ChangeCounter,
    Instrument,
    Order,
    SellBuyTask,
    Spread,
    StashedStopOrder,
    StopListEntry,
    StopListKind,
)


def open_orders() -> QuerySet[Order]:
    return Order.objects.exclude(status__in=FINAL_ORDER_STATUSES).order_by("created_at", "id")


def _with_open_orders() -> Prefetch:
    return Prefetch("orders", queryset=open_orders(), to_attr="open_orders")


def sellbuy_tasks() -> QuerySet[SellBuyTask]:
    return SellBuyTask.objects.select_related("instrument").prefetch_related(_with_open_orders())


def spreads() -> QuerySet[Spread]:
    return Spread.objects.select_related("far", "near").prefetch_related(_with_open_orders())


def active_tasks() -> tuple[list[SellBuyTask], list[Spread]]:
    """Everything the engine needs: 4 queries whatever the number of tasks."""
    return (
        list(sellbuy_tasks().filter(active=True).order_by("created_at", "id")),
        list(spreads().filter(active=True).order_by("created_at", "id")),
    )


def change_version() -> tuple[str, int]:
    """(epoch, version) of the change counter: a new pair after every write that can change
    the active tasks (see trademan.base.models.changes). One plain query: it is all a 304
    costs, so the ORM's query building is skipped."""
    table = ChangeCounter._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT epoch, version FROM {table} ORDER BY id LIMIT 1")  # noqa: S608
        row = cursor.fetchone()
    if row is None:  # emptied (e.g. a test flush): start again under a new epoch
        counter, _created = ChangeCounter.objects.get_or_create(pk=1)
        return counter.epoch, counter.version
    return str(row[0]), int(row[1])


def stop_lists() -> dict[str, list[Instrument]]:
    lists: dict[str, list[Instrument]] = {kind: [] for kind in StopListKind.values}
    entries = StopListEntry.objects.select_related("instrument").order_by(
        "kind", "instrument__ticker", "id"
    )
    for entry in entries:
        lists[entry.kind].append(entry.instrument)
    return lists


def stash() -> list[StashedStopOrder]:
    return list(StashedStopOrder.objects.select_related("instrument").order_by("id"))


def instrument_by_ticker(ticker: str) -> Instrument | None:
    """The active instrument with this ticker (API-tradable first, then by class code)."""
    return (
        Instrument.objects.filter(active=True, ticker__iexact=ticker.strip())
        .order_by("-api_trade_available", "class_code", "id")
        .first()
    )
