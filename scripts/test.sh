#!/usr/bin/env bash
# Runs every check Moji has: infrastructure (installed if missing), models, formatting,
# clippy, the dependency policy (cargo-deny), the whole test suite against real
# PostgreSQL/Redis/RabbitMQ/S3, drift checks (diesel schema; JSON Schemas and OpenAPI are drift
# tests inside the suite), then the live stack (traffic, the browser end-to-end test, metric
# scrapes, fuzzing from the OpenAPI documents), the deployment checks, and the short fault
# campaign (scripts/chaos.sh --short).
# Exits non-zero on the first failure.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$MOJI_ROOT"

export MOJI_TEST_S3_ENDPOINT="${MOJI_TEST_S3_ENDPOINT:-http://127.0.0.1:${MOJI_S3_PORT:-9000}}"
export MOJI_MODELS_DIR="${MOJI_MODELS_DIR:-$MOJI_CACHE_DIR/models}"
export RUST_BACKTRACE="${RUST_BACKTRACE:-1}"

timings=()
step() { # name, command...
  local name="$1" started=$SECONDS
  shift
  say "== $name"
  "$@"
  timings+=("$(printf '%-14s %4ds' "$name" $((SECONDS - started)))")
}

# Tests name their resources with a random `t<hex>` prefix and remove them; a test that
# crashed cannot, so clear what earlier runs left behind before starting.
clear_leftovers() {
  local dbs
  dbs="$(psql -qAt "$MOJI_TEST_DATABASE_ADMIN_URL" -c \
    "SELECT datname FROM pg_database WHERE datname LIKE 'moji\_t\_%' OR datname LIKE 'moji\_schema\_check\_%' OR datname LIKE 'moji\_live\_%' OR datname LIKE 'moji\_chaos\_%'")" || true
  for db in $dbs; do
    psql -q "$MOJI_TEST_DATABASE_ADMIN_URL" -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 || true
  done
  # Hundreds of leftover quorum queues (each a Raft member) can stall a 2-core broker, so
  # they go too — over one AMQP connection, not one slow rabbitmqctl call each.
  if command -v rabbitmqctl >/dev/null; then
    local stale
    stale="$(as_root timeout 60 rabbitmqctl list_queues -q --no-table-headers name 2>/dev/null \
      | grep -E '^t[0-9a-f]{6,}|^chaos[0-9]+\.' || true)"
    if [ -n "$stale" ]; then
      echo "$stale" | delete_queues || warn "could not clear leftover queues"
    fi
  fi
}

run_tests() {
  if cargo nextest --version >/dev/null 2>&1; then
    cargo nextest run --workspace --locked --profile ci
  else
    cargo test --workspace --locked
  fi
}

step infra "$MOJI_ROOT/scripts/infra.sh" --with-s3 --with-vision

# What the build does not need runs beside it: the models, cargo-deny and diesel_cli (each a
# few hundred crates to compile on a cold machine), then what the live and deploy checks
# install (nginx, Chromium and playwright-core, schemathesis, promtool, kubectl, the pinned
# Python tools), so downloads overlap the build. nice 19 matters little where the kernel
# groups tasks by session (autogroup, as on these machines): this job is a session of its own
# and gets a fair share of the CPU. Either way the CPU work is the same, and it is done long
# before the build. Waited for before the first step needing it.
prep_log="$MOJI_CACHE_DIR/prep.log"
mkdir -p "$MOJI_CACHE_DIR"
prepare() {
  set -e
  local task
  for task in models.sh "deny.sh --install-only" "check-schema.sh --install-only" \
    "edge.sh install" "web-e2e.sh --install-only" "fuzz.sh --install-only" \
    "check-deploy.sh --only tools"; do
    echo "$(date +%T) $task"
    # shellcheck disable=SC2086 # a script and its flag
    "$MOJI_ROOT/scripts/"$task
  done
  echo "$(date +%T) prepared"
}
# A process group of its own, so that an early failure of test.sh stops it too.
setsid nice -n 19 bash -c "$(declare -f prepare); prepare" >"$prep_log" 2>&1 &
prep_pid=$!
trap 'kill -- -"$prep_pid" 2>/dev/null || true' EXIT
wait_prepared() {
  if ! wait "$prep_pid"; then
    tail -n 40 "$prep_log" >&2
    die "preparing models and tools failed (all of it: $prep_log)"
  fi
  cat "$prep_log"
}
# The mail tests' SMTP server (aiosmtpd from PyPI, in a venv).
step smtp "$MOJI_ROOT/scripts/lib/smtp-venv.sh"
export MOJI_TEST_SMTPD_PYTHON="$MOJI_CACHE_DIR/venv-smtp/bin/python"
step fmt cargo fmt --all -- --check
# Clippy and the build in one pass: clippy-driver compiles the workspace's own crates (as
# `cargo clippy` does, but with code generation), so the ~700 dependencies are compiled once
# instead of once checked for clippy and once built for the tests. Exported, so that the test
# run, the live checks and the fault campaign find this build fresh. Build mode lints a little
# more than `cargo clippy` (it sees dependencies' MIR): fix what it finds the same way.
clippy_driver="$(rustup which clippy-driver 2>/dev/null || command -v clippy-driver || true)"
if [ -n "$clippy_driver" ]; then
  export RUSTC_WORKSPACE_WRAPPER="$clippy_driver"
  export CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"
  # --timings: where a cold build spends its time, $CARGO_TARGET_DIR/cargo-timings/.
  step clippy+build cargo build --workspace --all-targets --locked --timings
else
  step clippy cargo clippy --workspace --all-targets --locked -- -D warnings
fi
step prepared wait_prepared
step leftovers clear_leftovers
step deny "$MOJI_ROOT/scripts/deny.sh"
step tests run_tests
step schema-drift "$MOJI_ROOT/scripts/check-schema.sh"
if [ -x "$MOJI_ROOT/scripts/check-deploy.sh" ]; then
  step live "$MOJI_ROOT/scripts/lib/live-checks.sh" "$MOJI_CACHE_DIR/metrics"
  step deploy "$MOJI_ROOT/scripts/check-deploy.sh" --metrics-from "$MOJI_CACHE_DIR/metrics"
fi
# Last: it stops and starts the machine's RabbitMQ, which nothing else may be using then.
step chaos "$MOJI_ROOT/scripts/chaos.sh" --short

say "all checks passed; time per step:"
printf '  %s\n' "${timings[@]}"
printf '  %-14s %4ds\n' total "$SECONDS"
