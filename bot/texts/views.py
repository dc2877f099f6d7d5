"""Texts of the owner's views: /portfolio, /orders, /stats, /chart (EN and RU, same keys)."""

from __future__ import annotations

EN: dict[str, str] = {
    "views.portfolio.title": "Portfolio at {time}",
    "views.portfolio.empty": "No positions.",
    "views.portfolio.position": "{ticker} {quantity} pcs · {average} → {current}",
    "views.portfolio.figures": "   {value} ₽ · P&L {pnl} ₽ ({percent})",
    "views.portfolio.spread": "Spread {label}: net P&L {pnl} ₽, value {value} ₽",
    "views.portfolio.cash": "Cash: {cash}",
    "views.portfolio.margin": "Margin: used {used} ₽, free {free} ₽ (liquid {liquid} ₽)",
    "views.portfolio.total": "Total: {total} ₽",
    "views.orders.title": "Live orders: {orders}, stop orders: {stops}",
    "views.orders.none": "No live orders or stop orders.",
    "views.orders.order": "{direction} {ticker} {executed}/{lots} lots @ {price}{task}",
    "views.orders.stop": "stop {type} {direction} {ticker} {lots} lots at {stop_price}{price}",
    "views.orders.stop_limit": " → {price}",
    "views.orders.stops": "Stop orders:",
    "views.orders.task": " — {kind} #{id}{leg}",
    "views.orders.not_ours": " — not placed by Trademan",
    "views.orders.kind.sellbuy": "sell/buy task",
    "views.orders.kind.spread": "spread",
    "views.stats.title": "Results {period}:",
    "views.stats.period.today": "today",
    "views.stats.period.week": "for the last 7 days",
    "views.stats.period.month": "for the last 30 days",
    "views.stats.period.all": "for all time",
    "views.stats.none": "No fills {period}.",
    "views.stats.row": (
        "{task}: {direction} {ticker} — {fills} fills, {pieces} pcs, {volume} ₽, "
        "commission {commission} ₽, average {average}"
    ),
    "views.stats.row_improvement": "   saved {roubles} ₽ ({bp} bp) against crossing the spread",
    "views.stats.no_task": "no task",
    "views.stats.patience": "Patience saved {roubles} ₽ ({bp} bp) {period} on {fills} fills.",
    "views.stats.spread": (
        "Spread #{id} {title}: realised {average} against the target {target} ({better})"
    ),
    "views.stats.better": "{value} better",
    "views.stats.worse": "{value} worse",
    "views.stats.totals": "Total: {fills} fills, {volume} ₽, commission {commission} ₽.",
    "views.stats.commission_unknown": (
        "The commission of {orders} order(s) is not known yet (learnt within a minute)."
    ),
    "views.chart.caption": "{title}: executable price against the target {target}; {fills} fills",
    "views.chart.no_target": "none",
    "views.chart.sell": "to sell",
    "views.chart.buy": "to buy",
    "views.chart.sell_bid": "best bid",
    "views.chart.buy_ask": "best ask",
    "views.chart.target": "target",
    "views.chart.fills": "fills",
    "views.chart.empty": "No prices recorded yet: they are recorded while the task runs.",
    "views.chart.usage": "Usage: /chart N (spread N) or /chart sb N (sell/buy task N).",
    "views.bad_period": "Usage: /stats [today|week|month|all] (one of: {periods}).",
    "views.no_spread": "No spread #{id} in the Base.",
    "views.no_sellbuy": "No sell/buy task #{id} in the Base.",
    "views.side.buy": "buy",
    "views.side.sell": "sell",
}

RU: dict[str, str] = {
    "views.portfolio.title": "Портфель на {time}",
    "views.portfolio.empty": "Позиций нет.",
    "views.portfolio.position": "{ticker} {quantity} шт · {average} → {current}",
    "views.portfolio.figures": "   {value} ₽ · прибыль {pnl} ₽ ({percent})",
    "views.portfolio.spread": "Спред {label}: итог {pnl} ₽, стоимость {value} ₽",
    "views.portfolio.cash": "Деньги: {cash}",
    "views.portfolio.margin": (
        "Маржа: занято {used} ₽, свободно {free} ₽ (ликвидный портфель {liquid} ₽)"
    ),
    "views.portfolio.total": "Итого: {total} ₽",
    "views.orders.title": "Заявки: {orders}, стоп-заявки: {stops}",
    "views.orders.none": "Нет ни заявок, ни стоп-заявок.",
    "views.orders.order": "{direction} {ticker} {executed}/{lots} лот. по {price}{task}",
    "views.orders.stop": "стоп {type} {direction} {ticker} {lots} лот. при {stop_price}{price}",
    "views.orders.stop_limit": " → {price}",
    "views.orders.stops": "Стоп-заявки:",
    "views.orders.task": " — {kind} #{id}{leg}",
    "views.orders.not_ours": " — выставлена не Trademan",
    "views.orders.kind.sellbuy": "задача купли/продажи",
    "views.orders.kind.spread": "спред",
    "views.stats.title": "Итоги {period}:",
    "views.stats.period.today": "за сегодня",
    "views.stats.period.week": "за 7 дней",
    "views.stats.period.month": "за 30 дней",
    "views.stats.period.all": "за всё время",
    "views.stats.none": "Сделок {period} нет.",
    "views.stats.row": (
        "{task}: {direction} {ticker} — сделок {fills}, {pieces} шт, {volume} ₽, "
        "комиссия {commission} ₽, средняя {average}"
    ),
    "views.stats.row_improvement": "   выигрыш {roubles} ₽ ({bp} б.п.) против пересечения спреда",
    "views.stats.no_task": "без задачи",
    "views.stats.patience": (
        "Терпение сэкономило {roubles} ₽ ({bp} б.п.) {period} на {fills} сделках."
    ),
    "views.stats.spread": (
        "Спред #{id} {title}: исполнен в среднем по {average} при цели {target} ({better})"
    ),
    "views.stats.better": "лучше на {value}",
    "views.stats.worse": "хуже на {value}",
    "views.stats.totals": "Итого: сделок {fills}, {volume} ₽, комиссия {commission} ₽.",
    "views.stats.commission_unknown": (
        "Комиссия по заявкам ({orders}) ещё не известна (узнаем в течение минуты)."
    ),
    "views.chart.caption": "{title}: исполнимая цена против цели {target}; сделок {fills}",
    "views.chart.no_target": "нет",
    "views.chart.sell": "продать",
    "views.chart.buy": "купить",
    "views.chart.sell_bid": "лучший бид",
    "views.chart.buy_ask": "лучший аск",
    "views.chart.target": "цель",
    "views.chart.fills": "сделки",
    "views.chart.empty": "Цен пока нет: они записываются, пока задача работает.",
    "views.chart.usage": "Формат: /chart N (спред N) или /chart sb N (задача купли/продажи N).",
    "views.bad_period": "Формат: /stats [today|week|month|all] (одно из: {periods}).",
    "views.no_spread": "В Базе нет спреда #{id}.",
    "views.no_sellbuy": "В Базе нет задачи купли/продажи #{id}.",
    "views.side.buy": "покупка",
    "views.side.sell": "продажа",
}
