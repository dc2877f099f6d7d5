import pytest

from bot.broker.errors import (
    BrokerError,
    InternalError,
    InvalidArgument,
    NotFound,
    OrderOutcomeUnknown,
    OrderRejected,
    PermissionDenied,
    RateLimited,
    Unauthenticated,
    Unavailable,
    error_from_response,
    header,
)

TOKEN = "t.SECRET-token-value-123"


@pytest.mark.parametrize("description", [30079, "30079", " 30079 "])
def test_description_number_or_string(description: object) -> None:
    err = error_from_response(
        http_status=400,
        body={"code": 3, "message": "instrument is not available", "description": description},
        headers={},
        method="GetOrderBook",
    )
    assert isinstance(err, InvalidArgument) and not isinstance(err, OrderRejected)
    assert err.api_code == "30079"
    assert err.grpc_code == 3 and err.http_status == 400
    assert "not available for trading" in err.user_message()
    assert "30079" in err.user_message()


@pytest.mark.parametrize(
    "name",
    [
        "x-tracking-id",
        "X-Tracking-Id",
        "Grpc-Metadata-X-Tracking-Id",
        "grpc-metadata-x-tracking-id",
    ],
)
def test_tracking_id_any_spelling(name: str) -> None:
    err = error_from_response(
        http_status=404,
        body=b'{"code":5,"message":"account not found","description":"50004"}',
        headers={name: "abc-123"},
        method="GetPortfolio",
    )
    assert isinstance(err, NotFound)
    assert err.tracking_id == "abc-123"
    assert "abc-123" in str(err)


@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [
        (401, 16, Unauthenticated),
        (403, 7, PermissionDenied),
        (429, 8, RateLimited),
        (503, 14, Unavailable),
        (500, 13, InternalError),
        (404, 5, NotFound),
    ],
)
def test_families(status: int, code: int, cls: type[BrokerError]) -> None:
    err = error_from_response(
        http_status=status,
        body={"code": code, "message": "m", "description": ""},
        headers={},
        method="GetAccounts",
    )
    assert type(err) is cls
    # the HTTP status alone picks the same family when the body is not JSON
    err2 = error_from_response(
        http_status=status, body=b"<html>oops</html>", headers={}, method="GetAccounts"
    )
    assert type(err2) is cls, (err2, status)


def test_order_methods_raise_order_rejected() -> None:
    err = error_from_response(
        http_status=400,
        body={"code": 3, "message": "not enough", "description": "30034"},
        headers={},
        method="PostOrder",
    )
    assert isinstance(err, OrderRejected) and isinstance(err, InvalidArgument)
    assert err.user_message() == "Broker: not enough money on the account (30034)"
    pre = error_from_response(
        http_status=400,
        body={"code": 9, "message": "Need confirmation", "description": 90001},
        headers={},
        method="PostStopOrder",
    )
    assert isinstance(pre, OrderRejected) and pre.grpc_name == "FAILED_PRECONDITION"


def test_rate_limited_carries_reset() -> None:
    err = error_from_response(
        http_status=429,
        body={"code": 8, "message": "", "description": "80002"},
        headers={"Grpc-Metadata-X-Ratelimit-Reset": "17"},
        method="PostOrder",
    )
    assert isinstance(err, RateLimited) and err.reset_seconds == 17
    assert "request limit exceeded" in err.user_message()


def test_unknown_code_uses_broker_message_briefly() -> None:
    err = error_from_response(
        http_status=400,
        body={"code": 3, "message": "something odd\n happened", "description": 31999},
        headers={},
        method="Shares",
    )
    assert (
        err.user_message()
        == "Broker: the broker rejected the request: something odd happened (31999)"
    )


def test_token_never_in_messages() -> None:
    err = error_from_response(
        http_status=401,
        body={"code": 16, "message": f"token {TOKEN} is invalid", "description": "40003"},
        headers={"x-tracking-id": "tid"},
        method="GetAccounts",
        redact=(TOKEN,),
    )
    assert isinstance(err, Unauthenticated)
    for text in (str(err), repr(err), err.user_message(), err.message):
        assert TOKEN not in text, text


def test_outcome_unknown_keeps_request_id() -> None:
    err = OrderOutcomeUnknown("timeout", request_id="rid-1", method="PostOrder")
    assert err.request_id == "rid-1" and err.retryable is False
    assert "outcome" in str(err) or "timeout" in str(err)


def test_header_lookup() -> None:
    h = {"Grpc-Metadata-X-Ratelimit-Limit": "300, 300;w=60"}
    assert header(h, "x-ratelimit-limit") == "300, 300;w=60"
    assert header(h, "x-ratelimit-remaining") is None


@pytest.mark.parametrize("reset", ["nan", "inf", "-5", "soon"])
def test_odd_reset_headers_are_ignored_or_clamped(reset: str) -> None:
    err = error_from_response(
        http_status=429, body=b"", headers={"x-ratelimit-reset": reset}, method="PostOrder"
    )
    assert isinstance(err, RateLimited)
    assert err.reset_seconds in (None, 0.0)
