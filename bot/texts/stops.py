"""Texts of the stop-order family: /stops, /shorts, /nuke, /cancel, /stash, /restore."""

from __future__ import annotations

EN: dict[str, str] = {
    "menu.stops": "buy stop orders below the price (whitelist)",
    "menu.shorts": "sell stop orders above the price",
    "menu.nuke": "four buy stops: /nuke TICKER SUM",
    "menu.cancel": "cancel every order and stop order",
    "menu.stash": "save the active stop orders",
    "menu.restore": "place the stashed stop orders again",
    "stops.help": (
        "/stops — buy stop orders below the price for the whitelist\n"
        "/shorts — sell stop orders above the price (shortable shares; asks first)\n"
        "/nuke TICKER SUM — four buy stops at 100, 99, 95, 93 % of the price\n"
        "/cancel — stop every task, cancel every order and stop order (asks first)\n"
        "/stash — save the active stop orders in the Base\n"
        "/restore — place the stashed stop orders again (asks first)"
    ),
    "stops.planning": "Planning /{kind}…",
    "stops.plan": (
        "/{kind}: {count} stop orders on {instruments} instruments, {value} RUB in total.\n"
        "{levels}Expire: {expire}. Time at the broker's rate (50/min): about {time}."
    ),
    "stops.plan_levels": "Levels: {levels} % from the price, {sum} RUB each.\n",
    "stops.plan_restore": (
        "/restore: {count} stashed stop orders to place again, {value} RUB in total "
        "({active} already active, skipped). Time at the broker's rate: about {time}."
    ),
    "stops.plan_line": "{ticker} {direction} {lots} × {lot} at {price} ({value} RUB)",
    "stops.plan_skipped": "Skipped ({count}):",
    "stops.skip_line": "{ticker}: {reason}",
    "stops.direction.buy": "buy",
    "stops.direction.sell": "sell",
    "stops.skip_not_api": "not tradable by API",
    "stops.skip_not_buyable": "buying not available",
    "stops.skip_not_sellable": "selling not available",
    "stops.skip_not_shortable": "cannot be shorted",
    "stops.skip_no_price": "no current price",
    "stops.skip_zero_lots": "level {level} %: the sum buys no whole lot at {price} (lot {lot})",
    "stops.skip_closed": "stop orders are not accepted today (weekend or holiday)",
    "stops.skip_order_value": "order of {value} RUB is above the limit of one order ({limit})",
    "stops.nuke_too_small": (
        "{ticker}: a quarter of the sum ({sum} RUB) buys less than one lot "
        "({lot_price} RUB). Nothing placed."
    ),
    "stops.closed_today": (
        "The broker takes no stop orders today (weekend or holiday). Nothing placed."
    ),
    "stops.shares_only": "{ticker} is not a share: stop-order commands take shares only.",
    "stops.nuke_usage": "Usage: /nuke TICKER SUM, e.g. /nuke SBER 400000",
    "stops.empty_whitelist": "The whitelist (minus the blacklist) is empty: nothing to place.",
    "stops.stash_empty": "The stash is empty: nothing to restore.",
    "stops.stash_nothing": (
        "No active stop orders on the account: the stash is left as it is (never replaced "
        "with nothing)."
    ),
    "stops.nothing_to_place": "Nothing to place.",
    "stops.bulk_value_too_big": (
        "The plan is worth {value} RUB, above the limit of a bulk command ({limit} RUB). "
        "Nothing placed."
    ),
    "stops.started": "{id} /{kind}: placing {count} stop orders.",
    "stops.progress": "{id} /{kind}: placed {done} of {total}, {failed} failed, about {left} left",
    "stops.progress_cancel": (
        "{id} /cancel: cancelled {done} of {total}, {failed} failed, about {left} left"
    ),
    "stops.finished_done": "{id} /{kind} finished: placed {done} of {total} in {time}.",
    "stops.finished_stopped": (
        "{id} /{kind} stopped: placed {done} of {total}; {not_sent} not sent."
    ),
    "stops.failed_header": "Failed ({count}):",
    "stops.failed_line": "{ticker} {direction} {lots} lots at {price}: {reason}",
    "stops.cancel_plan": (
        "/cancel: stop every task, then cancel {orders} orders and {stops} stop orders "
        "on the account. Time at the broker's rate: about {time}."
    ),
    "stops.cancel_started": (
        "{id} /cancel: every task stopped; cancelling {count} orders and stop orders."
    ),
    "stops.cancel_nothing": "{id} /cancel: every task stopped; no orders or stop orders to cancel.",
    "stops.cancel_finished": (
        "{id} /cancel finished: cancelled {orders} orders and {stops} stop orders in {time}."
    ),
    "stops.cancel_stopped": (
        "{id} /cancel stopped: cancelled {orders} orders and {stops} stop orders; {not_sent} left."
    ),
    "stops.stashed": "Stashed {saved} active stop orders in the Base (the stash had {replaced}).",
    "stops.activated": (
        "Stop order fired: {direction} {lots} lots {ticker} at {price}. The order: {status}{fill}."
    ),
    "stops.activated_fill": ", {lots} lots at {price}",
    "stops.status.new": "placed, waiting",
    "stops.status.partially_filled": "partly filled",
    "stops.status.filled": "filled",
    "stops.status.cancelled": "cancelled",
    "stops.status.rejected": "rejected",
    "stops.status.unknown": "unknown yet",
}

RU: dict[str, str] = {
    "menu.stops": "стопы на покупку ниже цены (белый список)",
    "menu.shorts": "стопы на продажу выше цены",
    "menu.nuke": "четыре стопа на покупку: /nuke ТИКЕР СУММА",
    "menu.cancel": "снять все заявки и стоп-заявки",
    "menu.stash": "сохранить активные стоп-заявки",
    "menu.restore": "выставить сохранённые стоп-заявки снова",
    "stops.help": (
        "/stops — стоп-заявки на покупку ниже цены по белому списку\n"
        "/shorts — стоп-заявки на продажу выше цены (акции с шортом; с подтверждением)\n"
        "/nuke ТИКЕР СУММА — четыре стопа на покупку: 100, 99, 95, 93 % цены\n"
        "/cancel — остановить все задачи, снять все заявки и стоп-заявки (с подтверждением)\n"
        "/stash — сохранить активные стоп-заявки в Базе\n"
        "/restore — выставить сохранённые стоп-заявки снова (с подтверждением)"
    ),
    "stops.planning": "Считаю план /{kind}…",
    "stops.plan": (
        "/{kind}: {count} стоп-заявок по {instruments} инструментам, всего {value} ₽.\n"
        "{levels}Срок: до {expire}. Время при лимите брокера (50/мин): около {time}."
    ),
    "stops.plan_levels": "Уровни: {levels} % от цены, по {sum} ₽.\n",
    "stops.plan_restore": (
        "/restore: {count} сохранённых стоп-заявок выставить снова, всего {value} ₽ "
        "({active} уже активны, пропущены). Время при лимите брокера: около {time}."
    ),
    "stops.plan_line": "{ticker} {direction} {lots} × {lot} по {price} ({value} ₽)",
    "stops.plan_skipped": "Пропущено ({count}):",
    "stops.skip_line": "{ticker}: {reason}",
    "stops.direction.buy": "покупка",
    "stops.direction.sell": "продажа",
    "stops.skip_not_api": "недоступен для торговли через API",
    "stops.skip_not_buyable": "покупка недоступна",
    "stops.skip_not_sellable": "продажа недоступна",
    "stops.skip_not_shortable": "нельзя шортить",
    "stops.skip_no_price": "нет текущей цены",
    "stops.skip_zero_lots": (
        "уровень {level} %: на сумму не купить целого лота по {price} (лот {lot})"
    ),
    "stops.skip_closed": "сегодня стоп-заявки не принимаются (выходной или праздник)",
    "stops.skip_order_value": "заявка на {value} ₽ больше лимита одной заявки ({limit})",
    "stops.nuke_too_small": (
        "{ticker}: на четверть суммы ({sum} ₽) не купить и одного лота "
        "({lot_price} ₽). Ничего не выставлено."
    ),
    "stops.closed_today": (
        "Сегодня брокер не принимает стоп-заявки (выходной или праздник). Ничего не выставлено."
    ),
    "stops.shares_only": "{ticker} — не акция: стоп-команды работают только с акциями.",
    "stops.nuke_usage": "Формат: /nuke ТИКЕР СУММА, например /nuke SBER 400000",
    "stops.empty_whitelist": "Белый список (без чёрного) пуст: выставлять нечего.",
    "stops.stash_empty": "Сохранённых стоп-заявок нет: восстанавливать нечего.",
    "stops.stash_nothing": (
        "На счёте нет активных стоп-заявок: сохранённые остаются как были (пустым списком "
        "не заменяются)."
    ),
    "stops.nothing_to_place": "Выставлять нечего.",
    "stops.bulk_value_too_big": (
        "План на {value} ₽ больше лимита массовой команды ({limit} ₽). Ничего не выставлено."
    ),
    "stops.started": "{id} /{kind}: выставляю {count} стоп-заявок.",
    "stops.progress": (
        "{id} /{kind}: выставлено {done} из {total}, ошибок {failed}, осталось около {left}"
    ),
    "stops.progress_cancel": (
        "{id} /cancel: снято {done} из {total}, ошибок {failed}, осталось около {left}"
    ),
    "stops.finished_done": "{id} /{kind} готово: выставлено {done} из {total} за {time}.",
    "stops.finished_stopped": (
        "{id} /{kind} остановлено: выставлено {done} из {total}; не отправлено {not_sent}."
    ),
    "stops.failed_header": "Не удалось ({count}):",
    "stops.failed_line": "{ticker} {direction} {lots} лот. по {price}: {reason}",
    "stops.cancel_plan": (
        "/cancel: остановить все задачи, затем снять {orders} заявок и {stops} стоп-заявок "
        "на счёте. Время при лимитах брокера: около {time}."
    ),
    "stops.cancel_started": (
        "{id} /cancel: все задачи остановлены; снимаю {count} заявок и стоп-заявок."
    ),
    "stops.cancel_nothing": "{id} /cancel: все задачи остановлены; заявок и стоп-заявок нет.",
    "stops.cancel_finished": (
        "{id} /cancel готово: снято {orders} заявок и {stops} стоп-заявок за {time}."
    ),
    "stops.cancel_stopped": (
        "{id} /cancel остановлено: снято {orders} заявок и {stops} стоп-заявок; "
        "осталось {not_sent}."
    ),
    "stops.stashed": "Сохранено {saved} активных стоп-заявок в Базе (было {replaced}).",
    "stops.activated": (
        "Сработала стоп-заявка: {direction} {lots} лот. {ticker} по {price}. "
        "Заявка: {status}{fill}."
    ),
    "stops.activated_fill": ", {lots} лот. по {price}",
    "stops.status.new": "выставлена, ждёт",
    "stops.status.partially_filled": "исполнена частично",
    "stops.status.filled": "исполнена",
    "stops.status.cancelled": "снята",
    "stops.status.rejected": "отклонена",
    "stops.status.unknown": "пока неизвестно",
}
