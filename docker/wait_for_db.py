"""Wait until the Base's database accepts connections, or give up after DB_WAIT_TIMEOUT seconds.

Run by docker/base-entrypoint.sh before `migrate`, so the Base can start together with
PostgreSQL. Exit 0 when connected, 1 on timeout (the message names host and port, never the
password).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

# One import root, as trademan/manage.py does: the folder above docker/ (/app in the image).
APP_DIR = Path(__file__).resolve().parent.parent


def _target(settings_db: dict[str, object]) -> str:
    name = settings_db.get("NAME")
    host = settings_db.get("HOST") or "local"
    port = settings_db.get("PORT") or ""
    engine = str(settings_db.get("ENGINE", "")).rsplit(".", 1)[-1]
    where = f"{host}:{port}" if port else str(host)
    return f"{engine} database {name} at {where}"


def main() -> int:
    sys.path.insert(0, str(APP_DIR))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trademan.settings")
    import django

    django.setup()
    from django.db import connections
    from django.db.utils import OperationalError

    timeout = float(os.environ.get("DB_WAIT_TIMEOUT", "60"))
    interval = float(os.environ.get("DB_WAIT_INTERVAL", "1"))
    connection = connections["default"]
    target = _target(connection.settings_dict)
    deadline = time.monotonic() + timeout
    attempt = 0
    while True:
        attempt += 1
        try:
            connection.ensure_connection()
        except OperationalError as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            if time.monotonic() >= deadline:
                print(
                    f"wait_for_db: {target} not reachable after {timeout:g} s "
                    f"({attempt} attempts): {reason}",
                    file=sys.stderr,
                )
                return 1
            if attempt == 1:
                print(f"wait_for_db: waiting for {target}: {reason}", file=sys.stderr)
            time.sleep(interval)
            continue
        connection.close()
        print(f"wait_for_db: {target} is ready", file=sys.stderr)
        return 0


if __name__ == "__main__":
    sys.exit(main())
