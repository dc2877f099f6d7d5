"""The catalogue: MOEX shares, futures re-dated to the coming quarters, consistent prices."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.simulator.helpers import SBER, dec
from tests.support.sim import running_simulator


async def sber_futures(sim: Any) -> list[dict[str, Any]]:
    futures = await sim.ok("InstrumentsService", "Futures", {})
    return sorted(
        (f for f in futures["instruments"] if f["basicAsset"] == "SBER"),
        key=lambda f: f["expirationDate"],
    )


async def test_futures_are_the_coming_quarterly_contracts(sim: Any) -> None:
    # the clock starts on 2026-03-11: the March contract expires on the third Thursday (19th)
    futures = await sber_futures(sim)
    assert [(f["ticker"], f["expirationDate"]) for f in futures] == [
        ("SRH6", "2026-03-19T15:50:00.000Z"),
        ("SRM6", "2026-06-18T15:50:00.000Z"),
        ("SRU6", "2026-09-17T15:50:00.000Z"),
    ]
    assert all(f["classCode"] == "SPBFUT" for f in futures)
    assert dec(futures[0]["basicAssetSize"]) == 100
    margin = await sim.ok("InstrumentsService", "GetFuturesMargin", {"instrumentId": "SRH6_SPBFUT"})
    assert dec(margin["initialMarginOnBuy"]) > 0
    assert dec(margin["minPriceIncrementAmount"]) == dec(margin["minPriceIncrement"]) == 1


async def test_shares_carry_the_data_flags(sim: Any) -> None:
    shares = {
        s["ticker"]: s for s in (await sim.ok("InstrumentsService", "Shares", {}))["instruments"]
    }
    assert (shares["SBER"]["lot"], dec(shares["SBER"]["minPriceIncrement"])) == (
        10,
        Decimal("0.01"),
    )
    assert shares["SBER"]["shortEnabledFlag"] is True
    assert shares["ABRD"]["shortEnabledFlag"] is False
    assert shares["SBER"]["classCode"] == "TQBR"


async def test_future_prices_follow_the_underlying(sim: Any) -> None:
    spot_first = (await sim.instrument(SBER))["lastPrice"]
    near = (await sim.instrument("SRM6_SPBFUT"))["lastPrice"]
    ratio = Decimal(near) / (Decimal(spot_first) * 100)
    assert Decimal("1.0") < ratio < Decimal("1.1"), ratio  # carry to June, small noise
    await sim.set_price(SBER, "300.00")
    moved = Decimal((await sim.instrument("SRM6_SPBFUT"))["lastPrice"])
    assert abs(moved / Decimal(30000) - ratio) < Decimal("0.01")


async def test_lookups_by_every_kind_of_id(sim: Any) -> None:
    share = (
        await sim.ok(
            "InstrumentsService",
            "ShareBy",
            {"idType": "INSTRUMENT_ID_TYPE_TICKER", "classCode": "TQBR", "id": "SBER"},
        )
    )["instrument"]
    for id_type, ident in (
        ("INSTRUMENT_ID_TYPE_FIGI", share["figi"]),
        ("INSTRUMENT_ID_TYPE_UID", share["uid"]),
        ("INSTRUMENT_ID_TYPE_POSITION_UID", share["positionUid"]),
    ):
        got = await sim.ok(
            "InstrumentsService", "GetInstrumentBy", {"idType": id_type, "id": ident}
        )
        assert got["instrument"]["uid"] == share["uid"]
    status, data, _ = await sim.call(
        "InstrumentsService", "ShareBy", {"idType": "INSTRUMENT_ID_TYPE_TICKER", "id": "SBER"}
    )
    assert (status, data["description"]) == (400, "30013")
    status, data, _ = await sim.call(
        "InstrumentsService", "FutureBy", {"idType": "INSTRUMENT_ID_TYPE_UID", "id": share["uid"]}
    )
    assert (status, data["description"]) == (404, "50002")


async def test_uids_are_stable_and_prices_deterministic_under_a_seed() -> None:
    async def snapshot(seed: int) -> tuple[list[str], list[Any], Any]:
        async with running_simulator(seed=seed) as sim:
            await sim.walk(10)
            prices = await sim.ok("MarketDataService", "GetLastPrices", {})
            book = await sim.ok(
                "MarketDataService", "GetOrderBook", {"instrumentId": SBER, "depth": 50}
            )
            uids = [p["instrumentUid"] for p in prices["lastPrices"]]
            return uids, [p["price"] for p in prices["lastPrices"]], book

    first, again, other = await snapshot(7), await snapshot(7), await snapshot(8)
    assert first == again
    assert first[0] == other[0]  # same instruments, same uids
    assert first[1] != other[1]  # a different walk


async def test_walk_moves_prices_on_demand_only(sim: Any) -> None:
    before = await sim.ok("MarketDataService", "GetLastPrices", {"instrumentId": [SBER]})
    again = await sim.ok("MarketDataService", "GetLastPrices", {"instrumentId": [SBER]})
    assert before == again
    await sim.walk(20)
    after = await sim.ok("MarketDataService", "GetLastPrices", {"instrumentId": [SBER]})
    assert after != before


async def test_unauthenticated_and_wrong_token() -> None:
    async with running_simulator(token="secret") as sim:
        for token in ("", "guess"):
            status, data, _ = await sim.call("UsersService", "GetAccounts", {}, token=token)
            assert (status, data["code"], data["description"]) == (401, 16, "40003")
        status, _, _ = await sim.call("UsersService", "GetAccounts", {}, token="secret")
        assert status == 200


async def test_unknown_method_is_unimplemented(sim: Any) -> None:
    status, data, _ = await sim.call("OrdersService", "ReplaceOrder", {})
    assert (status, data["description"]) == (501, "12001")
