# Local stand-in for postgres:16-alpine, for docker/podman-check.sh only (Docker Hub is not
# reachable where that script runs). Debian bookworm ships PostgreSQL 15; the hub's schema
# and the stand-ins need nothing newer. postgres-entrypoint.sh follows the official image's
# conventions that docker/compose.yaml relies on: POSTGRES_USER, POSTGRES_DB,
# POSTGRES_PASSWORD(_FILE), PGDATA and the scripts in /docker-entrypoint-initdb.d.
ARG BASE=localhost/podman-check/debian:bookworm-minbase
FROM ${BASE}

# No "main" cluster from the package: the entrypoint creates the cluster in PGDATA.
RUN mkdir -p /etc/postgresql-common/createcluster.d \
    && echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.d/no-main.conf \
    && apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql-15 \
    && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb \
    && mkdir -p /var/lib/postgresql/data /docker-entrypoint-initdb.d /var/run/postgresql \
    && chown postgres:postgres /var/lib/postgresql/data /var/run/postgresql \
    && chmod 700 /var/lib/postgresql/data

ENV LANG=C.UTF-8 \
    PGDATA=/var/lib/postgresql/data \
    PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

COPY postgres-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
ENTRYPOINT ["/bin/sh", "/usr/local/bin/docker-entrypoint.sh"]
# Fast shutdown, as in the official image.
STOPSIGNAL SIGINT
EXPOSE 5432
CMD ["postgres"]
