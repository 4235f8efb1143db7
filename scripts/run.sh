#!/usr/bin/env bash
# Brings up all of Moji on this machine: infrastructure (installing it if missing), models,
# a release build, migrations, every service, and the nginx edge. Ctrl-C stops what it started.
#
# Ports (override with the env vars): edge 8080 (MOJI_HTTP__EDGE_PORT), api 8081
# (MOJI_HTTP__API_PORT), chat 8082 (MOJI_HTTP__CHAT_PORT), recommend 8083
# (MOJI_HTTP__RECOMMEND_PORT), inference metrics/health 8084 (MOJI_HTTP__INFERENCE_PORT).
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$MOJI_ROOT"

export MOJI_HTTP__EDGE_PORT="${MOJI_HTTP__EDGE_PORT:-8080}"
export MOJI_HTTP__API_PORT="${MOJI_HTTP__API_PORT:-8081}"
export MOJI_HTTP__CHAT_PORT="${MOJI_HTTP__CHAT_PORT:-8082}"
export MOJI_HTTP__RECOMMEND_PORT="${MOJI_HTTP__RECOMMEND_PORT:-8083}"
export MOJI_HTTP__INFERENCE_PORT="${MOJI_HTTP__INFERENCE_PORT:-8084}"
export MOJI_HTTP__PUBLIC_URL="${MOJI_HTTP__PUBLIC_URL:-http://127.0.0.1:$MOJI_HTTP__EDGE_PORT}"
export MOJI_STORAGE__LOCAL_ROOT="${MOJI_STORAGE__LOCAL_ROOT:-$MOJI_CACHE_DIR/storage}"
export MOJI_STORAGE__PUBLIC_BASE_URL="${MOJI_STORAGE__PUBLIC_BASE_URL:-$MOJI_HTTP__PUBLIC_URL/api/v1/files}"
export MOJI_MODELS_DIR="${MOJI_MODELS_DIR:-$MOJI_CACHE_DIR/models}"
# recommend's sentence embedder, from scripts/models.sh (absolute: services may not run here).
export MOJI_RECOMMEND__MODEL_DIR="${MOJI_RECOMMEND__MODEL_DIR:-$MOJI_MODELS_DIR/all-minilm-l6-v2}"
# The language model recommend's date-course worker writes with (scripts/models.sh; absolute
# for the same reason). Settings of date courses: MOJI_COURSES__* (crates/config/src/courses.rs),
# e.g. MOJI_COURSES__OPENAI_BASE_URL, _MODEL and _API_KEY for an OpenAI-compatible endpoint.
export MOJI_COURSES__MODEL_PATH="${MOJI_COURSES__MODEL_PATH:-$MOJI_MODELS_DIR/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf}"

"$MOJI_ROOT/scripts/infra.sh" --with-vision
[ -x "$MOJI_ROOT/scripts/models.sh" ] && "$MOJI_ROOT/scripts/models.sh"

# Development secrets: generated once, kept out of git, shared by every service so they can
# verify each other's tokens. Production takes them from its secret store instead.
secrets="$MOJI_CACHE_DIR/dev-secrets.env"
mkdir -p "$MOJI_CACHE_DIR"
umask 077
touch "$secrets"
# Each secret is generated once; one added later is appended to an existing file.
for name in MOJI_JWT__SECRET MOJI_STORAGE__SIGNING_SECRET MOJI_PAYMENTS__WEBHOOK_SECRET; do
  if ! grep -q "^$name=" "$secrets"; then
    echo "$name=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" >> "$secrets"
    say "generated development secret $name in $secrets"
  fi
done
umask 022
set -a; source "$secrets"; set +a
export MOJI_JWT__SECRET MOJI_STORAGE__SIGNING_SECRET MOJI_PAYMENTS__WEBHOOK_SECRET

say "building release binaries (first build takes several minutes)"
cargo build --release --locked --bins
bin="$CARGO_TARGET_DIR/release"

"$bin/moji-api" migrate

logs="$MOJI_CACHE_DIR/logs"
mkdir -p "$logs"
pids=()
stop_all() {
  trap - INT TERM EXIT
  say "stopping"
  [ -x "$MOJI_ROOT/scripts/edge.sh" ] && "$MOJI_ROOT/scripts/edge.sh" stop >/dev/null 2>&1 || true
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
# A requested stop exits quietly; EXIT covers a failed start.
trap 'stop_all; exit 0' INT TERM
trap stop_all EXIT

# Runs a service and starts it again whenever it exits, so one crash is not an outage of the
# rest: after 1 s, doubling to at most 30 s while it keeps dying within a minute of starting.
# Each exit is said here and in the service's log. TERM (from stop_all) stops the service.
supervise() { # name, command...
  local name="$1"; shift
  local delay=1 started status child=""
  trap '[ -n "$child" ] && kill "$child" 2>/dev/null; wait 2>/dev/null; exit 0' TERM INT
  trap - EXIT
  while :; do
    started=$SECONDS
    "$@" >>"$logs/$name.log" 2>&1 &
    child=$!
    # `|| status=$?`: under set -e a bare failing wait would end the supervisor itself.
    status=0
    wait "$child" || status=$?
    [ $((SECONDS - started)) -ge 60 ] && delay=1
    warn "$name exited (status $status); restarting it in ${delay}s (log $logs/$name.log)"
    echo "[run.sh] $(date -u +%FT%TZ) exited with status $status; restarting in ${delay}s" >>"$logs/$name.log"
    sleep "$delay" &
    wait $!
    delay=$((delay * 2 > 30 ? 30 : delay * 2))
  done
}

start() { # name, command...
  local name="$1"; shift
  : >"$logs/$name.log"
  supervise "$name" "$@" &
  pids+=($!)
  say "started $name (supervisor pid $!, log $logs/$name.log)"
}

start api "$bin/moji-api" serve
# Chat's tables came with the migration above; it needs the same JWT secret as the api.
if [ -x "$bin/moji-chat" ]; then
  start chat "$bin/moji-chat" serve
fi
# recommend indexes what the migration's tables hold and follows content.* events; it loads
# the embedding model from MOJI_RECOMMEND__MODEL_DIR. It also runs the date-course worker
# (queue recommend.course, MOJI_COURSES__MODEL_PATH): nothing else to start for date courses.
# Only from this tree: the build cache is shared by every clone, so a moji-recommend built
# elsewhere may sit in $bin.
with_recommend=0
if [ -d "$MOJI_ROOT/services/recommend" ] && [ -x "$bin/moji-recommend" ]; then
  with_recommend=1
  start recommend "$bin/moji-recommend" serve
fi
if [ -x "$bin/moji-inference" ]; then
  start inference "$bin/moji-inference"
fi

wait_for "curl -fsS http://127.0.0.1:$MOJI_HTTP__API_PORT/readyz" 60 \
  || { tail -n 30 "$logs/api.log" >&2; die "api did not become ready"; }
if [ -x "$bin/moji-chat" ]; then
  wait_for "curl -fsS http://127.0.0.1:$MOJI_HTTP__CHAT_PORT/readyz" 60 \
    || { tail -n 30 "$logs/chat.log" >&2; die "chat did not become ready"; }
fi
# Loading the model and building the first index take longer than the others' start.
if [ "$with_recommend" = 1 ]; then
  wait_for "curl -fsS http://127.0.0.1:$MOJI_HTTP__RECOMMEND_PORT/readyz" 300 \
    || { tail -n 30 "$logs/recommend.log" >&2; die "recommend did not become ready"; }
fi
if [ -x "$bin/moji-inference" ]; then
  wait_for "curl -fsS http://127.0.0.1:$MOJI_HTTP__INFERENCE_PORT/readyz" 60 \
    || { tail -n 30 "$logs/inference.log" >&2; die "inference did not become ready"; }
fi

origin="http://127.0.0.1:$MOJI_HTTP__API_PORT"
if [ -x "$MOJI_ROOT/scripts/edge.sh" ]; then
  "$MOJI_ROOT/scripts/edge.sh" start
  origin="http://127.0.0.1:$MOJI_HTTP__EDGE_PORT"
fi

chat_lines=""
if [ -x "$bin/moji-chat" ]; then
  # Through the edge, chat shares the one origin; without it, chat answers on its own port.
  chat_origin="$origin"
  [ -x "$MOJI_ROOT/scripts/edge.sh" ] || chat_origin="http://127.0.0.1:$MOJI_HTTP__CHAT_PORT"
  chat_lines="
    Chat WebSocket:           ws://${chat_origin#http://}/api/v1/chat/ws
    Chat REST:                $chat_origin/api/v1/chat/rooms (OpenAPI: $chat_origin/api/v1/chat/openapi.json)
    Chat metrics:             http://127.0.0.1:$MOJI_HTTP__CHAT_PORT/metrics"
fi
recommend_lines=""
if [ "$with_recommend" = 1 ]; then
  # Through the edge, recommend shares the one origin; without it, it answers on its own port.
  recommend_origin="$origin"
  [ -x "$MOJI_ROOT/scripts/edge.sh" ] || recommend_origin="http://127.0.0.1:$MOJI_HTTP__RECOMMEND_PORT"
  recommend_lines="
    Search:                   $recommend_origin/api/v1/search?q=... (OpenAPI: $recommend_origin/api/v1/recommend/openapi.json)
    Recommend directly:       http://127.0.0.1:$MOJI_HTTP__RECOMMEND_PORT/api/v1/products/recommend
    Recommend metrics:        http://127.0.0.1:$MOJI_HTTP__RECOMMEND_PORT/metrics"
fi

# Date courses: the api takes them (always running); recommend's worker writes them. Which
# writer `auto` picks, as the worker will (docs/date-courses.md). The page is the web client's
# hash route #/courses (services/web/dist/js/main.js; change it here if the route moves).
courses_writer="${MOJI_COURSES__WRITER:-auto}"
if [ "$courses_writer" = auto ]; then
  if [ -n "${MOJI_COURSES__OPENAI_BASE_URL:-}" ]; then
    courses_writer="auto: OpenAI-compatible endpoint ${MOJI_COURSES__OPENAI_BASE_URL} (${MOJI_COURSES__OPENAI_MODEL:-no model set})"
  elif [ -s "$MOJI_COURSES__MODEL_PATH" ]; then
    courses_writer="auto: local model ${MOJI_COURSES__MODEL_PATH#"$MOJI_ROOT"/}"
  else
    courses_writer="auto: template (no model at ${MOJI_COURSES__MODEL_PATH#"$MOJI_ROOT"/}; scripts/models.sh fetches it)"
  fi
fi
if [ "$with_recommend" = 1 ] && ! grep -q '^moji-llm' "$MOJI_ROOT/services/recommend/Cargo.toml"; then
  courses_worker="not written yet: this moji-recommend has no date-course worker (it does not link moji-llm)"
elif [ "$with_recommend" = 1 ]; then
  courses_worker="written by moji-recommend, writer $courses_writer"
else
  courses_worker="not written: moji-recommend (which runs the worker) is not running, requests stay queued"
fi
courses_lines="
    Date courses (web page):  $origin/#/courses
    Date courses API:         $origin/api/v1/date-courses (quota: $origin/api/v1/date-courses/quota)
    Date courses:             $courses_worker"

cat <<TXT

  Moji is running.
    Everything (one origin):  $origin/
    Swagger UI:               $origin/docs/
    OpenAPI document:         $origin/api-docs/openapi.json
    API directly:             http://127.0.0.1:$MOJI_HTTP__API_PORT/api/v1
    Metrics:                  http://127.0.0.1:$MOJI_HTTP__API_PORT/metrics${chat_lines}${recommend_lines}${courses_lines}
    Logs:                     $logs/
  A service that exits is started again (said here and in its log). Press Ctrl-C to stop.

TXT

# Services that exit are restarted by their supervisor (and said above); run until Ctrl-C.
set +e
wait
