#!/usr/bin/env bash
# A real S3-compatible server for tests: moto's server mode, from a pinned PyPI release in a
# private virtualenv. Idempotent: installs only what is missing, starts the server only if
# nothing answers on the port yet.
#
#   scripts/s3-server.sh          install if needed, start if needed, wait until it answers
#   scripts/s3-server.sh stop     stop the server this script started
#   scripts/s3-server.sh status   say whether something answers on the port
#
# Environment: MOJI_CACHE_DIR (default <repo>/.cache), MOJI_S3_PORT (default 9000).
# moto accepts any credentials (the tests use "test"/"test") and unsigned requests.
set -euo pipefail

MOTO_VERSION="5.2.5"

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${MOJI_CACHE_DIR:-$repo/.cache}"
venv="$cache/s3-venv"
port="${MOJI_S3_PORT:-9000}"
host="127.0.0.1"
endpoint="http://$host:$port"
pidfile="$cache/s3-server.pid"
logfile="$cache/s3-server.log"
wait_secs=30

log() { printf 's3-server: %s\n' "$*" >&2; }

# Anything that speaks HTTP on the port counts as an answer (S3 errors are answers too).
answers() {
    python3 - "$endpoint" <<'PY' >/dev/null 2>&1
import sys, urllib.request, urllib.error
try:
    urllib.request.urlopen(sys.argv[1] + "/", timeout=2)
except urllib.error.HTTPError:
    pass
PY
}

our_pid() {
    [[ -f "$pidfile" ]] || return 1
    local pid
    pid="$(cat "$pidfile")"
    [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

ensure_venv() {
    local marker="$venv/.moto-version"
    if [[ -x "$venv/bin/moto_server" && -f "$marker" && "$(cat "$marker")" == "$MOTO_VERSION" ]]; then
        return 0
    fi
    command -v python3 >/dev/null || { log "python3 is required"; exit 1; }
    mkdir -p "$cache"
    if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
        if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then
            log "installing python3-venv with apt-get"
            apt-get update -qq
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
        else
            log "python3's venv module is missing: install python3-venv"
            exit 1
        fi
    fi
    local started=$SECONDS
    log "creating $venv with moto[server]==$MOTO_VERSION"
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        "moto[server]==$MOTO_VERSION"
    echo "$MOTO_VERSION" >"$marker"
    log "venv ready in $((SECONDS - started)) s"
}

start() {
    if answers; then
        log "something already answers on $endpoint"
        echo "S3 endpoint: $endpoint"
        return 0
    fi
    ensure_venv
    mkdir -p "$cache"
    log "starting moto_server on $endpoint (log: $logfile)"
    # setsid: the server outlives this script and the caller's process group.
    setsid nohup "$venv/bin/moto_server" -H "$host" -p "$port" >"$logfile" 2>&1 </dev/null &
    echo $! >"$pidfile"
    local deadline=$((SECONDS + wait_secs))
    until answers; do
        if ! our_pid >/dev/null; then
            log "moto_server exited; last lines of $logfile:"
            tail -n 20 "$logfile" >&2 || true
            exit 1
        fi
        if ((SECONDS >= deadline)); then
            log "no answer on $endpoint after ${wait_secs} s; see $logfile"
            exit 1
        fi
        sleep 0.5
    done
    echo "S3 endpoint: $endpoint"
}

stop() {
    local pid
    if ! pid="$(our_pid)"; then
        rm -f "$pidfile"
        log "not running (no live pid in $pidfile)"
        return 0
    fi
    kill "$pid"
    for _ in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$pidfile"
    log "stopped (pid $pid)"
}

case "${1:-start}" in
    start) start ;;
    stop) stop ;;
    status)
        if answers; then echo "S3 endpoint: $endpoint (answering)"; else
            echo "nothing answers on $endpoint"
            exit 1
        fi
        ;;
    *)
        echo "usage: $0 [start|stop|status]" >&2
        exit 2
        ;;
esac
