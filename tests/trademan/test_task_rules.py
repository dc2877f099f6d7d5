"""Every rule for sell/buy tasks and spreads, enforced by trademan.base.services.tasks."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from trademan.base.models import Instrument, InstrumentKind, SellBuyTask, Spread
from trademan.base.services import tasks

pytestmark = pytest.mark.django_db


def messages(exc: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return {field: [str(m) for m in msgs] for field, msgs in exc.value.message_dict.items()}


# --- sell/buy -------------------------------------------------------------------------------


def test_sellbuy_created_when_valid(share: Instrument) -> None:
    task = tasks.create_sellbuy(
        instrument=share, direction="buy", amount=30, limit_price=Decimal("281.35")
    )
    assert task.pk and task.active and task.executed == 0 and task.average_price is None


@pytest.mark.parametrize("amount", [0, -10])
def test_sellbuy_amount_must_be_positive(share: Instrument, amount: int) -> None:
    with pytest.raises(ValidationError) as exc:
        tasks.create_sellbuy(instrument=share, direction="buy", amount=amount)
    assert messages(exc) == {"amount": ["Amount must be greater than zero."]}


def test_sellbuy_amount_whole_lots_message_names_lot(share: Instrument) -> None:
    with pytest.raises(ValidationError) as exc:
        tasks.create_sellbuy(instrument=share, direction="buy", amount=15)
    (msg,) = messages(exc)["amount"]
    assert "lot = 10" in msg and "15" in msg and "SBER" in msg
    assert not SellBuyTask.objects.exists()


def test_sellbuy_limit_price_on_increment(make_instrument: Callable[..., Instrument]) -> None:
    gazp = make_instrument(ticker="GAZP", min_price_increment=Decimal("0.05"))
    with pytest.raises(ValidationError) as exc:
        tasks.create_sellbuy(
            instrument=gazp, direction="buy", amount=10, limit_price=Decimal("130.02")
        )
    assert messages(exc) == {
        "limit_price": ["Price 130.02 is not a multiple of the price increment 0.05 of GAZP."]
    }
    ok = tasks.create_sellbuy(
        instrument=gazp, direction="buy", amount=10, limit_price=Decimal("130.05")
    )
    assert ok.limit_price == Decimal("130.05")


def test_sellbuy_limit_price_positive(share: Instrument) -> None:
    with pytest.raises(ValidationError) as exc:
        tasks.create_sellbuy(instrument=share, direction="buy", amount=10, limit_price=Decimal(0))
    assert messages(exc) == {"limit_price": ["Price must be greater than zero."]}


def test_sellbuy_direction_checked(share: Instrument) -> None:
    with pytest.raises(ValidationError) as exc:
        tasks.create_sellbuy(instrument=share, direction="hold", amount=10)
    assert messages(exc) == {"direction": ["Direction must be buy or sell."]}


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ({"active": False}, "SBER is inactive (no longer in the broker's catalogue)."),
        ({"api_trade_available": False}, "SBER cannot be traded through the API."),
        ({"buy_available": False}, "Buying SBER is not available."),
    ],
)
def test_sellbuy_buy_needs_tradable_instrument(
    make_instrument: Callable[..., Instrument], flags: dict[str, bool], expected: str
) -> None:
    instrument = make_instrument(ticker="SBER", **flags)
    with pytest.raises(ValidationError) as exc:
        tasks.create_sellbuy(instrument=instrument, direction="buy", amount=10)
    assert messages(exc) == {"instrument": [expected]}


def test_sellbuy_sell_needs_sell_available(make_instrument: Callable[..., Instrument]) -> None:
    instrument = make_instrument(ticker="SBER", sell_available=False)
    with pytest.raises(ValidationError) as exc:
        tasks.create_sellbuy(instrument=instrument, direction="sell", amount=10)
    assert messages(exc) == {"instrument": ["Selling SBER is not available."]}


def test_selling_share_without_short_needs_covered(
    make_instrument: Callable[..., Instrument],
) -> None:
    abrd = make_instrument(ticker="ABRD", short_enabled=False)
    with pytest.raises(ValidationError) as exc:
        tasks.create_sellbuy(instrument=abrd, direction="sell", amount=10)
    (msg,) = messages(exc)["instrument"]
    assert "ABRD cannot be shorted" in msg
    covered = tasks.create_sellbuy(instrument=abrd, direction="sell", amount=10, covered=True)
    assert covered.active
    # buying it is fine without the flag
    assert tasks.create_sellbuy(instrument=abrd, direction="buy", amount=10).active


def test_selling_future_does_not_need_short_flag(
    make_instrument: Callable[..., Instrument],
) -> None:
    fut = make_instrument(
        ticker="SiZ6",
        kind=InstrumentKind.FUTURE,
        lot=1,
        short_enabled=False,
        min_price_increment=Decimal(1),
    )
    assert tasks.create_sellbuy(instrument=fut, direction="sell", amount=3).active


def test_inactive_task_may_reference_inactive_instrument(
    make_instrument: Callable[..., Instrument],
) -> None:
    old = make_instrument(ticker="OLD", active=False)
    task = SellBuyTask(instrument=old, direction="buy", amount=10, active=False)
    assert tasks.save_sellbuy(task).pk
    with pytest.raises(ValidationError) as exc:
        tasks.set_sellbuy_active(task, True)
    assert "OLD is inactive" in messages(exc)["instrument"][0]
    task.refresh_from_db()
    assert task.active is False


def test_sellbuy_activate_deactivate(sellbuy: SellBuyTask) -> None:
    assert tasks.set_sellbuy_active(sellbuy, False).active is False
    assert tasks.set_sellbuy_active(sellbuy, True).active is True


def test_done_task_cannot_be_activated(sellbuy: SellBuyTask) -> None:
    SellBuyTask.objects.filter(pk=sellbuy.pk).update(executed=100, active=False)
    with pytest.raises(ValidationError) as exc:
        tasks.set_sellbuy_active(sellbuy, True)
    assert messages(exc) == {"active": ["The task is done: its whole amount is executed."]}


def test_amount_not_below_executed_and_instrument_fixed_after_fills(
    sellbuy: SellBuyTask, make_instrument: Callable[..., Instrument]
) -> None:
    SellBuyTask.objects.filter(pk=sellbuy.pk).update(executed=50)
    sellbuy.refresh_from_db()
    sellbuy.amount = 40
    sellbuy.instrument = make_instrument(ticker="LKOH", lot=1)
    with pytest.raises(ValidationError) as exc:
        tasks.save_sellbuy(sellbuy)
    found = messages(exc)
    assert "Amount cannot be less than what is already executed (50)." in found["amount"]
    assert found["instrument"] == ["The instrument cannot change once the task has fills."]


# --- spreads --------------------------------------------------------------------------------


def test_future_vs_share_ratio_is_underlying_size(
    future_far: Instrument, share: Instrument
) -> None:
    spread = tasks.create_spread(
        far=future_far, near=share, direction="sell", amount=2, target_price=Decimal("1200")
    )
    assert spread.ratio == Decimal(100)
    assert spread.near_amount == 200


def test_future_vs_future_ratio_is_size_ratio(
    future_far: Instrument, make_instrument: Callable[..., Instrument]
) -> None:
    # a near future on 10 shares -> 100 / 10 = 10 near contracts per far contract
    near = make_instrument(
        ticker="SMALL",
        kind=InstrumentKind.FUTURE,
        lot=1,
        basic_asset="SBER",
        basic_asset_size=Decimal(10),
        min_price_increment=Decimal(1),
        expiration=datetime(2027, 3, 1, tzinfo=UTC),
    )
    spread = tasks.create_spread(
        far=future_far, near=near, direction="buy", amount=3, target_price=Decimal("-50")
    )
    assert spread.ratio == Decimal(10)
    assert spread.near_amount == 30


def test_ratio_override_wins(future_far: Instrument, future_near: Instrument) -> None:
    spread = tasks.create_spread(
        far=future_far,
        near=future_near,
        direction="sell",
        amount=4,
        target_price=Decimal(300),
        ratio_override=Decimal(2),
    )
    assert spread.ratio == Decimal(2) and spread.near_amount == 8


def test_spread_legs_must_differ(future_far: Instrument) -> None:
    with pytest.raises(ValidationError) as exc:
        tasks.create_spread(
            far=future_far, near=future_far, direction="sell", amount=1, target_price=Decimal(1)
        )
    assert messages(exc) == {"near": ["The far and near legs must be different instruments."]}


def test_far_leg_must_be_future(share: Instrument, future_near: Instrument) -> None:
    with pytest.raises(ValidationError) as exc:
        tasks.create_spread(
            far=share, near=future_near, direction="sell", amount=10, target_price=Decimal(1)
        )
    assert messages(exc) == {"far": ["The far leg SBER must be a future."]}


def test_far_future_must_expire_after_near(future_far: Instrument, future_near: Instrument) -> None:
    with pytest.raises(ValidationError) as exc:
        tasks.create_spread(
            far=future_near, near=future_far, direction="sell", amount=1, target_price=Decimal(1)
        )
    assert messages(exc) == {
        "far": ["The far leg SRH7 must be a future that expires after the near leg SRM7."]
    }


def test_futures_on_different_underlyings_refused(
    future_far: Instrument, make_instrument: Callable[..., Instrument]
) -> None:
    gazp_fut = make_instrument(
        ticker="GZH7",
        kind=InstrumentKind.FUTURE,
        lot=1,
        basic_asset="GAZP",
        basic_asset_size=Decimal(100),
        min_price_increment=Decimal(1),
        expiration=datetime(2027, 3, 1, tzinfo=UTC),
    )
    with pytest.raises(ValidationError) as exc:
        tasks.create_spread(
            far=future_far, near=gazp_fut, direction="sell", amount=1, target_price=Decimal(1)
        )
    assert messages(exc) == {"near": ["The futures SRM7 and GZH7 have different underlyings."]}


def test_near_share_must_be_the_underlying(
    future_far: Instrument, make_instrument: Callable[..., Instrument]
) -> None:
    gazp = make_instrument(ticker="GAZP")
    with pytest.raises(ValidationError) as exc:
        tasks.create_spread(
            far=future_far, near=gazp, direction="sell", amount=1, target_price=Decimal(1)
        )
    assert messages(exc) == {
        "near": ["The near leg GAZP is not the underlying of SRM7 (its underlying is SBER)."]
    }


def test_spread_amount_whole_far_lots(
    make_instrument: Callable[..., Instrument], share: Instrument
) -> None:
    far = make_instrument(
        ticker="BIG",
        kind=InstrumentKind.FUTURE,
        lot=5,
        basic_asset="SBER",
        basic_asset_size=Decimal(1),
        min_price_increment=Decimal(1),
        expiration=datetime(2027, 6, 1, tzinfo=UTC),
    )
    with pytest.raises(ValidationError) as exc:
        tasks.create_spread(
            far=far, near=share, direction="sell", amount=10 + 3, target_price=Decimal(1)
        )
    assert any("lot = 5" in m for m in messages(exc)["amount"])


def test_spread_near_amount_whole_near_lots(future_far: Instrument, share: Instrument) -> None:
    # ratio 0.5 x 3 contracts = 1.5 shares: neither whole pieces nor whole lots of 10
    with pytest.raises(ValidationError) as exc:
        tasks.create_spread(
            far=future_far,
            near=share,
            direction="sell",
            amount=3,
            target_price=Decimal(1),
            ratio_override=Decimal("0.5"),
        )
    (msg,) = messages(exc)["amount"]
    assert "1.5 pieces of SBER" in msg and "lot = 10" in msg


def test_ratio_must_be_known_or_overridden(
    make_instrument: Callable[..., Instrument], share: Instrument
) -> None:
    far = make_instrument(
        ticker="NOSIZE",
        kind=InstrumentKind.FUTURE,
        lot=1,
        basic_asset="SBER",
        min_price_increment=Decimal(1),
        expiration=datetime(2027, 6, 1, tzinfo=UTC),
    )
    with pytest.raises(ValidationError) as exc:
        tasks.create_spread(
            far=far, near=share, direction="sell", amount=1, target_price=Decimal(1)
        )
    assert "Set a ratio override" in messages(exc)["ratio_override"][0]
    with pytest.raises(ValidationError) as exc:
        tasks.create_spread(
            far=far,
            near=share,
            direction="sell",
            amount=1,
            target_price=Decimal(1),
            ratio_override=Decimal(-1),
        )
    assert messages(exc) == {"ratio_override": ["The ratio must be greater than zero."]}


def test_spread_sell_near_share_needs_short(
    future_far: Instrument, make_instrument: Callable[..., Instrument]
) -> None:
    # buying the spread buys the far leg and sells the near share: a short of the share
    sber = make_instrument(ticker="SBER", short_enabled=False)
    with pytest.raises(ValidationError) as exc:
        tasks.create_spread(
            far=future_far, near=sber, direction="buy", amount=1, target_price=Decimal(1)
        )
    assert "SBER cannot be shorted" in messages(exc)["near"][0]
    # selling the spread buys the share: fine
    assert tasks.create_spread(
        far=future_far, near=sber, direction="sell", amount=1, target_price=Decimal(1)
    ).active


def test_spread_legs_must_be_api_tradable(future_far: Instrument, share: Instrument) -> None:
    Instrument.objects.filter(pk=future_far.pk).update(api_trade_available=False)
    future_far.refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        tasks.create_spread(
            far=future_far, near=share, direction="sell", amount=1, target_price=Decimal(1)
        )
    assert messages(exc) == {"far": ["SRM7 cannot be traded through the API."]}


def test_spread_activate_deactivate(spread: Spread) -> None:
    assert tasks.set_spread_active(spread, False).active is False
    assert tasks.set_spread_active(spread, True).active is True


def test_spread_legs_fixed_after_fills(spread: Spread, future_near: Instrument) -> None:
    Spread.objects.filter(pk=spread.pk).update(far_executed=1)
    spread.refresh_from_db()
    spread.direction = "buy"
    with pytest.raises(ValidationError) as exc:
        tasks.save_spread(spread)
    assert messages(exc)["direction"] == ["This cannot change once the spread has fills."]


def test_instruments_referenced_by_tasks_are_protected(sellbuy: SellBuyTask) -> None:
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        sellbuy.instrument.delete()
    assert Instrument.objects.filter(pk=sellbuy.instrument_id).exists()
