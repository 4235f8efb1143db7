#!/usr/bin/env bash
# The public gallery's read benchmark: a release api on its own database seeded with public
# emojis from 1,000 people, read by a signed-in user with wrk at two concurrencies.
#
#   scripts/bench/gallery.sh                      # 100k emojis, wrk -t2 -c64 / -c256 -d15s
#   ROWS=1000000 scripts/bench/gallery.sh         # 1M emojis
#   DURATION=30s SORT=popular scripts/bench/gallery.sh
#
# Targets, each at every concurrency (CONNECTIONS, default "64 256"), after a short warm-up:
#   page 1       GET /api/v1/emojis?page=1&size=20
#   page 50      GET /api/v1/emojis?page=50&size=20      (a refusal, e.g. 422, is reported)
#   deep cursor  GET /api/v1/emojis?cursor=<deep>&size=20 (DEEP_CURSOR, or found by following
#                next_cursor DEEP_STEPS times at size=100; skipped when the api has no cursors)
# and, as a reference for what the machine allows any request, GET /api/v1/users/me.
# It prints req/s, p50 and p99 per (target, concurrency), responses that were not 2xx (such a
# run is a failed measurement), and the CPU time per request of the api, PostgreSQL, Redis,
# RabbitMQ and wrk, measured from /proc over each run, next to the issue's target.
#
# Settings (environment): ROWS (100000), PEOPLE (1000), DURATION (15s), THREADS (2),
# CONNECTIONS ("64 256"), WARMUP (3s, 0 for none), SORT (new | popular), PERIOD (week | month |
# all, with SORT=popular), DEEP_CURSOR, DEEP_STEPS (50), KEEP_DB=1 to keep the database after
# the run. The database is moji_bench_gallery (BENCH_DB, always moji_bench_*), dropped and
# created again on every run; no other database is touched.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "$0")/../lib/common.sh"
cd "$MOJI_ROOT"

ROWS="${ROWS:-100000}"
PEOPLE="${PEOPLE:-1000}"
DURATION="${DURATION:-15s}"
THREADS="${THREADS:-2}"
CONNECTIONS="${CONNECTIONS:-64 256}"
WARMUP="${WARMUP:-3s}"
SORT="${SORT:-new}"
PERIOD="${PERIOD:-}"
DEEP_CURSOR="${DEEP_CURSOR:-}"
DEEP_STEPS="${DEEP_STEPS:-50}"
BENCH_DB="${BENCH_DB:-moji_bench_gallery}"
KEEP_DB="${KEEP_DB:-0}"
BATCH=10000  # emojis per seeding transaction

[[ "$ROWS" =~ ^[1-9][0-9]*$ ]] || die "ROWS must be a positive number (got '$ROWS')"
if ! [[ "$PEOPLE" =~ ^[1-9][0-9]*$ ]] || [ "$PEOPLE" -lt 2 ]; then die "PEOPLE must be a number >= 2 (got '$PEOPLE')"; fi
[[ "$DEEP_STEPS" =~ ^[1-9][0-9]*$ ]] || die "DEEP_STEPS must be a positive number (got '$DEEP_STEPS')"
[[ "$BENCH_DB" =~ ^moji_bench_[a-z0-9_]+$ ]] || die "BENCH_DB must match moji_bench_[a-z0-9_]+ (got '$BENCH_DB')"
for c in $CONNECTIONS; do [[ "$c" =~ ^[1-9][0-9]*$ ]] || die "CONNECTIONS must be numbers (got '$CONNECTIONS')"; done
case "$SORT" in
  new) query="" ;;
  popular) query="&sort=popular" ;;
  *) die "SORT must be new or popular (got '$SORT')" ;;
esac
if [ -n "$PERIOD" ]; then
  [ "$SORT" = popular ] || die "PERIOD needs SORT=popular"
  case "$PERIOD" in week | month | all) query="$query&period=$PERIOD" ;; *) die "PERIOD must be week, month or all" ;; esac
fi

here="$MOJI_ROOT/scripts/bench/gallery"
drive() { PYTHONDONTWRITEBYTECODE=1 python3 "$here/drive.py" "$@"; }

"$MOJI_ROOT/scripts/infra.sh" >/dev/null
command -v wrk >/dev/null || apt_install wrk
command -v psql >/dev/null || die "psql not found (scripts/infra.sh installs PostgreSQL)"
say "building the release binaries"
cargo build -q --release --locked --bins
bin="$CARGO_TARGET_DIR/release"
bench_dir="$MOJI_CACHE_DIR/bench/gallery"
mkdir -p "$bench_dir"
rm -rf "$bench_dir/storage"
results="$bench_dir/results.jsonl"
: >"$results"

source "$MOJI_ROOT/scripts/bench/lib.sh"
bench_database
bench_env gallery "$bench_dir"
export MOJI_JWT__ACCESS_TTL_SECS=86400 MOJI_JWT__REFRESH_TTL_SECS=172800  # outlives any run
export MOJI_HTTP__API_PORT="$port"
export MOJI_AUTH__BCRYPT_COST=4
"$bin/moji-api" migrate >/dev/null

say "seeding $ROWS public emojis from $PEOPLE people (plain INSERTs, $BATCH emojis per transaction)"
started=$SECONDS
# bcrypt (cost 4) of "seeded user password": the seeded people could log in.
# shellcheck disable=SC2016 # a bcrypt hash, not an expansion
psql_bench -v rows="$ROWS" -v people="$PEOPLE" -v batch="$BATCH" \
  -v password_hash='$2b$04$WUNO.npZJdbjumtllBnoMukA773w7uzVG7ZoQZtMqa3Xlz29DHghS' \
  -f "$here/seed.sql"
seed_secs=$((SECONDS - started))

"$bin/moji-api" serve >"$bench_dir/api.log" 2>&1 &
api_pid=$!
bench_pids+=("$api_pid")
wait_for "curl -fsS http://127.0.0.1:$port/readyz" 60 || die "the api did not start (see $bench_dir/api.log)"
api="http://127.0.0.1:$port/api/v1"

read -r bench_user token <<<"$(drive token --api "$api" --username gallery_bench \
  --email gallery_bench@bench.moji.invalid --password "gallery benchmark password")"
[ -n "${token:-}" ] || die "no access token for the bench user"
psql_bench -v user_id="$bench_user" -f "$here/bench-user.sql"
say "VACUUM ANALYZE"
psql_bench -c "SET client_min_messages = error" -c "VACUUM ANALYZE"
psql_bench -F ' ' -c "
  SELECT 'seeded in ${seed_secs}s:', count(*) || ' public emojis,', sum(like_count) || ' likes (max',
         max(like_count) || ' on one emoji,', round(100.0 * count(*) FILTER (WHERE like_count = 0) / count(*)) || '% with none),',
         (SELECT count(*) FROM users) || ' accounts (with the bench user), database', pg_size_pretty(pg_database_size(current_database()))
  FROM emojis WHERE visibility = 'public'" | while read -r line; do say "$line"; done

# The targets: labels and paths (a path left empty is skipped with the reason in `skip`).
# "users/me ref" is not a target: an authenticated read of one PostgreSQL row, the same
# machine's floor for any api request (auth, Redis, one query, HTTP), measured in the same run.
labels=("page 1" "page 50" "deep cursor" "users/me ref")
paths=("/emojis?page=1&size=20$query" "/emojis?page=50&size=20$query" "" "/users/me")
skip=("" "" "" "")
if [ -n "$DEEP_CURSOR" ]; then
  cursor="$DEEP_CURSOR" depth="given by DEEP_CURSOR"
else
  set +e
  found="$(drive cursor --api "$api" --token "$token" --query "${query#&}" --steps "$DEEP_STEPS" 2>"$bench_dir/cursor.err")"
  rc=$?
  set -e
  cursor="" depth=""
  case "$rc" in
    0) read -r cursor depth <<<"$found"; depth="$depth rows deep" ;;
    3) skip[2]="not supported by this api build ($(cat "$bench_dir/cursor.err"))" ;;
    *) skip[2]="could not follow next_cursor: $(cat "$bench_dir/cursor.err")" ;;
  esac
fi
if [ -n "$cursor" ]; then
  enc="$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$cursor")"
  paths[2]="/emojis?cursor=$enc&size=20$query"
  say "deep cursor: $depth"
else
  say "deep cursor: ${skip[2]}"
fi

if commit="$(git rev-parse --short HEAD 2>/dev/null)"; then
  git diff --quiet HEAD 2>/dev/null || commit="$commit with uncommitted changes"
else
  commit="(not a git checkout)"
fi
say "wrk -t$THREADS -d$DURATION at c=${CONNECTIONS// /, c=}, sort=$SORT${PERIOD:+, period=$PERIOD}, api $commit, $(nproc) cores"
for i in "${!labels[@]}"; do
  label="${labels[$i]}"
  if [ -z "${paths[$i]}" ]; then
    drive skip --label "$label" --reason "${skip[$i]}" --out "$results"
    continue
  fi
  url="$api${paths[$i]}"
  read -r status detail <<<"$(drive probe --url "$url" --token "$token")"
  if [[ "$status" != 2?? ]]; then
    say "$label: HTTP $status ($detail): not measured"
    drive skip --label "$label" --reason "HTTP $status ($detail)" --out "$results"
    continue
  fi
  say "$label: $status, $detail"
  if [ "$WARMUP" != 0 ]; then
    drive run --warmup --label "$label" --url "$url" --token "$token" --lua "$here/auth.lua" \
      --connections 64 --threads "$THREADS" --duration "$WARMUP" --api-pid "$api_pid" --db "$BENCH_DB"
  fi
  for c in $CONNECTIONS; do
    drive run --label "$label" --url "$url" --token "$token" --lua "$here/auth.lua" --connections "$c" \
      --threads "$THREADS" --duration "$DURATION" --api-pid "$api_pid" --db "$BENCH_DB" --out "$results"
  done
done

say "gallery: $ROWS public emojis from $PEOPLE people, sort=$SORT${PERIOD:+, period=$PERIOD}, wrk -t$THREADS -d$DURATION (results: $results)"
drive table "$results"
