"""Made-up /scan and /dscan reports for the Telegram and console tests."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from bot.engine.scanners.report import (
    DividendReport,
    DividendRow,
    Requests,
    ScanReport,
    ScanRow,
)

AT = datetime(2026, 3, 11, 9, 0, tzinfo=UTC)
REQUESTS = Requests(market={"Shares": 1, "Futures": 1, "GetLastPrices": 1}, books=20)


def scan_row(n: int, *, source: str = "book") -> ScanRow:
    return ScanRow(
        kind="stock" if n % 3 else "futures",
        far=f"F{n:03d}M6",
        near=f"S{n:03d}",
        far_price=Decimal(31000 + n),
        near_price=Decimal("300.25"),
        far_increment=Decimal(1),
        near_increment=Decimal("0.01"),
        ratio=Decimal(100),
        profit=Decimal(975) - n,
        margin=Decimal("13706.25"),
        days=99,
        annual_percent=Decimal(200) - Decimal(n) / 3,
        tradable=n % 2 == 0,
        source=source,  # type: ignore[arg-type]
        far_expiry=date(2026, 6, 18),
    )


def scan_report(matched: int = 100, shown: int = 70, *, source: str = "book") -> ScanReport:
    rows = tuple(scan_row(n, source=source) for n in range(1, matched + 1))
    return ScanReport(
        rows=rows[:shown],
        rate=Decimal("7.5"),
        pairs=117,
        matched=matched,
        repriced=10,
        requests=REQUESTS,
        at=AT,
        seconds=0.25,
        all_rows=rows,
        in_session=source == "book",
    )


def dividend_row(n: int) -> DividendRow:
    return DividendRow(
        share=f"S{n:03d}",
        future=f"F{n:03d}M6",
        share_price=Decimal("300.25"),
        future_price=Decimal(29000 + n),
        share_increment=Decimal("0.01"),
        future_increment=Decimal(1),
        ratio=Decimal(100),
        implied=Decimal("18.4") - Decimal(n) / 10,
        yield_percent=Decimal("6.1") - Decimal(n) / 30,
        days=99,
        spread=Decimal(-1025) + n,
        tradable=True,
        source="last",
        expiry=date(2026, 6, 18),
        declared=Decimal("17.9") if n % 2 else None,
        declared_record=date(2026, 7, 12) if n % 2 else None,
    )


def dividend_report(count: int = 60, top: int = 50) -> DividendReport:
    rows = tuple(dividend_row(n) for n in range(1, count + 1))
    return DividendReport(
        rows=rows[:top],
        carry_percent=Decimal(16),
        pairs=count,
        repriced=0,
        requests=Requests(market=REQUESTS.market, books=0, dividends=25),
        at=AT,
        seconds=0.5,
        all_rows=rows,
    )
