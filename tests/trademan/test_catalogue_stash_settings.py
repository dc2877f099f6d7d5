"""Instrument sync, the stop-order stash, stop lists and trading settings services."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from tests.trademan.conftest import instrument_values
from trademan.base.models import Instrument, SellBuyTask, StashedStopOrder, StopListEntry
from trademan.base.services.instruments import SYNC_FIELDS, sync_instruments
from trademan.base.services.stash import replace_stash
from trademan.base.services.stoplists import save_stop_list_entry
from trademan.base.services.trading_settings import (
    get_trading_settings,
    save_trading_settings,
)

pytestmark = pytest.mark.django_db


def item(**overrides: Any) -> dict[str, Any]:
    values = instrument_values(**overrides)
    values.pop("active")
    return values


def test_sync_creates_updates_deactivates_never_deletes(sellbuy: SellBuyTask) -> None:
    kept = Instrument.objects.create(**instrument_values(ticker="KEEP", uid="keep"))
    gone = sellbuy.instrument  # referenced by a task and missing from the new list
    result = sync_instruments(
        [
            item(uid="keep", ticker="KEEP", figi=kept.figi, name="Renamed"),
            item(uid="new-1", ticker="NEW"),
        ],
        complete=True,
    )
    assert (result.created, result.updated, result.deactivated, result.unchanged) == (1, 1, 1, 0)
    gone.refresh_from_db()
    assert gone.active is False, "missing instruments become inactive"
    assert SellBuyTask.objects.filter(pk=sellbuy.pk).exists()
    assert Instrument.objects.get(uid="keep").name == "Renamed"
    again = sync_instruments(
        [
            item(
                uid="new-1",
                ticker="NEW",
                figi=Instrument.objects.get(uid="new-1").figi,
                name=Instrument.objects.get(uid="new-1").name,
            )
        ],
        complete=False,
    )
    assert (again.created, again.updated, again.unchanged, again.deactivated) == (0, 0, 1, 0)


def test_sync_stamps_updated_at_on_changed_and_deactivated(
    make_instrument: Callable[..., Instrument],
) -> None:
    changed = make_instrument(uid="changed", ticker="CHG")
    dropped = make_instrument(uid="dropped", ticker="DRP")
    same = make_instrument(uid="same", ticker="SAME")
    stale = changed.updated_at - timedelta(days=1)
    Instrument.objects.filter(pk__in=[changed.pk, dropped.pk, same.pk]).update(updated_at=stale)
    values = {k: getattr(same, k) for k in SYNC_FIELDS}
    sync_instruments(
        [{**values, "uid": "same"}, item(uid="changed", ticker="CHG", name="Renamed")],
        complete=True,
    )
    stamps = dict(Instrument.objects.values_list("uid", "updated_at"))
    assert stamps["changed"] > stale, "an updated instrument shows when it changed"
    assert stamps["dropped"] > stale, "a deactivated instrument shows when it was dropped"
    assert stamps["same"] == stale, "an unchanged instrument keeps its time"


def test_sync_reactivates_listed_instrument(make_instrument: Callable[..., Instrument]) -> None:
    old = make_instrument(uid="back", active=False)
    values = {
        k: getattr(old, k)
        for k in ("figi", "ticker", "class_code", "name", "kind", "lot", "min_price_increment")
    }
    result = sync_instruments([{**values, "uid": "back"}], complete=False)
    assert result.updated == 1
    old.refresh_from_db()
    assert old.active


@pytest.mark.parametrize(
    ("bad", "expected"),
    [
        ({"lot": 0}, "lot must be at least 1"),
        ({"min_price_increment": Decimal(0)}, "price increment must be greater than zero"),
        ({"kind": "bond"}, "kind must be share or future"),
    ],
)
def test_sync_rejects_bad_items_and_changes_nothing(bad: dict[str, Any], expected: str) -> None:
    with pytest.raises(ValidationError) as exc:
        sync_instruments([item(uid="a"), item(uid="b", **bad)], complete=True)
    assert expected in exc.value.message_dict["instruments"][0]
    assert not Instrument.objects.exists()


def test_sync_rejects_duplicate_uid(db: None) -> None:
    with pytest.raises(ValidationError) as exc:
        sync_instruments([item(uid="a"), item(uid="a")], complete=False)
    assert exc.value.message_dict["instruments"] == ["uid a appears twice."]


def stop(instrument: Instrument, **kw: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "instrument": instrument,
        "direction": "buy",
        "stop_order_type": "take_profit",
        "lots": 3,
        "price": None,
        "stop_price": Decimal("240.5"),
        "expiration_type": "good_till_cancel",
        "expire_date": None,
        "broker_stop_order_id": "S-1",
    }
    values.update(kw)
    return values


def test_stash_replaced_atomically(share: Instrument) -> None:
    replace_stash([stop(share), stop(share, broker_stop_order_id="S-2")])
    assert StashedStopOrder.objects.count() == 2
    replace_stash([stop(share, broker_stop_order_id="S-3")])
    assert list(StashedStopOrder.objects.values_list("broker_stop_order_id", flat=True)) == ["S-3"]
    with pytest.raises(ValidationError) as exc:
        replace_stash([stop(share, broker_stop_order_id="S-4"), stop(share, lots=0)])
    assert exc.value.message_dict["orders"] == ["Lots must be greater than zero."]
    assert list(StashedStopOrder.objects.values_list("broker_stop_order_id", flat=True)) == ["S-3"]


def test_stash_refuses_a_limit_price_below_zero(share: Instrument) -> None:
    replace_stash([stop(share, broker_stop_order_id="S-1")])
    with pytest.raises(ValidationError) as exc:
        replace_stash([stop(share, broker_stop_order_id="S-2", price=Decimal("-1"))])
    assert exc.value.message_dict["orders"] == ["Price must be greater than zero."]
    assert list(StashedStopOrder.objects.values_list("broker_stop_order_id", flat=True)) == ["S-1"]


def test_stash_refuses_nothing(share: Instrument) -> None:
    replace_stash([stop(share)])
    with pytest.raises(ValidationError) as exc:
        replace_stash([])
    assert "cannot be replaced with nothing" in exc.value.message_dict["orders"][0]
    assert StashedStopOrder.objects.count() == 1


def test_stash_good_till_date_needs_date(share: Instrument) -> None:
    with pytest.raises(ValidationError) as exc:
        replace_stash([stop(share, expiration_type="good_till_date")])
    assert exc.value.message_dict["orders"] == ["A good-till-date stop order needs expire_date."]


def test_stop_lists_hold_shares_once(share: Instrument, future_far: Instrument) -> None:
    save_stop_list_entry(StopListEntry(kind="whitelist", instrument=share))
    with pytest.raises(ValidationError) as exc:
        save_stop_list_entry(StopListEntry(kind="whitelist", instrument=share))
    assert exc.value.message_dict["instrument"] == ["SBER is already on this list."]
    with pytest.raises(ValidationError) as exc:
        save_stop_list_entry(StopListEntry(kind="stop_blacklist", instrument=future_far))
    assert exc.value.message_dict["instrument"] == ["Stop lists hold shares only."]
    save_stop_list_entry(StopListEntry(kind="short_blacklist", instrument=share))
    assert StopListEntry.objects.count() == 2


def test_trading_settings_defaults(db: None) -> None:
    s = get_trading_settings()
    assert s.long_level_list == [Decimal(15), Decimal(20), Decimal(25)]
    assert s.short_level_list == [Decimal(20), Decimal(25), Decimal(30)]
    assert s.stop_sum == Decimal(300_000)
    assert s.order_ttl_days == 30 and s.scan_rate == Decimal(12)
    assert s.bulk_confirm_threshold == 50
    assert get_trading_settings().pk == s.pk


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("long_levels", "15, 120", "Level 120 must be between 0 and 100 percent."),
        ("long_levels", "abc", "abc is not a number."),
        ("short_levels", "", "Give at least one level, e.g. 15, 20, 25."),
        ("short_levels", "-5", "Level -5 must be greater than 0 percent."),
        ("stop_sum", Decimal(0), "Must be greater than zero."),
        ("order_ttl_days", 0, "Must be at least one day."),
    ],
)
def test_trading_settings_validation(field: str, value: object, expected: str, db: None) -> None:
    s = get_trading_settings()
    setattr(s, field, value)
    with pytest.raises(ValidationError) as exc:
        save_trading_settings(s)
    assert exc.value.message_dict[field] == [expected]
