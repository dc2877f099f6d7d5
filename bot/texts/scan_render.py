"""/scan and /dscan results as the owner reads them: a summary, a compact monospaced table that
fits a phone screen (two lines per row, split across messages), and the full result as CSV.

Numbers are formatted for the instrument: prices to its price increment, roubles to kopecks
(whole roubles from 1 000 up in the table), percentages with one decimal.
"""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from bot.engine.scanners.report import DividendReport, DividendRow, Requests, ScanReport, ScanRow
from bot.texts import Texts
from bot.texts.format import moscow

#: Characters of one table message (Telegram takes 4096; the markup and a margin stay out).
MESSAGE_BUDGET = 3500
#: Width of the pair column.
PAIR_WIDTH = 15


@dataclass(frozen=True, slots=True)
class Rendered:
    summary: str
    tables: tuple[str, ...]  # HTML (<pre>…</pre>), each one message
    legend: str
    csv_name: str
    csv_text: str
    csv_caption: str


def places_of(increment: Decimal) -> int:
    """Decimal places of a price increment (0.01 → 2, 0.5 → 1, 1 → 0)."""
    exponent = increment.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _plain(value: Decimal, places: int, language: str) -> str:
    """A table number: no thousands grouping (columns are separated by spaces)."""
    text = f"{value.quantize(Decimal(1).scaleb(-places)):f}"
    return text.replace(".", ",") if language == "ru" else text


def roubles_text(value: Decimal, language: str) -> str:
    return _plain(value, 0 if abs(value) >= 1000 else 2, language)


def percent_text(value: Decimal, language: str) -> str:
    return _plain(value, 1, language)


def _price(value: Decimal, increment: Decimal, language: str) -> str:
    return _plain(value, places_of(increment), language)


def _methods(requests: Requests) -> str:
    return ", ".join(f"{name} {count}" for name, count in sorted(requests.market.items()))


def _seconds(value: float, language: str) -> str:
    return _plain(Decimal(str(round(value, 2))), 2, language)


def _flags(tradable: bool, source: str) -> str:
    return ("✓" if tradable else "·") + ("*" if source == "book" else " ")


def _chunks(header: str, rows: Sequence[str]) -> tuple[str, ...]:
    """`<pre>` messages of whole rows, each within MESSAGE_BUDGET characters."""
    out: list[str] = []
    current: list[str] = []
    size = len(html.escape(header))
    for row in rows:
        length = len(html.escape(row)) + 1
        if current and size + length > MESSAGE_BUDGET:
            out.append(_pre(header, current))
            current, size = [], len(html.escape(header))
        current.append(row)
        size += length
    if current:
        out.append(_pre(header, current))
    return tuple(out)


def _pre(header: str, rows: Sequence[str]) -> str:
    return "<pre>" + html.escape("\n".join([header, *rows])) + "</pre>"


# ---- /scan -----------------------------------------------------------------------------------


def scan_table_row(texts: Texts, index: int, row: ScanRow) -> str:
    lang = texts.language
    pair = f"{row.far}/{row.near}"
    first = (
        f"{index:>2} {pair:<{PAIR_WIDTH}}{row.days:>4} {percent_text(row.annual_percent, lang):>6}"
        f" {_flags(row.tradable, row.source)}"
    )
    second = "   " + " ".join(
        (
            _price(row.far_price, row.far_increment, lang),
            _price(row.near_price, row.near_increment, lang),
            roubles_text(row.profit, lang),
            roubles_text(row.margin, lang),
        )
    )
    return first + "\n" + second


def render_scan(texts: Texts, report: ScanReport) -> Rendered:
    all_rows = report.all_rows
    lang = texts.language
    common = {
        "pairs": report.pairs,
        "rate": percent_text(report.rate, lang),
        "market": report.requests.market_total,
        "methods": _methods(report.requests),
        "books": report.requests.books,
        "seconds": _seconds(report.seconds, lang),
    }
    if not report.rows:
        summary = texts("scan.none", **common)
    else:
        shown = (
            texts("scan.shown", count=len(report.rows)) if report.matched > len(report.rows) else ""
        )
        summary = texts("scan.summary", matched=report.matched, shown=shown, **common)
    rows = [scan_table_row(texts, n, row) for n, row in enumerate(report.rows, 1)]
    repriced = report.in_session or any(row.source == "book" for row in report.rows)
    stamp = moscow(report.at).strftime("%Y%m%d-%H%M")
    return Rendered(
        summary=summary,
        tables=_chunks(texts("scan.header"), rows) if rows else (),
        legend=texts("scan.legend" if repriced else "scan.legend_closed") if rows else "",
        csv_name=f"scan-{stamp}.csv",
        csv_text=scan_csv(all_rows),
        csv_caption=texts("scan.file_caption", count=len(all_rows), rate=common["rate"]),
    )


def scan_csv(rows: Sequence[ScanRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        [
            "rank",
            "kind",
            "far",
            "near",
            "ratio",
            "far_price",
            "near_price",
            "profit_rub",
            "margin_rub",
            "days",
            "far_expiry",
            "annual_percent",
            "tradable",
            "priced_from",
        ]
    )
    for n, row in enumerate(rows, 1):
        writer.writerow(
            [
                n,
                row.kind,
                row.far,
                row.near,
                _plain(row.ratio, places_of(row.ratio), "en"),
                _price(row.far_price, row.far_increment, "en"),
                _price(row.near_price, row.near_increment, "en"),
                _plain(row.profit, 2, "en"),
                _plain(row.margin, 2, "en"),
                row.days,
                row.far_expiry.isoformat(),
                _plain(row.annual_percent, 1, "en"),
                "yes" if row.tradable else "no",
                row.source,
            ]
        )
    return out.getvalue()


# ---- /dscan ----------------------------------------------------------------------------------


def _dividend_places(row: DividendRow) -> int:
    return min(max(2, places_of(row.share_increment)), 4)


def dividend_table_row(texts: Texts, index: int, row: DividendRow) -> str:
    lang = texts.language
    pair = f"{row.share}/{row.future}"
    places = _dividend_places(row)
    first = (
        f"{index:>2} {pair:<{PAIR_WIDTH}}{row.days:>4} {percent_text(row.yield_percent, lang):>6}"
        f" {_flags(row.tradable, row.source)}"
    )
    if row.declared is None or row.declared_record is None:
        declared = texts("scan.declared_none")
    else:
        declared = texts(
            "scan.declared",
            amount=_plain(row.declared, places, lang),
            date=row.declared_record.strftime("%d.%m"),
        )
    second = "   " + " ".join(
        (_plain(row.implied, places, lang), declared, roubles_text(row.spread, lang))
    )
    return first + "\n" + second


def render_dividends(texts: Texts, report: DividendReport) -> Rendered:
    all_rows = report.all_rows
    lang = texts.language
    if not report.rows:
        summary = texts("scan.dnone")
    else:
        summary = texts(
            "scan.dsummary",
            carry=percent_text(report.carry_percent, lang),
            shown=len(report.rows),
            pairs=report.pairs,
            market=report.requests.market_total,
            methods=_methods(report.requests),
            books=report.requests.books,
            dividends=report.requests.dividends,
            seconds=_seconds(report.seconds, lang),
        )
    rows = [dividend_table_row(texts, n, row) for n, row in enumerate(report.rows, 1)]
    stamp = moscow(report.at).strftime("%Y%m%d-%H%M")
    return Rendered(
        summary=summary,
        tables=_chunks(texts("scan.dheader"), rows) if rows else (),
        legend=(
            texts("scan.dlegend" if report.in_session else "scan.dlegend_closed") if rows else ""
        ),
        csv_name=f"dscan-{stamp}.csv",
        csv_text=dividend_csv(all_rows),
        csv_caption=texts("scan.dfile_caption", count=len(all_rows)),
    )


def dividend_csv(rows: Sequence[DividendRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        [
            "rank",
            "share",
            "future",
            "ratio",
            "share_price",
            "future_price",
            "implied_dividend_rub",
            "yield_percent",
            "days",
            "expiry",
            "spread_rub",
            "declared_dividend_rub",
            "declared_record_date",
            "tradable",
            "priced_from",
        ]
    )
    for n, row in enumerate(rows, 1):
        places = _dividend_places(row)
        writer.writerow(
            [
                n,
                row.share,
                row.future,
                _plain(row.ratio, places_of(row.ratio), "en"),
                _price(row.share_price, row.share_increment, "en"),
                _price(row.future_price, row.future_increment, "en"),
                _plain(row.implied, places, "en"),
                _plain(row.yield_percent, 1, "en"),
                row.days,
                row.expiry.isoformat(),
                _plain(row.spread, 2, "en"),
                "" if row.declared is None else _plain(row.declared, places, "en"),
                "" if row.declared_record is None else row.declared_record.isoformat(),
                "yes" if row.tradable else "no",
                row.source,
            ]
        )
    return out.getvalue()
