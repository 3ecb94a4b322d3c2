#!/bin/sh
# Entry point of the haproxy stand-in (haproxy.Dockerfile), as in the official image: options
# alone run haproxy with them, and haproxy runs in master-worker mode in the foreground.
set -eu

case "${1:-}" in
    -*) set -- haproxy "$@" ;;
    *) ;;
esac
if [ "${1:-}" = haproxy ]; then
    shift
    set -- haproxy -W -db "$@"
fi

exec "$@"
