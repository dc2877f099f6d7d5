"""Text keys the engine uses in UserError, OrderRefused, Alert and JobFinished.reason_key.
bot.texts renders each one (ru/en); every key below needs a text there.

Each constant is the key itself; the comment above it says what it means and which params it
carries (all params are strings). Amounts are pieces, prices and sums roubles, times ISO 8601 UTC.
"""

from __future__ import annotations

# ---- refusals of a command (UserError) -------------------------------------------------------

# No active instrument with that ticker. params: ticker
UNKNOWN_TICKER = "unknown_ticker"
# Amount or sum is zero or negative. params: ticker
NOT_POSITIVE = "not_positive"
# Amount is not a whole number of lots. params: ticker, amount, lot
NOT_WHOLE_LOTS = "not_whole_lots"
# The sum buys less than one lot. params: ticker, sum, lot, lot_price
SUM_BELOW_LOT = "sum_below_lot"
# No market price to size or check the order. params: ticker
NO_PRICE = "no_price"
# Limit price <= 0 or not a multiple of the price increment. params: ticker, price, increment
BAD_LIMIT_PRICE = "bad_limit_price"
# Instrument not tradable by API, or that direction is not available. params: ticker
NOT_TRADABLE = "not_tradable"
# Selling more of a share than the position holds, and the share cannot be shorted.
# params: ticker, amount, position
NOT_SHORTABLE = "not_shortable"
# Value of one order above the max from the trading settings. params: ticker, value, limit
RISK_ORDER_VALUE = "risk_order_value"
# The position would exceed the max per instrument. params: ticker, value, limit
RISK_POSITION_VALUE = "risk_position_value"
# The Base does not answer; commands that start trading are refused. params: none
BASE_UNAVAILABLE = "base_unavailable"
# The Base refused the request. params: message
BASE_REJECTED = "base_rejected"
# The broker refused or failed. params: message (short reason), code
BROKER_ERROR = "broker_error"
# /stop with an unknown job id. params: job_id
JOB_NOT_FOUND = "job_not_found"
# That task already runs as another job. params: job_id, title
JOB_ALREADY_RUNNING = "job_already_running"
# /dump: nothing held in that ticker. params: ticker
NO_POSITION = "no_position"
# /sellbuy: no active sell/buy task in the Base. params: none
NO_ACTIVE_TASKS = "no_active_tasks"
# /update: the broker returned no instruments (nothing was changed). params: none
CATALOGUE_EMPTY = "catalogue_empty"
# /spreads: no active spread in the Base. params: none
NO_ACTIVE_SPREADS = "no_active_spreads"
# A command that starts jobs came while the engine was still resuming after a restart and it
# did not finish in time. params: none
ENGINE_STARTING = "safety.engine_starting"

# ---- questions before a command runs (NeedsConfirmation: asked with Confirm / Cancel) ---------

# The sale would open or increase a short by `short` pieces (`after`: the position after).
# params: ticker, amount, position, short, after
SHORT_NEEDS_CONSENT = "safety.short_needs_consent"
# /dump would close what active spreads' legs hold. params: ticker, position, pieces, spreads
DUMP_SPREAD_LEG = "safety.dump_spread_leg"

# ---- a spread that cannot be traded as described (UserError, JobFinished.reason_key) ---------

# The far leg of a spread must be a future. params: ticker
SPREAD_FAR_NOT_FUTURE = "spread_far_not_future"
# A future without its basic asset size: the ratio cannot be derived. params: ticker
SPREAD_NO_BASIC_ASSET_SIZE = "spread_no_basic_asset_size"
# A future without the rouble value of its price step. params: ticker
SPREAD_NO_INCREMENT_AMOUNT = "spread_no_increment_amount"
# far × ratio is not a whole number of near lots. params: far (pieces), ratio, near_lot
SPREAD_NEAR_NOT_WHOLE_LOTS = "spread_near_not_whole_lots"
# near ÷ ratio is not a whole number of far lots. params: near (pieces), ratio, far_lot
SPREAD_FAR_NOT_WHOLE_LOTS = "spread_far_not_whole_lots"
# The spread amount is not a whole number of far lots. params: amount, lot
SPREAD_AMOUNT_NOT_WHOLE_LOTS = "spread_amount_not_whole_lots"
# The ratio is zero or negative. params: ratio
SPREAD_BAD_RATIO = "spread_bad_ratio"
# The spread amount is zero or negative. params: amount
SPREAD_BAD_AMOUNT = "spread_bad_amount"
# An instrument with a lot of zero or less. params: ticker, lot
SPREAD_BAD_LOT = "spread_bad_lot"
# An instrument with a price step of zero or less. params: ticker
SPREAD_BAD_INCREMENT = "spread_bad_increment"

# ---- an order refused while a job runs (OrderRefused.reason_key) -----------------------------
# RISK_ORDER_VALUE, RISK_POSITION_VALUE, NOT_TRADABLE and BROKER_ERROR above, and:

# The broker said the instrument's session is closed; the job waits. params: ticker
OUTSIDE_SESSION = "outside_session"

# ---- why a job ended (JobFinished.reason_key; None when it simply completed) -----------------

# /stop or shutdown. params: none
STOPPED_BY_OWNER = "stopped_by_owner"
# The broker rejected the job's order. params: ticker, message
ORDER_REJECTED = "order_rejected"
# Unexpected error; the job's live orders were cancelled. params: message
JOB_CRASHED = "job_crashed"

# ---- alerts (Alert.reason_key) ---------------------------------------------------------------

# An order's fate is unknown (response lost); the engine is asking the broker.
# params: ticker, client_order_id
ORDER_OUTCOME_UNKNOWN = "order_outcome_unknown"
# A live order could not be cancelled; check the broker. params: ticker, client_order_id, message
CANCEL_FAILED = "cancel_failed"
# The Base refused an order/fill record (kept in the local journal). params: kind, message
BASE_RECORD_REJECTED = "base_record_rejected"
# Start-up found orders/fills the Base had missed and recorded them. params: orders, fills
RECONCILED = "reconciled"
# The daily catalogue refresh ran. params: created, updated, deactivated, unchanged
CATALOGUE_UPDATED = "catalogue_updated"
# The daily catalogue refresh failed. params: message
CATALOGUE_FAILED = "catalogue_failed"

# The broker refused the task's order for a reason that will not go away by itself: the task
# is switched off in the Base (reason shown in the admin). params: ticker, message, code
TASK_SWITCHED_OFF = "safety.task_switched_off"
# Buying by sum: the budget does not pay for another lot at the price now; the job ends with
# what it bought. params: ticker, executed, amount, budget, spent, left
BUDGET_SPENT = "safety.budget_spent"

# ---- spread alerts (Alert.reason_key; SPREAD_LEFT_UNHEDGED and SPREAD_FAR_REFUSED also end a
# spread job as JobFinished.reason_key) ----------------------------------------------------------

# A hedge order on the near leg failed; the bot retries (the far leg waits).
# params: ticker, lots, attempt, message
SPREAD_HEDGE_FAILED = "spread_hedge_failed"
# The legs are balanced again after hedge failures. params: ticker
SPREAD_HEDGE_RESTORED = "spread_hedge_restored"
# The near leg holds more than the far leg needs (not undone automatically). params: ticker, pieces
SPREAD_OVER_HEDGED = "spread_over_hedged"
# The job ended with the near leg not hedged by `pieces`. params: ticker, pieces
SPREAD_LEFT_UNHEDGED = "spread_left_unhedged"
# The broker refused the far leg's order. params: ticker, message
SPREAD_FAR_REFUSED = "spread_far_refused"
# A far fill must wait for the near leg's session to be hedged. params: ticker, pieces
SPREAD_HEDGE_WAITS_SESSION = "spread_hedge_waits_session"

ALL_KEYS: frozenset[str] = frozenset(
    value for name, value in dict(globals()).items() if name.isupper() and isinstance(value, str)
)
