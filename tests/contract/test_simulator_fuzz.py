"""Fuzz the simulator from the official openapi.yaml (schemathesis), restricted to the methods
it implements: no 5xx, every error in the broker's shape, every 200 valid for its operation.

Bounded (a few examples per operation) so the run takes seconds.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from simulator.api import METHODS
from tests.contract.schema import (
    OPENAPI_PATH,
    PACKAGE,
    openapi_document,
    require_contract,
    requires_contract,
    validate_response,
)
from tests.support.sim import SimHandle, running_simulator

pytestmark = [pytest.mark.contract, requires_contract]

#: Examples per operation and generation mode.
EXAMPLES = 5
#: Valid requests, and requests that break the schema (wrong types, missing fields).
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
IMPLEMENTED = sorted(f"{service}_{method}" for service, method in METHODS)


class BackgroundSimulator:
    """The simulator on its own event loop in a thread, for synchronous schemathesis calls."""

    def __init__(self) -> None:
        self.ready = threading.Event()
        self.handle: SimHandle | None = None
        self._loop = asyncio.new_event_loop()
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._serve())

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        async with running_simulator(always_open=True) as handle:
            self.handle = handle
            self.ready.set()
            await self._stop.wait()

    def __enter__(self) -> SimHandle:
        self._thread.start()
        if not self.ready.wait(30) or self.handle is None:
            raise RuntimeError("the simulator did not start")
        return self.handle

    def __exit__(self, *exc: object) -> None:
        if self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)


@pytest.fixture(scope="module")
def live_sim() -> Iterator[SimHandle]:
    require_contract()
    with BackgroundSimulator() as handle:
        yield handle


def check_case(case: Any, sim: SimHandle) -> None:
    response = case.call(base_url=sim.rest_url, headers=sim.auth_headers, timeout=10)
    case.validate_response(response, checks=[not_a_server_error])
    service, method = case.path.rsplit("/", 1)
    service = service.removeprefix(f"/{PACKAGE}.")
    body = response.json()
    if response.status_code == 200:
        validate_response(service, method, body, 200)
    else:
        assert 400 <= response.status_code < 500, (case.body, response.status_code, body)
        validate_response(service, method, body, response.status_code)


def test_simulator_survives_fuzzing(live_sim: SimHandle) -> None:
    schema = schemathesis.openapi.from_path(str(OPENAPI_PATH)).include(operation_id=IMPLEMENTED)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert sorted(op.definition.raw["operationId"] for op in operations) == IMPLEMENTED
    for operation, mode in itertools.product(operations, MODES):

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def run(case: Any) -> None:
            check_case(case, live_sim)

        run()


def test_every_implemented_method_is_in_the_contract() -> None:
    paths = openapi_document()["paths"]
    missing = [m for s, m in METHODS if f"/{PACKAGE}.{s}/{m}" not in paths]
    assert missing == []
