#!/usr/bin/env bash
# The local edge: a private nginx serving the whole platform on one origin
# (http://127.0.0.1:8080 by default) from deploy/nginx/moji.conf.template.
#
#   scripts/edge.sh start    install nginx if needed, render the config, test it, start
#                            (or reload a running edge, so new ports/config take effect)
#   scripts/edge.sh stop     stop the edge this script started
#   scripts/edge.sh status   say whether it runs and answers /healthz
#   scripts/edge.sh render   only render the config (used by scripts/check-deploy.sh)
#   scripts/edge.sh install  only install nginx (scripts/test.sh does it beside the build)
#
# This is not the system nginx service: it has its own prefix, config, pid file, logs and
# temp files under $MOJI_EDGE_DIR (default .cache/nginx), so it needs no change to /etc.
#
# As root, nginx's master keeps root but its workers run as nobody, and the workers open the
# web files and the temp files nginx spools request bodies and responses into. nobody may not
# be able to enter the checkout (a clone in root's home, mode 0700), so as root those live in
# a directory of their own outside it, $MOJI_EDGE_WORKER_DIR/<id> (/var/cache/moji-edge/<id>,
# one per MOJI_EDGE_DIR, removed by `stop`): the temp dirs always, and the web root only when
# nobody cannot read it in place. Then it is a COPY, made afresh by every `start` (which
# reloads a running edge): after editing services/web files, run `scripts/edge.sh start`
# again to see them. Elsewhere (a readable checkout, or not root: the workers then run as the
# calling user) the edge serves the web root in place and edits show on the next request.
#
# Environment (ports as in moji-config):
#   MOJI_HTTP__EDGE_PORT (8080)  MOJI_HTTP__API_PORT (8081)
#   MOJI_HTTP__CHAT_PORT (8082)  MOJI_HTTP__RECOMMEND_PORT (8083)
#   MOJI_EDGE_HOST       address to listen on (127.0.0.1)
#   MOJI_UPSTREAM_HOST   where the services listen (127.0.0.1)
#   MOJI_WEB_ROOT        built web client (services/web/dist when it exists, else a placeholder)
#   MOJI_EDGE_DIR        runtime directory (.cache/nginx)
#   MOJI_EDGE_WORKER_DIR what root's workers (nobody) read and write (/var/cache/moji-edge)
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib/deploy-tools.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/deploy-tools.sh"
DEPLOY_LOG_TAG=edge

template="$MOJI_REPO/deploy/nginx/moji.conf.template"
dir="${MOJI_EDGE_DIR:-$MOJI_CACHE/nginx}"
edge_host="${MOJI_EDGE_HOST:-127.0.0.1}"
edge_port="${MOJI_HTTP__EDGE_PORT:-8080}"
upstream_host="${MOJI_UPSTREAM_HOST:-127.0.0.1}"
pidfile="$dir/nginx.pid"
conf="$dir/conf/nginx.conf"
url="http://$edge_host:$edge_port"

# As root: whom the workers run as, and their directory (one per $dir, so the dev edge and the
# test edges never share it). Not root: the workers are the calling user and use $dir.
worker_user=nobody
worker_group="$(id -gn nobody 2>/dev/null || echo nogroup)"
worker_dir=""
if [[ "$(id -u)" == 0 ]]; then
    worker_dir="${MOJI_EDGE_WORKER_DIR:-/var/cache/moji-edge}/$(realpath -m "$dir" | sha256sum | cut -c1-16)"
fi
temp_dir="${worker_dir:-$dir}/temp"

# nginx resolves its -p prefix, -c and -e itself, so this never touches /etc/nginx/nginx.conf
# or /var/log/nginx (-e needs nginx >= 1.19.5; Debian 12 has 1.22).
nginx_cmd() { nginx -p "$dir/" -c "$conf" -e "$dir/logs/error.log" "$@"; }

our_pid() {
    [[ -f "$pidfile" ]] || return 1
    local pid
    pid="$(cat "$pidfile")"
    [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

web_root() {
    if [[ -n "${MOJI_WEB_ROOT:-}" ]]; then
        echo "$MOJI_WEB_ROOT"
    elif [[ -d "$MOJI_REPO/services/web/dist" ]]; then
        echo "$MOJI_REPO/services/web/dist"
    else
        # Until the web client exists, / says where the API is instead of a bare 404.
        mkdir -p "$dir/www"
        cat >"$dir/www/index.html" <<'HTML'
<!doctype html>
<meta charset="utf-8">
<title>Moji</title>
<p>The web client is not built yet. The API is under <a href="/docs/">/docs/</a> (Swagger UI).
HTML
        echo "$dir/www"
    fi
}

# as_worker COMMAND...: runs COMMAND as the workers' user (from /, which it can enter).
as_worker() { (cd / && setpriv --reuid="$worker_user" --regid="$worker_group" --clear-groups -- "$@"); }

# worker_reads DIR: the workers' user can enter DIR and read everything in it (ACLs included).
worker_reads() {
    command -v setpriv >/dev/null || return 1
    local unreadable
    unreadable="$(as_worker find "$1" \( -type d ! -executable -o ! -readable \) -print -quit 2>&1)" &&
        [[ -z "$unreadable" ]]
}

# prepare_worker_dir: $worker_dir exists, is root's and not a symlink, and holds the temp dir
# (the workers' own). Mode 0755 so that nobody can enter it.
prepare_worker_dir() {
    mkdir -p "$worker_dir"
    if [[ -L "$worker_dir" || "$(stat -c %u "$worker_dir")" != 0 ]]; then
        deploy_log "$worker_dir is not a directory owned by root; set MOJI_EDGE_WORKER_DIR elsewhere"
        exit 1
    fi
    chmod 0755 "$worker_dir"
    echo "$dir" >"$worker_dir/edge-dir" # which edge this belongs to
    mkdir -p "$temp_dir"
    chown -R "$worker_user:$worker_group" "$temp_dir"
    chmod 0700 "$temp_dir"
}

# published_web_root SRC: prints the web root the workers are to use. SRC itself when they can
# read it (edits show at once); else a fresh copy in $worker_dir, switched in by renaming a
# symlink, so a running edge never sees a half-written copy.
published_web_root() {
    local src="$1"
    if [[ -z "$worker_dir" ]] || worker_reads "$src"; then
        [[ -z "$worker_dir" ]] || rm -rf "$worker_dir"/www "$worker_dir"/www.*
        echo "$src"
        return 0
    fi
    local gen
    gen="www.$(date +%s%N)"
    mkdir "$worker_dir/$gen"
    cp -RL "$src/." "$worker_dir/$gen/"
    chown -R root:root "$worker_dir/$gen"
    chmod -R u=rwX,go=rX "$worker_dir/$gen"
    ln -sfn "$gen" "$worker_dir/www.next"
    mv -T "$worker_dir/www.next" "$worker_dir/www"
    find "$worker_dir" -mindepth 1 -maxdepth 1 -name 'www.*' ! -name "$gen" -exec rm -rf {} +
    deploy_log "serving a copy of $src from $worker_dir/www (its owner's directory is closed to $worker_user; 'scripts/edge.sh start' copies again)"
    echo "$worker_dir/www"
}

render() {
    mkdir -p "$dir/conf" "$dir/logs"
    [[ -z "$worker_dir" ]] || prepare_worker_dir
    mkdir -p "$temp_dir"
    local root
    root="$(published_web_root "$(web_root)")"
    # Only our variables: nginx's own ($host, $http_upgrade, ...) must survive.
    # shellcheck disable=SC2016 # the list is for envsubst, not for the shell
    MOJI_EDGE_LISTEN="$edge_host:$edge_port" \
        MOJI_EDGE_ACCESS_LOG="$dir/logs/access.log" \
        MOJI_API_UPSTREAM="$upstream_host:${MOJI_HTTP__API_PORT:-8081}" \
        MOJI_CHAT_UPSTREAM="$upstream_host:${MOJI_HTTP__CHAT_PORT:-8082}" \
        MOJI_RECOMMEND_UPSTREAM="$upstream_host:${MOJI_HTTP__RECOMMEND_PORT:-8083}" \
        MOJI_WEB_ROOT="$root" \
        envsubst '${MOJI_EDGE_LISTEN} ${MOJI_EDGE_ACCESS_LOG} ${MOJI_API_UPSTREAM} ${MOJI_CHAT_UPSTREAM} ${MOJI_RECOMMEND_UPSTREAM} ${MOJI_WEB_ROOT}' \
        <"$template" >"$dir/conf/moji.conf"

    # As root, the master keeps root (it opens the config, logs and pid file in $dir) and the
    # workers drop to nobody, who reads the web root and owns the temp dirs in $worker_dir.
    local user_line=""
    if [[ -n "$worker_dir" ]]; then
        user_line="user $worker_user $worker_group;"
        if command -v setpriv >/dev/null && ! as_worker test -w "$temp_dir" -a -x "$temp_dir"; then
            deploy_log "$worker_user cannot write $temp_dir: large request bodies would fail"
            exit 1
        fi
    fi
    cat >"$conf" <<CONF
# Generated by scripts/edge.sh from deploy/nginx/moji.conf.template; edit those instead.
$user_line
worker_processes 2;
pid $pidfile;
error_log $dir/logs/error.log warn;
daemon on;
worker_shutdown_timeout 5s;

events {
    worker_connections 1024;
}

http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    keepalive_timeout 65s;
    client_body_temp_path $temp_dir/body;
    proxy_temp_path $temp_dir/proxy;
    fastcgi_temp_path $temp_dir/fastcgi;
    uwsgi_temp_path $temp_dir/uwsgi;
    scgi_temp_path $temp_dir/scgi;

    include $dir/conf/moji.conf;
}
CONF
}

ensure_nginx() {
    # nginx-light is only a transitional name for nginx in Debian 12; ask for the real one.
    apt_ensure nginx nginx || exit 1
    command -v envsubst >/dev/null || apt_install gettext-base
}

start() {
    ensure_nginx
    render
    if ! nginx_cmd -t -q; then
        deploy_log "config test failed; see above ($dir/conf/moji.conf)"
        exit 1
    fi
    local pid
    if pid="$(our_pid)"; then
        nginx_cmd -s reload
        deploy_log "reloaded (pid $pid)"
    else
        if http_ok "$url/healthz"; then
            deploy_log "something else already answers on $url; not starting"
            exit 1
        fi
        nginx_cmd
    fi
    local deadline=$((SECONDS + 10))
    until http_ok "$url/healthz"; do
        if ((SECONDS >= deadline)); then
            deploy_log "no answer on $url/healthz after 10 s; see $dir/logs/error.log"
            tail -n 20 "$dir/logs/error.log" >&2 || true
            exit 1
        fi
        sleep 0.2
    done
    echo "edge: $url (Swagger UI at $url/docs/)"
}

# The workers' directory is only theirs while the edge runs (start makes it again).
remove_worker_dir() {
    [[ -n "$worker_dir" ]] || return 0
    rm -rf "$worker_dir"
    [[ -n "${MOJI_EDGE_WORKER_DIR:-}" ]] || rmdir "$(dirname "$worker_dir")" 2>/dev/null || true
}

stop() {
    local pid
    if ! pid="$(our_pid)"; then
        rm -f "$pidfile"
        remove_worker_dir
        deploy_log "not running"
        return 0
    fi
    # QUIT: finish in-flight requests, then exit (open streams are cut after
    # worker_shutdown_timeout).
    kill -QUIT "$pid"
    for _ in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        sleep 0.5
    fi
    rm -f "$pidfile"
    remove_worker_dir
    deploy_log "stopped (pid $pid)"
}

status() {
    local pid
    if pid="$(our_pid)" && http_ok "$url/healthz"; then
        echo "edge: $url (pid $pid, answering)"
    else
        echo "edge: not running on $url"
        return 1
    fi
}

case "${1:-start}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    install) ensure_nginx ;;
    render)
        command -v envsubst >/dev/null || apt_install gettext-base
        render
        echo "$conf"
        ;;
    *)
        echo "usage: $0 start|stop|status|render|install" >&2
        exit 2
        ;;
esac
