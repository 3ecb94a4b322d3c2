#!/usr/bin/env bash
# Build docker/Dockerfile and run it, then start docker/compose.yaml, with podman instead of
# a Docker engine, and check that each part works.
#
# Why: the machines this project is developed on have a Docker client but no Docker engine.
# Docker Hub is not reachable from them either, only Debian's package mirror, PyPI and npm.
# So this script
#   1. installs podman, debootstrap and what they need with apt-get;
#   2. makes local stand-ins for the registry images from Debian bookworm packages
#      (debootstrap --variant=minbase, then docker/podman/*.Dockerfile) and tags them with
#      the names the project's files use: python:3.11-slim (Python 3.11), postgres:16-alpine
#      (PostgreSQL 15), redis:7-alpine (Redis 7.0) and haproxy:2.8-alpine (HAProxy 2.6);
#   3. builds justice-exchange-hub:0.1.0 from docker/Dockerfile with --pull=never;
#   4. runs the image alone: user, `hub --help`, `hub serve` and /healthz, the HEALTHCHECK,
#      the court and bureau stand-ins, and the entrypoint's export of secret files;
#   5. starts the compose stack with podman-compose (installed into its own venv) under a
#      project name of its own, with secrets made as docs/operations.md describes, in the cache
#      folder, and checks the replicas, the proxy, a GraphQL query, the notice flow, the
#      scheduler and its nightly jobs, and `down`;
#   6. prints a table of results, removes the containers, volumes and network it started,
#      and exits 1 when any check failed.
#
# Run it as root with bash, from any folder, without arguments. Settings (environment):
#   PODMAN_CHECK_CACHE   cache folder for the root file system and build contexts
#                        (default /tmp/podman-check)
#   PODMAN_COMPOSE_VENV  venv that gets podman-compose (default /tmp/pc-venv)
#   PODMAN_CHECK_REBUILD 1 to debootstrap and build the stand-ins again
# Images stay in podman's storage afterwards, so a second run only rebuilds what changed.
#
# What differs from Docker here, and how the script handles it:
#   - podman 4.3 runs health checks from systemd timers. Without systemd they never run on
#     their own, so the script runs `podman healthcheck run` in a loop while the stack is up.
#   - podman-compose 1.6 ignores `condition: service_healthy` with podman older than 4.6,
#     and podman 4.3 failed to start the containers that podman-compose created with
#     --requires ("... not found in input list"). So the script starts the services in the
#     order of compose.yaml's depends_on, with --no-deps, and waits for each condition itself.
#   - podman-compose honours deploy.replicas only with an explicit deploy.mode, and it does
#     not implement service-level `configs`. An override file adds both (the JWKS as a mount).
#   - A sandbox that denies raising resource limits (no CAP_SYS_RESOURCE) rejects podman's
#     default container limits. containers.conf requests the current hard limits instead,
#     and runc, which handles a cgroup v1 host with cgroup v2 mounted beside it (crun does not).

set -u

REPO=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${PODMAN_CHECK_CACHE:-/tmp/podman-check}
PC_VENV=${PODMAN_COMPOSE_VENV:-/tmp/pc-venv}
REBUILD=${PODMAN_CHECK_REBUILD:-0}
PODMAN_COMPOSE_VERSION=1.6.0
IMAGE=justice-exchange-hub:0.1.0
BASE_IMAGE=localhost/podman-check/debian:bookworm-minbase
PROJECT=jeh-podman-check
PREFIX=pc-check
DEBIAN_MIRROR=http://deb.debian.org/debian

export CONTAINERS_CONF="$CACHE/containers.conf"

RESULTS=()
REPLACED=() # tag, image id before this run's rebuild, tag, id, ...
FAILED=0
HEALTH_LOOP_PID=""
BUILD_SECONDS="-"
IMAGE_SIZE="-"

log() { printf '%s podman-check: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

# record NAME STATUS DETAIL: one row of the result table.
record() {
    RESULTS+=("$(printf '%-6s  %-34s  %s' "$2" "$1" "$3")")
    if [ "$2" != PASS ]; then
        FAILED=$((FAILED + 1))
    fi
    log "$2 $1: $3"
}

check() { # check NAME DETAIL COMMAND...: PASS when the command exits 0.
    local name=$1 detail=$2
    shift 2
    if "$@"; then record "$name" PASS "$detail"; else record "$name" FAIL "$detail"; fi
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

compose() {
    "$PC_VENV/bin/podman-compose" --in-pod=false -p "$PROJECT" \
        -f "$REPO/docker/compose.yaml" -f "$CACHE/override.yaml" "$@"
}

project_containers() {
    podman ps -a --filter "label=com.docker.compose.project=$PROJECT" --format '{{.Names}}'
}

health_loop() {
    while :; do
        for name in $(podman ps --filter "label=com.docker.compose.project=$PROJECT" --format '{{.Names}}'); do
            podman healthcheck run "$name" >/dev/null 2>&1
        done
        sleep 3
    done
}

cleanup() {
    if [ -n "$HEALTH_LOOP_PID" ]; then
        kill "$HEALTH_LOOP_PID" 2>/dev/null
        wait "$HEALTH_LOOP_PID" 2>/dev/null
        HEALTH_LOOP_PID=""
    fi
    for name in $(podman ps -a --filter "name=^$PREFIX-" --format '{{.Names}}' 2>/dev/null); do
        podman rm -f "$name" >/dev/null 2>&1
    done
    if [ -x "$PC_VENV/bin/podman-compose" ] && [ -f "$CACHE/override.yaml" ] && [ -n "$(project_containers 2>/dev/null)" ]; then
        compose down -v >>"$CACHE/compose-down.log" 2>&1
    fi
    for volume in $(podman volume ls --filter "label=com.docker.compose.project=$PROJECT" -q 2>/dev/null); do
        podman volume rm -f "$volume" >/dev/null 2>&1
    done
}

print_table() {
    printf '\n%-6s  %-34s  %s\n' RESULT CHECK DETAIL
    printf '%s\n' "${RESULTS[@]}"
    printf '\nimage %s: %s, built in %s s\n' "$IMAGE" "$IMAGE_SIZE" "$BUILD_SECONDS"
    printf 'logs: %s\n' "$CACHE"
}

finish() {
    local status=$?
    cleanup
    print_table
    if [ "$FAILED" -gt 0 ]; then
        printf '%d check(s) failed.\n' "$FAILED"
        exit 1
    fi
    printf 'All checks passed.\n'
    exit "$status"
}
trap finish EXIT
trap 'exit 130' INT TERM

# wait_until SECONDS COMMAND...: run the command every 2 s until it succeeds.
wait_until() {
    local limit=$1 waited=0
    shift
    until "$@"; do
        if [ "$waited" -ge "$limit" ]; then return 1; fi
        sleep 2
        waited=$((waited + 2))
    done
}

http_status() { curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$1"; }

image_id() { podman image inspect "$1" --format '{{.Id}}' 2>/dev/null; }

# drop_replaced TAG OLD_ID: remove the image a rebuild of TAG left untagged, unless in use.
drop_replaced() {
    if [ -n "$2" ] && [ "$2" != "$(image_id "$1")" ]; then
        podman rmi "$2" >/dev/null 2>&1
    fi
}

# ---------------------------------------------------------------- 1. packages and podman

if [ "$(id -u)" != 0 ]; then
    log "run as root: apt-get, debootstrap and rootful podman need it"
    exit 2
fi
mkdir -p "$CACHE"

log "installing podman, debootstrap and their helpers with apt-get"
if ! DEBIAN_FRONTEND=noninteractive apt-get update -q >"$CACHE/apt.log" 2>&1 ||
    ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q podman debootstrap uidmap fuse-overlayfs \
        slirp4netns netavark aardvark-dns runc crun containernetworking-plugins iptables \
        openssl curl python3 python3-venv >>"$CACHE/apt.log" 2>&1; then
    record "apt-get install podman" FAIL "see $CACHE/apt.log"
    exit 1
fi

nofile=$(ulimit -Hn)
nproc=$(ulimit -Hu)
[ "$nofile" = unlimited ] || [ "$nofile" -gt 1048576 ] && nofile=1048576
# Podman starts the OCI runtime with a process limit of 32768 here (measured), and the
# runtime fails to raise a container's limit above that.
[ "$nproc" = unlimited ] || [ "$nproc" -gt 32768 ] && nproc=32768
cat >"$CONTAINERS_CONF" <<EOF
# Written by docker/podman-check.sh: container limits within this host's hard limits,
# runc (cgroup v1 with v2 beside it), no systemd for cgroups or events.
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
record "apt-get install podman" PASS "$(podman --version)"

# ---------------------------------------------------------------- 2. stand-in base images

if [ "$REBUILD" = 1 ] || ! podman image exists "$BASE_IMAGE"; then
    log "debootstrap --variant=minbase bookworm (about a minute)"
    rm -rf "$CACHE/rootfs"
    if ! debootstrap --variant=minbase bookworm "$CACHE/rootfs" "$DEBIAN_MIRROR" >"$CACHE/debootstrap.log" 2>&1; then
        record "debootstrap bookworm minbase" FAIL "see $CACHE/debootstrap.log"
        exit 1
    fi
    cat >"$CACHE/rootfs/etc/apt/sources.list" <<EOF
deb $DEBIAN_MIRROR bookworm main
deb $DEBIAN_MIRROR bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
EOF
    printf '#!/bin/sh\n# No service starts while packages install in an image build.\nexit 101\n' \
        >"$CACHE/rootfs/usr/sbin/policy-rc.d"
    chmod 755 "$CACHE/rootfs/usr/sbin/policy-rc.d"
    rm -rf "$CACHE"/rootfs/var/cache/apt/archives/*.deb "$CACHE"/rootfs/var/lib/apt/lists/*
    base_previous_id=$(image_id "$BASE_IMAGE")
    if tar --numeric-owner -C "$CACHE/rootfs" -c . |
        podman import --change 'CMD ["/bin/bash"]' - "$BASE_IMAGE" >"$CACHE/import.log" 2>&1; then
        rm -rf "$CACHE/rootfs"
    else
        record "podman import base" FAIL "see $CACHE/import.log"
        exit 1
    fi
fi
check "podman runs a container" "$BASE_IMAGE" \
    podman run --rm "$BASE_IMAGE" true

# The build context: the stand-ins' files, and the certificate authorities this host adds
# to Debian's store (a TLS-inspecting egress needs them for pip inside the build).
rm -rf "$CACHE/context"
mkdir -p "$CACHE/context/ca"
cp "$REPO"/docker/podman/* "$CACHE/context/"
cp /usr/local/share/ca-certificates/*.crt "$CACHE/context/ca/" 2>/dev/null

stand_ins_ok=1
for pair in python:docker.io/library/python:3.11-slim postgres:docker.io/library/postgres:16-alpine \
    redis:docker.io/library/redis:7-alpine haproxy:docker.io/library/haproxy:2.8-alpine; do
    name=${pair%%:*}
    tag=${pair#*:}
    previous_id=$(image_id "$tag")
    if ! podman build --pull=never --format docker --build-arg "BASE=$BASE_IMAGE" \
        -f "$CACHE/context/$name.Dockerfile" -t "$tag" "$CACHE/context" >"$CACHE/build-$name.log" 2>&1; then
        stand_ins_ok=0
        record "stand-in $tag" FAIL "see $CACHE/build-$name.log"
    fi
    REPLACED+=("$tag" "$previous_id")
done
REPLACED+=("$BASE_IMAGE" "${base_previous_id:-}")
if [ "$stand_ins_ok" = 1 ]; then
    record "stand-in images built" PASS "python:3.11-slim postgres:16-alpine redis:7-alpine haproxy:2.8-alpine"
else
    exit 1
fi

# ---------------------------------------------------------------- 3. the project's image

log "building $IMAGE from docker/Dockerfile"
previous_id=$(image_id "$IMAGE")
started=$(date +%s)
if podman build --pull=never --format docker -f "$REPO/docker/Dockerfile" -t "$IMAGE" "$REPO" \
    >"$CACHE/build-hub.log" 2>&1; then
    BUILD_SECONDS=$(($(date +%s) - started))
    IMAGE_SIZE=$(podman image inspect "$IMAGE" --format '{{.Size}}' |
        awk '{printf "%.0f MB", $1 / 1000000}')
    record "podman build docker/Dockerfile" PASS "$IMAGE_SIZE, $BUILD_SECONDS s"
else
    record "podman build docker/Dockerfile" FAIL "see $CACHE/build-hub.log"
    exit 1
fi
# Images that the rebuilds left untagged go, children first.
drop_replaced "$IMAGE" "$previous_id"
for ((i = 0; i < ${#REPLACED[@]}; i += 2)); do
    drop_replaced "${REPLACED[i]}" "${REPLACED[i + 1]}"
done

# ---------------------------------------------------------------- 4. the image alone

uid=$(podman run --rm "$IMAGE" id -u 2>/dev/null)
if [ "$uid" = 10001 ]; then record "runs as uid 10001" PASS "id -u: $uid"; else record "runs as uid 10001" FAIL "id -u: ${uid:-none}"; fi

check "hub --help" "exit 0" sh -c "podman run --rm '$IMAGE' hub --help >'$CACHE/hub-help.txt' 2>&1"
check "tracing extra installed" "a job's span printed with HUB_TRACING=console" sh -c \
    "podman run --rm -e HUB_TRACING=console -e HUB_STORE_URL=sqlite+aiosqlite:////tmp/hub.sqlite '$IMAGE' \
        sh -c 'hub migrate >/dev/null && hub relink' 2>&1 | grep -q '\"name\": \"hub relink\"'"

hub_port=$(free_port)
podman run -d --name "$PREFIX-hub" -p "127.0.0.1:$hub_port:8000" "$IMAGE" >/dev/null 2>"$CACHE/run-hub.err"
if wait_until 60 sh -c "[ \"\$(curl -s --max-time 5 http://127.0.0.1:$hub_port/healthz)\" = '{\"status\":\"ok\"}' ]"; then
    record "hub serve /healthz (SQLite)" PASS "127.0.0.1:$hub_port/healthz: $(curl -s "http://127.0.0.1:$hub_port/healthz")"
else
    record "hub serve /healthz (SQLite)" FAIL "no answer on 127.0.0.1:$hub_port; see podman logs"
    podman logs "$PREFIX-hub" >"$CACHE/hub-serve.log" 2>&1
fi
if podman healthcheck run "$PREFIX-hub" >/dev/null 2>&1 &&
    [ "$(podman inspect "$PREFIX-hub" --format '{{.State.Health.Status}}')" = healthy ]; then
    record "image HEALTHCHECK" PASS "podman healthcheck run: healthy"
else
    record "image HEALTHCHECK" FAIL "podman healthcheck run did not report healthy"
fi
podman rm -f "$PREFIX-hub" >/dev/null 2>&1

court_port=$(free_port)
podman run -d --name "$PREFIX-court" -p "127.0.0.1:$court_port:8101" "$IMAGE" \
    python -m simulators.court --db /app/var/court.sqlite --host 0.0.0.0 --port 8101 --load-dataset >/dev/null 2>&1
check "court stand-in WSDL" "127.0.0.1:$court_port/ws/court?wsdl answers 200" \
    wait_until 90 sh -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 'http://127.0.0.1:$court_port/ws/court?wsdl')\" = 200 ]"
bureau_port=$(free_port)
podman run -d --name "$PREFIX-bureau" -p "127.0.0.1:$bureau_port:8102" "$IMAGE" \
    python -m simulators.bureau --db /app/var/bureau.sqlite --host 0.0.0.0 --port 8102 >/dev/null 2>&1
check "bureau stand-in /healthz" "127.0.0.1:$bureau_port/healthz answers 200" \
    wait_until 60 sh -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 'http://127.0.0.1:$bureau_port/healthz')\" = 200 ]"
podman rm -f "$PREFIX-court" "$PREFIX-bureau" >/dev/null 2>&1

secrets_test="$CACHE/entrypoint-secrets"
rm -rf "$secrets_test"
mkdir -p "$secrets_test"
printf 'subject-key-of-32-characters-xx\n' >"$secrets_test/HUB_AUDIT_SUBJECT_KEY"
printf 'pg-secret' >"$secrets_test/PGPASSWORD"
printf 'not a variable\n' >"$secrets_test/audit-checkpoint-key.pem"
chmod 444 "$secrets_test"/*
podman run --rm --name "$PREFIX-entrypoint" -v "$secrets_test:/run/secrets:ro" "$IMAGE" env \
    >"$CACHE/entrypoint-env.txt" 2>/dev/null
if grep -qx 'HUB_AUDIT_SUBJECT_KEY=subject-key-of-32-characters-xx' "$CACHE/entrypoint-env.txt" &&
    grep -qx 'PGPASSWORD=pg-secret' "$CACHE/entrypoint-env.txt" &&
    ! grep -q 'audit-checkpoint-key' "$CACHE/entrypoint-env.txt"; then
    record "entrypoint exports secrets" PASS "HUB_AUDIT_SUBJECT_KEY and PGPASSWORD, not the .pem"
else
    record "entrypoint exports secrets" FAIL "see $CACHE/entrypoint-env.txt"
fi

# ---------------------------------------------------------------- 5. the compose stack

if [ ! -x "$PC_VENV/bin/podman-compose" ]; then
    log "installing podman-compose $PODMAN_COMPOSE_VERSION into $PC_VENV"
    python3 -m venv "$PC_VENV" &&
        "$PC_VENV/bin/pip" install -q "podman-compose==$PODMAN_COMPOSE_VERSION" >"$CACHE/pip.log" 2>&1
fi
if [ ! -x "$PC_VENV/bin/podman-compose" ]; then
    record "podman-compose" FAIL "install failed; see $CACHE/pip.log"
    exit 1
fi

# Secrets as docs/operations.md makes them, in the cache folder instead of docker/secrets/,
# so a developer's own secrets stay untouched. The image itself makes the demo JWKS.
secrets="$CACHE/secrets"
rm -rf "$secrets"
mkdir -p "$secrets"
chmod 700 "$secrets"
python3 -c 'import secrets; print(secrets.token_hex(32))' >"$secrets/audit_subject_key"
python3 -c 'import secrets; print(secrets.token_hex(32))' >"$secrets/cache_key_secret"
python3 -c 'import secrets; print(secrets.token_urlsafe(24))' >"$secrets/postgres_password"
openssl genpkey -algorithm ed25519 -out "$secrets/audit-checkpoint-key.pem" 2>/dev/null
chmod 444 "$secrets"/*
podman run --rm --user 0:0 -v "$secrets:/keys" "$IMAGE" python -c 'import json
from hub.auth import load_or_create_key, public_jwks
print(json.dumps(public_jwks(load_or_create_key("/keys/demo-signing-key.pem"))))' >"$secrets/jwks.json" 2>"$CACHE/jwks.err"
chmod 444 "$secrets/jwks.json"
token() {
    podman run --rm --user 0:0 -v "$secrets:/keys:ro" "$IMAGE" \
        hub token --role "$1" --unit "$2" --key-file /keys/demo-signing-key.pem 2>/dev/null
}

proxy_port=$(free_port)
cat >"$CACHE/override.yaml" <<EOF
# Written by docker/podman-check.sh: what podman and podman-compose need beyond compose.yaml.
services:
  hub:
    deploy:
      mode: replicated
    volumes:
      - $secrets/jwks.json:/etc/hub/jwks.json:ro
  proxy:
    ports: !override
      - "127.0.0.1:$proxy_port:8080"
secrets:
  postgres_password:
    file: $secrets/postgres_password
  audit_subject_key:
    file: $secrets/audit_subject_key
  cache_key_secret:
    file: $secrets/cache_key_secret
  audit_checkpoint_key:
    file: $secrets/audit-checkpoint-key.pem
configs:
  jwks:
    file: $secrets/jwks.json
EOF

# A stack left by an earlier, interrupted run goes first.
if [ -n "$(project_containers)" ]; then compose down -v >"$CACHE/compose-down-old.log" 2>&1; fi

health_loop &
HEALTH_LOOP_PID=$!

status_of() { podman inspect "$1" --format '{{.State.Status}} {{.State.ExitCode}} {{.State.Health.Status}}' 2>/dev/null; }
all_healthy() {
    local name
    for name in "$@"; do
        [ "$(podman inspect "$name" --format '{{.State.Health.Status}}' 2>/dev/null)" = healthy ] || return 1
    done
}
exited() {
    local name
    for name in "$@"; do
        [ "$(podman inspect "$name" --format '{{.State.Status}}' 2>/dev/null)" = exited ] || return 1
    done
}

c() { printf '%s_%s_%s' "$PROJECT" "$1" "${2:-1}"; }

log "compose: postgres, redis, court, bureau"
compose up -d --no-deps postgres redis court bureau >"$CACHE/compose-up-1.log" 2>&1
check "compose: backing services healthy" "postgres redis court bureau" \
    wait_until 180 all_healthy "$(c postgres)" "$(c redis)" "$(c court)" "$(c bureau)"

log "compose: stand-in-loader, migrate"
compose up -d --no-deps stand-in-loader migrate >"$CACHE/compose-up-2.log" 2>&1
wait_until 300 exited "$(c stand-in-loader)" "$(c migrate)"
loader=$(podman inspect "$(c stand-in-loader)" --format '{{.State.ExitCode}}' 2>/dev/null)
migrate=$(podman inspect "$(c migrate)" --format '{{.State.ExitCode}}' 2>/dev/null)
if [ "$loader" = 0 ] && [ "$migrate" = 0 ]; then
    record "compose: one-shot jobs" PASS "stand-in-loader and migrate exited 0"
else
    record "compose: one-shot jobs" FAIL "stand-in-loader exit ${loader:-?}, migrate exit ${migrate:-?}"
fi

log "compose: hub replicas, scheduler"
compose up -d --no-deps hub scheduler >"$CACHE/compose-up-3.log" 2>&1
scheduler_started=$(date +%s)
check "compose: 2 hub replicas healthy" "$(c hub 1) $(c hub 2)" \
    wait_until 120 all_healthy "$(c hub 1)" "$(c hub 2)"

log "compose: proxy"
compose up -d --no-deps proxy >"$CACHE/compose-up-4.log" 2>&1
check "compose: proxy /healthz" "127.0.0.1:$proxy_port/healthz answers 200" \
    wait_until 60 sh -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 http://127.0.0.1:$proxy_port/healthz)\" = 200 ]"
compose ps >"$CACHE/compose-ps.txt" 2>/dev/null

judge=$(token judge court:513400)
query='{"query": "{ priorRecords(idNumber: \"513431199009157451\", purpose: TRIAL, caseNumber: \"（2026）川34刑终112号\") { person { name } sources { agency status } } }"}'
graphql() {
    curl -s --max-time 20 "http://127.0.0.1:$proxy_port/graphql" -H "Authorization: Bearer $1" \
        -H 'content-type: application/json' -d "$2"
}
answer=""
for _ in 1 2 3 4; do
    answer=$(graphql "$judge" "$query")
done
printf '%s\n' "$answer" >"$CACHE/graphql-answer.json"
if printf '%s' "$answer" | grep -q '"name":"海来阿牛"' &&
    [ "$(printf '%s' "$answer" | grep -o '"status":"OK"' | wc -l)" = 4 ]; then
    record "compose: GraphQL via proxy" PASS "priorRecords: 海来阿牛, 4 agencies OK"
else
    record "compose: GraphQL via proxy" FAIL "$(printf '%s' "$answer" | head -c 200)"
fi
served=0
for replica in 1 2; do
    if podman logs "$(c hub "$replica")" 2>&1 | grep -q 'POST /graphql 200'; then served=$((served + 1)); fi
done
if [ "$served" = 2 ]; then
    record "compose: proxy balances replicas" PASS "both replicas answered POST /graphql"
else
    record "compose: proxy balances replicas" FAIL "$served of 2 replicas answered"
fi
check "compose: /metrics not proxied" "404 through the proxy" \
    test "$(http_status "http://127.0.0.1:$proxy_port/metrics")" = 404

# The notice flow through the scheduler: a new judgment at the court stand-in becomes a
# notice, is delivered to the bureau stand-in, and its receipt (after 30 s) is collected.
judgment='{"person": {"name": "吉克阿呷", "id_number": "513431199501010427", "sex_code": "2",
  "ethnicity_code": "07", "birth_date": "1995-01-01", "county_code": "513431"},
 "judgment": {"case_number": "（2026）川3431刑初88号", "court_name": "昭觉县人民法院",
  "court_code": "川3431", "verdict": "guilty", "penalty": "fixed_term_imprisonment",
  "term_months": 12, "probation_months": 24, "charges": [{"name": "盗窃罪", "article": "264"}],
  "judgment_date": "2026-11-20", "effective_date": "2026-12-01", "offence_date": "2026-08-02",
  "procuratorate": "昭觉县人民检察院", "correction_type": "suspended_sentence"}}'
printf '%s' "$judgment" | podman exec -i "$(c court)" python -c '
import sys, urllib.request
request = urllib.request.Request("http://127.0.0.1:8101/admin/judgments", data=sys.stdin.buffer.read(),
                                 headers={"content-type": "application/json"})
print(urllib.request.urlopen(request, timeout=10).read().decode())' >"$CACHE/judgment-added.txt" 2>&1
officer=$(token correction_officer justice_bureau:513431)
notices='{"query": "{ notices(filter: {countyCode: \"513431\"}) { items { caseNumber status } } }"}'
notice_received() {
    graphql "$officer" "$notices" >"$CACHE/notices-answer.json"
    grep -q '"caseNumber":"（2026）川3431刑初88号","status":"RECEIVED"' "$CACHE/notices-answer.json"
}
check "compose: scheduler notice flow" "judgment -> notice -> delivered -> RECEIVED" \
    wait_until 180 notice_received
podman logs "$(c scheduler)" >"$CACHE/scheduler.log" 2>&1
if grep -q 'scheduler: start: hub receipts' "$CACHE/scheduler.log" &&
    ! grep -q 'scheduler: failed' "$CACHE/scheduler.log"; then
    record "compose: scheduler jobs" PASS "poll court, deliver, receipts ran without failure"
else
    record "compose: scheduler jobs" FAIL "see $CACHE/scheduler.log"
fi
# The image's HEALTHCHECK (start period 30 s, then 3 failures 15 s apart) would have marked
# the scheduler unhealthy by 90 s after its start.
remaining=$((scheduler_started + 90 - $(date +%s)))
if [ "$remaining" -gt 0 ]; then sleep "$remaining"; fi
health=$(podman inspect "$(c scheduler)" --format '{{.State.Health.Status}}' 2>/dev/null)
if [ "$health" != unhealthy ]; then
    record "compose: scheduler not unhealthy" PASS "health after 90 s: ${health:-no check}"
else
    record "compose: scheduler not unhealthy" FAIL "health after 90 s: unhealthy"
fi

# The nightly jobs, run now through the entrypoint in the scheduler's container, with its
# environment and secrets.
nightly_ok=1
for job in "poll-identity police" "poll-identity prison" "poll-identity correction" \
    "poll-identity court" relink "audit verify"; do
    # shellcheck disable=SC2086
    if ! podman exec "$(c scheduler)" sh /app/docker/entrypoint.sh hub $job >>"$CACHE/nightly.log" 2>&1; then
        nightly_ok=0
        log "nightly job failed: hub $job"
    fi
done
if [ "$nightly_ok" = 1 ]; then
    record "compose: nightly jobs" PASS "poll-identity x4, relink, audit verify exited 0"
else
    record "compose: nightly jobs" FAIL "see $CACHE/nightly.log"
fi

kill "$HEALTH_LOOP_PID" 2>/dev/null
wait "$HEALTH_LOOP_PID" 2>/dev/null
HEALTH_LOOP_PID=""
compose down >"$CACHE/compose-down.log" 2>&1
left=$(project_containers | wc -l)
if [ "$left" = 0 ]; then
    record "compose down" PASS "no container of the project left"
else
    record "compose down" FAIL "$left container(s) left"
fi
