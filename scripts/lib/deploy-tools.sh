# Shared helpers of scripts/edge.sh and scripts/check-deploy.sh. Source it; it defines
# functions and a few variables and runs nothing.
#
# Every tool is installed on first use and pinned, so a new machine (or CI) gets the same
# versions and a machine that has them already does no network round-trip.

# shellcheck shell=bash

MOJI_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
MOJI_CACHE="${MOJI_CACHE_DIR:-$MOJI_REPO/.cache}"

# Python tools for the deploy checks, in a private virtualenv, pinned by
# deploy/check-requirements.txt (rebuilt when that file changes).
DEPLOY_VENV="$MOJI_CACHE/deploy-venv"
DEPLOY_REQUIREMENTS="$MOJI_REPO/deploy/check-requirements.txt"

deploy_log() { printf '%s: %s\n' "${DEPLOY_LOG_TAG:-deploy}" "$*" >&2; }

# apt_install PACKAGE...: installs Debian packages (their own services are not started: the
# machine's policy-rc.d forbids it, and we run private instances anyway).
apt_install() {
    if [[ "$(id -u)" != 0 ]] || ! command -v apt-get >/dev/null; then
        deploy_log "cannot install $* (needs root and apt-get): install them by hand"
        return 1
    fi
    deploy_log "installing $* with apt-get"
    # A new machine has no package lists yet: on failure update them once and retry.
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null 2>&1; then
        apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
    fi
}

# apt_ensure COMMAND PACKAGE...: installs the packages unless COMMAND is already on PATH.
apt_ensure() {
    local cmd="$1"
    shift
    command -v "$cmd" >/dev/null 2>&1 && return 0
    apt_install "$@" && command -v "$cmd" >/dev/null 2>&1
}

# deploy_venv: makes sure $DEPLOY_VENV holds exactly the pinned requirements.
deploy_venv() {
    local marker="$DEPLOY_VENV/.requirements" want
    want="$(sha256sum "$DEPLOY_REQUIREMENTS" | cut -d' ' -f1)"
    if [[ -x "$DEPLOY_VENV/bin/python" && -f "$marker" && "$(cat "$marker")" == "$want" ]]; then
        return 0
    fi
    python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || apt_install python3-venv
    deploy_log "creating $DEPLOY_VENV from ${DEPLOY_REQUIREMENTS#"$MOJI_REPO"/}"
    rm -rf "$DEPLOY_VENV"
    mkdir -p "$MOJI_CACHE"
    python3 -m venv "$DEPLOY_VENV"
    "$DEPLOY_VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
        --no-deps -r "$DEPLOY_REQUIREMENTS"
    echo "$want" >"$marker"
}

# http_ok URL: true when URL answers 2xx within 2 s.
http_ok() { curl -fsS -o /dev/null --max-time 2 "$1" 2>/dev/null; }
