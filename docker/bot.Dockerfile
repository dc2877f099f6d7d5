# The bot (aiogram 3 + the execution engine): `python -m bot run`. Build from the repository root:
#   docker build -f docker/bot.Dockerfile -t trademan-bot .
# Multi-arch: linux/amd64, linux/arm64 and linux/arm/v7. On arm/v7 two dependencies have no
# wheel on PyPI: propcache (musl only), built there from its hashed source as pure Python
# (PROPCACHE_NO_EXTENSIONS; aiohttp/yarl use it either way), and Pillow (the /chart pictures),
# compiled from its hashed source in the build stage (Python, zlib and libjpeg headers; the image
# keeps only the libjpeg runtime).
# Behind a TLS-inspecting proxy (a corporate CA), hand pip that CA bundle as a build secret; it is
# used for the download only and never stored in a layer:
#   docker build --secret id=ca_bundle,src=/etc/ssl/certs/ca-certificates.crt ...
# (docker compose: see README, "Building behind a proxy"). Proxies: --build-arg HTTPS_PROXY=...
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ARG TARGETARCH
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
COPY requirements/bot.txt /tmp/bot.txt
RUN --mount=type=secret,id=ca_bundle set -eu; \
    if [ -s /run/secrets/ca_bundle ]; then export PIP_CERT=/run/secrets/ca_bundle; fi; \
    if [ "$TARGETARCH" = "arm" ]; then \
        export PROPCACHE_NO_EXTENSIONS=1; \
        apt-get update; \
        apt-get install -y --no-install-recommends \
            build-essential libpython3.11-dev zlib1g-dev libjpeg62-turbo-dev; \
    fi; \
    python -m venv /opt/venv; \
    /opt/venv/bin/pip install --require-hashes --no-deps -r /tmp/bot.txt; \
    /opt/venv/bin/pip uninstall --yes --quiet pip setuptools

# The image keeps the installed packages only: pip and setuptools are not needed at run time.
FROM ${PYTHON_IMAGE}
ARG TARGETARCH
RUN set -eux; \
    if [ "$TARGETARCH" = "arm" ]; then \
        apt-get update; \
        apt-get install -y --no-install-recommends libjpeg62-turbo; \
        rm -rf /var/lib/apt/lists/*; \
    fi; \
    groupadd --system --gid 10001 trademan; \
    useradd --system --uid 10001 --gid trademan --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin trademan
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    BOT_STATE_DIR=/app/var/bot
WORKDIR /app
COPY bot/ /app/bot/
# /whatif replays a recording against the simulator's code, imported only in the what-if's
# worker process (`python -m bot.engine.tape.worker`), never in the live bot's.
COPY simulator/ /app/simulator/
COPY docker/healthcheck.py /app/docker/
# /app/var holds the bot's local state (a named volume in docker-compose.yml).
RUN mkdir -p /app/var/bot && chown -R trademan:trademan /app/var
USER 10001:10001
VOLUME ["/app/var"]
# The bot serves no port. Healthy while it keeps touching its heartbeat file (a stuck event loop
# shows as unhealthy); until it has written one, while its main process is alive.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "/app/docker/healthcheck.py", "heartbeat", "/app/var/bot/heartbeat", "180"]
ENTRYPOINT ["python", "-m", "bot"]
CMD ["run"]
