"""The broker's error model: API error codes, gRPC statuses and HTTP statuses."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "data"

GRPC_CODES: dict[str, int] = {
    "CANCELLED": 1,
    "UNKNOWN": 2,
    "INVALID_ARGUMENT": 3,
    "DEADLINE_EXCEEDED": 4,
    "NOT_FOUND": 5,
    "ALREADY_EXISTS": 6,
    "PERMISSION_DENIED": 7,
    "RESOURCE_EXHAUSTED": 8,
    "FAILED_PRECONDITION": 9,
    "ABORTED": 10,
    "OUT_OF_RANGE": 11,
    "UNIMPLEMENTED": 12,
    "INTERNAL": 13,
    "UNAVAILABLE": 14,
    "DATA_LOSS": 15,
    "UNAUTHENTICATED": 16,
}

HTTP_STATUS: dict[str, int] = {
    "INVALID_ARGUMENT": 400,
    "FAILED_PRECONDITION": 400,
    "OUT_OF_RANGE": 400,
    "UNAUTHENTICATED": 401,
    "PERMISSION_DENIED": 403,
    "NOT_FOUND": 404,
    "RESOURCE_EXHAUSTED": 429,
    "UNIMPLEMENTED": 501,
    "UNAVAILABLE": 503,
    "DEADLINE_EXCEEDED": 504,
}


#: The code answered for a body that is not a JSON object or a field of the wrong JSON type
#: (the catalogue has no generic code; this is INVALID_ARGUMENT with its own message).
MALFORMED = 30049


def malformed(what: str) -> ApiError:
    return ApiError(MALFORMED, message=f"Invalid request: {what}")


@cache
def api_errors() -> dict[str, dict[str, str]]:
    with (DATA_DIR / "api_errors.json").open(encoding="utf-8") as fh:
        data: dict[str, dict[str, str]] = json.load(fh)
    return data


class ApiError(Exception):
    """An error the simulator answers in the broker's shape ``{code, message, description}``."""

    def __init__(
        self, api_code: int, detail: str | None = None, message: str | None = None
    ) -> None:
        entry = api_errors().get(str(api_code), {"type": "INTERNAL", "message": "Internal error"})
        self.api_code = api_code
        self.status_name = entry["type"]
        message = message or entry["message"]
        if "%s" in message:
            message = message.replace("%s", detail or "")
        elif detail:
            message = f"{message}: {detail}"
        self.message = message
        super().__init__(f"{api_code} {message}")

    @property
    def grpc_code(self) -> int:
        return GRPC_CODES.get(self.status_name, 13)

    @property
    def http_status(self) -> int:
        return HTTP_STATUS.get(self.status_name, 500)

    def body(self) -> dict[str, Any]:
        return {"code": self.grpc_code, "message": self.message, "description": str(self.api_code)}
