"""Русские тексты (язык по умолчанию). Ключи общие с bot.texts.en."""

from __future__ import annotations

TEXTS: dict[str, str] = {
    # core
    "start": (
        "Trademan готов ({mode}). Он терпеливо исполняет ваши решения: /help — список команд."
    ),
    "help": (
        "Команды:\n"
        "/health — состояние Базы и брокера, задержки (/test — то же)\n"
        "/tasks — работающие задачи\n"
        "/stop [ID] — остановить все задачи или одну\n"
        "/sellbuy — запустить все активные задачи купли/продажи из Базы\n"
        "/sell ТИКЕР СУММА — продать на СУММУ рублей (целыми лотами), например /sell SBER 300000\n"
        "/sell КОЛИЧЕСТВО ТИКЕР — продать КОЛИЧЕСТВО штук, например /sell 100 SBER\n"
        "/buy … — то же для покупки; @ЦЕНА задаёт лимит, например /buy 10 GAZP @150,5\n"
        "/dump ТИКЕР — закрыть позицию по ТИКЕРУ\n"
        "/spreads — запустить все активные спреды из Базы\n"
        "/sprices — цены спредов сейчас в обе стороны или когда откроются торги\n"
        "/whatif N ЦЕЛЬ [ДНЕЙ] — спред N с этой целью на записанных днях: что исполнилось бы, "
        "когда и по какой средней\n"
        "/update — обновить справочник инструментов у брокера\n"
        "/scan [СТАВКА] — пары спредов выше СТАВКИ % годовых на маржу, например /scan 7,5\n"
        "/dscan [N] — дивиденды, заложенные во фьючерсы, N лучших (по умолчанию 50)\n"
        "/portfolio — позиции, прибыль, деньги, маржа; ноги спредов под спредом\n"
        "/orders — заявки и стоп-заявки счёта с их задачами\n"
        "/stats [today|week|month|all] — сделки, объём, комиссия, выигрыш в цене\n"
        "/chart N — график спреда N (/chart sb N — задачи купли/продажи N)\n"
        "Числа: 7,5 или 7.5; тысячи можно разделять пробелами (300 000)."
    ),
    "unknown_command": "Неизвестная команда {command}. /help — список команд.",
    "not_a_command": "Отправьте команду; /help — список команд.",
    "menu.help": "команды и их аргументы",
    "menu.health": "состояние Базы и брокера",
    "menu.tasks": "работающие задачи",
    "menu.stop": "остановить все задачи или одну: /stop ID",
    "menu.sellbuy": "запустить активные задачи купли/продажи",
    "menu.sell": "продать: ТИКЕР СУММА или КОЛИЧЕСТВО ТИКЕР [@ЦЕНА]",
    "menu.buy": "купить: ТИКЕР СУММА или КОЛИЧЕСТВО ТИКЕР [@ЦЕНА]",
    "menu.dump": "закрыть позицию: /dump ТИКЕР",
    "menu.spreads": "запустить активные спреды",
    "menu.sprices": "цены спредов сейчас в обе стороны",
    "menu.whatif": "цель спреда на записанных днях: N ЦЕЛЬ [ДНЕЙ]",
    "menu.update": "обновить справочник инструментов",
    "menu.scan": "пары спредов выше ставки: /scan [СТАВКА]",
    "menu.dscan": "дивиденды во фьючерсах: /dscan [N]",
    "menu.portfolio": "позиции, деньги, маржа, прибыль",
    "menu.orders": "заявки и стоп-заявки",
    "menu.stats": "итоги: /stats [today|week|month|all]",
    "menu.chart": "график спреда: /chart N",
    "mode.paper": "учебная торговля на симуляторе",
    "mode.live": "РЕАЛЬНАЯ торговля",
    # health
    "health.started": "Проверяю Базу и брокера…",
    "health.report": "Режим: {mode}\nБаза: {base}\nБрокер: {broker}",
    "health.ok": "в порядке, {latency} мс",
    "health.ok_no_latency": "в порядке",
    "health.fail": "НЕДОСТУПЕН — {detail}",
    "health.account": "{broker}, счёт {account}",
    # tasks
    "tasks.none": "Нет работающих задач.",
    "tasks.header": "Работающие задачи: {count}",
    "tasks.line": "#{id} {title}: [{executed}/{amount}]{average}, {state}, с {started}",
    "tasks.average": " ср. {price}",
    "tasks.stop_button": "Остановить #{id}",
    "state.running": "работает",
    "state.waiting": "ждёт",
    "state.stopping": "останавливается",
    "console.banner": (
        "Консоль Trademan ({mode}). Вводите команды, например /help; число нажимает кнопку; "
        "Ctrl-D завершает ввод, Ctrl-C останавливает."
    ),
    "console.stopping": "Останавливаю все задачи…",
    "console.waiting": (
        "Ввод окончен: жду, пока {count:plural:закончится|закончатся|закончатся} {count} "
        "{count:plural:работающая задача|работающие задачи|работающих задач} (Ctrl-C — остановить)."
    ),
    "kind.sellbuy": "купля/продажа",
    "title.sell": "продажа {what}",
    "title.buy": "покупка {what}",
    "title.spread_sell": "продажа спреда {pair}",
    "title.spread_buy": "покупка спреда {pair}",
    "kind.spread": "спред",
    "kind.stops": "стопы",
    "kind.shorts": "шорты",
    "kind.nuke": "лесенка стоп-заявок",
    "kind.cancel": "отмена",
    "kind.restore": "восстановление",
    "kind.stash": "сохранение стопов",
    "direction.buy": "куплено",
    "direction.sell": "продано",
    "leg.far": "дальняя нога",
    "leg.near": "ближняя нога",
    # stop
    "stop.started": "Останавливаю {what}…",
    "stop.what_all": "все работающие задачи",
    "stop.what_one": "задачу #{id}",
    "stop.button_answer": "Останавливаю #{id}…",
    "stop.none": "Нет работающих задач.",
    # подтверждения (кнопки «Подтвердить» / «Отмена» под планом)
    "confirm.question": "Подтвердите в течение {minutes} мин; до тех пор ничего не делается.",
    "confirm.yes": "Подтвердить",
    "confirm.no": "Отмена",
    "confirm.confirmed": "Подтверждено.",
    "confirm.declined": "Отменено: ничего не сделано.",
    "confirm.expired": "Время подтверждения истекло: ничего не сделано. Отправьте команду ещё раз.",
    "confirm.answered": "На этот вопрос уже ответили.",
    "stop.done": "Остановлено: {count}.",
    "stop.line": "#{id} {title}: [{executed}/{amount}]{average}",
    # catalogue
    "update.started": "Обновляю справочник инструментов у брокера…",
    "update.done": (
        "Справочник обновлён: новых {created}, изменено {updated}, отключено {deactivated}, "
        "без изменений {unchanged}."
    ),
    # sell/buy
    "sellbuy.started_all": "Запускаю все активные задачи купли/продажи…",
    "sellbuy.none": "В Базе нет активных задач купли/продажи.",
    "sellbuy.started_count": "Запущено: {count}.",
    "sellbuy.starting_sell": "Продаю {what}…",
    "sellbuy.starting_buy": "Покупаю {what}…",
    "sellbuy.what_amount": "{amount} {ticker}",
    "sellbuy.what_money": "{ticker} на {money} ₽",
    "sellbuy.limit": ", не дешевле {price}",
    "sellbuy.limit_buy": ", не дороже {price}",
    "sellbuy.started": "Запущена #{id}: {title}, [{executed}/{amount}].",
    "dump.starting": "Закрываю позицию по {ticker}…",
    # spreads
    "spreads.started_all": "Запускаю все активные спреды…",
    "spreads.all_running": "Все активные спреды уже работают; список — /tasks.",
    "sprices.started": "Считаю цены активных спредов…",
    "sprices.line": "#{id} {pair} {sides}",
    "sprices.sides": "{sell} · {buy}{full}",
    "sprices.side": "{direction}: {spread}{mark}",
    "sprices.sell": "продажа",
    "sprices.buy": "покупка",
    "sprices.money": "{value} ₽",
    "sprices.mark_target": " (цель {target} {ok})",
    "sprices.mark": " ({ok})",
    "sprices.full": " · на {pieces} шт.: продажа {sell} / покупка {buy}",
    "sprices.no_far_price": "нет цены",
    "sprices.not_enough_depth": "мало глубины стакана",
    "sprices.opens_in": "#{id} {pair}: торги через {minutes} мин ({at})",
    "sprices.opens_unknown": "#{id} {pair}: торгов сейчас нет; время открытия неизвестно",
    "sprices.error": "#{id} {pair}: {reason}",
    # argument errors
    "parse.sellbuy_usage": (
        "Формат: /{command} ТИКЕР СУММА или /{command} КОЛИЧЕСТВО ТИКЕР, можно добавить @ЦЕНА — "
        "например /{command} SBER 300000 или /{command} 100 SBER @281,5"
    ),
    "parse.bad_number": "«{value}» — не число. {usage}",
    "parse.bad_ticker": "«{value}» — не тикер. {usage}",
    "parse.amount_whole": "Количество штук должно быть целым, а не {value}. {usage}",
    "parse.not_positive": "{value} должно быть больше нуля. {usage}",
    "parse.too_large": "{value} — слишком много. {usage}",
    "parse.too_precise": (
        "В {value} слишком много знаков после запятой (не больше {places}). {usage}"
    ),
    "parse.price_missing": "После @ нужна цена. {usage}",
    "parse.dump_usage": "Формат: /dump ТИКЕР — например /dump SBER",
    "parse.stop_usage": (
        "Формат: /stop — остановить все задачи, /stop ID — одну, например /stop T3 "
        "(задача купли/продажи 3) или /stop S2 (спред 2)"
    ),
    "parse.no_arguments": "У /{command} нет аргументов.",
    # errors
    "error.internal": (
        "Что-то пошло не так ({error}); подробности в журнале. Работающие задачи продолжаются."
    ),
    "error.broker": "Брокер: {message}",
    "error.unknown_text": "{key} {params}",
    "error.callback_expired": "Эта кнопка больше не действует.",
    # events
    "event.job_started": "▶ #{id} {title}: запущена, {amount} шт.",
    "event.filled": (
        "#{id} {direction} {quantity} {ticker} по {price} — [{executed}/{amount}] ср. {average}"
    ),
    "event.filled_leg": (
        "#{id} {leg}: {direction} {quantity} {ticker} по {price} — [{executed}/{amount}] "
        "ср. {average}{spread}"
    ),
    "event.average_spread": ", ср. спред {spread}",
    "event.session_wait": "#{id} {ticker}: торгов сейчас нет; жду до {opens_at}.",
    "event.session_wait_unknown": "#{id} {ticker}: торгов сейчас нет; жду следующей сессии.",
    "event.rate_limit": "Лимит запросов брокера ({method}): жду {seconds}.",
    "event.base_unavailable": (
        "База не отвечает: {pending} записей сохранены локально; новых заявок не будет, пока "
        "она не вернётся. /stop работает."
    ),
    "event.base_restored": "База снова доступна: сохранено записей {flushed}.",
    "event.order_refused": "#{id} {ticker}: заявка отклонена — {reason}",
    "event.alert": "⚠️ ВНИМАНИЕ{job}: {reason}",
    "event.alert_job": " #{id}",
    "event.progress": "#{id} {stage}: {done}/{total}",
    "event.finished_done": ("✅ #{id} {title} выполнена: [{executed}/{amount}]{average}{spread}"),
    "event.finished_stopped": (
        "⏹ #{id} {title} остановлена: [{executed}/{amount}]{average}{spread}"
    ),
    "event.finished_failed": (
        "❌ #{id} {title} не выполнена: [{executed}/{amount}]{average}{spread}{reason}"
    ),
    "event.reason": " — {reason}",
    "no_average": "—",
    # отказы и причины движка (bot.engine.text_keys)
    "unknown_ticker": "Нет активного инструмента с тикером {ticker}. /update обновит справочник.",
    "not_positive": "{ticker}: количество должно быть больше нуля.",
    "not_whole_lots": "{ticker}: {amount} шт. — не целое число лотов (лот = {lot}).",
    "sum_below_lot": (
        "{ticker}: {sum} ₽ — меньше одного лота (лот из {lot} шт. стоит {lot_price} ₽)."
    ),
    "no_price": "{ticker}: сейчас нет рыночной цены.",
    "bad_limit_price": (
        "{ticker}: лимитная цена {price} должна быть положительной и кратной {increment}."
    ),
    "not_shortable": (
        "{ticker} нельзя продать в шорт: продаёте {amount} шт., в позиции {position} шт."
    ),
    "not_tradable": "{ticker} нельзя торговать через API в этом направлении.",
    "risk_order_value": "{ticker}: объём заявки {value} больше лимита {limit}.",
    "risk_position_value": "{ticker}: позиция стала бы {value}, больше лимита {limit}.",
    "base_unavailable": "База не отвечает; ничего не запущено. Подробности — /health.",
    "base_rejected": "База отказала: {message}",
    "broker_error": "Брокер: {message}",
    "job_not_found": "Нет работающей задачи #{job_id}. Список — /tasks.",
    "job_already_running": "Эта задача уже работает как #{job_id} ({title}).",
    "no_position": "Нет позиции по {ticker}.",
    "no_active_tasks": "В Базе нет активных задач купли/продажи.",
    "catalogue_empty": "Брокер не вернул ни одного инструмента; справочник не изменён.",
    "outside_session": "{ticker}: торги закрыты; жду.",
    "stopped_by_owner": "остановлено владельцем",
    "order_rejected": "{ticker}: брокер отклонил заявку — {message}",
    "job_crashed": "непредвиденная ошибка, активные заявки сняты — {message}",
    "order_outcome_unknown": (
        "{ticker}: ответ на заявку {client_order_id} потерян; уточняю у брокера."
    ),
    "cancel_failed": (
        "{ticker}: заявку {client_order_id} не удалось снять — {message}. Проверьте у брокера."
    ),
    "base_record_rejected": "База не приняла запись ({kind}), она сохранена локально: {message}",
    "reconciled": "При запуске сохранены пропущенные Базой заявки ({orders}) и сделки ({fills}).",
    "catalogue_updated": (
        "Ежедневное обновление справочника: новых {created}, изменено {updated}, "
        "отключено {deactivated}, без изменений {unchanged}."
    ),
    "catalogue_failed": "Ежедневное обновление справочника не удалось: {message}",
    "no_active_spreads": "В Базе нет активных спредов.",
    "spread_far_not_future": "{ticker}: дальняя нога спреда должна быть фьючерсом.",
    "spread_no_basic_asset_size": (
        "{ticker}: в справочнике нет размера базового актива, коэффициент не вычислить; "
        "задайте коэффициент в спреде."
    ),
    "spread_no_increment_amount": (
        "{ticker}: в справочнике нет стоимости шага цены в рублях; /update может помочь."
    ),
    "spread_near_not_whole_lots": (
        "{far} шт. дальней ноги × коэффициент {ratio} — не целое число лотов ближней "
        "({near_lot} шт.)."
    ),
    "spread_far_not_whole_lots": (
        "{near} шт. ближней ноги ÷ коэффициент {ratio} — не целое число лотов дальней "
        "({far_lot} шт.)."
    ),
    "spread_amount_not_whole_lots": (
        "Количество спреда {amount} — не целое число лотов дальней ноги (лот = {lot})."
    ),
    "spread_bad_ratio": "Коэффициент спреда {ratio} должен быть больше нуля.",
    "spread_bad_amount": "Количество спреда {amount} должно быть больше нуля.",
    "spread_bad_lot": "{ticker}: неверный лот {lot}.",
    "spread_bad_increment": "{ticker}: неверный шаг цены.",
    "spread_hedge_failed": (
        "{ticker}: хедж на {lots} {lots:plural:лот|лота|лотов} не прошёл (попытка {attempt}) — "
        "{message}. "
        "Повторяю; дальняя нога ждёт, пока позиция не станет нейтральной."
    ),
    "spread_hedge_restored": "{ticker}: хедж восстановлен, ноги сбалансированы.",
    "spread_over_hedged": (
        "{ticker}: в ближней ноге на {pieces} шт. больше, чем нужно для хеджа. Проверьте позицию."
    ),
    "spread_left_unhedged": (
        "{ticker}: ближняя нога осталась не захеджирована на {pieces} шт. "
        "/spreads сначала выровняет ноги."
    ),
    "spread_far_refused": "{ticker}: заявка дальней ноги отклонена — {message}",
    "spread_hedge_waits_session": (
        "{ticker}: {pieces} шт. для хеджа ждут торговой сессии ближней ноги."
    ),
}
