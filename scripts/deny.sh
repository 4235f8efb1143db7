#!/usr/bin/env bash
# Checks the dependency graph against deny.toml with cargo-deny: licences, bans and sources
# always; advisories only where a copy of the RustSec database is under
# $CARGO_HOME/advisory-dbs (cargo-deny's own place, e.g. after a `cargo deny fetch` elsewhere).
# These machines reach no git host, so there the advisory check says it was skipped instead of
# fetching. cargo-deny itself comes from crates.io, installed once into
# $MOJI_TOOLS_DIR (outside the clone).
#   scripts/deny.sh                 # install if missing, check
#   scripts/deny.sh --install-only  # install if missing (test.sh does it beside the build)
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$MOJI_ROOT"

CARGO_DENY_VERSION="0.20.2"
ensure_tool cargo-deny "$CARGO_DENY_VERSION" cargo-deny --version "=$CARGO_DENY_VERSION"
[ "${1:-}" = --install-only ] && exit 0

cargo-deny --locked check --hide-inclusion-graph licenses bans sources

export CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
db="$CARGO_HOME/advisory-dbs"
if [ -n "$(ls -A "$db" 2>/dev/null)" ]; then
  cargo-deny --locked check --disable-fetch --hide-inclusion-graph advisories
else
  warn "advisories: skipped (no copy of the RustSec database under $db; these machines reach no git host)"
fi
