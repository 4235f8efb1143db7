# Set-up shared by the benchmarks that own a database (gallery, social, chat). Source it after
# scripts/lib/common.sh with BENCH_DB and KEEP_DB set, then call bench_database.

# The bench database's URL: the admin URL's (the `moji` role, CREATEDB) with our database.
admin_url="$MOJI_TEST_DATABASE_ADMIN_URL"
admin_base="${admin_url%%\?*}"
db_url="${admin_base%/*}/$BENCH_DB${admin_url#"$admin_base"}"
psql_admin() { psql "$admin_url" -qAt -v ON_ERROR_STOP=1 "$@"; }
psql_bench() { psql "$db_url" -qAt -v ON_ERROR_STOP=1 "$@"; }

# Services the bench started (append their pids); stopped on exit.
bench_pids=()
db_created=0
bench_cleanup() {
  local rc=$?
  local pid
  for pid in "${bench_pids[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [ "$db_created" -eq 1 ] && [ "$KEEP_DB" != 1 ]; then
    psql_admin -c "DROP DATABASE IF EXISTS $BENCH_DB WITH (FORCE)" >/dev/null 2>&1 || warn "could not drop $BENCH_DB"
  fi
  exit "$rc"
}
trap bench_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A TCP port nothing listens on now.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# The settings every benchmarked service shares: fixed bench secrets, local storage under DIR,
# AMQP and Redis names of its own (NAME), logs at warn unless RUST_LOG says otherwise.
bench_env() {
  local name="$1" dir="$2"
  export MOJI_JWT__SECRET="bench-secret-bench-secret-bench-secret"
  export MOJI_STORAGE__BACKEND=local MOJI_STORAGE__LOCAL_ROOT="$dir/storage"
  export MOJI_STORAGE__SIGNING_SECRET="bench-signing-bench-signing-bench-sign"
  export MOJI_AMQP__PREFIX="bench_$name." MOJI_REDIS__KEY_PREFIX="bench_$name"
  export RUST_LOG="${RUST_LOG:-warn}"
}

# Drops and creates $BENCH_DB, picks a free port ($port) and points the services at the database.
bench_database() {
  say "database $BENCH_DB: dropped and created again"
  psql_admin -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $BENCH_DB WITH (FORCE)" \
    -c "CREATE DATABASE $BENCH_DB"
  db_created=1
  port="$(free_port)"
  export DATABASE_URL="$db_url" MOJI_DATABASE__URL="$db_url"
}
