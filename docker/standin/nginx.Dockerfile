# Stand-in for nginx:1.27-alpine, built by scripts/docker-test.sh where no image registry is
# reachable: Debian bookworm's nginx laid out like the official image (sites in
# /etc/nginx/conf.d/, logs to the container's stdout/stderr, /var/cache/nginx) plus wget for the
# compose health check.
ARG DEBIAN_IMAGE
FROM ${DEBIAN_IMAGE}
COPY apt-docker-clean.conf /etc/apt/apt.conf.d/docker-clean
RUN set -eux; \
    apt-get update; \
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nginx-light wget; \
    apt-get clean; \
    rm -rf /var/lib/apt/lists/* /usr/share/doc/* /usr/share/man/* /usr/share/locale/*; \
    rm -f /etc/nginx/sites-enabled/default; \
    mkdir -p /var/cache/nginx; \
    ln -sf /dev/stdout /var/log/nginx/access.log; \
    ln -sf /dev/stderr /var/log/nginx/error.log
EXPOSE 80
STOPSIGNAL SIGQUIT
CMD ["nginx", "-g", "daemon off;"]
