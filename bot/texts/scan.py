"""Texts of the market scanners /scan and /dscan (English and Russian)."""

from __future__ import annotations

EN: dict[str, str] = {
    "scan.started": "Scanning the market for spreads…",
    "scan.dividends_started": "Scanning the market for implied dividends…",
    "scan.usage": "Usage: /scan [RATE] — RATE in % a year, e.g. /scan 7.5 (default from settings)",
    "scan.dscan_usage": "Usage: /dscan [N] — the N highest implied dividend yields, 1–{max}",
    "scan.bad_rate": "“{value}” is not a rate in % a year. {usage}",
    "scan.bad_top": "“{value}” is not a number of rows from 1 to {max}. {usage}",
    "scan.unsupported": "This broker connection cannot scan the market.",
    "scan.summary": (
        "/scan: {matched} of {pairs} pairs beat {rate} % a year on margin{shown}.\n"
        "Broker requests: {market} for the whole market ({methods}) + {books} order books; "
        "{seconds} s."
    ),
    "scan.shown": ", the best {count} shown",
    "scan.none": "/scan: none of {pairs} pairs beats {rate} % a year on margin.\n"
    "Broker requests: {market} for the whole market ({methods}) + {books} order books; "
    "{seconds} s.",
    "scan.legend": (
        "Profit and margin in ₽ per far piece; ✓ both legs tradable by API now; "
        "* re-priced from the order books (far sold at the bid, near bought at the ask), "
        "others at last prices."
    ),
    "scan.legend_closed": (
        "Profit and margin in ₽ per far piece; ✓ both legs tradable by API now. "
        "Outside the session: last trade prices."
    ),
    "scan.header": "   pair           days   %/yr\n   far · near · profit · margin",
    "scan.file_caption": "/scan: all {count} pairs beating {rate} % (CSV)",
    "scan.dsummary": (
        "/dscan: dividends implied by futures (carry {carry} % a year), "
        "top {shown} of {pairs} share–future pairs.\n"
        "Broker requests: {market} for the whole market ({methods}) + {books} order books "
        "+ {dividends} dividend look-ups; {seconds} s."
    ),
    "scan.dnone": "/dscan: no share–future pair could be priced.",
    "scan.dlegend": (
        "Implied dividend in ₽ per share, yield on the share price, "
        "declared: the broker's declared dividend with a record date before the expiry; "
        "spread in ₽ per contract; ✓ tradable by API now; * priced from the order books."
    ),
    "scan.dlegend_closed": (
        "Implied dividend in ₽ per share, yield on the share price, "
        "declared: the broker's declared dividend with a record date before the expiry; "
        "spread in ₽ per contract; ✓ tradable by API now. "
        "Outside the session: last trade prices."
    ),
    "scan.dheader": "   share/future   days yield%\n   implied · declared · spread",
    "scan.declared_none": "—",
    "scan.declared": "{amount} {date}",
    "scan.dfile_caption": "/dscan: all {count} share–future pairs (CSV)",
}

RU: dict[str, str] = {
    "scan.started": "Ищу спреды по всему рынку…",
    "scan.dividends_started": "Ищу дивиденды, заложенные во фьючерсы…",
    "scan.usage": (
        "Формат: /scan [СТАВКА] — СТАВКА в % годовых, например /scan 7,5 (по умолчанию из настроек)"
    ),
    "scan.dscan_usage": "Формат: /dscan [N] — N лучших дивидендных доходностей, 1–{max}",
    "scan.bad_rate": "«{value}» — не ставка в % годовых. {usage}",
    "scan.bad_top": "«{value}» — не число строк от 1 до {max}. {usage}",
    "scan.unsupported": "Это подключение к брокеру не умеет сканировать рынок.",
    "scan.summary": (
        "/scan: {matched} из {pairs} пар дают больше {rate} % годовых на маржу{shown}.\n"
        "Запросов к брокеру: {market} на весь рынок ({methods}), стаканов: {books}; {seconds} с."
    ),
    "scan.shown": ", показаны {count} лучших",
    "scan.none": "/scan: ни одна из {pairs} пар не даёт больше {rate} % годовых на маржу.\n"
    "Запросов к брокеру: {market} на весь рынок ({methods}), стаканов: {books}; {seconds} с.",
    "scan.legend": (
        "Прибыль и маржа в ₽ на штуку дальней ноги; ✓ обе ноги торгуются через API сейчас; "
        "* цены из стаканов (дальняя продаётся по биду, ближняя покупается по аску), "
        "остальные — по последним сделкам."
    ),
    "scan.legend_closed": (
        "Прибыль и маржа в ₽ на штуку дальней ноги; ✓ обе ноги торгуются через API сейчас. "
        "Вне сессии: цены последних сделок."
    ),
    "scan.header": "   пара           дней   %год\n   дальняя · ближняя · прибыль · маржа",
    "scan.file_caption": "/scan: все пары выше {rate} % (CSV), строк: {count}",
    "scan.dsummary": (
        "/dscan: дивиденды, заложенные во фьючерсы (ставка {carry} % годовых), "
        "{shown} лучших из {pairs} пар акция–фьючерс.\n"
        "Запросов к брокеру: {market} на весь рынок ({methods}), стаканов: {books}, "
        "дивидендов: {dividends}; {seconds} с."
    ),
    "scan.dnone": "/dscan: ни одну пару акция–фьючерс не удалось оценить.",
    "scan.dlegend": (
        "Дивиденд в ₽ на акцию, доходность к цене акции, "
        "объявлен: дивиденд, известный брокеру, с датой отсечки до экспирации; "
        "спред в ₽ на контракт; ✓ торгуется через API сейчас; * цены из стаканов."
    ),
    "scan.dlegend_closed": (
        "Дивиденд в ₽ на акцию, доходность к цене акции, "
        "объявлен: дивиденд, известный брокеру, с датой отсечки до экспирации; "
        "спред в ₽ на контракт; ✓ торгуется через API сейчас. "
        "Вне сессии: цены последних сделок."
    ),
    "scan.dheader": "   акция/фьючерс  дней   дох%\n   дивиденд · объявлен · спред",
    "scan.declared_none": "—",
    "scan.declared": "{amount} {date}",
    "scan.dfile_caption": "/dscan: все пары акция–фьючерс (CSV), строк: {count}",
}
