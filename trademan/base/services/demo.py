"""Demo data over the instruments already in the catalogue (idempotent)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from itertools import pairwise

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from trademan.base.models import (
    Instrument,
    InstrumentKind,
    SellBuyTask,
    Spread,
    StopListEntry,
    StopListKind,
)
from trademan.base.services.tasks import create_sellbuy, create_spread

PREFERRED = ("SBER", "GAZP", "LKOH", "VTBR", "GMKN", "ROSN", "MGNT", "MTSS", "AFLT", "NVTK")


class EmptyCatalogue(Exception):
    pass


@dataclass
class SeedResult:
    created: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def _tradable() -> QuerySet[Instrument]:
    return Instrument.objects.filter(active=True, api_trade_available=True)


def _shares() -> list[Instrument]:
    shares = list(_tradable().filter(kind=InstrumentKind.SHARE).order_by("ticker", "id"))
    rank = {ticker: i for i, ticker in enumerate(PREFERRED)}
    return sorted(shares, key=lambda s: (rank.get(s.ticker, len(rank)), s.ticker))


def _live_futures(now: datetime) -> QuerySet[Instrument]:
    return (
        _tradable()
        .filter(kind=InstrumentKind.FUTURE, expiration__gt=now)
        .exclude(basic_asset="")
        .order_by("expiration", "ticker")
    )


def _future_share_pairs(
    shares: list[Instrument], now: datetime
) -> Iterator[tuple[Instrument, Instrument]]:
    by_ticker = {s.ticker.upper(): s for s in shares}
    futures = [f for f in _live_futures(now) if f.basic_asset.upper() in by_ticker]
    futures.sort(
        key=lambda f: (
            PREFERRED.index(f.basic_asset.upper()) if f.basic_asset.upper() in PREFERRED else 99
        )
    )
    for future in futures:
        yield future, by_ticker[future.basic_asset.upper()]


def _future_future_pairs(now: datetime) -> Iterator[tuple[Instrument, Instrument]]:
    groups: dict[str, list[Instrument]] = {}
    for future in _live_futures(now):
        groups.setdefault(future.basic_asset.upper(), []).append(future)
    order = sorted(groups, key=lambda a: (PREFERRED.index(a) if a in PREFERRED else 99, a))
    for asset in order:
        chain = groups[asset]
        for near, far in pairwise(chain):
            if near.expiration and far.expiration and far.expiration > near.expiration:
                yield far, near


def _first_valid_spread(
    pairs: Iterable[tuple[Instrument, Instrument]], label: str, result: SeedResult
) -> None:
    for far, near in pairs:
        existing = Spread.objects.filter(far=far, near=near, direction="sell").first()
        if existing:
            result.existing.append(f"{label} #{existing.pk} {far.ticker}/{near.ticker}")
            return
        try:
            spread = create_spread(
                far=far, near=near, direction="sell", amount=far.lot, target_price=Decimal(0)
            )
        except ValidationError:
            continue
        result.created.append(f"{label} #{spread.pk} {far.ticker}/{near.ticker}")
        return
    result.skipped.append(f"{label}: no valid pair in the catalogue")


def _sellbuy(shares: list[Instrument], direction: str, result: SeedResult) -> None:
    for share in shares:
        if direction == "sell" and not share.short_enabled:
            continue
        existing = SellBuyTask.objects.filter(
            instrument=share, direction=direction, amount=share.lot
        ).first()
        if existing:
            result.existing.append(f"{direction} #{existing.pk} {share.ticker}")
            return
        try:
            task = create_sellbuy(instrument=share, direction=direction, amount=share.lot)
        except ValidationError:
            continue
        result.created.append(f"{direction} #{task.pk} {share.ticker}")
        return
    result.skipped.append(f"{direction}: no suitable share")


def _stop_lists(shares: list[Instrument], result: SeedResult) -> None:
    plan = [(StopListKind.WHITELIST, s) for s in shares[:5]]
    if len(shares) > 1:
        plan.append((StopListKind.STOP_BLACKLIST, shares[1]))
    if len(shares) > 2:
        plan.append((StopListKind.SHORT_BLACKLIST, shares[2]))
    for kind, share in plan:
        _, created = StopListEntry.objects.get_or_create(kind=kind, instrument=share)
        (result.created if created else result.existing).append(f"{kind} {share.ticker}")


@transaction.atomic
def seed_demo() -> SeedResult:
    """Demo sell/buy tasks (a buy and a sell of one lot), a future-vs-share and a
    future-vs-future spread (one far lot, target 0), and stop lists. Running it again creates
    nothing new."""
    if not Instrument.objects.filter(active=True).exists():
        raise EmptyCatalogue(
            "The instrument catalogue is empty: load it first (the bot's /update, or "
            "POST /api/v1/instruments/sync/)."
        )
    now = timezone.now()
    result = SeedResult()
    shares = _shares()
    _sellbuy(shares, "buy", result)
    _sellbuy(shares, "sell", result)
    _first_valid_spread(_future_share_pairs(shares, now), "spread future/share", result)
    _first_valid_spread(_future_future_pairs(now), "spread future/future", result)
    _stop_lists(shares, result)
    return result
