#!/bin/sh
# Export each secret file named like an environment variable (HUB_AUDIT_SUBJECT_KEY,
# PGPASSWORD, ...) from SECRETS_DIR, then run the command. Compose and Kubernetes mount
# secrets as files, while the hub reads its settings from the environment only.
set -eu

secrets_dir="${SECRETS_DIR:-/run/secrets}"
if [ -d "$secrets_dir" ]; then
    for path in "$secrets_dir"/HUB_* "$secrets_dir"/PGPASSWORD; do
        [ -f "$path" ] || continue
        name=$(basename "$path")
        # $(cat) drops the trailing newline that editors add to the file.
        value=$(cat "$path")
        export "$name=$value"
    done
fi

exec "$@"
