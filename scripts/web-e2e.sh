#!/usr/bin/env bash
# End-to-end browser test of the web client (services/web) in headless Chromium against a
# stack that is ALREADY RUNNING behind the nginx edge (scripts/run.sh, or test.sh's stack;
# chat included once the web client uses it):
# sign up -> upload a face photo -> progress events over SSE -> the result shows `happy` ->
# save -> the emoji is in the gallery, plus like/unlike, token refresh, the polling fallback
# when SSE drops, my page, ranking, 360 px layout, log out and error details. It also checks
# that nothing logs a console error or fails a request, and that the first load weighs
# < 300 KB. Unit tests of the client's token handling run first (no browser needed).
#
#   scripts/web-e2e.sh                       run the tests
#   scripts/web-e2e.sh --update-screenshot   also copy the result-page screenshot to
#                                            docs/images/web-result.png (shown in the README)
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
#   MOJI_E2E_TASK_TIMEOUT_MS  how long to wait for a task's result (default 60000)
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "$0")/lib/common.sh"

usage() { sed -n '2,26p' "$0" | sed 's/^# \{0,1\}//'; }

update=0
for arg in "$@"; do
  case "$arg" in
    --update-screenshot) update=1 ;;
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

# ---- the stack must already be up -------------------------------------------------------
[ -f "$MOJI_E2E_PHOTO" ] || die "no test photo at $MOJI_E2E_PHOTO (run scripts/models.sh)"
if ! curl -fsS --max-time 5 "$MOJI_E2E_URL/" 2>/dev/null | grep -q '/js/main.js'; then
  die "no web client at $MOJI_E2E_URL/ (start the stack and the edge first: scripts/run.sh)"
fi
curl -fsS --max-time 5 -o /dev/null "$MOJI_E2E_URL/api/v1/emoji-templates" \
  || die "the api does not answer behind $MOJI_E2E_URL (GET /api/v1/emoji-templates)"
# Once the web client talks to chat, chat must be behind the edge too: its REST answers 401
# without a token, where a chat that is not running gets the edge's 503.
if grep -rqsE --include='*.js' '/chat/(ws|rooms)' "$MOJI_ROOT/services/web/dist"; then
  chat_status="$(curl -sS -o /dev/null -w '%{http_code}' --max-time 5 "$MOJI_E2E_URL/api/v1/chat/rooms" || true)"
  [ "$chat_status" = 401 ] \
    || die "chat does not answer behind $MOJI_E2E_URL (GET /api/v1/chat/rooms: $chat_status, want 401; start moji-chat)"
fi

# ---- tools --------------------------------------------------------------------------------
if [ "$MOJI_E2E_CHROMIUM" = /usr/bin/chromium ] && [ ! -x /usr/bin/chromium ]; then
  apt_install chromium
fi
[ -x "$MOJI_E2E_CHROMIUM" ] || die "no browser at $MOJI_E2E_CHROMIUM"
# Emoji glyphs in the screenshots (the page itself works without them).
apt_install fonts-noto-color-emoji

command -v node >/dev/null || apt_install nodejs npm
command -v npm >/dev/null || apt_install npm
node_major="$(node -p 'process.versions.node.split(".")[0]')"
[ "$node_major" -ge 20 ] || die "Node.js >= 20 is needed (playwright-core); found $(node --version)"

# npm ci when node_modules is missing or older than the lock file.
if [ ! -f "$e2e/node_modules/.package-lock.json" ] \
  || [ "$e2e/package-lock.json" -nt "$e2e/node_modules/.package-lock.json" ]; then
  say "installing playwright-core (npm ci)"
  (cd "$e2e" && npm ci --no-audit --no-fund --loglevel=error)
fi

# ---- run ----------------------------------------------------------------------------------
say "web e2e against $MOJI_E2E_URL ($("$MOJI_E2E_CHROMIUM" --version 2>/dev/null | head -n1))"
started=$SECONDS
cd "$e2e"
status=0
node --test --test-concurrency=1 --test-reporter=spec api.test.mjs web.test.mjs || status=$?
say "web e2e took $((SECONDS - started)) s; screenshots and the first-load report are in $MOJI_E2E_ARTIFACTS"
if [ "$status" -ne 0 ]; then
  die "web e2e failed (status $status)"
fi
if [ "$update" = 1 ]; then
  say "README screenshot updated: docs/images/web-result.png"
fi
