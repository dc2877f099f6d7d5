"""Validation against the official T-Invest contract in ``../shared/tinvest``.

The contract files live beside the repository (``<repo>/../shared/tinvest``). When they are
absent (a clone without ``../shared``) every contract test skips with :data:`SKIP_MESSAGE`.

Public helpers (used by the simulator's and the broker client's contract tests):

- :func:`validate_request` — a request body against the operation's request schema.
- :func:`validate_response` — a 200 body against the response schema, any other status against
  the broker's error schema (``description`` may be the API code as a number or as a string of
  digits, as the live server sends it).
- :func:`validate_stream_message` — a WebSocket message against ``asyncapi.yaml``.
- :data:`requires_contract` (a pytest mark) and :func:`require_contract` (call inside a test or
  fixture) skip when the files are missing.

Each validator raises :class:`ContractViolation` (an ``AssertionError``) naming the operation,
the failing path in the document and the schema rule that failed.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from openapi_schema_validator import OAS30Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

REPO_ROOT = Path(__file__).resolve().parents[2]
TINVEST_DIR = REPO_ROOT.parent / "shared" / "tinvest"
OPENAPI_PATH = TINVEST_DIR / "openapi.yaml"
ASYNCAPI_PATH = TINVEST_DIR / "asyncapi.yaml"
API_ERRORS_PATH = TINVEST_DIR / "api_errors.json"
SKIP_MESSAGE = "../shared/tinvest/openapi.yaml not found: contract tests skipped"

PACKAGE = "tinkoff.public.invest.api.contract.v1"
_OPENAPI_URI = "urn:tinvest:openapi"
_ASYNCAPI_URI = "urn:tinvest:asyncapi"


class ContractViolation(AssertionError):
    """A body that does not match the official contract."""


def contract_available() -> bool:
    return OPENAPI_PATH.is_file() and ASYNCAPI_PATH.is_file()


requires_contract = pytest.mark.skipif(not contract_available(), reason=SKIP_MESSAGE)


def require_contract() -> None:
    """Skip the calling test when the contract files are absent."""
    if not contract_available():
        pytest.skip(SKIP_MESSAGE)


@functools.cache
def openapi_document() -> dict[str, Any]:
    require_contract()
    with OPENAPI_PATH.open(encoding="utf-8") as fh:
        doc: dict[str, Any] = yaml.safe_load(fh)
    return doc


@functools.cache
def asyncapi_document() -> dict[str, Any]:
    require_contract()
    with ASYNCAPI_PATH.open(encoding="utf-8") as fh:
        doc: dict[str, Any] = yaml.safe_load(fh)
    return doc


@functools.cache
def _registry() -> Registry:
    resources = [
        (_OPENAPI_URI, Resource.from_contents(openapi_document(), default_specification=DRAFT4)),
        (_ASYNCAPI_URI, Resource.from_contents(asyncapi_document(), default_specification=DRAFT4)),
    ]
    registry: Registry = Registry().with_resources(resources)
    return registry


def operation_path(service: str, method: str) -> str:
    """The REST path of a method, e.g. ``/tinkoff.public.invest.api.contract.v1.Svc/Method``."""
    return f"/{PACKAGE}.{service}/{method}"


def operation(service: str, method: str) -> dict[str, Any]:
    path = operation_path(service, method)
    try:
        op: dict[str, Any] = openapi_document()["paths"][path]["post"]
    except KeyError as exc:
        raise ContractViolation(f"{service}/{method}: no such operation in openapi.yaml") from exc
    return op


def _pointer(ref: str) -> str:
    if not ref.startswith("#/"):
        raise ValueError(f"unsupported $ref {ref!r}")
    return ref


def _validate(base_uri: str, schema: dict[str, Any], body: Any, what: str) -> None:
    unknown = _unknown_fields(_document(base_uri), schema, body, "")
    if unknown:
        raise ContractViolation(
            f"{what} has fields the contract does not define: {', '.join(unknown[:10])}"
        )
    validator = OAS30Validator(
        _anchor(base_uri, schema),
        registry=_registry(),
    )
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
    if errors:
        lines = []
        for err in errors[:10]:
            where = "/".join(str(p) for p in err.absolute_path) or "<root>"
            lines.append(f"  at {where}: {err.message}")
        more = f"\n  ... and {len(errors) - 10} more" if len(errors) > 10 else ""
        raise ContractViolation(f"{what} does not match the contract:\n" + "\n".join(lines) + more)


def _document(base_uri: str) -> dict[str, Any]:
    return openapi_document() if base_uri == _OPENAPI_URI else asyncapi_document()


def _resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    seen = 0
    while "$ref" in schema and seen < 20:
        node: Any = doc
        for part in _pointer(schema["$ref"])[2:].split("/"):
            node = node[part]
        schema = node
        seen += 1
    return schema


def _unknown_fields(doc: dict[str, Any], schema: dict[str, Any], body: Any, path: str) -> list[str]:
    """Paths of object keys in ``body`` that ``schema`` does not declare.

    The contract's schemas leave ``additionalProperties`` open, so a misspelt field (say
    ``lastprice``) would otherwise pass; this walk catches it. Fields under a schema that lists
    no ``properties`` (free-form objects) are not checked.
    """
    schema = _resolve(doc, schema)
    found: list[str] = []
    if isinstance(body, dict):
        props = schema.get("properties")
        if isinstance(props, dict):
            for key, value in body.items():
                where = f"{path}/{key}"
                if key not in props:
                    found.append(where)
                else:
                    found.extend(_unknown_fields(doc, props[key], value, where))
    elif isinstance(body, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(body):
            found.extend(_unknown_fields(doc, schema["items"], item, f"{path}/{index}"))
    return found


def _anchor(base_uri: str, schema: dict[str, Any]) -> dict[str, Any]:
    """Rewrite local ``#/...`` references of ``schema`` so they resolve inside ``base_uri``."""

    def fix(node: Any) -> Any:
        if isinstance(node, dict):
            out = {}
            for key, value in node.items():
                if key == "$ref" and isinstance(value, str) and value.startswith("#/"):
                    out[key] = base_uri + _pointer(value)
                else:
                    out[key] = fix(value)
            return out
        if isinstance(node, list):
            return [fix(item) for item in node]
        return node

    fixed: dict[str, Any] = fix(schema)
    return fixed


def _json_schema(content: dict[str, Any]) -> dict[str, Any]:
    schema: dict[str, Any] = content["application/json"]["schema"]
    return schema


def validate_request(service: str, method: str, body: Any) -> None:
    """Validate a request body the client sends (or the simulator receives)."""
    op = operation(service, method)
    schema = _json_schema(op["requestBody"]["content"])
    _validate(_OPENAPI_URI, schema, body, f"request {service}/{method}")


_DIGITS = re.compile(r"^-?\d+$")


def validate_error_body(body: Any, what: str = "error body") -> None:
    """The broker's error shape ``{code, message, description}``.

    The spec types ``description`` as an integer while the live server sends a string of digits;
    both are accepted (a string must hold digits only).
    """
    if isinstance(body, dict) and isinstance(body.get("description"), str):
        if not _DIGITS.match(body["description"]):
            raise ContractViolation(
                f"{what}: description {body['description']!r} is not an API error code"
            )
        body = {**body, "description": int(body["description"])}
    schema = {"$ref": "#/components/schemas/ErrorResponse"}
    _validate(_OPENAPI_URI, schema, body, what)


def validate_response(service: str, method: str, body: Any, status: int = 200) -> None:
    """Validate a response: 200 against the operation's schema, anything else as an error."""
    op = operation(service, method)
    what = f"response {status} of {service}/{method}"
    if status == 200:
        schema = _json_schema(op["responses"]["200"]["content"])
        _validate(_OPENAPI_URI, schema, body, what)
        return
    if str(status) not in op["responses"] and status not in op["responses"]:
        raise ContractViolation(f"{what}: status {status} is not documented for this operation")
    validate_error_body(body, what)


def _channel(name: str) -> dict[str, Any]:
    channels: dict[str, Any] = asyncapi_document()["channels"]
    if name in channels:
        found: dict[str, Any] = channels[name]
        return found
    for key, value in channels.items():
        if key.rsplit("/", 1)[-1] == name:
            channel: dict[str, Any] = value
            return channel
    raise ContractViolation(f"stream {name!r}: no such channel in asyncapi.yaml")


def validate_stream_message(stream: str, message: Any, *, from_server: bool = True) -> None:
    """Validate a WebSocket message of ``stream`` (e.g. ``"MarketDataStream"``).

    ``from_server=True`` checks a message the server sends (the asyncapi ``subscribe``
    operation, ``Stream_result_of_...``); ``False`` checks a client request (``publish``).
    """
    channel = _channel(stream)
    op = channel["subscribe" if from_server else "publish"]
    ref: str = op["message"]["$ref"]
    msg_name = ref.rsplit("/", 1)[-1]
    payload: dict[str, Any] = asyncapi_document()["components"]["messages"][msg_name]["payload"]
    if "oneOf" in payload:
        # Server messages are ``oneOf`` [the response, rpcStatus]. Every field of both is optional,
        # so a data message matches both and plain ``oneOf`` would always fail. An error frame
        # carries ``code``/``message``; anything else must be the response message.
        alternatives: list[dict[str, Any]] = payload["oneOf"]
        is_error = isinstance(message, dict) and "code" in message and "message" in message
        wanted = [a for a in alternatives if a.get("$ref", "").endswith("/rpcStatus") == is_error]
        payload = wanted[0] if wanted else alternatives[0]
    direction = "server message" if from_server else "client message"
    _validate(_ASYNCAPI_URI, payload, message, f"{direction} of {stream}")
