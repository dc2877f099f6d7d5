"""/scan and /dscan through the real dispatcher and a fake Telegram."""

from __future__ import annotations

import csv
import html
import io
from decimal import Decimal

import pytest

from bot.telegram.fake_session import TEXT_LIMIT, Request
from tests.support.fake_telegram import OWNER, FakeTrader, make_harness
from tests.support.scan_reports import dividend_report, scan_report


def _tables(requests: list[Request]) -> list[Request]:
    return [r for r in requests if r.method == "sendMessage" and r.params.get("parse_mode")]


def _documents(requests: list[Request]) -> list[Request]:
    return [r for r in requests if r.method == "sendDocument"]


async def test_scan_answers_with_progress_summary_split_table_and_csv() -> None:
    trader = FakeTrader(scan_report=scan_report(matched=100, shown=70))
    tg = await make_harness(trader=trader)
    await tg.send("/scan")
    sent = tg.session.sent(OWNER)
    texts = [r.text or "" for r in sent]
    assert texts[0].startswith("Scanning the market for spreads…")
    assert "100 of 117 pairs beat 7.5 % a year on margin, the best 70 shown" in texts[0]
    assert (
        "3 for the whole market (Futures 1, GetLastPrices 1, Shares 1) + 20 order books"
        in (texts[0])
    )
    tables = _tables(sent)
    assert len(tables) >= 2  # 70 two-line rows do not fit one message
    shown = ""
    for table in tables:
        text = table.text or ""
        assert table.params["parse_mode"] == "HTML"
        assert text.startswith("<pre>") and text.endswith("</pre>")
        assert len(text) <= TEXT_LIMIT
        body = html.unescape(text[len("<pre>") : -len("</pre>")])
        assert body.startswith("   pair           days   %/yr")  # every part repeats the header
        assert max(len(line) for line in body.split("\n")) <= 36  # fits a phone
        shown += body
    order = [shown.index(f"F{n:03d}M6/S{n:03d}") for n in range(1, 71)]
    assert order == sorted(order)
    assert "F071M6" not in shown
    # the first row: rank, pair, days, annual %, tradable?, re-priced; prices to their steps
    assert " 1 F001M6/S001      99  199.7 ·*" in shown
    assert "   31001 300.25 974.00 13706" in shown
    assert "re-priced from the order books" in tg.session.transcript()
    [document] = _documents(sent)
    assert document.params["document"]["filename"] == "scan-20260311-1200.csv"
    assert document.params["caption"] == "/scan: all 100 pairs beating 7.5 % (CSV)"
    rows = list(csv.DictReader(io.StringIO((document.document or b"").decode("utf-8"))))
    assert len(rows) == 100  # the whole result, not only the rows shown
    assert rows[0] == {
        "rank": "1",
        "kind": "stock",
        "far": "F001M6",
        "near": "S001",
        "ratio": "100",
        "far_price": "31001",
        "near_price": "300.25",
        "profit_rub": "974.00",
        "margin_rub": "13706.25",
        "days": "99",
        "far_expiry": "2026-06-18",
        "annual_percent": "199.7",
        "tradable": "no",
        "priced_from": "book",
    }
    assert trader.calls == [("scan", None)]


@pytest.mark.parametrize(
    ("args", "rate"),
    [("7.5", Decimal("7.5")), ("7,5", Decimal("7.5")), ("12%", Decimal(12)), ("0", Decimal(0))],
)
async def test_scan_takes_a_rate_with_either_decimal_mark(args: str, rate: Decimal) -> None:
    trader = FakeTrader(scan_report=scan_report(3, 3))
    tg = await make_harness(trader=trader)
    await tg.send(f"/scan {args}")
    assert trader.calls == [("scan", rate)]


@pytest.mark.parametrize("args", ["abc", "7.5.1", "1 2", "-100", "100000", "7,5,5", "%"])
async def test_a_bad_rate_gets_the_syntax_and_scans_nothing(args: str) -> None:
    trader = FakeTrader()
    tg = await make_harness(trader=trader)
    await tg.send(f"/scan {args}")
    assert trader.calls == []
    [reply] = tg.session.texts(OWNER)
    assert "is not a rate in % a year" in reply
    assert "Usage: /scan [RATE]" in reply
    assert not _documents(tg.session.sent(OWNER))


async def test_scan_with_nothing_beating_the_rate_says_so_and_still_sends_the_file() -> None:
    trader = FakeTrader(scan_report=scan_report(0, 0))
    tg = await make_harness(trader=trader)
    await tg.send("/scan 99")
    transcript = tg.session.transcript()
    assert "none of 117 pairs beats 7.5 % a year on margin" in transcript
    assert not _tables(tg.session.sent(OWNER))
    [document] = _documents(tg.session.sent(OWNER))
    assert (document.document or b"").decode().count("\n") == 1  # the header alone


async def test_scan_outside_the_session_says_last_prices() -> None:
    trader = FakeTrader(scan_report=scan_report(5, 5, source="last"))
    tg = await make_harness(trader=trader)
    await tg.send("/scan")
    assert "Outside the session: last trade prices." in tg.session.transcript()


async def test_scan_in_russian_uses_the_decimal_comma() -> None:
    trader = FakeTrader(scan_report=scan_report(3, 3))
    tg = await make_harness("ru", trader=trader)
    await tg.send("/scan 7,5")
    transcript = html.unescape(tg.session.transcript())
    assert "Ищу спреды по всему рынку…" in transcript
    assert "3 из 117 пар дают больше 7,5 % годовых на маржу" in transcript
    assert "   31001 300,25 974,00 13706" in transcript
    assert "199,7" in transcript


async def test_dscan_shows_implied_and_declared_dividends_and_a_csv() -> None:
    trader = FakeTrader(dividend_report=dividend_report(count=60, top=50))
    tg = await make_harness(trader=trader)
    await tg.send("/dscan")
    assert trader.calls == [("dividend_scan", 50)]
    sent = tg.session.sent(OWNER)
    transcript = html.unescape(tg.session.transcript())
    assert "Scanning the market for implied dividends…" in transcript
    assert "top 50 of 60 share–future pairs" in transcript
    assert "+ 25 dividend look-ups" in transcript
    assert " 1 S001/F001M6      99    6.1 ✓" in transcript
    assert "   18.30 17.90 12.07 -1024" in transcript  # implied, declared on 12 Jul, spread
    assert "   18.20 — -1023" in transcript  # nothing declared
    assert "Outside the session: last trade prices." in transcript
    for table in _tables(sent):
        assert len(table.text or "") <= TEXT_LIMIT
    [document] = _documents(sent)
    rows = list(csv.DictReader(io.StringIO((document.document or b"").decode("utf-8"))))
    assert len(rows) == 60
    assert rows[0]["implied_dividend_rub"] == "18.30"
    assert rows[0]["declared_dividend_rub"] == "17.90"
    assert rows[0]["declared_record_date"] == "2026-07-12"
    assert rows[1]["declared_dividend_rub"] == ""


@pytest.mark.parametrize(("args", "top"), [("10", 10), ("1", 1), ("500", 500)])
async def test_dscan_takes_a_row_count(args: str, top: int) -> None:
    trader = FakeTrader()
    tg = await make_harness(trader=trader)
    await tg.send(f"/dscan {args}")
    assert trader.calls == [("dividend_scan", top)]


@pytest.mark.parametrize("args", ["0", "501", "x", "2.5", "-3", "1 2"])
async def test_a_bad_row_count_gets_the_syntax(args: str) -> None:
    trader = FakeTrader()
    tg = await make_harness(trader=trader)
    await tg.send(f"/dscan {args}")
    assert trader.calls == []
    [reply] = tg.session.texts(OWNER)
    assert "is not a number of rows from 1 to 500" in reply
    assert "Usage: /dscan [N]" in reply
