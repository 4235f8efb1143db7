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
# 5 s), storage-ro-5s (the storage directory, a tmpfs of its own, remounted read-only for 5 s);
# and the services that came later: kill-chat (two chat replicas as processes, 100 people
# sending in shared rooms, one replica SIGKILLed: every client resumes on the other with no
# message lost, duplicated or out of order; services/chat/tests/kill.rs run as a process) and
# kill-recommend (a recommend replica SIGKILLed; while it is down 5 indexed posts are deleted
# and 5 new ones made; after its restart every live post must come back first from semantic
# search and no deleted one at all: scripts/lib/chaos_recommend.py).
# The broker, Redis and PostgreSQL are the machine's: run it when nothing else uses them
# (scripts/test.sh runs it after the test suite and the live checks).
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$MOJI_ROOT"

all=(kill-api kill-inference rabbit-5s rabbit-60s redis-kill redis-pause-5s pg-terminate pg-restart-5s storage-ro-5s kill-chat kill-recommend)
scenarios=()
for arg in "$@"; do
  case "$arg" in
    --short) scenarios+=(kill-inference rabbit-5s) ;;
    -h | --help) sed -n '2,28p' "$0"; exit 0 ;;
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

# Every binary, as the live checks build them: a subset of packages would unify features
# differently and rebuild dependencies.
say "building the services and the load generator"
build_binaries
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
export MOJI_HTTP__RECOMMEND_PORT=19083
export MOJI_RECOMMEND__MODEL_DIR="${MOJI_RECOMMEND__MODEL_DIR:-${MOJI_MODELS_DIR:-$MOJI_CACHE_DIR/models}/all-minilm-l6-v2}"
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
    recommend) "$bin/moji-recommend" serve >>"$work/recommend.log" 2>&1 & ;;
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
    | delete_queues >/dev/null 2>&1 || true
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

# kill-chat: the chat kill test as a process of its own (it starts two moji-chat replicas and
# 100 clients against this machine's PostgreSQL, Redis and RabbitMQ, each under names of its
# own) and its summary line as the row.
run_chat() {
  local line
  # The whole workspace with a filter: `-p moji-chat` would rebuild dependencies (features).
  cargo nextest run --locked --no-fail-fast --workspace -E 'package(moji-chat) & binary(kill)' \
    --no-capture >"$work/kill-chat.log" 2>&1 || true
  line="$(grep -m1 '^chaos-row kill-chat' "$work/kill-chat.log" || true)"
  if [ -z "$line" ]; then
    failed=1
    tail -n 30 "$work/kill-chat.log" >&2
    warn "kill-chat: the kill test failed (see $work/kill-chat.log)"
    rows+=("$(printf '%-15s %s' kill-chat 'FAILED')")
    return
  fi
  # chaos-row kill-chat sent=N stored=N lost=N dup=N recovery=S settled=S
  field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$line"; }
  local sent stored lost dup rec settled
  sent="$(field sent)" stored="$(field stored)" lost="$(field lost)" dup="$(field dup)"
  rec="$(field recovery)" settled="$(field settled)"
  rows+=("$(printf '%-15s %8s %8s %9s %7s %5s %4s %9s %4s %9s %8s' kill-chat "$sent" 0 "$stored" 0 \
    "$lost" "$dup" - - "${rec}s" "${settled}s")")
  if [ "$lost" != 0 ] || [ "$dup" != 0 ]; then
    failed=1
    warn "kill-chat: lost $lost, duplicated $dup"
  fi
}

# kill-recommend: posts made through the api and found in the index, the replica SIGKILLed,
# posts deleted and made while it is down, then started again.
run_recommend() {
  local state="$work/kill-recommend.json" rec="http://127.0.0.1:$MOJI_HTTP__RECOMMEND_PORT"
  local token="${tokens[1]}" killed_at recovered_at recovery="never" out
  start recommend
  wait_for "curl -fs -m 2 $rec/readyz" 300 || { tail -n 30 "$work/recommend.log" >&2; die "recommend did not start"; }
  python3 "$MOJI_ROOT/scripts/lib/chaos_recommend.py" seed "$api" "$rec" "$token" "$state"
  say "kill-recommend: injecting"
  kill -KILL "${pid[recommend]}"
  wait "${pid[recommend]}" 2>/dev/null || true
  python3 "$MOJI_ROOT/scripts/lib/chaos_recommend.py" churn "$api" "$token" "$state"
  killed_at="$(date +%s.%N)"
  start recommend
  for _ in $(seq 1 3000); do
    if curl -fs -m 2 "$rec/readyz" >/dev/null; then recovered_at="$(date +%s.%N)"; break; fi
    sleep 0.1
  done
  [ -z "${recovered_at:-}" ] || recovery="$(python3 -c "print(f'{$recovered_at - $killed_at:.1f}')")"
  # live found missing stale settled
  out="$(python3 "$MOJI_ROOT/scripts/lib/chaos_recommend.py" check "$rec" "$state" "$SETTLE_SECS")"
  read -r live found missing stale settled <<<"$out"
  rows+=("$(printf '%-15s %8s %8s %9s %7s %5s %4s %9s %4s %9s %8s' kill-recommend "$live" 0 "$found" 0 \
    "$missing" "$stale" - - "${recovery}s" "${settled}s")")
  kill "${pid[recommend]}" 2>/dev/null || true
  if [ "$missing" != 0 ] || [ "$stale" != 0 ] || [ "$recovery" = never ]; then
    failed=1
    warn "kill-recommend: $missing live posts missing from the index, $stale deleted ones still found, recovery $recovery"
  fi
}

for s in "${scenarios[@]}"; do
  case "$s" in
    kill-chat) run_chat ;;
    kill-recommend) run_recommend ;;
    *) run_scenario "$s" ;;
  esac
done

printf '\n%-15s %8s %8s %9s %7s %5s %4s %9s %4s %9s %8s\n' scenario accepted refused succeeded failed lost dup 'redis≠pg' dlq recovery settled
printf '%s\n' "${rows[@]}"
echo "  accepted: 202s the load generator got ($TASKS uploads, $RATE a second); refused: the rest (503 and"
echo "  connection errors while the fault lasted); failed: final as failed or cancelled; lost: accepted but"
echo "  missing or still queued/running ${SETTLE_SECS}s after the fault; recovery: fault over → every /readyz 200;"
echo "  settled: fault over → no accepted task open. kill-chat counts chat messages (sent, stored exactly once;"
echo "  dup: duplicated or out of order at a client; recovery: kill → every client sent again); kill-recommend"
echo "  counts posts (live; found first by semantic search; dup: deleted ones still found). Logs: $work/"
[ "$failed" = 0 ] || die "the campaign found losses (see above)"
say "no task lost, duplicated or stuck"
