# Shared helpers for Moji's scripts. Source it; do not run it.

MOJI_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
MOJI_CACHE_DIR="${MOJI_CACHE_DIR:-$MOJI_ROOT/.cache}"
export MOJI_ROOT MOJI_CACHE_DIR

say()  { printf '\033[1;34m[moji]\033[0m %s\n' "$*"; }
warn() { printf '\033[1;33m[moji] warning:\033[0m %s\n' "$*" >&2; }
die()  { printf '\033[1;31m[moji] error:\033[0m %s\n' "$*" >&2; exit 1; }

# Runs a command as root: directly when we are root, through sudo otherwise.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# apt-get update at most once per script run, and only when something must be installed.
_apt_updated=0
apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  if [ "$_apt_updated" -eq 0 ]; then
    say "apt-get update"
    as_root apt-get update -qq
    _apt_updated=1
  fi
  say "installing ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# Waits up to $2 seconds for command $1 (a string) to succeed.
wait_for() {
  local cmd="$1" secs="${2:-30}" i=0
  until eval "$cmd" >/dev/null 2>&1; do
    i=$((i + 1))
    [ "$i" -ge $((secs * 4)) ] && return 1
    sleep 0.25
  done
}

# Default connection settings, shared by run.sh and test.sh; the environment wins.
export DATABASE_URL="${DATABASE_URL:-postgres://moji:moji@127.0.0.1:5432/moji?sslmode=disable}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
export AMQP_URL="${AMQP_URL:-amqp://guest:guest@127.0.0.1:5672/%2f}"
export MOJI_TEST_DATABASE_ADMIN_URL="${MOJI_TEST_DATABASE_ADMIN_URL:-postgres://moji:moji@127.0.0.1:5432/postgres?sslmode=disable}"

# One build cache shared by every clone on this machine (CI clones reuse it); everything
# still builds from scratch without it.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/moji/target}"
# Tools the scripts install with cargo (diesel_cli) live outside the clone too.
MOJI_TOOLS_DIR="${MOJI_TOOLS_DIR:-$HOME/.cache/moji/tools}"
export PATH="$MOJI_TOOLS_DIR/bin:$PATH"

# Installs a checking tool from crates.io into $MOJI_TOOLS_DIR: `cargo install ARGS...` with a
# quick release profile (no optimisation, no LTO, many codegen units, no debug info). These
# tools run for seconds: unoptimised, cargo-deny's check takes 3.5 s instead of 1.3 s and
# diesel's schema check is as fast, while compiling both takes 151 CPU-seconds instead of 305.
install_tool() {
  # test.sh lints through RUSTC_WORKSPACE_WRAPPER; a tool's own crate must not be linted.
  env -u RUSTC_WORKSPACE_WRAPPER -u CLIPPY_ARGS \
    CARGO_PROFILE_RELEASE_OPT_LEVEL=0 CARGO_PROFILE_RELEASE_LTO=false \
    CARGO_PROFILE_RELEASE_CODEGEN_UNITS=256 CARGO_PROFILE_RELEASE_DEBUG=false \
    CARGO_PROFILE_RELEASE_STRIP=debuginfo \
    cargo install --locked --root "$MOJI_TOOLS_DIR" --quiet "$@"
}

# Installs BIN at VERSION with install_tool ARGS... unless `BIN --version` already says VERSION.
ensure_tool() { # bin, version, install_tool args...
  local bin="$1" version="$2"
  shift 2
  "$bin" --version 2>/dev/null | grep -q "$version" && return 0
  say "installing $bin $version into $MOJI_TOOLS_DIR (once)"
  install_tool "$@"
}

# Every binary and example of the workspace, with the features a test build unifies
# (examples bring in the dev-dependencies): after scripts/test.sh's build this is already
# fresh, where `--bins` alone would unify features differently and rebuild dependencies.
build_binaries() {
  cargo build --locked --quiet --workspace --bins --examples
}

# Deletes the RabbitMQ queues named on standard input (moji-mq's delete_queues example, built
# by build_binaries; `cargo run -p` would build a package subset with other features).
delete_queues() {
  local example="$CARGO_TARGET_DIR/debug/examples/delete_queues"
  [ -x "$example" ] || build_binaries
  "$example"
}
