#!/usr/bin/env bash
# Fails when crates/db/src/schema.rs is not what `diesel print-schema` makes of migrations/.
# Applies the migrations to a scratch database, prints its schema, diffs, drops the database.
#   scripts/check-schema.sh           # check
#   scripts/check-schema.sh --update  # rewrite schema.rs
#   scripts/check-schema.sh --install-only  # install diesel_cli if missing (test.sh, beside the build)
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"

DIESEL_CLI_VERSION="2.3.14"
ensure_tool diesel "$DIESEL_CLI_VERSION" diesel_cli --version "=$DIESEL_CLI_VERSION" \
  --no-default-features --features postgres
[ "${1:-}" = --install-only ] && exit 0

base="${MOJI_TEST_DATABASE_ADMIN_URL%/*}"
scratch="moji_schema_check_$$"
url="$base/$scratch"
cleanup() { psql -q "$MOJI_TEST_DATABASE_ADMIN_URL" -c "DROP DATABASE IF EXISTS $scratch WITH (FORCE)" >/dev/null 2>&1 || true; }
trap cleanup EXIT
psql -q "$MOJI_TEST_DATABASE_ADMIN_URL" -c "CREATE DATABASE $scratch" >/dev/null
# Migrations run with an empty config: with crates/db/diesel.toml, `migration run` would
# regenerate schema.rs itself and the comparison below could never fail.
bare_config="$(mktemp --suffix=.toml)"
diesel migration run --migration-dir "$MOJI_ROOT/migrations" --database-url "$url" \
  --config-file "$bare_config" >/dev/null
generated="$(mktemp)"
diesel print-schema --database-url "$url" --config-file "$MOJI_ROOT/crates/db/diesel.toml" > "$generated"
# Check down migrations too: they must undo everything so redo works.
diesel migration redo --all --migration-dir "$MOJI_ROOT/migrations" --database-url "$url" \
  --config-file "$bare_config" >/dev/null

target="$MOJI_ROOT/crates/db/src/schema.rs"
if [ "${1:-}" = "--update" ]; then
  cp "$generated" "$target"
  say "rewrote $target"
elif ! diff -u "$target" "$generated"; then
  die "crates/db/src/schema.rs is out of date with migrations/: run scripts/check-schema.sh --update"
else
  say "diesel schema matches migrations (and every migration reverts cleanly)"
fi
