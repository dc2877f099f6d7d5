"""English texts. Keys are shared with bot.texts.ru; placeholders are filled by bot.texts."""

from __future__ import annotations

TEXTS: dict[str, str] = {
    # core
    "start": (
        "Trademan is ready ({mode}). It executes your decisions patiently: "
        "/help lists the commands."
    ),
    "help": (
        "Commands:\n"
        "/health — Base and broker status and latency (/test is the same)\n"
        "/tasks — running tasks\n"
        "/stop [ID] — stop every running task, or one\n"
        "/sellbuy — run every active sell/buy task from the Base\n"
        "/sell TICKER SUM — sell for SUM roubles (whole lots), e.g. /sell SBER 300000\n"
        "/sell AMOUNT TICKER — sell AMOUNT pieces, e.g. /sell 100 SBER\n"
        "/buy … — the same, buying; add @PRICE for a limit, e.g. /buy 10 GAZP @150.5\n"
        "/dump TICKER — close the position in TICKER\n"
        "/spreads — run every active spread from the Base\n"
        "/sprices — spread prices now, both directions, or when trading opens\n"
        "/whatif N TARGET [DAYS] — spread N with that target over the recorded days: what "
        "would have filled, when, at what average\n"
        "/update — refresh the instrument catalogue from the broker\n"
        "/scan [RATE] — spread pairs beating RATE % a year on margin, e.g. /scan 7.5\n"
        "/dscan [N] — dividends implied by futures, top N (default 50)\n"
        "/portfolio — positions, P&L, cash, margin; spread legs under their spread\n"
        "/orders — the account's live orders and stop orders, with their tasks\n"
        "/stats [today|week|month|all] — fills, volume, commission, price improvement\n"
        "/chart N — chart of spread N (/chart sb N: of sell/buy task N)\n"
        "Numbers: 7.5 or 7,5; thousands may be grouped with spaces (300 000)."
    ),
    "unknown_command": "Unknown command {command}. /help lists the commands.",
    "not_a_command": "Send a command; /help lists them.",
    "menu.help": "commands and their arguments",
    "menu.health": "Base and broker status",
    "menu.tasks": "running tasks",
    "menu.stop": "stop every task, or one: /stop ID",
    "menu.sellbuy": "run the active sell/buy tasks",
    "menu.sell": "sell: TICKER SUM or AMOUNT TICKER [@PRICE]",
    "menu.buy": "buy: TICKER SUM or AMOUNT TICKER [@PRICE]",
    "menu.dump": "close a position: /dump TICKER",
    "menu.spreads": "run the active spreads",
    "menu.sprices": "spread prices now, both directions",
    "menu.whatif": "a spread's target on recorded days: N TARGET [DAYS]",
    "menu.update": "refresh the instrument catalogue",
    "menu.scan": "spread pairs beating a rate: /scan [RATE]",
    "menu.dscan": "dividends implied by futures: /dscan [N]",
    "menu.portfolio": "positions, cash, margin, P&L",
    "menu.orders": "live orders and stop orders",
    "menu.stats": "results: /stats [today|week|month|all]",
    "menu.chart": "chart of a spread: /chart N",
    "mode.paper": "paper trading against the simulator",
    "mode.live": "LIVE trading",
    # health
    "health.started": "Checking the Base and the broker…",
    "health.report": "Mode: {mode}\nBase: {base}\nBroker: {broker}",
    "health.ok": "ok, {latency} ms",
    "health.ok_no_latency": "ok",
    "health.fail": "NOT AVAILABLE — {detail}",
    "health.account": "{broker}, account {account}",
    # tasks
    "tasks.none": "No running tasks.",
    "tasks.header": "Running tasks: {count}",
    "tasks.line": "#{id} {title}: [{executed}/{amount}]{average}, {state}, since {started}",
    "tasks.average": " avg {price}",
    "tasks.stop_button": "Stop #{id}",
    "state.running": "running",
    "state.waiting": "waiting",
    "state.stopping": "stopping",
    "console.banner": (
        "Trademan console ({mode}). Type commands, e.g. /help; a number alone presses a button; "
        "Ctrl-D ends input, Ctrl-C stops."
    ),
    "console.stopping": "Stopping every task…",
    "console.waiting": (
        "End of input: waiting for {count} running {count:plural:task|tasks} to finish "
        "(Ctrl-C stops them)."
    ),
    "kind.sellbuy": "sell/buy",
    "title.sell": "sell {what}",
    "title.buy": "buy {what}",
    "title.spread_sell": "sell spread {pair}",
    "title.spread_buy": "buy spread {pair}",
    "kind.spread": "spread",
    "kind.stops": "stops",
    "kind.shorts": "shorts",
    "kind.nuke": "nuke",
    "kind.cancel": "cancel",
    "kind.restore": "restore",
    "kind.stash": "stash",
    "direction.buy": "bought",
    "direction.sell": "sold",
    "leg.far": "far leg",
    "leg.near": "near leg",
    # stop
    "stop.started": "Stopping {what}…",
    "stop.what_all": "every running task",
    "stop.what_one": "task #{id}",
    "stop.button_answer": "Stopping #{id}…",
    "stop.none": "No running tasks to stop.",
    # confirmations (Confirm / Cancel buttons under a plan)
    "confirm.question": "Confirm within {minutes} min; nothing is done until then.",
    "confirm.yes": "Confirm",
    "confirm.no": "Cancel",
    "confirm.confirmed": "Confirmed.",
    "confirm.declined": "Cancelled: nothing was done.",
    "confirm.expired": "This confirmation has expired: nothing was done. Send the command again.",
    "confirm.answered": "This question was already answered.",
    "stop.done": "Stopped: {count}.",
    "stop.line": "#{id} {title}: [{executed}/{amount}]{average}",
    # catalogue
    "update.started": "Refreshing the instrument catalogue from the broker…",
    "update.done": (
        "Catalogue updated: {created} new, {updated} changed, {deactivated} deactivated, "
        "{unchanged} unchanged."
    ),
    # sell/buy
    "sellbuy.started_all": "Starting every active sell/buy task…",
    "sellbuy.none": "No active sell/buy tasks in the Base.",
    "sellbuy.started_count": "Started: {count}.",
    "sellbuy.starting_sell": "Selling {what}…",
    "sellbuy.starting_buy": "Buying {what}…",
    "sellbuy.what_amount": "{amount} {ticker}",
    "sellbuy.what_money": "{ticker} for {money} RUB",
    "sellbuy.limit": ", not below {price}",
    "sellbuy.limit_buy": ", not above {price}",
    "sellbuy.started": "Started #{id}: {title}, [{executed}/{amount}].",
    "dump.starting": "Closing the position in {ticker}…",
    # spreads
    "spreads.started_all": "Starting every active spread…",
    "spreads.all_running": "Every active spread is already running; /tasks lists them.",
    "sprices.started": "Pricing the active spreads…",
    "sprices.line": "#{id} {pair} {sides}",
    "sprices.sides": "{sell} · {buy}{full}",
    "sprices.side": "{direction}: {spread}{mark}",
    "sprices.sell": "sell",
    "sprices.buy": "buy",
    "sprices.money": "{value} RUB",
    "sprices.mark_target": " (target {target} {ok})",
    "sprices.mark": " ({ok})",
    "sprices.full": " · for {pieces} {pieces:plural:piece|pieces}: sell {sell} / buy {buy}",
    "sprices.no_far_price": "no price",
    "sprices.not_enough_depth": "not enough depth",
    "sprices.opens_in": "#{id} {pair}: opens in {minutes} min ({at})",
    "sprices.opens_unknown": "#{id} {pair}: no session now; the opening time is unknown",
    "sprices.error": "#{id} {pair}: {reason}",
    # argument errors
    "parse.sellbuy_usage": (
        "Usage: /{command} TICKER SUM or /{command} AMOUNT TICKER, optionally @PRICE — "
        "e.g. /{command} SBER 300000 or /{command} 100 SBER @281.5"
    ),
    "parse.bad_number": "“{value}” is not a number. {usage}",
    "parse.bad_ticker": "“{value}” is not a ticker. {usage}",
    "parse.amount_whole": "The amount in pieces must be a whole number, got {value}. {usage}",
    "parse.not_positive": "{value} must be above zero. {usage}",
    "parse.too_large": "{value} is too large. {usage}",
    "parse.too_precise": "{value} has too many decimal places (at most {places}). {usage}",
    "parse.price_missing": "A price must follow @. {usage}",
    "parse.dump_usage": "Usage: /dump TICKER — e.g. /dump SBER",
    "parse.stop_usage": (
        "Usage: /stop to stop every task, or /stop ID — "
        "e.g. /stop T3 (sell/buy task 3) or /stop S2 (spread 2)"
    ),
    "parse.no_arguments": "/{command} takes no arguments.",
    # errors
    "error.internal": (
        "Something went wrong ({error}); the details are in the log. Running tasks go on."
    ),
    "error.broker": "Broker: {message}",
    "error.unknown_text": "{key} {params}",
    "error.callback_expired": "This button is no longer valid.",
    # events
    "event.job_started": "▶ #{id} {title}: started, {amount} {amount:plural:piece|pieces}.",
    "event.filled": (
        "#{id} {direction} {quantity} {ticker} @ {price} — [{executed}/{amount}] avg {average}"
    ),
    "event.filled_leg": (
        "#{id} {leg}: {direction} {quantity} {ticker} @ {price} — [{executed}/{amount}] "
        "avg {average}{spread}"
    ),
    "event.average_spread": ", avg spread {spread}",
    "event.session_wait": "#{id} {ticker}: no trading session now; waiting until {opens_at}.",
    "event.session_wait_unknown": (
        "#{id} {ticker}: no trading session now; waiting for the next one."
    ),
    "event.rate_limit": "Broker request limit ({method}): waiting {seconds}.",
    "event.base_unavailable": (
        "The Base is not answering: {pending} records kept locally; no new orders until it is "
        "back. /stop still works."
    ),
    "event.base_restored": "The Base is back: {flushed} records saved.",
    "event.order_refused": "#{id} {ticker}: order refused — {reason}",
    "event.alert": "⚠️ ATTENTION{job}: {reason}",
    "event.alert_job": " #{id}",
    "event.progress": "#{id} {stage}: {done}/{total}",
    "event.finished_done": "✅ #{id} {title} done: [{executed}/{amount}]{average}{spread}",
    "event.finished_stopped": ("⏹ #{id} {title} stopped: [{executed}/{amount}]{average}{spread}"),
    "event.finished_failed": (
        "❌ #{id} {title} failed: [{executed}/{amount}]{average}{spread}{reason}"
    ),
    "event.reason": " — {reason}",
    "no_average": "—",
    # engine refusals and reasons (bot.engine.text_keys)
    "unknown_ticker": "No active instrument with ticker {ticker}. /update refreshes the catalogue.",
    "not_positive": "{ticker}: the amount must be above zero.",
    "not_whole_lots": (
        "{ticker}: {amount} {amount:plural:piece|pieces} is not a whole number of lots (lot = "
        "{lot})."
    ),
    "sum_below_lot": (
        "{ticker}: {sum} RUB is less than one lot (a lot of {lot} {lot:plural:piece|pieces} "
        "costs {lot_price} RUB)."
    ),
    "no_price": "{ticker}: no market price right now.",
    "bad_limit_price": "{ticker}: limit price {price} is not a positive multiple of {increment}.",
    "not_shortable": (
        "{ticker} cannot be shorted: selling {amount} {amount:plural:piece|pieces} with "
        "{position} {position:plural:piece|pieces} held."
    ),
    "not_tradable": "{ticker} cannot be traded through the API in that direction.",
    "risk_order_value": "{ticker}: the order value {value} is above the limit {limit}.",
    "risk_position_value": "{ticker}: the position would be {value}, above the limit {limit}.",
    "base_unavailable": "The Base is not answering; nothing was started. /health shows details.",
    "base_rejected": "The Base refused: {message}",
    "broker_error": "Broker: {message}",
    "job_not_found": "No running task #{job_id}. /tasks lists them.",
    "job_already_running": "That task already runs as #{job_id} ({title}).",
    "no_position": "No position in {ticker}.",
    "no_active_tasks": "No active sell/buy tasks in the Base.",
    "catalogue_empty": "The broker returned no instruments; the catalogue was not changed.",
    "outside_session": "{ticker}: the session is closed; waiting.",
    "stopped_by_owner": "stopped by the owner",
    "order_rejected": "{ticker}: the broker rejected the order — {message}",
    "job_crashed": "unexpected error, live orders cancelled — {message}",
    "order_outcome_unknown": (
        "{ticker}: the answer to order {client_order_id} was lost; asking the broker about it."
    ),
    "cancel_failed": (
        "{ticker}: order {client_order_id} could not be cancelled — {message}. Check the broker."
    ),
    "base_record_rejected": "The Base refused a {kind} record (kept locally): {message}",
    "reconciled": "On start-up {orders} orders and {fills} fills the Base had missed were saved.",
    "catalogue_updated": (
        "Daily catalogue refresh: {created} new, {updated} changed, {deactivated} deactivated, "
        "{unchanged} unchanged."
    ),
    "catalogue_failed": "The daily catalogue refresh failed: {message}",
    "no_active_spreads": "No active spreads in the Base.",
    "spread_far_not_future": "{ticker}: the far leg of a spread must be a future.",
    "spread_no_basic_asset_size": (
        "{ticker}: the catalogue has no basic asset size, so the ratio cannot be derived; "
        "set the ratio on the spread."
    ),
    "spread_no_increment_amount": (
        "{ticker}: the catalogue has no rouble value of the price step; /update may fix it."
    ),
    "spread_near_not_whole_lots": (
        "{far} far {far:plural:piece|pieces} × ratio {ratio} is not a whole number of near lots "
        "(lot = {near_lot})."
    ),
    "spread_far_not_whole_lots": (
        "{near} near {near:plural:piece|pieces} ÷ ratio {ratio} is not a whole number of far lots "
        "(lot = {far_lot})."
    ),
    "spread_amount_not_whole_lots": (
        "The spread amount {amount} is not a whole number of far lots (lot = {lot})."
    ),
    "spread_bad_ratio": "The spread ratio {ratio} must be above zero.",
    "spread_bad_amount": "The spread amount {amount} must be above zero.",
    "spread_bad_lot": "{ticker}: lot {lot} is not valid.",
    "spread_bad_increment": "{ticker}: the price step is not valid.",
    "spread_hedge_failed": (
        "{ticker}: the hedge of {lots} {lots:plural:lot|lots} failed (attempt {attempt}) — "
        "{message}. "
        "Retrying; the far leg waits until the position is neutral."
    ),
    "spread_hedge_restored": "{ticker}: hedged again, the legs are balanced.",
    "spread_over_hedged": (
        "{ticker}: the near leg holds {pieces} {pieces:plural:piece|pieces} more than the "
        "hedge needs. "
        "Check the position."
    ),
    "spread_left_unhedged": (
        "{ticker}: the near leg is left unhedged by {pieces} {pieces:plural:piece|pieces}. "
        "/spreads rebalances it first."
    ),
    "spread_far_refused": "{ticker}: the far leg's order was refused — {message}",
    "spread_hedge_waits_session": (
        "{ticker}: {pieces} {pieces:plural:piece|pieces} to hedge wait for the near leg's "
        "trading session."
    ),
}
