# Local stand-in for python:3.11-slim, for docker/podman-check.sh only (Docker Hub is not
# reachable where that script runs). Debian bookworm's own Python is 3.11. The script tags
# the result docker.io/library/python:3.11-slim, so docker/Dockerfile builds unchanged.
# BASE is a debootstrap --variant=minbase root file system imported by the script. The build
# context holds ca/: the certificate authorities this machine adds to Debian's store (its
# package traffic goes through a TLS-inspecting egress), so pip inside builds reaches PyPI.
ARG BASE=localhost/podman-check/debian:bookworm-minbase
FROM ${BASE}

ENV LANG=C.UTF-8 \
    PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin

COPY ca/ /usr/local/share/ca-certificates/

# The official image has `python` and `pip` in /usr/local/bin, and pip may install into the
# system interpreter there; Debian marks its interpreter as externally managed, so drop that.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        python3 python3-pip python3-venv ca-certificates \
    && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb \
    && update-ca-certificates \
    && rm -f /usr/lib/python3.11/EXTERNALLY-MANAGED \
    && ln -s /usr/bin/python3 /usr/local/bin/python \
    && ln -s /usr/bin/python3 /usr/local/bin/python3 \
    && ln -s /usr/bin/pip3 /usr/local/bin/pip \
    && ln -s /usr/bin/pip3 /usr/local/bin/pip3

CMD ["python3"]
