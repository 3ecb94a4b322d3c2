# Local stand-in for haproxy:2.8-alpine, for docker/podman-check.sh only (Docker Hub is not
# reachable where that script runs): Debian bookworm's HAProxy 2.6, reading the
# configuration from the official image's path, /usr/local/etc/haproxy/haproxy.cfg.
ARG BASE=localhost/podman-check/debian:bookworm-minbase
FROM ${BASE}

RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends haproxy \
    && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb \
    && mkdir -p /usr/local/etc/haproxy

COPY haproxy-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
ENTRYPOINT ["/bin/sh", "/usr/local/bin/docker-entrypoint.sh"]
# Graceful stop, as in the official image.
STOPSIGNAL SIGUSR1
USER haproxy
CMD ["haproxy", "-f", "/usr/local/etc/haproxy/haproxy.cfg"]
