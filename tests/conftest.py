"""Set-up shared by the whole suite."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True, scope="session")
def _live_server_one_request_at_a_time_on_sqlite() -> Iterator[None]:
    """Django's live server shares the single connection of an in-memory SQLite test database
    between its request threads, so two requests at once (the bot flushing its journal while a
    command reads the Base) fail with "cannot open savepoint - SQL statements in progress". On
    SQLite the live server answers one request at a time (Django closes each connection after its
    answer then); on PostgreSQL it stays threaded, each thread with its own connection."""
    from django.conf import settings

    if "sqlite" not in settings.DATABASES["default"]["ENGINE"]:
        yield
        return
    from django.core.servers.basehttp import WSGIServer
    from django.test.testcases import LiveServerThread

    class OneAtATime(WSGIServer):
        # the live server thread sets the shared connection up for itself and serves here
        def __init__(self, *args: object, connections_override: object = None, **kwargs: object):
            super().__init__(*args, **kwargs)  # type: ignore[arg-type]
            self.connections_override = connections_override

    threaded = LiveServerThread.server_class
    LiveServerThread.server_class = OneAtATime
    yield
    LiveServerThread.server_class = threaded
