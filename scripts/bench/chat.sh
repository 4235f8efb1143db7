#!/usr/bin/env bash
# The chat benchmark (issue 13): a release moji-chat on its own database, driven over loopback by
# moji-chat-load (crates/chat-loadgen) on the same cores.
#
#   scripts/bench/chat.sh                                   # the issue's sizes (3 to 4 minutes)
#   SOCKETS=2000 DURATION=10 MODES="idle room" scripts/bench/chat.sh   # a quick run
#
# Seeds USERS people (SOCKETS, at least MEMBERS) straight into PostgreSQL, one session family
# each (tokens are minted by the load generator with the service's secret, nobody logs in),
# one room of MEMBERS people (people 1 … MEMBERS) and the others in rooms of ROOM_SIZE. Then:
#   idle      SOCKETS sockets (one per person, so over every room, the big one included), held
#             IDLE_HOLD s; memory per socket = growth of moji-chat's VmRSS (/proc) / sockets
#   room      the MEMBERS-member room: SENDERS of them send RATE msg/s in total for DURATION s
#             (after a WARMUP s unmeasured); every member checks each stored message arrives
#             once and in seq order; fan-out latency = receipt − send time written in the text
#   ceiling   the same room, the rate raised by CEILING_FACTOR every CEILING_STEP s from
#             CEILING_START up to CEILING_MAX msg/s, until a step loses, reorders, is refused,
#             falls behind (< 95 % of the offered deliveries while sending) or passes
#             CEILING_P99_MS; the ceiling is the best sustained step's deliveries/s
#   bindings  RabbitMQ queue.bind + queue.unbind per second on a scratch queue and exchange
#             (BIND_CONCURRENCY channels), next to the messages per second one queue bound to
#             room.* takes (what a replica that receives every room's traffic must absorb)
# Every socket does what a client does on connecting: after `ready` it sends `resume` with the
# seqs `ready` gave and waits for `resumed` (until a socket's first frame the service holds its
# live events for chat.resume_wait_ms, 2 s). Connect times include that round trip.
# It prints one table with the issue's targets (10,000 sockets at ≤ 10 KB each; 1,000 members
# × 10 senders × 20 msg/s: 0 lost, 0 out of order, p99 ≤ 50 ms; a ceiling ≥ 45k deliveries/s).
#
# The service runs with chat.send_limit raised (SEND_LIMIT, default 1,000,000 per window): the
# per-person limit (20 per 10 s) would otherwise refuse the ceiling's senders, and the room test
# sends exactly at it. Everything else is the service's defaults.
#
# Settings (environment): SOCKETS (10000), MEMBERS (1000), ROOM_SIZE (100), SENDERS (10),
# RATE (20), DURATION (30), WARMUP (2), IDLE_HOLD (20), CEILING_START (20), CEILING_FACTOR
# (1.25), CEILING_MAX (500), CEILING_STEP (5), CEILING_P99_MS (100), BIND_SECS (5),
# BIND_CONCURRENCY ("1,8"), SOURCES (16 source addresses 127.0.0.1 …), MODES ("idle room
# ceiling bindings"), SEND_LIMIT, BUDGET (300 s for all the runs together; each run gets what is
# left), KEEP_DB=1 to keep the database. The database is moji_bench_chat (BENCH_DB, always
# moji_bench_*), dropped and created again on every run; no other database is touched.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "$0")/../lib/common.sh"
cd "$MOJI_ROOT"

SOCKETS="${SOCKETS:-10000}"
MEMBERS="${MEMBERS:-1000}"
ROOM_SIZE="${ROOM_SIZE:-100}"
SENDERS="${SENDERS:-10}"
RATE="${RATE:-20}"
DURATION="${DURATION:-30}"
WARMUP="${WARMUP:-2}"
IDLE_HOLD="${IDLE_HOLD:-20}"
CEILING_START="${CEILING_START:-20}"
CEILING_FACTOR="${CEILING_FACTOR:-1.25}"
CEILING_MAX="${CEILING_MAX:-500}"
CEILING_STEP="${CEILING_STEP:-5}"
CEILING_P99_MS="${CEILING_P99_MS:-100}"
BIND_SECS="${BIND_SECS:-5}"
BIND_CONCURRENCY="${BIND_CONCURRENCY:-1,8}"
SOURCES="${SOURCES:-16}"
MODES="${MODES:-idle room ceiling bindings}"
SEND_LIMIT="${SEND_LIMIT:-1000000}"
BUDGET="${BUDGET:-300}"
BENCH_DB="${BENCH_DB:-moji_bench_chat}"
KEEP_DB="${KEEP_DB:-0}"
CHAT_WRAPPER="${CHAT_WRAPPER:-}"

for v in SOCKETS MEMBERS ROOM_SIZE SENDERS RATE DURATION IDLE_HOLD CEILING_START CEILING_MAX CEILING_STEP \
  CEILING_P99_MS BIND_SECS SOURCES SEND_LIMIT BUDGET; do
  [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive whole number (got '${!v}')"
done
[[ "$WARMUP" =~ ^[0-9]+$ ]] || die "WARMUP must be a whole number (got '$WARMUP')"
[[ "$CEILING_FACTOR" =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "CEILING_FACTOR must be a number (got '$CEILING_FACTOR')"
[[ "$BIND_CONCURRENCY" =~ ^[0-9]+(,[0-9]+)*$ ]] || die "BIND_CONCURRENCY must be numbers joined by commas"
[ "$SOCKETS" -le 20000 ] || die "SOCKETS must not exceed 20000"
[ "$SOURCES" -le 254 ] || die "SOURCES must not exceed 254"
[ "$SENDERS" -le "$MEMBERS" ] || die "SENDERS ($SENDERS) must not exceed MEMBERS ($MEMBERS)"
[ "$BUDGET" -le 1200 ] || die "BUDGET must not exceed 1200 s"
[[ "$BENCH_DB" =~ ^moji_bench_[a-z0-9_]+$ ]] || die "BENCH_DB must match moji_bench_[a-z0-9_]+ (got '$BENCH_DB')"
for m in $MODES; do
  case "$m" in idle | room | ceiling | bindings) ;; *) die "MODES: unknown mode $m (idle room ceiling bindings)" ;; esac
done
USERS=$((SOCKETS > MEMBERS ? SOCKETS : MEMBERS))

"$MOJI_ROOT/scripts/infra.sh" >/dev/null
command -v psql >/dev/null || die "psql not found (scripts/infra.sh installs PostgreSQL)"
say "building the release binaries (moji-api for the migrations, moji-chat, moji-chat-load)"
cargo build -q --release --locked --bin moji-api --bin moji-chat --bin moji-chat-load
bin="$CARGO_TARGET_DIR/release"
bench_dir="$MOJI_CACHE_DIR/bench/chat"
mkdir -p "$bench_dir"
results="$bench_dir/results.jsonl"
: >"$results"

# Each side of loopback (moji-chat, moji-chat-load) holds a socket per person, plus its own files.
want_files=$((USERS + 4096))
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$want_files" ]; then
  ulimit -n "$want_files" 2>/dev/null || ulimit -n "$(ulimit -Hn)" ||
    die "cannot raise the open files limit to $want_files (hard limit $(ulimit -Hn))"
fi
[ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -ge "$want_files" ] ||
  warn "open files limit $(ulimit -n) < $want_files: some sockets will fail to open"

source "$MOJI_ROOT/scripts/bench/lib.sh"
bench_database
bench_env chat "$bench_dir"
export MOJI_JWT__ISSUER=moji MOJI_JWT__AUDIENCE=moji
export MOJI_HTTP__CHAT_PORT="$port"
export MOJI_CHAT__SEND_LIMIT="$SEND_LIMIT"
"$bin/moji-api" migrate >/dev/null

say "seeding $USERS people, a $MEMBERS-member room and rooms of $ROOM_SIZE for the others"
started=$SECONDS
# Ids are UUIDv7-shaped and deterministic: person i, their session family, room r.
# shellcheck disable=SC2016 # a bcrypt hash, not an expansion
psql_bench -v users="$USERS" -v members="$MEMBERS" -v room_size="$ROOM_SIZE" \
  -v password_hash='$2b$04$WUNO.npZJdbjumtllBnoMukA773w7uzVG7ZoQZtMqa3Xlz29DHghS' <<'SQL'
SET client_min_messages = warning;
CREATE FUNCTION pg_temp.id7(kind text, n bigint) RETURNS uuid LANGUAGE sql IMMUTABLE AS $$
    SELECT (lpad(to_hex(1764806400000 + n), 12, '0') || '7' || substr(md5(kind || n), 1, 3)
            || '8' || substr(md5(kind || n), 4, 15))::uuid
$$;
INSERT INTO users (id, username, email, display_name, password_hash)
SELECT pg_temp.id7('user', i), 'bench_' || lpad(i::text, 7, '0'),
       'bench_' || lpad(i::text, 7, '0') || '@bench.invalid', 'Bench ' || i, :'password_hash'
FROM generate_series(1, :users) i;
INSERT INTO session_families (id, user_id)
SELECT pg_temp.id7('sid', i), pg_temp.id7('user', i) FROM generate_series(1, :users) i;
-- Room 0: people 1 … members. Rooms 1 …: the others, room_size each.
INSERT INTO chat_rooms (id, name, owner_id)
SELECT pg_temp.id7('room', r), 'bench room ' || r,
       pg_temp.id7('user', CASE WHEN r = 0 THEN 1 ELSE :members + (r - 1) * :room_size + 1 END)
FROM generate_series(0, ceil(greatest(:users - :members, 0)::numeric / :room_size)::int) r;
INSERT INTO chat_members (room_id, user_id)
SELECT pg_temp.id7('room', CASE WHEN i <= :members THEN 0 ELSE 1 + (i - :members - 1) / :room_size END),
       pg_temp.id7('user', i)
FROM generate_series(1, :users) i;
SQL
psql_bench -c "SET client_min_messages = error" -c "VACUUM ANALYZE" >/dev/null
room="$(psql_bench -c "SELECT id FROM chat_rooms WHERE name = 'bench room 0'")"
users_file="$bench_dir/users.tsv"
psql_bench -F $'\t' -v users="$USERS" >"$users_file" <<'SQL'
SELECT u.id, s.id, u.username FROM users u JOIN session_families s ON s.user_id = u.id
WHERE u.username LIKE 'bench\_%' ORDER BY u.username
SQL
psql_bench -F ' ' -c "
  SELECT 'seeded in $((SECONDS - started))s:', (SELECT count(*) FROM users) || ' people,',
         count(*) || ' rooms, the largest of', max(member_count) || ' members,',
         (SELECT count(*) FROM chat_members) || ' memberships'
  FROM chat_rooms" | while read -r line; do say "$line"; done
[ "$(wc -l <"$users_file")" -eq "$USERS" ] || die "the users file has $(wc -l <"$users_file") lines, not $USERS"

# CHAT_WRAPPER runs the service under a tool (e.g. "valgrind --tool=massif" to see where
# memory per socket goes); its figures are then the tool's, not the service's.
${CHAT_WRAPPER:-} "$bin/moji-chat" serve >"$bench_dir/chat.log" 2>&1 &
chat_pid=$!
bench_pids+=("$chat_pid")
wait_for "curl -fsS http://127.0.0.1:$port/readyz || curl -fsS http://127.0.0.1:$port/metrics" 60 ||
  die "moji-chat did not start (see $bench_dir/chat.log)"
url="ws://127.0.0.1:$port/api/v1/chat/ws"

if commit="$(git rev-parse --short HEAD 2>/dev/null)"; then
  git diff --quiet HEAD 2>/dev/null || commit="$commit with uncommitted changes"
else
  commit="(not a git checkout)"
fi
say "moji-chat $commit (pid $chat_pid, port $port), $(nproc) cores, load generator on the same cores; open files $(ulimit -n)"

budget_end=$((SECONDS + BUDGET))
# Runs one mode; a failure is a row in the table, not the end of the bench.
load() {
  local mode="$1"
  shift
  local left=$((budget_end - SECONDS))
  if [ "$left" -lt 10 ]; then
    warn "$mode: the time budget ($BUDGET s) is spent: not run"
    printf '{"mode": "skipped", "test": "%s", "reason": "time budget (%s s) spent"}\n' "$mode" "$BUDGET" >>"$results"
    return 0
  fi
  say "$mode (load average $(cut -d' ' -f1-3 /proc/loadavg); at most ${left} s)"
  if ! "$bin/moji-chat-load" "$mode" --max-secs "$left" --out "$results" "$@" 2>&1 | tee -a "$bench_dir/load.log"; then
    warn "$mode: moji-chat-load failed (see above and $bench_dir/load.log)"
    printf '{"mode": "skipped", "test": "%s", "reason": "moji-chat-load failed: see %s"}\n' "$mode" "$bench_dir/load.log" >>"$results"
  fi
  if ! kill -0 "$chat_pid" 2>/dev/null; then
    die "moji-chat exited during $mode (see $bench_dir/chat.log)"
  fi
}
: >"$bench_dir/load.log"
common=(--url "$url" --users "$users_file" --sources "$SOURCES")
for mode in $MODES; do
  case "$mode" in
    idle)
      load idle "${common[@]}" --sockets "$SOCKETS" --duration "$IDLE_HOLD" --server-pid "$chat_pid"
      sleep 2 # the service notices the closes
      ;;
    room)
      load room "${common[@]}" --room "$room" --members "$MEMBERS" --senders "$SENDERS" --rate "$RATE" \
        --duration "$DURATION" --warmup "$WARMUP" --server-pid "$chat_pid"
      ;;
    ceiling)
      load ceiling "${common[@]}" --room "$room" --members "$MEMBERS" --senders "$SENDERS" \
        --start-rate "$CEILING_START" --factor "$CEILING_FACTOR" --max-rate "$CEILING_MAX" \
        --step "$CEILING_STEP" --p99-bound-ms "$CEILING_P99_MS" --server-pid "$chat_pid"
      ;;
    bindings)
      load bindings --amqp "$AMQP_URL" --prefix "$MOJI_AMQP__PREFIX" --concurrency "$BIND_CONCURRENCY" \
        --duration "$BIND_SECS" --publish-secs "$BIND_SECS"
      ;;
  esac
done

say "chat: moji-chat $commit, $USERS people, room of $MEMBERS, $(nproc) cores shared with the load generator (results: $results)"
"$bin/moji-chat-load" table "$results"
