# The Base: Django + DRF under gunicorn. Build from the repository root:
#   docker build -f docker/base.Dockerfile -t trademan-base .
# Multi-arch: linux/amd64, linux/arm64 and linux/arm/v7 (Raspberry Pi OS 32-bit).
# ARMv7: psycopg-binary has no arm/v7 wheel, so that build drops it from the hashed requirements
# and psycopg uses its pure-Python implementation over the system libpq (libpq5); PyYAML (no
# arm/v7 wheel) is built there from its hashed source as pure Python, so no compiler is needed.
# Every other platform installs requirements/base.txt as is.
# Behind a TLS-inspecting proxy (a corporate CA), hand pip that CA bundle as a build secret; it is
# used for the download only and never stored in a layer:
#   docker build --secret id=ca_bundle,src=/etc/ssl/certs/ca-certificates.crt ...
# (docker compose: see README, "Building behind a proxy"). Proxies: --build-arg HTTPS_PROXY=...
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ARG TARGETARCH
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
COPY requirements/base.txt docker/drop_requirement.py /tmp/
RUN --mount=type=secret,id=ca_bundle set -eux; \
    if [ -s /run/secrets/ca_bundle ]; then export PIP_CERT=/run/secrets/ca_bundle; fi; \
    req=/tmp/base.txt; \
    if [ "$TARGETARCH" = "arm" ]; then \
        python /tmp/drop_requirement.py /tmp/base.txt /tmp/base-armv7.txt psycopg-binary; \
        req=/tmp/base-armv7.txt; \
    fi; \
    python -m venv /opt/venv; \
    /opt/venv/bin/pip install --require-hashes --no-deps -r "$req"; \
    /opt/venv/bin/pip uninstall --yes --quiet pip setuptools; \
    for dir in $(find /opt/venv/lib/python3*/site-packages -mindepth 2 -type d -name locale); do \
        find "$dir" -mindepth 1 -maxdepth 1 -type d ! -name en ! -name ru -exec rm -rf {} +; \
    done
# Static files are collected at build time (development settings: no secret is needed for it);
# whitenoise serves them from /app/static, nginx caches them. In production nothing reads the
# packages' own copies (admin, DRF, Swagger UI), so they stay behind in this stage.
COPY trademan/ /src/trademan/
RUN set -eux; \
    cd /src; \
    TRADEMAN_ENV=development DATABASE_URL=sqlite:////tmp/collectstatic.sqlite3 \
        DJANGO_STATIC_ROOT=/app/static /opt/venv/bin/python trademan/manage.py collectstatic --noinput; \
    find /opt/venv/lib/python3*/site-packages -mindepth 2 -maxdepth 4 -type d -name static \
        -prune -exec rm -rf {} +

# The image keeps the installed packages only: pip and setuptools are not needed at run time, and
# of Django's translations only the two languages the Base serves (ru, en: settings.LANGUAGES).
FROM ${PYTHON_IMAGE}
ARG TARGETARCH
RUN set -eux; \
    if [ "$TARGETARCH" = "arm" ]; then \
        apt-get update; \
        apt-get install -y --no-install-recommends libpq5; \
        rm -rf /var/lib/apt/lists/*; \
    fi; \
    groupadd --system --gid 10001 trademan; \
    useradd --system --uid 10001 --gid trademan --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin trademan
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DJANGO_SETTINGS_MODULE=trademan.settings \
    DJANGO_STATIC_ROOT=/app/static \
    TRADEMAN_ENV=production \
    GUNICORN_BIND=0.0.0.0:8000
WORKDIR /app
COPY trademan/ /app/trademan/
COPY --from=build /app/static /app/static
COPY docker/base-entrypoint.sh docker/gunicorn.conf.py docker/wait_for_db.py docker/healthcheck.py /app/docker/
RUN chmod 0755 /app/docker/base-entrypoint.sh
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=6s --start-period=60s --retries=3 \
    CMD ["python", "/app/docker/healthcheck.py", "http", "http://127.0.0.1:8000/api/v1/health/"]
ENTRYPOINT ["/app/docker/base-entrypoint.sh"]
