# Stand-in for postgres:16-alpine, built by scripts/docker-test.sh where no image registry is
# reachable: Debian bookworm's PostgreSQL 15 with an entry point that honours the same
# POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_DB variables and PGDATA as the official image.
ARG DEBIAN_IMAGE
FROM ${DEBIAN_IMAGE}
COPY apt-docker-clean.conf /etc/apt/apt.conf.d/docker-clean
ENV LANG=C.UTF-8 PGDATA=/var/lib/postgresql/data PATH=/usr/lib/postgresql/15/bin:$PATH
RUN set -eux; \
    apt-get update; \
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        postgresql-15 tzdata; \
    apt-get clean; \
    rm -rf /var/lib/apt/lists/* /usr/share/doc/* /usr/share/man/* /usr/share/locale/*; \
    mkdir -p "$PGDATA" /var/run/postgresql; \
    chown -R postgres:postgres /var/lib/postgresql /var/run/postgresql
COPY postgres-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
VOLUME /var/lib/postgresql/data
STOPSIGNAL SIGINT
EXPOSE 5432
ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]
