# The exchange simulator (paper trading): speaks the T-Invest REST/WebSocket JSON on port 8800.
#   docker build -f docker/simulator.Dockerfile -t trademan-simulator .
# Multi-arch: linux/amd64, linux/arm64 and linux/arm/v7 (wheels exist for all three).
# Behind a TLS-inspecting proxy (a corporate CA), hand pip that CA bundle as a build secret; it is
# used for the download only and never stored in a layer:
#   docker build --secret id=ca_bundle,src=/etc/ssl/certs/ca-certificates.crt ...
# (docker compose: see README, "Building behind a proxy"). Proxies: --build-arg HTTPS_PROXY=...
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
COPY requirements/simulator.txt /tmp/simulator.txt
RUN --mount=type=secret,id=ca_bundle set -eu; \
    if [ -s /run/secrets/ca_bundle ]; then export PIP_CERT=/run/secrets/ca_bundle; fi; \
    python -m venv /opt/venv; \
    /opt/venv/bin/pip install --require-hashes --no-deps -r /tmp/simulator.txt; \
    /opt/venv/bin/pip uninstall --yes --quiet pip setuptools

# The image keeps the installed packages only: pip and setuptools are not needed at run time.
FROM ${PYTHON_IMAGE}
RUN groupadd --system --gid 10001 trademan \
    && useradd --system --uid 10001 --gid trademan --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin trademan
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /app
COPY simulator/ /app/simulator/
COPY docker/healthcheck.py /app/docker/
USER 10001:10001
EXPOSE 8800
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "/app/docker/healthcheck.py", "tcp", "127.0.0.1", "8800"]
ENTRYPOINT ["python", "-m", "simulator"]
CMD ["--host", "0.0.0.0", "--port", "8800", "--seed", "1"]
