"""Texts of the money-safety checks: the start-up gate, sales that open a short, /dump of a
spread's leg, buying and selling by sum, tasks the broker refuses for good."""

from __future__ import annotations

EN: dict[str, str] = {
    "safety.engine_starting": (
        "The bot is still resuming the tasks that were running before the restart. "
        "Try again in a minute."
    ),
    "safety.short_needs_consent": (
        "⚠ Selling {amount} {ticker} with {position} held opens a short of {short} "
        "{short:plural:piece|pieces} (position after: {after})."
    ),
    "safety.dump_spread_leg": (
        "⚠ {pieces} of the {position} {ticker} held belong to the legs of spread(s) {spreads}: "
        "closing them leaves those spreads unhedged."
    ),
    "safety.budget_spent": (
        "{ticker}: the budget of {budget} ₽ does not pay for another lot at the price now; "
        "bought {executed} of {amount} {amount:plural:piece|pieces} for {spent} ₽ ({left} ₽ left)."
    ),
    "safety.task_switched_off": (
        "{ticker}: the broker will refuse this order again ({message}); the task is switched off. "
        "Change it in the admin and switch it on to try again."
    ),
    "safety.sell_sum_fixed": (
        "The sum is {amount} {amount:plural:piece|pieces} at the price now; that amount is sold "
        "whatever the price does."
    ),
    "safety.buy_sum_budget": (
        "{sum} ₽ is the budget: the fills never cost more (commission aside); at most {amount} "
        "{amount:plural:piece|pieces}, fewer if the price rises."
    ),
}

RU: dict[str, str] = {
    "safety.engine_starting": (
        "Бот ещё возобновляет задачи, работавшие до перезапуска. Повторите через минуту."
    ),
    "safety.short_needs_consent": (
        "⚠ Продажа {amount} {ticker} при позиции {position} шт. открывает шорт на {short} шт. "
        "(позиция после: {after} шт.)."
    ),
    "safety.dump_spread_leg": (
        "⚠ {pieces} из {position} шт. {ticker} держат ноги спредов {spreads}: "
        "если их закрыть, эти спреды останутся без хеджа."
    ),
    "safety.budget_spent": (
        "{ticker}: бюджета {budget} ₽ не хватает ещё на один лот по текущей цене; "
        "куплено {executed} из {amount} шт. на {spent} ₽ (осталось {left} ₽)."
    ),
    "safety.task_switched_off": (
        "{ticker}: брокер снова отклонит эту заявку ({message}); задача выключена. "
        "Измените её в админке и включите, чтобы попробовать снова."
    ),
    "safety.sell_sum_fixed": (
        "Сумма — это {amount} шт. по текущей цене; продаётся именно столько, как бы ни менялась "
        "цена."
    ),
    "safety.buy_sum_budget": (
        "{sum} ₽ — бюджет: сделки не обойдутся дороже (без учёта комиссии); не больше {amount} "
        "шт., меньше, если цена вырастет."
    ),
}
