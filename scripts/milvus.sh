#!/usr/bin/env bash
# A real Milvus server for the tests of crates/ann-milvus (the `milvus` backend of moji-ann,
# docs/recommend.md "Milvus backend"): Milvus 2.3.5 standalone from the pinned PyPI wheel
# `milvus==2.3.5` (embedded etcd, local storage, rocksmq; no containers, no downloads at run time).
#
#   scripts/milvus.sh start    install if needed, start if nothing answers yet, wait until healthy,
#                              print the URL (http://127.0.0.1:19530)
#   scripts/milvus.sh start --fresh
#                              the same, but a server started now starts from empty storage (its
#                              etcd, rocksmq and segments are deleted first; a server that already
#                              runs is used as it is); crates/ann-milvus's test uses it
#   scripts/milvus.sh stop     stop the server this script started: SIGTERM to its process group,
#                              SIGKILL after 10 s (2.3.5's own stop takes about 7 s and ends with a
#                              harmless "panic" in milvus.log, or hangs now and then retrying its
#                              stopped root coordinator); a server someone else started is left
#                              alone
#   scripts/milvus.sh status   print the URL and exit 0 when healthy, exit 1 otherwise
#
# Idempotent: `start` installs only what is missing (a venv at $MOJI_CACHE_DIR/milvus-venv with
# the sha256-pinned scripts/milvus/requirements.txt, installed --no-deps --require-hashes; later
# runs need no network) and starts only if nothing healthy answers; `stop` twice is fine.
#
# Environment: MOJI_CACHE_DIR (default <repo>/.cache, which git ignores),
#              MOJI_MILVUS_WAIT_SECS (default 120: how long `start` waits for health).
# Files under the cache: milvus-venv/, milvus-data/ (binaries unpacked from the wheel on the first
# start, configs/, logs/, data/: collections survive a restart unless --fresh),
# milvus.pid (the process group), milvus.log (the server's stdout and stderr; the previous
# run's is milvus.log.1).
#
# Ports are Milvus's own: 19530 (gRPC and REST v1), 9091 (/healthz, metrics), 2379 and 2380
# (embedded etcd, 2380 cannot be moved) and internal ones (53100, 19529, 19531, 21121-21124, 22930,
# 13333). So only one instance can run per machine: callers that need it to themselves (the tests)
# hold their own lock around their use of it. Needs Linux x86_64 and python3 (>= 3.8) with venv.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
here="$repo/scripts/milvus"
cache="${MOJI_CACHE_DIR:-$repo/.cache}"
venv="$cache/milvus-venv"
data="$cache/milvus-data"
pidfile="$cache/milvus.pid"
logfile="$cache/milvus.log"
host="127.0.0.1"
port=19530
url="http://$host:$port"
health="http://$host:9091/healthz"
wait_secs="${MOJI_MILVUS_WAIT_SECS:-120}"
stop_secs=10
# Machine-wide, like the ports: two clones starting at once must not race for them.
lock="${TMPDIR:-/tmp}/moji-milvus-script.lock"

log() { printf 'milvus: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# GET $1; prints the body, fails on no answer or an HTTP error.
http_get() {
    python3 - "$1" <<'PY'
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=3) as r:
    sys.stdout.write(r.read().decode("utf-8", "replace"))
PY
}

# Healthy: /healthz says OK and REST v1 answers a request with body code 200.
healthy() {
    [[ "$(http_get "$health" 2>/dev/null)" == *OK* ]] &&
        [[ "$(http_get "$url/v1/vector/collections" 2>/dev/null)" == *'"code":200'* ]]
}

# Something (anything) listens on one of the two ports we check.
ports_taken() {
    python3 - "$host" "$port" 9091 <<'PY'
import socket, sys
host = sys.argv[1]
for port in map(int, sys.argv[2:]):
    with socket.socket() as s:
        s.settimeout(1)
        if s.connect_ex((host, port)) == 0:
            sys.exit(0)
sys.exit(1)
PY
}

# The process group this script started, when its Milvus is still alive.
our_group() {
    [[ -f "$pidfile" ]] || return 1
    local pgid pid
    pgid="$(cat "$pidfile")"
    [[ "$pgid" =~ ^[0-9]+$ ]] || return 1
    for pid in $(pgrep -g "$pgid" 2>/dev/null); do
        if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$data/bin/milvus run standalone"; then
            echo "$pgid"
            return 0
        fi
    done
    return 1
}

ensure_venv() {
    local req="$here/requirements.txt" req_sha marker="$venv/.requirements.sha256"
    req_sha=$(sha256sum "$req" | cut -d' ' -f1)
    if [[ -x "$venv/bin/milvus-server" && "$(cat "$marker" 2>/dev/null)" == "$req_sha" ]]; then
        return 0
    fi
    command -v python3 >/dev/null || die "python3 is required"
    python3 -c 'import sys; sys.exit(sys.version_info < (3, 8))' || die "python3 >= 3.8 is required"
    python3 -c 'import venv, ensurepip' >/dev/null 2>&1 ||
        die "python3's venv module is missing (Debian: apt-get install python3-venv)"
    local started=$SECONDS
    log "creating $venv (pip install --no-deps --require-hashes -r scripts/milvus/requirements.txt)"
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
        --no-deps --require-hashes -r "$req"
    echo "$req_sha" >"$marker"
    log "venv ready in $((SECONDS - started)) s"
}

# Waits until healthy; with a process group ($1), fails early when it dies.
wait_healthy() {
    local pgid="$1" started=$SECONDS
    while ! healthy; do
        if [[ -n "$pgid" ]] && ! our_group >/dev/null; then
            log "Milvus exited; last lines of $logfile:"
            tail -n 20 "$logfile" >&2 || true
            rm -f "$pidfile"
            exit 1
        fi
        if ((SECONDS - started >= wait_secs)); then
            die "not healthy after $wait_secs s (see $logfile and $data/logs/)"
        fi
        sleep 0.5
    done
    log "healthy after $((SECONDS - started)) s"
}

start() {
    mkdir -p "$cache"
    exec 9>"$lock"
    flock -w "$((wait_secs + 60))" 9 || die "another scripts/milvus.sh held $lock too long"
    if healthy; then
        echo "Milvus: $url"
        return 0
    fi
    local pgid
    if pgid="$(our_group)"; then
        log "our Milvus (process group $pgid) is still starting"
        wait_healthy "$pgid"
        echo "Milvus: $url"
        return 0
    fi
    if ports_taken; then
        # Another clone's Milvus may be starting: give it the same time ours would get.
        log "port $port or 9091 is taken by something that is not healthy yet; waiting"
        wait_healthy ""
        echo "Milvus: $url"
        return 0
    fi
    [[ "$(uname -s)/$(uname -m)" == Linux/x86_64 ]] || die "the milvus wheel is Linux x86_64 only"
    ensure_venv
    mkdir -p "$data"
    # Config with the fixed default ports, binaries unpacked (once): see scripts/milvus/prepare.py
    # for why the wheel's own launcher is not used.
    "$venv/bin/python" "$here/prepare.py" "$data" >/dev/null
    if ((fresh)); then
        # Also why the tests want it: 2.3.5 stops its etcd before its components revoke their
        # sessions or finish releasing dropped collections, so a restart on old storage waits
        # for stale sessions and keeps retrying the dropped collections' channels.
        rm -rf "$data/data" "$data/run"
    fi
    log "starting Milvus 2.3.5 standalone on $url (data: $data, log: $logfile)"
    if [[ -f "$logfile" ]]; then mv -f "$logfile" "$logfile.1"; fi  # the previous run's, for a look
    # What the launcher would run. setsid: its own process group, which outlives this script and
    # the caller's group (`stop` signals the whole group); a background job of a non-interactive
    # shell is no group leader, so setsid does not fork and $! is the group's id. 9>&-: the server
    # must not hold our lock.
    (
        cd "$data"
        export DEPLOY_MODE=STANDALONE METRICS_PORT=9091 MILVUS_RUN_DIR="$data/run"
        export LD_LIBRARY_PATH="$data/bin${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
        exec setsid "$data/bin/milvus" run standalone
    ) >"$logfile" 2>&1 </dev/null 9>&- &
    echo $! >"$pidfile"
    wait_healthy "$!"
    echo "Milvus: $url"
}

stop() {
    mkdir -p "$cache"
    exec 9>"$lock"
    flock -w "$((wait_secs + 60))" 9 || die "another scripts/milvus.sh held $lock too long"
    local pgid
    if ! pgid="$(our_group)"; then
        rm -f "$pidfile"
        if healthy; then
            log "a Milvus this script did not start answers on $url; left alone"
        else
            log "not running"
        fi
        return 0
    fi
    kill -TERM -- "-$pgid" 2>/dev/null || true
    local deadline=$((SECONDS + stop_secs))
    while pgrep -g "$pgid" >/dev/null 2>&1 && ((SECONDS < deadline)); do
        sleep 0.2
    done
    if pgrep -g "$pgid" >/dev/null 2>&1; then
        log "still running after $stop_secs s: SIGKILL"
        kill -KILL -- "-$pgid" 2>/dev/null || true
        sleep 0.5
    fi
    rm -f "$pidfile"
    log "stopped (process group $pgid)"
}

fresh=0
case "${1:-}" in
    start)
        case "${2:-}" in
            --fresh) fresh=1 ;;
            "") ;;
            *) die "unknown option '$2' (usage: $0 start [--fresh])" ;;
        esac
        start
        ;;
    stop) stop ;;
    status)
        if healthy; then
            echo "Milvus: $url (healthy)"
        else
            echo "no healthy Milvus on $url"
            exit 1
        fi
        ;;
    *)
        echo "usage: $0 start [--fresh] | stop | status" >&2
        exit 2
        ;;
esac
