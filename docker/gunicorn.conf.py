"""gunicorn settings for the Base (`gunicorn -c docker/gunicorn.conf.py trademan.wsgi:application`).

Every value can be changed from the environment; the defaults suit a Raspberry Pi behind nginx.
"""

from __future__ import annotations

import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise SystemExit(f"{name} must be a whole number, got {value!r}") from None


# Where to listen. In the container nginx reaches gunicorn on port 8000 of the compose network.
bind = [os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")]
# Sync workers: the Base does short database work per request. Two suit a Raspberry Pi 4.
workers = _int("GUNICORN_WORKERS", 2)
threads = _int("GUNICORN_THREADS", 1)
# A request that takes longer than this is killed and its worker replaced.
timeout = _int("GUNICORN_TIMEOUT", 60)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# Recycle workers now and then so a slow leak never grows unbounded (jitter avoids all at once).
max_requests = _int("GUNICORN_MAX_REQUESTS", 1000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 100)

# Logs go to stdout/stderr, where `docker compose logs` collects them.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = '%({x-forwarded-for}i)s %(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'

# Trust X-Forwarded-Proto/-For only from these addresses (nginx). Compose sets "*" because the
# Base publishes no port: only containers on the private network (nginx, the bot) can reach it.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
proxy_allow_ips = forwarded_allow_ips

# No control socket (gunicorn >= 25.1 would create one under $HOME, which is read-only in the
# image); the container is managed by docker compose instead.
control_socket_disable = True

# Temporary files of the worker heartbeat in memory: on an SD card /tmp can stall workers.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108
