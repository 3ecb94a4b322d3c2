# Local stand-in for redis:7-alpine, for docker/podman-check.sh only (Docker Hub is not
# reachable where that script runs): Debian bookworm's Redis 7.0 with redis-cli.
ARG BASE=localhost/podman-check/debian:bookworm-minbase
FROM ${BASE}

RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends redis-server redis-tools \
    && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb \
    && mkdir -p /data \
    && chown redis:redis /data

COPY redis-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
WORKDIR /data
ENTRYPOINT ["/bin/sh", "/usr/local/bin/docker-entrypoint.sh"]
EXPOSE 6379
CMD ["redis-server"]
