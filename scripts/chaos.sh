#!/usr/bin/env bash
# The fault campaign: starts a stack of its own (api and inference on spare ports, its own
# database, key prefix, queue names and storage), drives a bounded load of face tasks through
# the public API with the Rust load generator (moji-loadgen), and injects one fault per
# scenario while the load runs. After each it waits for quiescence and checks that every task
# the client got a 202 for is final in PostgreSQL and agrees with Redis, that none is left
# queued or running, that no task has duplicate result rows, and that the dead-letter queues
# are empty. Prints one table; exits non-zero on any loss.
#
#   scripts/chaos.sh                    # every scenario
#   scripts/chaos.sh --short            # kill-inference and rabbit-5s (scripts/test.sh runs this)
#   scripts/chaos.sh kill-api redis-pause-5s    # the named ones
#   CHAOS_TASKS=300 CHAOS_RATE=20 scripts/chaos.sh   # a longer, heavier load
#
# Scenarios: kill-api, kill-inference (SIGKILL mid-load, started again after 1 s, as a
# supervisor would), rabbit-5s, rabbit-60s (rabbitmqctl stop_app / start_app), redis-kill
# (CLIENT KILL of every normal client), redis-pause-5s (CLIENT PAUSE 5000), pg-terminate
# (pg_terminate_backend of the stack's connections), pg-restart-5s (the cluster stopped for
# 5 s), storage-ro-5s (the storage directory, a tmpfs of its own, remounted read-only for 5 s).
# The broker, Redis and PostgreSQL are the machine's: run it when nothing else uses them
# (scripts/test.sh runs it after the test suite and the live checks).
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$MOJI_ROOT"

all=(kill-api kill-inference rabbit-5s rabbit-60s redis-kill redis-pause-5s pg-terminate pg-restart-5s storage-ro-5s)
scenarios=()
for arg in "$@"; do
  case "$arg" in
    --short) scenarios+=(kill-inference rabbit-5s) ;;
    -h | --help) sed -n '2,22p' "$0"; exit 0 ;;
    *)
      [[ " ${all[*]} " == *" $arg "* ]] || die "unknown scenario $arg (one of: ${all[*]})"
      scenarios+=("$arg")
      ;;
  esac
done
[ "${#scenarios[@]}" -gt 0 ] || scenarios=("${all[@]}")
# A steady load: RATE uploads a second, TASKS in all (so ~TASKS/RATE seconds of it).
TASKS="${CHAOS_TASKS:-150}"
RATE="${CHAOS_RATE:-10}"
CONCURRENCY="${CHAOS_CONCURRENCY:-8}"
# How long the load runs before the fault lands, and the longest wait for quiescence.
FAULT_AFTER="${CHAOS_FAULT_AFTER:-3}"
SETTLE_SECS="${CHAOS_SETTLE_SECS:-240}"

say "building api, inference and the load generator"
cargo build --locked --quiet -p moji-api -p moji-inference -p moji-loadgen --bins
bin="$CARGO_TARGET_DIR/debug"

work="$MOJI_CACHE_DIR/chaos"
mkdir -p "$work"
rm -f "$work"/*.ids "$work"/*.log "$work"/*.json

export MOJI_JWT__SECRET="chaos-only-secret-chaos-only-secret-000"
export MOJI_STORAGE__SIGNING_SECRET="chaos-only-signing-chaos-only-signing"
db="moji_chaos_$$"
psql -q "$MOJI_TEST_DATABASE_ADMIN_URL" -c "CREATE DATABASE $db" >/dev/null
export DATABASE_URL="${MOJI_TEST_DATABASE_ADMIN_URL%/*}/$db"
db_url="${DATABASE_URL%%\?*}"
export MOJI_AMQP__PREFIX="chaos$$."
export MOJI_REDIS__KEY_PREFIX="chaos-$$"
export MOJI_HTTP__API_PORT=19081
export MOJI_HTTP__INFERENCE_PORT=19084
export MOJI_MODELS_DIR="${MOJI_MODELS_DIR:-$MOJI_CACHE_DIR/models}"
export MOJI_AUTH__BCRYPT_COST=4
export MOJI_FACES__WORKERS=2
# A storage directory on a filesystem of its own, so that one scenario can make it read-only.
storage="$work/storage"
mkdir -p "$storage"
mountpoint -q "$storage" || as_root mount -t tmpfs -o size=4g chaos-storage "$storage"
export MOJI_STORAGE__LOCAL_ROOT="$storage"
api="http://127.0.0.1:$MOJI_HTTP__API_PORT"
inf="http://127.0.0.1:$MOJI_HTTP__INFERENCE_PORT"

declare -A pid
start() { # api | inference
  case "$1" in
    api) "$bin/moji-api" serve >>"$work/api.log" 2>&1 & ;;
    inference) "$bin/moji-inference" >>"$work/inference.log" 2>&1 & ;;
  esac
  pid[$1]=$!
}
cleanup() {
  for p in "${pid[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  as_root rabbitmqctl start_app >/dev/null 2>&1 || true
  redis-cli -h 127.0.0.1 CLIENT UNPAUSE >/dev/null 2>&1 || true
  pg_isready -q -h 127.0.0.1 || as_root pg_ctlcluster "$(ls /etc/postgresql | sort -V | tail -n1)" main start || true
  mountpoint -q "$storage" && as_root mount -o remount,rw "$storage" 2>/dev/null || true
  mountpoint -q "$storage" && as_root umount "$storage" 2>/dev/null || true
  psql -q "$MOJI_TEST_DATABASE_ADMIN_URL" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  redis-cli -h 127.0.0.1 --scan --pattern "chaos-$$:*" | xargs -r redis-cli -h 127.0.0.1 DEL >/dev/null 2>&1 || true
  as_root rabbitmqctl list_queues -q --no-table-headers name 2>/dev/null | grep "^chaos$$\." \
    | cargo run -q --locked -p moji-mq --example delete_queues >/dev/null 2>&1 || true
}
trap cleanup EXIT

"$bin/moji-api" migrate >/dev/null
start api
start inference
ready() { curl -fs -m 2 "$api/readyz" >/dev/null && curl -fs -m 2 "$inf/readyz" >/dev/null; }
wait_for ready 120 || { tail -n 30 "$work"/*.log >&2; die "the stack did not become ready"; }

# Four people share the load, as on a real platform.
tokens=()
for n in 1 2 3 4; do
  user="chaos_${$}_$n"
  curl -fsS -o /dev/null -X POST "$api/api/v1/users" -H 'content-type: application/json' \
    -d "{\"username\":\"$user\",\"email\":\"$user@example.com\",\"password\":\"chaos password 1\"}"
  tokens+=(--token "$(curl -fsS -X POST "$api/api/v1/auth/login" -H 'content-type: application/json' \
    -d "{\"login\":\"$user\",\"password\":\"chaos password 1\"}" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')")
done
photo="$MOJI_MODELS_DIR/images/astronaut.png"
[ -s "$photo" ] || die "no $photo: run scripts/models.sh"

pg_version="$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n1)"
# Injects scenario $1's fault and returns when it is over (the service restarted, the broker
# back, the pause ended ...).
inject() {
  case "$1" in
    kill-api | kill-inference)
      local svc="${1#kill-}"
      kill -KILL "${pid[$svc]}"
      wait "${pid[$svc]}" 2>/dev/null || true
      sleep 1
      start "$svc"
      ;;
    rabbit-5s | rabbit-60s)
      as_root rabbitmqctl stop_app >/dev/null
      sleep "${1#rabbit-}"
      as_root rabbitmqctl start_app >/dev/null
      ;;
    redis-kill) redis-cli -h 127.0.0.1 CLIENT KILL TYPE normal SKIPME yes >/dev/null ;;
    redis-pause-5s) redis-cli -h 127.0.0.1 CLIENT PAUSE 5000 >/dev/null; sleep 5 ;;
    pg-terminate)
      psql -qAt "$MOJI_TEST_DATABASE_ADMIN_URL" -c \
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '$db'" >/dev/null
      ;;
    pg-restart-5s)
      as_root pg_ctlcluster "$pg_version" main stop -m fast
      sleep 5
      as_root pg_ctlcluster "$pg_version" main start
      ;;
    storage-ro-5s)
      as_root mount -o remount,ro "$storage"
      sleep 5
      as_root mount -o remount,rw "$storage"
      ;;
  esac
}

# One SQL value from the stack's database.
sql() { psql -qAt "$db_url" -c "$1"; }

# Figures of scenario $1 over its accepted ids, as one table row; fails on any loss.
rows=()
failed=0
run_scenario() {
  local name="$1" ids="$work/$1.ids" load_pid fault_end recovery
  : >"$ids"
  "$bin/moji-loadgen" --api "$api/api/v1" --image "$photo" "${tokens[@]}" -n "$TASKS" \
    --concurrency "$CONCURRENCY" --rate "$RATE" --accepted "$ids" --no-follow >"$work/$name.load.json" 2>&1 &
  load_pid=$!
  sleep "$FAULT_AFTER"
  say "$name: injecting"
  inject "$name"
  # Recovery: from the fault's end until every service answers /readyz again (the load goes on).
  local fault_ended recovered_at
  fault_end=$SECONDS
  fault_ended="$(date +%s.%N)"
  recovered_at=""
  for _ in $(seq 1 600); do
    if ready; then recovered_at="$(date +%s.%N)"; break; fi
    sleep 0.1
  done
  recovery="never"
  [ -z "$recovered_at" ] || recovery="$(python3 -c "print(f'{$recovered_at - $fault_ended:.1f}')")"
  wait "$load_pid" || true

  local accepted list open=0 deadline=$((SECONDS + SETTLE_SECS))
  accepted="$(sort -u "$ids" | wc -l)"
  list="$(sort -u "$ids" | sed "s/.*/'&'/" | paste -sd, -)"
  [ -n "$list" ] || list="'00000000-0000-0000-0000-000000000000'"
  while :; do
    open="$(sql "SELECT count(*) FROM face_tasks WHERE id IN ($list) AND status IN ('queued', 'running')")"
    [ "$open" = 0 ] || [ "$SECONDS" -ge "$deadline" ] || { sleep 1; continue; }
    break
  done
  local settled=$((SECONDS - fault_end))
  local rowsn succeeded failed_tasks missing dup disagree=0 dlq
  rowsn="$(sql "SELECT count(*) FROM face_tasks WHERE id IN ($list)")"
  succeeded="$(sql "SELECT count(*) FROM face_tasks WHERE id IN ($list) AND status = 'succeeded'")"
  failed_tasks="$(sql "SELECT count(*) FROM face_tasks WHERE id IN ($list) AND status IN ('failed', 'cancelled')")"
  missing=$((accepted - rowsn))
  dup="$(sql "SELECT count(*) FROM (SELECT task_id FROM face_results WHERE task_id IN ($list) GROUP BY task_id HAVING count(*) > 1) d")"
  # Redis must agree with the row (a record may have expired; none should have here).
  while IFS='|' read -r id status; do
    [ -n "$id" ] || continue
    live="$(redis-cli -h 127.0.0.1 HGET "$MOJI_REDIS__KEY_PREFIX:task:$id" status)"
    [ "$live" = "$status" ] || disagree=$((disagree + 1))
  done < <(sql "SELECT id, status FROM face_tasks WHERE id IN ($list)")
  dlq="$(as_root rabbitmqctl list_queues -q --no-table-headers name messages 2>/dev/null \
    | awk -v p="$MOJI_AMQP__PREFIX" 'index($1, p) == 1 && $1 ~ /\.dead$/ { n += $2 } END { print n + 0 }')"
  local lost=$((open + missing))
  local refused=$((TASKS - accepted))
  rows+=("$(printf '%-15s %8s %8s %9s %7s %5s %4s %9s %4s %9s %8s' "$name" "$accepted" "$refused" \
    "$succeeded" "$failed_tasks" "$lost" "$dup" "$disagree" "$dlq" "${recovery}s" "${settled}s")")
  if [ "$lost" != 0 ] || [ "$dup" != 0 ] || [ "$disagree" != 0 ] || [ "$dlq" != 0 ] || [ "$recovery" = never ]; then
    failed=1
    warn "$name: lost $lost, duplicated $dup, redis≠pg $disagree, dead-lettered $dlq, recovery $recovery"
  fi
}

for s in "${scenarios[@]}"; do
  run_scenario "$s"
done

printf '\n%-15s %8s %8s %9s %7s %5s %4s %9s %4s %9s %8s\n' scenario accepted refused succeeded failed lost dup 'redis≠pg' dlq recovery settled
printf '%s\n' "${rows[@]}"
echo "  accepted: 202s the load generator got ($TASKS uploads, $RATE a second); refused: the rest (503 and"
echo "  connection errors while the fault lasted); failed: final as failed or cancelled; lost: accepted but"
echo "  missing or still queued/running ${SETTLE_SECS}s after the fault; recovery: fault over → every /readyz 200;"
echo "  settled: fault over → no accepted task open. Logs: $work/"
[ "$failed" = 0 ] || die "the campaign found losses (see above)"
say "no task lost, duplicated or stuck"
