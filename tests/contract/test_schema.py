"""The contract utilities themselves: they catch what they should, and skip without the files."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.contract import schema
from tests.contract.schema import (
    ContractViolation,
    requires_contract,
    validate_request,
    validate_response,
    validate_stream_message,
)

GOOD_ORDER = {
    "quantity": "1",
    "direction": "ORDER_DIRECTION_BUY",
    "accountId": "a",
    "orderType": "ORDER_TYPE_LIMIT",
    "orderId": "0f5b5a8e-1d6c-4f7c-9a51-5b0c2d1e7f30",
    "instrumentId": "SBER_TQBR",
    "price": {"units": "250", "nano": 0},
}


def test_missing_files_skip_with_the_documented_message(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(schema, "OPENAPI_PATH", tmp_path / "openapi.yaml")
    assert not schema.contract_available()
    with pytest.raises(pytest.skip.Exception, match=r"\.\./shared/tinvest/openapi\.yaml not found"):
        schema.require_contract()


@requires_contract
def test_request_validation_catches_types_enums_required_and_unknown_fields() -> None:
    validate_request("OrdersService", "PostOrder", GOOD_ORDER)
    cases = {
        "is not of type 'string'": {**GOOD_ORDER, "quantity": 1},
        "is not one of": {**GOOD_ORDER, "direction": "BUY"},
        "'orderId' is a required property": {k: v for k, v in GOOD_ORDER.items() if k != "orderId"},
        "/instrument_id": {**GOOD_ORDER, "instrument_id": "x"},
        "/price/unit": {**GOOD_ORDER, "price": {"unit": "1"}},
    }
    for expected, body in cases.items():
        with pytest.raises(ContractViolation, match=expected):
            validate_request("OrdersService", "PostOrder", body)


@requires_contract
def test_error_bodies_accept_the_code_as_digits_only() -> None:
    for description in (30079, "30079"):
        body = {"code": 3, "message": "x", "description": description}
        validate_response("OrdersService", "PostOrder", body, 400)
    with pytest.raises(ContractViolation):
        validate_response("OrdersService", "PostOrder", {"code": 3, "message": "x"}, 400)
    with pytest.raises(ContractViolation):
        body = {"code": 3, "message": "x", "description": "bad"}
        validate_response("OrdersService", "PostOrder", body, 400)
    with pytest.raises(ContractViolation, match="not documented"):
        validate_response("OrdersService", "PostOrder", {"code": 3}, 418)


@requires_contract
def test_stream_messages_are_checked_in_both_directions() -> None:
    validate_stream_message("MarketDataStream", {"ping": {"time": "2026-03-11T09:00:00Z"}})
    validate_stream_message("MarketDataStream", {"code": 16, "message": "unauthenticated"})
    with pytest.raises(ContractViolation):
        validate_stream_message("MarketDataStream", {"orderbook": {"depth": "10"}})
    with pytest.raises(ContractViolation, match="orderBook"):
        validate_stream_message("MarketDataStream", {"orderBook": {}})
    request = {
        "subscribeOrderBookRequest": {
            "subscriptionAction": "SUBSCRIPTION_ACTION_SUBSCRIBE",
            "instruments": [{"instrumentId": "SBER_TQBR", "depth": 10}],
        }
    }
    validate_stream_message("MarketDataStream", request, from_server=False)
    with pytest.raises(ContractViolation):
        validate_stream_message("MarketDataStream", {"subscribe": {}}, from_server=False)
    with pytest.raises(ContractViolation, match="no such channel"):
        validate_stream_message("NoSuchStream", {})
