#!/usr/bin/env bash
# Fuzzes every service's HTTP API from its own OpenAPI document with schemathesis (PyPI,
# pinned, in a venv this script makes under $MOJI_CACHE_DIR): examples, boundary/negative
# cases and random inputs, at most FUZZ_EXAMPLES per operation and FUZZ_SECONDS for the api (a
# third of it each for chat and recommend, fuzzed at the same time as the api), signed in as a
# fresh person. Fails on any server error, any status the document does not
# list, and any response that does not match its schema or Content-Type.
#
#   scripts/fuzz.sh API_ORIGIN [CHAT_ORIGIN] [RECOMMEND_ORIGIN]
#   scripts/fuzz.sh --install-only   only make the venv (scripts/test.sh does it beside the build)
#   (scripts/lib/live-checks.sh runs it against the stack it started)
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"

SCHEMATHESIS_VERSION="4.32.5"
FUZZ_EXAMPLES="${FUZZ_EXAMPLES:-50}"
FUZZ_SECONDS="${FUZZ_SECONDS:-150}"

venv="${MOJI_FUZZ_VENV:-$MOJI_CACHE_DIR/venv-fuzz}"
if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
  say "installing schemathesis $SCHEMATHESIS_VERSION into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "schemathesis==$SCHEMATHESIS_VERSION"
fi
[ "${1:-}" = --install-only ] && exit 0

api="${1:?usage: fuzz.sh API_ORIGIN [CHAT_ORIGIN] [RECOMMEND_ORIGIN]}"
chat="${2:-}"
recommend="${3:-}"

# A person of the fuzz's own; the token is what every operation with security gets.
user="fuzz_$(date +%s)_$$"
password="fuzz password 1"
curl -fsS -o /dev/null -X POST "$api/api/v1/users" -H 'content-type: application/json' \
  -d "{\"username\":\"$user\",\"email\":\"$user@example.com\",\"password\":\"$password\"}"
token="$(curl -fsS -X POST "$api/api/v1/auth/login" -H 'content-type: application/json' \
  -d "{\"login\":\"$user\",\"password\":\"$password\"}" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')"

reports="$MOJI_CACHE_DIR/fuzz"
mkdir -p "$reports"
status=0
fuzz() { # name, origin, document path, seconds
  local name="$1" origin="$2" doc="$3" seconds="$4"
  say "fuzz $name: $origin$doc (at most $FUZZ_EXAMPLES examples per operation, ${seconds}s)"
  # Signing out or deleting the account would turn the rest of the run into 401s. Run from a
  # directory of the service's own: schemathesis keeps its example database in the cwd.
  mkdir -p "$reports/$name"
  (cd "$reports/$name" && "$venv/bin/schemathesis" run "$origin$doc" --url "$origin" \
    -H "Authorization: Bearer $token" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
    --max-examples "$FUZZ_EXAMPLES" --max-time "$seconds" \
    --phases examples,coverage,fuzzing \
    --exclude-path-regex '/auth/logout|/users/me$' \
    --request-timeout 10 --seed 1 --no-color \
    --report junit --report-dir "$reports/$name" \
    >"$reports/$name.txt" 2>&1) || { tail -n 80 "$reports/$name.txt" >&2; warn "fuzz $name failed (all: $reports/$name.txt)"; return 1; }
  tail -n 3 "$reports/$name.txt"
}

# The api has most operations; chat and recommend a handful each, fuzzed alongside it (three
# services, three schemathesis processes: the wall-clock is the api's cap).
pids=()
fuzz api "$api" /api-docs/openapi.json "$FUZZ_SECONDS" & pids+=($!)
[ -z "$chat" ] || { fuzz chat "$chat" /api/v1/chat/openapi.json $((FUZZ_SECONDS / 3)) & pids+=($!); }
[ -z "$recommend" ] || { fuzz recommend "$recommend" /api/v1/recommend/openapi.json $((FUZZ_SECONDS / 3)) & pids+=($!); }
for pid in "${pids[@]}"; do
  wait "$pid" || status=1
done
exit "$status"
