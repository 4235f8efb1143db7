#!/usr/bin/env bash
# End-to-end browser test of the web client (services/web) in headless Chromium against a
# stack that is ALREADY RUNNING behind the nginx edge (scripts/run.sh, or test.sh's stack;
# chat included, or started here when it is missing: see "chat" below):
# sign up -> upload a face photo -> progress events over SSE -> the result shows `happy` ->
# save -> the emoji is in the gallery, plus like/unlike, token refresh, the polling fallback
# when SSE drops, my page, ranking, 360 px layout, chat (two people live, unread, a reconnect
# that resumes without loss or duplicates, leave), log out and error details. It also checks
# that nothing logs a console error or fails a request, and that the first load weighs
# < 300 KB; then search, similar, for-you rows and dwell time against the recommendation
# service (recommend.test.mjs), which must be running behind the edge too; then date courses
# (courses.test.mjs: ask, live progress, the course and its map, my courses, rate, rename,
# delete, five a day then a 429), which need the recommendation service's course worker
# (course.suggest) as well; then the dataset maker (datasets.test.mjs: upload, SSE to ready,
# zip download, list for sale, search, buy through the development payment provider), which
# needs the inference worker's dataset.generate consumer; then reports and moderation
# (moderation.test.mjs: report a post, an admin hides it, the reporter sees `resolved`). Unit tests of the client's token handling, chat socket, dwell time
# and date-course rules (map projection, quota headers) run first (no browser).
#
#   scripts/web-e2e.sh                       run the tests
#   scripts/web-e2e.sh --update-screenshot   also copy the result-page screenshot to
#                                            docs/images/web-result.png (shown in the README)
#   scripts/web-e2e.sh --install-only        only install what the tests need (below), no stack
#                                            needed (scripts/test.sh does it beside the build)
#
# Installs what it needs when missing: Debian `chromium` and `fonts-noto-color-emoji` (apt),
# `playwright-core` (exact version, `npm ci` from services/web/e2e/package-lock.json into
# services/web/e2e/node_modules; npm registry only). Needs Node.js >= 20.
#
# Environment:
#   MOJI_E2E_URL              base URL of the edge (default http://127.0.0.1:$MOJI_HTTP__EDGE_PORT,
#                             i.e. http://127.0.0.1:8080)
#   MOJI_E2E_PHOTO            face photo to upload (default .cache/models/images/astronaut.png,
#                             written by scripts/models.sh; a smiling face -> `happy`)
#   MOJI_E2E_CHROMIUM         browser binary (default /usr/bin/chromium)
#   MOJI_E2E_ARTIFACTS        where screenshots and the first-load report go
#                             (default services/web/e2e/artifacts)
#   MOJI_E2E_TASK_TIMEOUT_MS  how long to wait for a task's result (a face task, or each date
#                             course; default 60000)
#   MOJI_E2E_CHAT_BIN         moji-chat to start when nothing answers /api/v1/chat/ behind the
#                             edge (default: the newest of $CARGO_TARGET_DIR/{debug,release})
#   MOJI_E2E_INDEX_TIMEOUT_MS how long recommend.test.mjs waits for the recommendation
#                             service to learn a new item or a like (default 30000)
#   MOJI_E2E_ADMIN            `username:password` of an admin for moderation.test.mjs (default:
#                             one made with `moji-api create-admin`, MOJI_E2E_API_BIN or the
#                             newest build, against the database the environment names)
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "$0")/lib/common.sh"

usage() { sed -n '2,46p' "$0" | sed 's/^# \{0,1\}//'; }

update=0
install_only=0
for arg in "$@"; do
  case "$arg" in
    --update-screenshot) update=1 ;;
    --install-only) install_only=1 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $arg" ;;
  esac
done

e2e="$MOJI_ROOT/services/web/e2e"
export MOJI_E2E_URL="${MOJI_E2E_URL:-http://127.0.0.1:${MOJI_HTTP__EDGE_PORT:-8080}}"
export MOJI_E2E_PHOTO="${MOJI_E2E_PHOTO:-$MOJI_CACHE_DIR/models/images/astronaut.png}"
export MOJI_E2E_CHROMIUM="${MOJI_E2E_CHROMIUM:-/usr/bin/chromium}"
export MOJI_E2E_ARTIFACTS="${MOJI_E2E_ARTIFACTS:-$e2e/artifacts}"
export MOJI_E2E_UPDATE_SCREENSHOT="$update"

# ---- tools --------------------------------------------------------------------------------
install_tools() {
  if [ "$MOJI_E2E_CHROMIUM" = /usr/bin/chromium ] && [ ! -x /usr/bin/chromium ]; then
    apt_install chromium
  fi
  [ -x "$MOJI_E2E_CHROMIUM" ] || die "no browser at $MOJI_E2E_CHROMIUM"
  # Emoji glyphs in the screenshots (the page itself works without them).
  apt_install fonts-noto-color-emoji

  command -v node >/dev/null || apt_install nodejs npm
  command -v npm >/dev/null || apt_install npm
  local node_major
  node_major="$(node -p 'process.versions.node.split(".")[0]')"
  [ "$node_major" -ge 20 ] || die "Node.js >= 20 is needed (playwright-core); found $(node --version)"

  # npm ci when node_modules is missing or older than the lock file.
  if [ ! -f "$e2e/node_modules/.package-lock.json" ] \
    || [ "$e2e/package-lock.json" -nt "$e2e/node_modules/.package-lock.json" ]; then
    say "installing playwright-core (npm ci)"
    (cd "$e2e" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

if [ "$install_only" = 1 ]; then
  install_tools
  exit 0
fi

# ---- the stack must already be up -------------------------------------------------------
[ -f "$MOJI_E2E_PHOTO" ] || die "no test photo at $MOJI_E2E_PHOTO (run scripts/models.sh)"
if ! curl -fsS --max-time 5 "$MOJI_E2E_URL/" 2>/dev/null | grep -q '/js/main.js'; then
  die "no web client at $MOJI_E2E_URL/ (start the stack and the edge first: scripts/run.sh)"
fi
curl -fsS --max-time 5 -o /dev/null "$MOJI_E2E_URL/api/v1/emoji-templates" \
  || die "the api does not answer behind $MOJI_E2E_URL (GET /api/v1/emoji-templates)"
# Search, similar and "for you" are the recommendation service's (docs/recommend.md).
curl -fsS --max-time 5 -o /dev/null "$MOJI_E2E_URL/api/v1/recommend/openapi.json" \
  || die "the recommendation service does not answer behind $MOJI_E2E_URL (GET /api/v1/recommend/openapi.json): start moji-recommend and route it at the edge"
# Chat must be behind the edge too (the web client talks to it): checked, and started when
# missing, below ("chat"), once node is there.

install_tools

# ---- chat: /api/v1/chat/ (REST and the WebSocket) must reach moji-chat --------------------
# Behind the edge, chat's REST answers 401 without a token (a chat that is not running gets the
# edge's 503, an edge that does not route it the api's 404). When it does not, this starts
# moji-chat itself (the newest `moji-chat` build, same database, Redis, RabbitMQ and JWT secret
# as the api) on a spare port and puts e2e/chat-edge.mjs in front of the edge for the test:
# chat's paths to chat, everything else to the edge. Both stop when this script exits.
chat_routed() { # base URL
  [ "$(curl -sS -o /dev/null -w '%{http_code}' --max-time 5 "$1/api/v1/chat/rooms" 2>/dev/null)" = 401 ]
}
chat_pids=()
stop_chat() { for p in "${chat_pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap stop_chat EXIT
if ! chat_routed "$MOJI_E2E_URL"; then
  chat_bin="${MOJI_E2E_CHAT_BIN:-$(ls -t "$CARGO_TARGET_DIR"/debug/moji-chat "$CARGO_TARGET_DIR"/release/moji-chat 2>/dev/null | head -n1 || true)}"
  [ -x "$chat_bin" ] || die "chat does not answer behind $MOJI_E2E_URL (GET /api/v1/chat/rooms wants 401) and there is no moji-chat to start (cargo build --bins)"
  if [ -z "${MOJI_JWT__SECRET:-}" ] && [ -f "$MOJI_CACHE_DIR/dev-secrets.env" ]; then
    set -a; source "$MOJI_CACHE_DIR/dev-secrets.env"; set +a # run.sh's, shared with its api
  fi
  [ -n "${MOJI_JWT__SECRET:-}" ] || die "MOJI_JWT__SECRET (the api's) is needed to start moji-chat"
  mkdir -p "$MOJI_E2E_ARTIFACTS"
  spare_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
  chat_port="$(spare_port)"
  MOJI_HTTP__CHAT_PORT="$chat_port" "$chat_bin" serve >"$MOJI_E2E_ARTIFACTS/chat.log" 2>&1 &
  chat_pids+=($!)
  wait_for "curl -fsS http://127.0.0.1:$chat_port/readyz" 60 \
    || { tail -n 30 "$MOJI_E2E_ARTIFACTS/chat.log" >&2; die "moji-chat did not become ready"; }
  front_log="$MOJI_E2E_ARTIFACTS/chat-edge.log"
  : >"$front_log" # (not the line of an earlier run)
  node "$e2e/chat-edge.mjs" --edge "$MOJI_E2E_URL" --chat "http://127.0.0.1:$chat_port" >>"$front_log" 2>&1 &
  chat_pids+=($!)
  wait_for "grep -q '^listening [0-9]' '$front_log'" 10 || die "the chat front did not start"
  front="http://127.0.0.1:$(sed -n 's/^listening //p' "$front_log" | head -n1)"
  chat_routed "$front" || die "moji-chat does not answer behind $front"
  say "started $chat_bin on :$chat_port; testing through $front (chat there, the rest to $MOJI_E2E_URL)"
  export MOJI_E2E_URL="$front"
fi

# ---- an admin for moderation.test.mjs --------------------------------------------------------
# MOJI_E2E_ADMIN=username:password names one; otherwise one is made here with the newest
# moji-api's `create-admin` against the database the environment names (run.sh's by default).
if [ -z "${MOJI_E2E_ADMIN:-}" ]; then
  api_bin="${MOJI_E2E_API_BIN:-$(ls -t "$CARGO_TARGET_DIR"/debug/moji-api "$CARGO_TARGET_DIR"/release/moji-api 2>/dev/null | head -n1 || true)}"
  [ -x "$api_bin" ] || die "no moji-api to make an admin with (cargo build --bins), and no MOJI_E2E_ADMIN"
  admin_name="e2e_admin_$(date +%s)"
  admin_password="$(head -c 18 /dev/urandom | base64 | tr -d '/+=')"
  MOJI_ADMIN_PASSWORD="$admin_password" "$api_bin" create-admin --username "$admin_name" \
    --email "$admin_name@example.com" >/dev/null || die "could not make an admin for the e2e test"
  export MOJI_E2E_ADMIN="$admin_name:$admin_password"
fi

# ---- run ----------------------------------------------------------------------------------
say "web e2e against $MOJI_E2E_URL ($("$MOJI_E2E_CHROMIUM" --version 2>/dev/null | head -n1))"
started=$SECONDS
cd "$e2e"
status=0
node --test --test-concurrency=1 --test-reporter=spec api.test.mjs chat.test.mjs recommend-unit.test.mjs courses-unit.test.mjs web.test.mjs recommend.test.mjs courses.test.mjs datasets.test.mjs moderation.test.mjs || status=$?
say "web e2e took $((SECONDS - started)) s; screenshots and the first-load report are in $MOJI_E2E_ARTIFACTS"
if [ "$status" -ne 0 ]; then
  die "web e2e failed (status $status)"
fi
if [ "$update" = 1 ]; then
  say "README screenshot updated: docs/images/web-result.png"
fi
