"""/scan and /dscan end to end in-process: the fake Telegram, the real Engine, the real broker
client and the simulator with its whole catalogue."""

from __future__ import annotations

import csv
import html
import io
from decimal import Decimal
from typing import Any

from bot.engine.trader import Engine
from bot.telegram.fake_session import TEXT_LIMIT
from tests.bot.engine.conftest import FAST, RecordingNotifier
from tests.bot.engine.scanners.rig import scan_rig
from tests.support.fake_telegram import OWNER, make_harness


async def test_scan_and_dscan_through_the_bot() -> None:
    async with scan_rig() as rig:
        await rig.sim.set_price("SBER_TQBR", "300")
        await rig.sim.set_price("SRM6_SPBFUT", "33000")
        engine = Engine(
            rig.client,
            rig.base,
            RecordingNotifier(),
            account_id=rig.sim.account_id,
            mode="paper",
            clock=rig.clock,
            options=FAST,
        )
        tg = await make_harness(trader=engine)  # type: ignore[arg-type]
        await tg.send("/scan 60")
        scan_sent = list(tg.session.sent(OWNER))
        served = (await rig.requests())["requests"]
        await tg.send("/dscan 5")
        await tg.outbox.close()
    texts = [html.unescape(r.text or "") for r in scan_sent if r.method == "sendMessage"]
    assert texts[0].startswith("Scanning the market for spreads…")
    table = next(t for t in texts if t.startswith("<pre>"))
    assert "SRM6/SBER" in table and "SRM6/SRH6" in table
    assert all(len(r.text or "") <= TEXT_LIMIT for r in scan_sent)
    [document] = [r for r in scan_sent if r.method == "sendDocument"]
    rows = list(csv.DictReader(io.StringIO((document.document or b"").decode())))
    assert {(row["far"], row["near"]) for row in rows} == {("SRM6", "SBER"), ("SRM6", "SRH6")}
    assert all(Decimal(row["annual_percent"]) > 60 for row in rows)
    assert served["MarketDataService/GetLastPrices"] == 1
    assert served["InstrumentsService/Shares"] == served["InstrumentsService/Futures"] == 1
    summary = "\n".join(texts)
    books = served["MarketDataService/GetOrderBook"]
    assert f"3 for the whole market (Futures 1, GetLastPrices 1, Shares 1) + {books} order" in (
        summary
    )
    dscan: list[Any] = tg.session.sent(OWNER)[len(scan_sent) :]
    transcript = html.unescape("\n".join(r.text or "" for r in dscan))
    assert "top 5 of 117 share–future pairs" in transcript
    [dfile] = [r for r in dscan if r.method == "sendDocument"]
    assert len(list(csv.DictReader(io.StringIO((dfile.document or b"").decode())))) == 117


async def test_scan_refuses_without_the_base() -> None:
    async with scan_rig() as rig:
        rig.base.down = True
        engine = Engine(
            rig.client,
            rig.base,
            RecordingNotifier(),
            account_id=rig.sim.account_id,
            mode="paper",
            clock=rig.clock,
            options=FAST,
        )
        tg = await make_harness(trader=engine)  # type: ignore[arg-type]
        await tg.send("/scan")
        await tg.outbox.close()
        served = (await rig.requests())["total"]
    assert "The Base is not answering" in tg.session.transcript()
    assert served == 0
