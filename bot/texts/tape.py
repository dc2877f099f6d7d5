"""Texts of the market recorder and /whatif (family "tape")."""

from __future__ import annotations

EN: dict[str, str] = {
    "tape.whatif_usage": "/whatif N TARGET [DAYS], e.g. /whatif 7 550 or /whatif 7 550 5",
    "tape.whatif_missing": "Which spread and which target? {usage}",
    "tape.whatif_extra": "Too many arguments ({extra}). {usage}",
    "tape.whatif_bad_id": "{token} is not a spread number. {usage}",
    "tape.whatif_bad_target": "{token} is not a spread price. {usage}",
    "tape.whatif_bad_days": "Days must be a whole number from 1 to {max}, not {token}. {usage}",
    "tape.whatif_started": "Replaying spread #{id} with target {target} over the last {days} "
    "recorded day(s)…",
    "tape.whatif_no_tape": "Nothing is recorded yet: the market recorder keeps the order books "
    "of running jobs and of the watchlist (trading settings) while the bot runs.",
    "tape.whatif_no_recording": "The recording has no order books of {ticker}: add it to the "
    "recorder's watchlist in the trading settings, or run the spread, and try after a day.",
    "tape.whatif_unknown_spread": "There is no spread #{id} in the Base.",
    "tape.whatif_no_simulator": "The replay could not start (the simulator is not installed "
    "beside the bot, or did not answer).",
    "tape.whatif_out_of_memory": "The replay of {days} day(s) needed more than {memory} MB "
    "(TAPE_WHATIF_MEMORY_MB) and was stopped; trading goes on. Try fewer days, e.g. "
    "/whatif {id} {target} 1.",
    "tape.whatif_died": "The replay stopped before it finished ({how}); trading goes on. Try "
    "again, or with fewer days.",
    "tape.whatif_timeout": "The replay took longer than {minutes} min (TAPE_WHATIF_TIMEOUT) "
    "and was stopped; trading goes on. Try fewer days.",
    "tape.whatif_header": "What-if #{id} {title} at target {target}: {days} "
    "({events} changes of the legs' books)",
    "tape.whatif_filled": "{filled} of {amount} pcs would have filled, average spread {average}.",
    "tape.whatif_when": "First fill {first}, last {last} (Moscow time).",
    "tape.whatif_nothing": "Nothing would have filled: the spread never met the target while "
    "the far order could be filled.",
    "tape.whatif_fills": "Far-leg fills:",
    "tape.whatif_fill": "{at} {pieces} pcs at {price} (spread so far {average})",
    "tape.whatif_more": "… and {count} more",
    "tape.whatif_timing": "Replayed in {seconds} s.",
}

RU: dict[str, str] = {
    "tape.whatif_usage": "/whatif N ЦЕЛЬ [ДНЕЙ], например /whatif 7 550 или /whatif 7 550 5",
    "tape.whatif_missing": "Какой спред и какая цель? {usage}",
    "tape.whatif_extra": "Лишние аргументы ({extra}). {usage}",
    "tape.whatif_bad_id": "{token} — не номер спреда. {usage}",
    "tape.whatif_bad_target": "{token} — не цена спреда. {usage}",
    "tape.whatif_bad_days": "Дней — целое число от 1 до {max}, а не {token}. {usage}",
    "tape.whatif_started": "Проигрываю спред #{id} с целью {target} на последних записанных "
    "днях ({days})…",
    "tape.whatif_no_tape": "Записей пока нет: запись рынка сохраняет стаканы запущенных задач "
    "и списка записи (торговые настройки), пока бот работает.",
    "tape.whatif_no_recording": "В записи нет стаканов {ticker}: добавьте его в список записи "
    "в торговых настройках или запустите спред и повторите через день.",
    "tape.whatif_unknown_spread": "Спреда #{id} нет в базе.",
    "tape.whatif_no_simulator": "Проигрывание не запустилось (симулятор не установлен рядом с "
    "ботом или не ответил).",
    "tape.whatif_out_of_memory": "Проигрыванию {days} дн. понадобилось больше {memory} МБ "
    "(TAPE_WHATIF_MEMORY_MB), и оно остановлено; торговля продолжается. Возьмите меньше дней, "
    "например /whatif {id} {target} 1.",
    "tape.whatif_died": "Проигрывание прервалось, не закончив ({how}); торговля продолжается. "
    "Повторите, или возьмите меньше дней.",
    "tape.whatif_timeout": "Проигрывание шло дольше {minutes} мин (TAPE_WHATIF_TIMEOUT) и "
    "остановлено; торговля продолжается. Возьмите меньше дней.",
    "tape.whatif_header": "Что если #{id} {title} с целью {target}: {days} "
    "({events} изменений стаканов ног)",
    "tape.whatif_filled": "Исполнилось бы {filled} из {amount} шт., средний спред {average}.",
    "tape.whatif_when": "Первое исполнение {first}, последнее {last} (время московское).",
    "tape.whatif_nothing": "Ничего не исполнилось бы: спред не достигал цели, пока заявку на "
    "дальней ноге могли исполнить.",
    "tape.whatif_fills": "Исполнения дальней ноги:",
    "tape.whatif_fill": "{at} {pieces} шт. по {price} (средний спред {average})",
    "tape.whatif_more": "… и ещё {count}",
    "tape.whatif_timing": "Проиграно за {seconds} с.",
}
