#!/bin/sh
# Entry point of the Base image: wait for the database, apply migrations, then hand the process
# over to gunicorn (exec, so SIGTERM from `docker compose stop` reaches gunicorn directly).
#
# With arguments, runs them instead of gunicorn after the same preparation, e.g.
#   docker compose run --rm base python trademan/manage.py createsuperuser
# Environment: DB_WAIT_TIMEOUT (seconds, default 60), DJANGO_MIGRATE (default 1; 0 skips
# migrations), plus everything trademan/settings.py and docker/gunicorn.conf.py read.
set -eu

APP_DIR="$(cd "$(dirname "$0")/.." && pwd)"
cd "$APP_DIR"
PYTHON="${PYTHON:-python}"

"$PYTHON" docker/wait_for_db.py

if [ "${DJANGO_MIGRATE:-1}" != "0" ]; then
    "$PYTHON" trademan/manage.py migrate --noinput
fi

if [ "$#" -gt 0 ]; then
    exec "$@"
fi
exec "$PYTHON" -m gunicorn --config docker/gunicorn.conf.py trademan.wsgi:application
