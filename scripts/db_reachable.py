"""Exit 0 when the database named by DATABASE_URL accepts connections, 1 otherwise.

Used by `make test` to decide whether to run the Base suite a second time on PostgreSQL.
"""

from __future__ import annotations

import os
import sys
from urllib.parse import urlparse


def main() -> int:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return 1
    import psycopg

    parsed = urlparse(url)
    try:
        with psycopg.connect(url, connect_timeout=3):
            return 0
    except psycopg.OperationalError as exc:
        host = parsed.hostname or "?"
        print(f"PostgreSQL at {host}:{parsed.port or 5432} unreachable: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
