"""The owner's views rendered as text for a phone screen (/portfolio, /orders, /stats) and the
chart's caption and labels (/chart). Data comes from bot.engine.views."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from bot.engine.views.chart import Chart
from bot.engine.views.live_orders import LiveOrder
from bot.engine.views.portfolio import PortfolioView, PositionLine
from bot.engine.views.stats import Stats, StatsRow
from bot.texts import Texts
from bot.texts.format import format_decimal, format_money, format_time
from bot.texts.picture import ChartLabels


def _num(texts: Texts, value: Decimal | None) -> str:
    return "—" if value is None else format_decimal(value, texts.language)


def _price(texts: Texts, value: Decimal | None) -> str:
    """A price with at most four decimals (an average of many fills has more)."""
    if value is None:
        return "—"
    exponent = value.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -4:
        value = value.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
    return format_decimal(value, texts.language)


def _money(texts: Texts, value: Decimal | None) -> str:
    return "—" if value is None else format_money(value, texts.language)


def _signed(texts: Texts, value: Decimal | None) -> str:
    if value is None:
        return "—"
    text = format_money(value, texts.language)
    return text if value < 0 else "+" + text


def _percent(texts: Texts, value: Decimal | None) -> str:
    if value is None:
        return "—"
    text = format_decimal(value, texts.language, places=2)
    return (text if value < 0 else "+" + text) + " %"


def _position(texts: Texts, line: PositionLine, indent: str = "") -> list[str]:
    return [
        indent
        + texts(
            "views.portfolio.position",
            ticker=line.ticker,
            quantity=format_decimal(line.quantity, texts.language),
            average=_price(texts, line.average),
            current=_price(texts, line.current),
        ),
        indent
        + texts(
            "views.portfolio.figures",
            value=_money(texts, line.value),
            pnl=_signed(texts, line.pnl),
            percent=_percent(texts, line.pnl_percent),
        ),
    ]


def render_portfolio(texts: Texts, view: PortfolioView) -> str:
    lines = [texts("views.portfolio.title", time=format_time(view.taken_at, texts.language))]
    if not view.groups:
        lines.append(texts("views.portfolio.empty"))
    for group in view.groups:
        if group.label is None:
            lines += _position(texts, group.lines[0])
            continue
        lines.append(
            texts(
                "views.portfolio.spread",
                label=group.label,
                pnl=_signed(texts, group.pnl),
                value=_money(texts, group.value),
            )
        )
        for line in group.lines:
            lines += _position(texts, line, indent="  ")
    lines.append("")
    cash = ", ".join(f"{_money(texts, amount)} {currency}" for currency, amount in view.cash)
    lines.append(texts("views.portfolio.cash", cash=cash or "0"))
    if view.margin is not None:
        lines.append(
            texts(
                "views.portfolio.margin",
                used=_money(texts, view.margin.used),
                free=_money(texts, view.margin.free),
                liquid=_money(texts, view.margin.liquid),
            )
        )
    lines.append(texts("views.portfolio.total", total=_money(texts, view.total)))
    return "\n".join(lines)


def _task(texts: Texts, order: LiveOrder) -> str:
    if order.task_kind is None:
        return texts("views.orders.not_ours")
    leg = "" if order.leg is None else ", " + texts(f"leg.{order.leg}")
    return texts(
        "views.orders.task",
        kind=texts(f"views.orders.kind.{order.task_kind}"),
        id=order.task_id,
        leg=leg,
    )


def render_live_orders(texts: Texts, orders: list[LiveOrder]) -> str:
    plain = [o for o in orders if o.kind != "stop"]
    stops = [o for o in orders if o.kind == "stop"]
    if not orders:
        return texts("views.orders.none")
    lines = [texts("views.orders.title", orders=len(plain), stops=len(stops))]
    for o in plain:
        lines.append(
            texts(
                "views.orders.order",
                direction=texts(f"views.side.{o.direction}"),
                ticker=o.ticker,
                executed=o.lots_executed,
                lots=o.lots,
                price=_price(texts, o.price),
                task=_task(texts, o),
            )
        )
    if stops:
        lines.append(texts("views.orders.stops"))
    for o in stops:
        limit = ""
        if o.price is not None:
            limit = texts("views.orders.stop_limit", price=_num(texts, o.price))
        lines.append(
            texts(
                "views.orders.stop",
                type=o.stop_type.replace("_", "-"),
                direction=texts(f"views.side.{o.direction}"),
                ticker=o.ticker,
                lots=o.lots,
                stop_price=_num(texts, o.stop_price),
                price=limit,
            )
        )
    return "\n".join(lines)


def _row_task(texts: Texts, row: StatsRow) -> str:
    if not row.task_kind:
        return texts("views.stats.no_task")
    leg = "" if row.leg is None else " " + texts(f"leg.{row.leg}")
    return f"{texts(f'views.orders.kind.{row.task_kind}')} #{row.task_id}{leg}"


def render_stats(texts: Texts, stats: Stats) -> str:
    period = texts(f"views.stats.period.{stats.period}")
    if not stats.rows:
        return texts("views.stats.none", period=period)
    lines = [texts("views.stats.title", period=period)]
    for row in stats.rows:
        lines.append(
            texts(
                "views.stats.row",
                task=_row_task(texts, row),
                direction=texts(f"views.side.{row.direction}"),
                ticker=row.ticker,
                fills=row.fills,
                pieces=row.pieces,
                volume=_money(texts, row.volume),
                commission=_money(texts, row.commission),
                average=_price(texts, row.average_price),
            )
        )
        if row.improvement is not None and row.improvement.fills:
            lines.append(
                texts(
                    "views.stats.row_improvement",
                    roubles=_money(texts, row.improvement.roubles),
                    bp=_num(texts, row.improvement.bp),
                )
            )
    for spread in stats.spreads:
        better = spread.better_than_target
        if better is None:
            verdict = "—"
        elif better >= 0:
            verdict = texts("views.stats.better", value=_money(texts, better))
        else:
            verdict = texts("views.stats.worse", value=_money(texts, -better))
        lines.append(
            texts(
                "views.stats.spread",
                id=spread.task_id,
                title=spread.title,
                average=_money(texts, spread.average_spread),
                target=_money(texts, spread.target),
                better=verdict,
            )
        )
    lines.append("")
    if stats.improvement.fills:
        lines.append(
            texts(
                "views.stats.patience",
                roubles=_money(texts, stats.improvement.roubles),
                bp=_num(texts, stats.improvement.bp),
                period=period,
                fills=stats.improvement.fills,
            )
        )
    lines.append(
        texts(
            "views.stats.totals",
            fills=stats.fills,
            volume=_money(texts, stats.volume),
            commission=_money(texts, stats.commission),
        )
    )
    if stats.commission_unknown:
        lines.append(texts("views.stats.commission_unknown", orders=stats.commission_unknown))
    return "\n".join(lines)


def chart_caption(texts: Texts, chart: Chart) -> str:
    target = texts("views.chart.no_target") if chart.target is None else _num(texts, chart.target)
    kind = texts(f"views.orders.kind.{chart.task_kind}")
    return texts(
        "views.chart.caption",
        title=f"{kind} #{chart.task_id} {chart.title}",
        target=target,
        fills=len(chart.fills),
    )


def chart_labels(texts: Texts, chart: Chart) -> ChartLabels:
    spread = chart.task_kind == "spread"
    return ChartLabels(
        title=f"{texts(f'views.orders.kind.{chart.task_kind}')} #{chart.task_id} {chart.title}",
        sell=texts("views.chart.sell" if spread else "views.chart.sell_bid"),
        buy=texts("views.chart.buy" if spread else "views.chart.buy_ask"),
        target=texts("views.chart.target"),
        fills=texts("views.chart.fills"),
        empty=texts("views.chart.empty"),
        language=texts.language,
    )
