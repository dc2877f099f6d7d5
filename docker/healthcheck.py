"""Container health checks with the standard library only (the slim images have no curl).

python healthcheck.py http URL   -- 0 when GET URL answers 200. The Host header is the first
                                    entry of DJANGO_ALLOWED_HOSTS, so Django accepts it.
python healthcheck.py tcp HOST PORT -- 0 when HOST:PORT accepts a TCP connection.
python healthcheck.py pid1       -- 0 while the main process (PID 1) is running, not a zombie.
"""

from __future__ import annotations

import http.client
import os
import socket
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

TIMEOUT = float(os.environ.get("HEALTHCHECK_TIMEOUT", "4"))


def host_header(default: str) -> str:
    """The first concrete allowed host ('.example.org' becomes 'example.org'; '*' is skipped)."""
    for item in os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(","):
        host = item.strip().lstrip(".")
        if host and host != "*":
            return host
    return default


def check_http(url: str) -> tuple[bool, str]:
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        return False, f"only http://host[:port]/path URLs are supported, got {url!r}"
    conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=TIMEOUT)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    try:
        conn.request("GET", path, headers={"Host": host_header(parts.netloc)})
        response = conn.getresponse()
        body = response.read(200).decode("utf-8", "replace")
    except OSError as exc:
        return False, f"GET {url}: {exc}"
    finally:
        conn.close()
    if response.status != 200:
        return False, f"GET {url}: HTTP {response.status} {body}"
    return True, f"GET {url}: HTTP 200"


def check_tcp(host: str, port: int) -> tuple[bool, str]:
    try:
        with socket.create_connection((host, port), timeout=TIMEOUT):
            return True, f"{host}:{port} accepts connections"
    except OSError as exc:
        return False, f"{host}:{port}: {exc}"


def check_pid1(proc: Path = Path("/proc/1/stat")) -> tuple[bool, str]:
    try:
        stat = proc.read_text()
    except OSError as exc:
        return False, f"{proc}: {exc}"
    # Format: pid (comm) state ...; comm may hold spaces, so split after the last ')'.
    state = stat.rsplit(")", 1)[-1].split()[0]
    if state in {"Z", "X"}:
        return False, f"main process state {state}"
    return True, f"main process state {state}"


PID1_STAT = Path("/proc/1/stat")


def check_heartbeat(path: Path, max_age: float, proc: Path = PID1_STAT) -> tuple[bool, str]:
    try:
        age = time.time() - path.stat().st_mtime
    except FileNotFoundError:
        ok, message = check_pid1(proc)
        return ok, f"no heartbeat file {path} yet; {message}"
    except OSError as exc:
        return False, f"{path}: {exc}"
    if age > max_age:
        return False, f"heartbeat {path} is {age:.0f} s old (limit {max_age:g} s)"
    return True, f"heartbeat {age:.0f} s old"


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "http":
        ok, message = check_http(argv[1])
    elif len(argv) == 3 and argv[0] == "tcp" and argv[2].isdigit():
        ok, message = check_tcp(argv[1], int(argv[2]))
    elif argv == ["pid1"]:
        ok, message = check_pid1()
    elif len(argv) == 3 and argv[0] == "heartbeat" and argv[2].isdigit():
        ok, message = check_heartbeat(Path(argv[1]), float(argv[2]))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    print(message, file=sys.stdout if ok else sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
