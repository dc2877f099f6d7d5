"""API error codes the client and the owner care about: code -> (gRPC status, short meaning).

A small extract of T-Invest's errors/api_errors.json (kept here so the package works without
../shared); the meanings are shortened for the owner.
"""

from __future__ import annotations

API_ERRORS: dict[str, tuple[str, str]] = {
    "30013": ("INVALID_ARGUMENT", "a class code is required to look an instrument up by ticker"),
    "30015": ("INVALID_ARGUMENT", "the quantity is missing or zero"),
    "30016": ("INVALID_ARGUMENT", "the quantity is invalid"),
    "30017": ("INVALID_ARGUMENT", "the price is missing"),
    "30018": ("INVALID_ARGUMENT", "the price is invalid"),
    "30019": ("INVALID_ARGUMENT", "the direction is missing"),
    "30020": ("INVALID_ARGUMENT", "the direction is invalid"),
    "30021": ("INVALID_ARGUMENT", "the account id is missing"),
    "30022": ("INVALID_ARGUMENT", "the account id is invalid"),
    "30025": ("INVALID_ARGUMENT", "the order type is missing"),
    "30026": ("INVALID_ARGUMENT", "the order type is invalid"),
    "30027": ("INVALID_ARGUMENT", "the order id is missing"),
    "30028": ("INVALID_ARGUMENT", "the order id is not a valid UUID"),
    "30031": ("INVALID_ARGUMENT", "the order-book depth is missing"),
    "30032": ("INVALID_ARGUMENT", "the order-book depth is invalid"),
    "30034": ("INVALID_ARGUMENT", "not enough money on the account"),
    "30036": ("INVALID_ARGUMENT", "the stop price is missing"),
    "30040": ("INVALID_ARGUMENT", "the stop order's expiry date is invalid"),
    "30042": ("INVALID_ARGUMENT", "not enough assets for a margin trade"),
    "30047": ("INVALID_ARGUMENT", "the price currency does not match the settlement currency"),
    "30049": ("INVALID_ARGUMENT", "the order could not be placed"),
    "30051": ("INVALID_ARGUMENT", "margin trading is disabled on the account"),
    "30052": ("INVALID_ARGUMENT", "this instrument cannot be traded through the API"),
    "30053": ("INVALID_ARGUMENT", "the stop order could not be placed"),
    "30055": ("INVALID_ARGUMENT", "the order id is longer than 36 characters"),
    "30057": ("INVALID_ARGUMENT", "duplicate order id, but the original order was not found"),
    "30059": ("INVALID_ARGUMENT", "the order could not be cancelled"),
    "30060": ("INVALID_ARGUMENT", "the stop order could not be cancelled"),
    "30068": ("INVALID_ARGUMENT", "only limit orders are allowed now"),
    "30078": ("INVALID_ARGUMENT", "the price is not a multiple of the price step"),
    "30079": ("INVALID_ARGUMENT", "the instrument is not available for trading"),
    "30080": ("INVALID_ARGUMENT", "the quantity must be positive"),
    "30081": ("INVALID_ARGUMENT", "the account is closed"),
    "30082": ("INVALID_ARGUMENT", "the account is blocked"),
    "30091": ("INVALID_ARGUMENT", "too many instruments in one request"),
    "30092": ("INVALID_ARGUMENT", "trading is unavailable at the weekend"),
    "30095": ("INVALID_ARGUMENT", "the exchange did not execute the request"),
    "30096": ("INVALID_ARGUMENT", "the order was rejected, try again later"),
    "30097": ("INVALID_ARGUMENT", "the trading session does not allow this order"),
    "30098": ("INVALID_ARGUMENT", "there is no trading in this instrument now"),
    "30099": ("INVALID_ARGUMENT", "the price is outside the instrument's limits"),
    "30100": ("INVALID_ARGUMENT", "the price must be positive"),
    "30101": ("INVALID_ARGUMENT", "a qualification test is required for this instrument"),
    "30103": ("INVALID_ARGUMENT", "only best-price orders are allowed now"),
    "30109": ("INVALID_ARGUMENT", "the maximum transaction amount is exceeded"),
    "40002": ("PERMISSION_DENIED", "the token has insufficient privileges (read-only?)"),
    "40003": ("UNAUTHENTICATED", "the broker token is missing or invalid"),
    "40004": ("PERMISSION_DENIED", "orders are not available on this account"),
    "50002": ("NOT_FOUND", "instrument not found"),
    "50004": ("NOT_FOUND", "account not found"),
    "50005": ("NOT_FOUND", "order not found"),
    "50006": ("NOT_FOUND", "stop order not found"),
    "50008": ("NOT_FOUND", "no order book for this instrument"),
    "70001": ("INTERNAL", "internal broker error"),
    "70002": ("INTERNAL", "internal broker network error"),
    "70003": ("INTERNAL", "internal broker error, try again later"),
    "80001": ("RESOURCE_EXHAUSTED", "too many open streams"),
    "80002": ("RESOURCE_EXHAUSTED", "request limit exceeded"),
    "90001": ("FAILED_PRECONDITION", "the order needs confirmation (not possible via the API)"),
    "90002": ("FAILED_PRECONDITION", "only for qualified investors"),
    "90003": ("FAILED_PRECONDITION", "the order is too large; split it"),
}

# A refused order whose reason will not go away by itself: the same order (same task: its
# instrument, direction, amount, limit price) would be refused again however long one waited,
# until the owner changes the task or the account. A task refused so is switched off (with the
# reason, shown in the admin) instead of failing again at every /sellbuy. Every other code is
# transient: a session that is closed or in a mode that refuses this order (30068, 30079, 30092,
# 30097, 30098, 30103), the exchange or broker busy (30049, 30095, 30096, 70001-70003, 80001,
# 80002), or money and margin (30034, 30042) that fills, deposits or closed positions change.
PERMANENT_CODES: frozenset[str] = frozenset(
    {
        "30015",  # quantity missing or zero
        "30016",  # quantity invalid
        "30017",  # price missing
        "30018",  # price invalid
        "30019",  # direction missing
        "30020",  # direction invalid
        "30025",  # order type missing
        "30026",  # order type invalid
        "30047",  # price currency does not match
        "30051",  # margin trading disabled on the account
        "30052",  # instrument not tradable through the API
        "30078",  # price not a multiple of the price step
        "30080",  # quantity must be positive
        "30081",  # account closed
        "30082",  # account blocked
        "30099",  # price outside the instrument's limits (a task's limit price)
        "30100",  # price must be positive
        "30101",  # qualification test required
        "30109",  # maximum transaction amount exceeded
        "40002",  # token has insufficient privileges
        "40004",  # orders not available on this account
        "50002",  # instrument not found
        "90001",  # order needs confirmation (impossible via the API)
        "90002",  # only for qualified investors
        "90003",  # order too large
    }
)


def is_permanent(api_code: str | None) -> bool:
    """Whether an order refused with `api_code` would be refused again by itself."""
    return api_code in PERMANENT_CODES


# gRPC status numbers and names.
GRPC_NAMES: dict[int, str] = {
    0: "OK",
    1: "CANCELLED",
    2: "UNKNOWN",
    3: "INVALID_ARGUMENT",
    4: "DEADLINE_EXCEEDED",
    5: "NOT_FOUND",
    6: "ALREADY_EXISTS",
    7: "PERMISSION_DENIED",
    8: "RESOURCE_EXHAUSTED",
    9: "FAILED_PRECONDITION",
    10: "ABORTED",
    11: "OUT_OF_RANGE",
    12: "UNIMPLEMENTED",
    13: "INTERNAL",
    14: "UNAVAILABLE",
    15: "DATA_LOSS",
    16: "UNAUTHENTICATED",
}

# HTTP status -> gRPC status, for bodies without a code (grpc-gateway's mapping).
HTTP_TO_GRPC: dict[int, int] = {
    400: 3,
    401: 16,
    403: 7,
    404: 5,
    408: 4,
    409: 10,
    429: 8,
    499: 1,
    500: 13,
    501: 12,
    502: 14,
    503: 14,
    504: 4,
}
