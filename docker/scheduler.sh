#!/bin/sh
# The scheduled jobs in one loop, for a deployment without cron:
#   every SCHEDULE_NOTICE_CYCLE_S seconds (default 60): hub poll court, hub deliver, hub receipts;
#   once a day, in the UTC hour SCHEDULE_NIGHTLY_HOUR_UTC (default 18, 02:00 in Beijing):
#   hub poll-identity for each agency, hub relink, hub audit verify.
# A failed job is logged and the loop goes on, as the next cron run would. Run one
# scheduler per deployment: poll-identity and relink take no lock of their own.
set -u

cycle_s="${SCHEDULE_NOTICE_CYCLE_S:-60}"
nightly_hour="${SCHEDULE_NIGHTLY_HOUR_UTC:-18}"
poll_options="${SCHEDULE_POLL_OPTIONS:-}"
last_nightly_day=""

# On SIGTERM (docker stop) the job that is running finishes, then the loop ends. A job killed
# mid-run would keep its poll lock until HUB_LOCK_TTL_S runs out.
trap 'echo "scheduler: stopping"; exit 0' TERM INT

run() {
    echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) scheduler: start: $*"
    "$@"
    status=$?
    if [ "$status" -ne 0 ]; then
        echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) scheduler: failed with exit status $status: $*" >&2
    fi
    return "$status"
}

while true; do
    # $poll_options is unquoted on purpose: it contains zero or more options.
    # shellcheck disable=SC2086
    run hub poll court $poll_options
    run hub deliver
    run hub receipts

    today=$(date -u +%Y-%m-%d)
    hour=$(date -u +%H)
    if [ "$hour" -eq "$nightly_hour" ] && [ "$today" != "$last_nightly_day" ]; then
        for agency in police prison correction court; do
            run hub poll-identity "$agency"
        done
        run hub relink
        run hub audit verify
        last_nightly_day="$today"
    fi

    # Sleep in the background, so SIGTERM interrupts `wait` at once.
    sleep "$cycle_s" &
    wait $!
done
