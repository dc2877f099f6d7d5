# Stand-in for python:3.11-slim-bookworm, built by scripts/docker-test.sh where no image registry
# is reachable: Debian bookworm's own Python 3.11 on a debootstrapped root (DEBIAN_IMAGE), with
# the packages the official slim image carries (ca-certificates, netbase, tzdata) and `python`.
ARG DEBIAN_IMAGE
FROM ${DEBIAN_IMAGE}
COPY apt-docker-clean.conf /etc/apt/apt.conf.d/docker-clean
ENV LANG=C.UTF-8
RUN set -eux; \
    apt-get update; \
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        python3 python3-venv python-is-python3 ca-certificates netbase tzdata; \
    apt-get clean; \
    rm -rf /var/lib/apt/lists/* /usr/share/doc/* /usr/share/man/* /usr/share/locale/*
CMD ["python3"]
