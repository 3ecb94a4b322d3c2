#!/bin/sh
# Entry point of the redis stand-in (redis.Dockerfile). The official image builds Redis with
# protected mode off, so clients on the container network connect without a password.
# Debian's build keeps it on, so this script turns it off unless the command sets it.
set -eu

if [ "${1:-}" = redis-server ]; then
    case " $* " in
        *" --protected-mode "*) ;;
        *) set -- "$@" --protected-mode no ;;
    esac
fi

exec "$@"
