#!/usr/bin/env bash
# Checks that need the whole stack running: starts every service binary (debug build) on
# spare ports against the local infrastructure plus a private nginx edge in front of them,
# sends real traffic (accounts, one face task end to end, a chat room with two users' sockets
# through the edge: scripts/lib/chat_live.py; posts, a product, search, similar, for you and a
# view through the edge: scripts/lib/recommend_live.py; a date course asked for, followed over
# SSE and, with the worker, written: scripts/lib/courses_live.py), runs the browser
# end-to-end test of the web client through the edge (scripts/web-e2e.sh), saves each
# service's /metrics as <dir>/<service>.prom, which check-deploy.sh compares with the names
# alerts and dashboards use, then fuzzes each service from its OpenAPI document
# (scripts/fuzz.sh).
# Spare ports (api 18081, chat 18082, recommend 18083, inference 18084, edge 18080) keep it
# clear of a running run.sh.
set -euo pipefail
source "$(dirname "$0")/common.sh"
out="${1:?usage: live-checks.sh OUT_DIR}"
mkdir -p "$out"
rm -f "$out"/*.prom

build_binaries
bin="$CARGO_TARGET_DIR/debug"

export MOJI_JWT__SECRET="scrape-only-secret-scrape-only-secret"
export MOJI_STORAGE__SIGNING_SECRET="scrape-only-signing-scrape-only-signing"
# A database, storage directory and key prefix of this run's own: what earlier runs (or
# run.sh) left in the shared `moji` database would point at files this run does not have.
live_db="moji_live_$$"
psql -q "$MOJI_TEST_DATABASE_ADMIN_URL" -c "DROP DATABASE IF EXISTS $live_db" >/dev/null
psql -q "$MOJI_TEST_DATABASE_ADMIN_URL" -c "CREATE DATABASE $live_db" >/dev/null
export DATABASE_URL="${MOJI_TEST_DATABASE_ADMIN_URL%/*}/$live_db"
export MOJI_STORAGE__LOCAL_ROOT="$MOJI_CACHE_DIR/live-storage"
rm -rf "$MOJI_STORAGE__LOCAL_ROOT"
export MOJI_AMQP__PREFIX="scrape."
export MOJI_REDIS__KEY_PREFIX="live-$$"
export MOJI_HTTP__API_PORT=18081
export MOJI_HTTP__CHAT_PORT=18082
export MOJI_HTTP__RECOMMEND_PORT=18083
export MOJI_HTTP__INFERENCE_PORT=18084
# A revoked session's socket is closed within this (chat_live.py logs a user out).
export MOJI_CHAT__REVOCATION_CHECK_SECS=1
export MOJI_MODELS_DIR="${MOJI_MODELS_DIR:-$MOJI_CACHE_DIR/models}"
export MOJI_RECOMMEND__MODEL_DIR="${MOJI_RECOMMEND__MODEL_DIR:-$MOJI_MODELS_DIR/all-minilm-l6-v2}"
# The date-course writer's local model (scripts/models.sh); without the file, `auto` writes with
# the template.
export MOJI_COURSES__MODEL_PATH="${MOJI_COURSES__MODEL_PATH:-$MOJI_MODELS_DIR/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf}"
export MOJI_AUTH__BCRYPT_COST=4
# The GAN trains briefly here: the browser e2e asks for one set and waits for it.
export MOJI_DATASETS__GAN_TRAIN_SECS=5
"$bin/moji-api" migrate >/dev/null

export MOJI_HTTP__EDGE_PORT=18080
export MOJI_EDGE_DIR="$MOJI_CACHE_DIR/nginx-test"
pids=()
cleanup() {
  MOJI_EDGE_DIR="$MOJI_EDGE_DIR" "$MOJI_ROOT/scripts/edge.sh" stop >/dev/null 2>&1 || true
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  psql -q "$MOJI_TEST_DATABASE_ADMIN_URL" -c "DROP DATABASE IF EXISTS $live_db WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup EXIT

"$bin/moji-api" serve >"$out/api.log" 2>&1 & pids+=($!)
api="http://127.0.0.1:$MOJI_HTTP__API_PORT"
wait_for "curl -fsS $api/readyz" 60 || { cat "$out/api.log" >&2; die "api did not start"; }

# Uploads the astronaut as a task of kind $1 with $token and waits up to 60 s for success.
face_task() {
  local task
  task="$(curl -fsS -X POST "$api/api/v1/faces/tasks" -H "authorization: Bearer $token" \
    -F "kind=$1" -F "image=@$MOJI_MODELS_DIR/images/astronaut.png;type=image/png" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')" || return 1
  wait_for "curl -fsS -H 'authorization: Bearer $token' $api/api/v1/faces/tasks/$task | grep -q '\"status\":\"succeeded\"'" 60
}

# Traffic that touches success and error paths.
user="scrape_$(date +%s)_$$"
curl -fsS -o /dev/null -X POST "$api/api/v1/users" -H 'content-type: application/json' \
  -d "{\"username\":\"$user\",\"email\":\"$user@example.com\",\"password\":\"scrape password 1\"}"
curl -sS -o /dev/null -X POST "$api/api/v1/auth/login" -H 'content-type: application/json' \
  -d "{\"login\":\"$user\",\"password\":\"wrong password\"}" || true
curl -sS -o /dev/null "$api/api/v1/users/$user" || true
curl -sS -o /dev/null "$api/api/v1/no/such/route" || true

if [ -x "$bin/moji-inference" ]; then
  "$bin/moji-inference" >"$out/inference.log" 2>&1 & pids+=($!)
  inf="http://127.0.0.1:$MOJI_HTTP__INFERENCE_PORT"
  wait_for "curl -fsS $inf/readyz" 60 || { cat "$out/inference.log" >&2; die "inference did not start"; }
  # One real face task end to end, so every pipeline metric has observations.
  token="$(curl -fsS -X POST "$api/api/v1/auth/login" -H 'content-type: application/json' \
    -d "{\"login\":\"$user\",\"password\":\"scrape password 1\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')"
  face_task emoji || { cat "$out/inference.log" >&2; die "the scrape's face task did not succeed"; }
fi

# Chat behind the edge: REST and WebSockets, every frame type, so its metrics have values.
if [ -x "$bin/moji-chat" ]; then
  "$bin/moji-chat" serve >"$out/chat.log" 2>&1 & pids+=($!)
  chat="http://127.0.0.1:$MOJI_HTTP__CHAT_PORT"
  wait_for "curl -fsS $chat/readyz" 60 || { cat "$out/chat.log" >&2; die "chat did not start"; }
  "$MOJI_ROOT/scripts/edge.sh" start >/dev/null
  python3 "$MOJI_ROOT/scripts/lib/chat_live.py" "http://127.0.0.1:$MOJI_HTTP__EDGE_PORT" \
    || { tail -n 40 "$out/chat.log" >&2; die "chat live check failed"; }
fi

# recommend behind the edge: content made through the api, found by search, similar, for you,
# popular and a view (recommend_live.py), so its metrics have values. The service lives in
# services/recommend; until that is in this tree there is nothing of this tree's to start (a
# moji-recommend in the shared build cache may come from another clone), so it is skipped.
with_recommend=0
if [ ! -d "$MOJI_ROOT/services/recommend" ]; then
  say "recommend: SKIPPED, services/recommend is not in this tree (the edge routes its paths, nothing answers them)"
elif [ ! -x "$bin/moji-recommend" ]; then
  die "services/recommend exists but cargo built no $bin/moji-recommend (is it a workspace member?)"
else
  with_recommend=1
  "$bin/moji-recommend" serve >"$out/recommend.log" 2>&1 & pids+=($!)
  recommend="http://127.0.0.1:$MOJI_HTTP__RECOMMEND_PORT"
  # Loading the model and the first index build come before /readyz.
  wait_for "curl -fsS $recommend/readyz" 300 || { cat "$out/recommend.log" >&2; die "recommend did not start"; }
  "$MOJI_ROOT/scripts/edge.sh" start >/dev/null
  python3 "$MOJI_ROOT/scripts/lib/recommend_live.py" "http://127.0.0.1:$MOJI_HTTP__EDGE_PORT" \
    || { tail -n 40 "$out/recommend.log" >&2; die "recommend live check failed"; }
fi

# Date courses through the edge (courses_live.py): the api's side always (401, quota and its
# RateLimit-* headers, a task and its events, cancel and refund); with the worker in recommend
# (it links moji-llm, docs/date-courses.md) a course written end to end instead of cancelled,
# so the moji_course_* metrics have values.
"$MOJI_ROOT/scripts/edge.sh" start >/dev/null
courses_args=("http://127.0.0.1:$MOJI_HTTP__EDGE_PORT")
if [ "$with_recommend" = 1 ] && grep -q '^moji-llm' "$MOJI_ROOT/services/recommend/Cargo.toml"; then
  courses_args+=(--worker)
else
  say "date courses: no worker in this tree (services/recommend does not link moji-llm): the api's side only"
fi
python3 "$MOJI_ROOT/scripts/lib/courses_live.py" "${courses_args[@]}" || {
  tail -n 40 "$out/api.log" >&2
  [ "$with_recommend" = 1 ] && tail -n 40 "$out/recommend.log" >&2
  die "date-course live check failed"
}

if [ -x "$MOJI_ROOT/scripts/web-e2e.sh" ]; then
  "$MOJI_ROOT/scripts/edge.sh" start >/dev/null
  MOJI_E2E_URL="http://127.0.0.1:$MOJI_HTTP__EDGE_PORT" "$MOJI_ROOT/scripts/web-e2e.sh"
fi

[ -x "$bin/moji-inference" ] && curl -fsS "$inf/metrics" > "$out/inference.prom"
[ -x "$bin/moji-chat" ] && curl -fsS "$chat/metrics" > "$out/chat.prom"
[ "$with_recommend" = 1 ] && curl -fsS "$recommend/metrics" > "$out/recommend.prom"
curl -fsS "$api/metrics" > "$out/api.prom"
say "scraped: $(cd "$out" && ls *.prom | tr '\n' ' ')"

# Fuzzing (issue 19): every service's OpenAPI document against the service itself, after the
# scrape so that its thousands of requests stay out of the metrics checked above.
fuzz_args=("$api")
[ -x "$bin/moji-chat" ] && fuzz_args+=("$chat") || fuzz_args+=("")
[ "$with_recommend" = 1 ] && fuzz_args+=("$recommend")
"$MOJI_ROOT/scripts/fuzz.sh" "${fuzz_args[@]}"

# The all-in-one `moji` binary: the same stack in one process, one face task through it, the
# admin commands, and a clean exit on SIGTERM.
if [ -x "$bin/moji" ] && [ -x "$bin/moji-inference" ]; then
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait "${pids[@]}" 2>/dev/null || true
  pids=()
  "$bin/moji" migrate | grep -q "none pending" || die "moji migrate found work after moji-api migrate"
  "$bin/moji" serve >"$out/moji.log" 2>&1 & moji_pid=$!; pids+=("$moji_pid")
  # It runs chat too, on the port moji-chat used, and recommend once services/moji links it
  # (its TODO in services/moji/src/main.rs).
  ready="curl -fsS $api/readyz && curl -fsS $inf/readyz"
  if [ -x "$bin/moji-chat" ]; then ready="$ready && curl -fsS $chat/readyz"; fi
  if [ "$with_recommend" = 1 ] && grep -q '^moji-recommend' "$MOJI_ROOT/services/moji/Cargo.toml"; then
    ready="$ready && curl -fsS $recommend/readyz"
  fi
  wait_for "$ready" 60 \
    || { cat "$out/moji.log" >&2; die "moji (all-in-one) did not start"; }
  face_task zodiac || { cat "$out/moji.log" >&2; die "the all-in-one binary did not finish a face task"; }
  kill -TERM "$moji_pid"
  for _ in $(seq 1 200); do kill -0 "$moji_pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$moji_pid" 2>/dev/null; then
    kill -KILL "$moji_pid"
    cat "$out/moji.log" >&2
    die "moji did not exit within 20 s of SIGTERM"
  fi
  moji_status=0
  wait "$moji_pid" || moji_status=$?
  pids=()
  [ "$moji_status" -eq 0 ] || { cat "$out/moji.log" >&2; die "moji exited with $moji_status on SIGTERM"; }
  say "all-in-one moji: served a zodiac task, exited cleanly on SIGTERM"
fi
