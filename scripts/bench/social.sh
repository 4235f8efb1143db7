#!/usr/bin/env bash
# The market SNS read benchmark (issue 12): a release api on its own database seeded with
# 10k people, 100k posts, 1M likes and 200k follows, read by signed-in people with wrk on the
# same machine.
#
#   scripts/bench/social.sh                                          # the issue's sizes, c=64, 15 s
#   USERS=1000 POSTS=10000 LIKES=100000 FOLLOWS=20000 scripts/bench/social.sh   # a quick run
#   DURATION=30s CONNECTIONS="64 256" scripts/bench/social.sh
#
# Targets, each at every concurrency (CONNECTIONS, default 64), after a short warm-up:
#   feed    GET /api/v1/feed                       (each request as one of VIEWERS people)
#   post    GET /api/v1/posts/{id}                 (one of POST_IDS posts, as one of VIEWERS)
#   search  GET /api/v1/search?q=<query>&type=post (one of QUERIES, two-syllable Korean words;
#                                                   skipped when the api has no /search yet)
# and, as a reference for what the machine allows any request, GET /api/v1/users/me.
# Every request is a random (person, path) pair drawn by scripts/bench/social/social.lua:
#   - the VIEWERS people are seeded accounts spread over the whole population (person 1 + k *
#     USERS / VIEWERS), logged in through the api; each follows 6 to 34 people (20 on average),
#     most of whom have posts, so every feed is a merge of about 20 authors' newest posts;
#   - `post` reads are signed in, like feed and search, and spread over POST_IDS posts drawn
#     uniformly from all of them: with 64 people x 20,000 posts nearly every request is that
#     person's first view of that post this hour, so nearly every read also counts a view (a
#     Redis hit and an UPDATE of posts.view_count), as a market's post pages mostly are. The
#     run prints how many view writes it made; a small POST_IDS (e.g. 50) measures re-reads.
# It prints req/s, p50 and p99 per (target, concurrency), responses that were not 2xx (such a
# run is a failed measurement), and the CPU time per request of the api, PostgreSQL, Redis,
# RabbitMQ and wrk, measured from /proc over each run, next to the issue's targets (feed and
# post >= 4,000 req/s at p99 <= 20 ms, search p99 <= 50 ms, at c=64).
#
# Settings (environment): USERS (10000), POSTS (100000), LIKES (1000000), FOLLOWS (200000),
# VIEWERS (64), POST_IDS (20000), QUERIES ("감귤 제주 자전 노트"), DURATION (15s), THREADS (2),
# CONNECTIONS ("64"), WARMUP (3s, 0 for none), KEEP_DB=1 to keep the database after the run.
# The database is moji_bench_social (BENCH_DB, always moji_bench_*), dropped and created again
# on every run; no other database is touched.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "$0")/../lib/common.sh"
cd "$MOJI_ROOT"

USERS="${USERS:-10000}"
POSTS="${POSTS:-100000}"
LIKES="${LIKES:-1000000}"
FOLLOWS="${FOLLOWS:-200000}"
VIEWERS="${VIEWERS:-64}"
POST_IDS="${POST_IDS:-20000}"
QUERIES="${QUERIES:-감귤 제주 자전 노트}"
DURATION="${DURATION:-15s}"
THREADS="${THREADS:-2}"
CONNECTIONS="${CONNECTIONS:-64}"
WARMUP="${WARMUP:-3s}"
BENCH_DB="${BENCH_DB:-moji_bench_social}"
KEEP_DB="${KEEP_DB:-0}"

for v in POSTS LIKES FOLLOWS VIEWERS POST_IDS; do
  [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive number (got '${!v}')"
done
if ! [[ "$USERS" =~ ^[1-9][0-9]*$ ]] || [ "$USERS" -lt 2 ]; then die "USERS must be a number >= 2 (got '$USERS')"; fi
[ "$VIEWERS" -le "$USERS" ] || die "VIEWERS ($VIEWERS) must not exceed USERS ($USERS)"
[ -n "${QUERIES// /}" ] || die "QUERIES must name at least one search query"
[[ "$BENCH_DB" =~ ^moji_bench_[a-z0-9_]+$ ]] || die "BENCH_DB must match moji_bench_[a-z0-9_]+ (got '$BENCH_DB')"
for c in $CONNECTIONS; do [[ "$c" =~ ^[1-9][0-9]*$ ]] || die "CONNECTIONS must be numbers (got '$CONNECTIONS')"; done

here="$MOJI_ROOT/scripts/bench/social"
drive() { PYTHONDONTWRITEBYTECODE=1 python3 "$here/drive.py" "$@"; }

"$MOJI_ROOT/scripts/infra.sh" >/dev/null
command -v wrk >/dev/null || apt_install wrk
command -v psql >/dev/null || die "psql not found (scripts/infra.sh installs PostgreSQL)"
say "building the release binaries"
cargo build -q --release --locked --bins
bin="$CARGO_TARGET_DIR/release"
bench_dir="$MOJI_CACHE_DIR/bench/social"
mkdir -p "$bench_dir"
rm -rf "$bench_dir/storage"
results="$bench_dir/results.jsonl"
: >"$results"

source "$MOJI_ROOT/scripts/bench/lib.sh"
bench_database
bench_env social "$bench_dir"
export MOJI_JWT__ACCESS_TTL_SECS=86400 MOJI_JWT__REFRESH_TTL_SECS=172800  # outlives any run
export MOJI_HTTP__API_PORT="$port"
export MOJI_AUTH__BCRYPT_COST=4
"$bin/moji-api" migrate >/dev/null

say "seeding $USERS people, $POSTS posts, $LIKES likes, $FOLLOWS follows (set-based INSERTs, triggers on)"
started=$SECONDS
password="seeded user password"
# bcrypt (cost 4) of "seeded user password", the same hash for every seeded person.
# shellcheck disable=SC2016 # a bcrypt hash, not an expansion
psql_bench -v users="$USERS" -v posts="$POSTS" -v likes="$LIKES" -v follows="$FOLLOWS" \
  -v password_hash='$2b$04$WUNO.npZJdbjumtllBnoMukA773w7uzVG7ZoQZtMqa3Xlz29DHghS' \
  -f "$here/seed.sql"
seed_secs=$((SECONDS - started))
say "VACUUM ANALYZE"
psql_bench -c "SET client_min_messages = error" -c "VACUUM ANALYZE"
psql_bench -F ' ' -c "
  SELECT 'seeded in ${seed_secs}s:', (SELECT count(*) FROM users) || ' people,',
         count(*) || ' posts,', sum(like_count) || ' likes (max', max(like_count) || ' on one post,',
         round(100.0 * count(*) FILTER (WHERE like_count = 0) / count(*)) || '% with none),',
         (SELECT count(*) FROM follows) || ' follows,', (SELECT count(*) FROM post_tags) || ' tags; database',
         pg_size_pretty(pg_database_size(current_database()))
  FROM posts WHERE status = 'published'" | while read -r line; do say "$line"; done

"$bin/moji-api" serve >"$bench_dir/api.log" 2>&1 &
api_pid=$!
bench_pids+=("$api_pid")
wait_for "curl -fsS http://127.0.0.1:$port/readyz" 60 || die "the api did not start (see $bench_dir/api.log)"
origin="http://127.0.0.1:$port"
api="$origin/api/v1"

# The viewers: person 1 + k * USERS / VIEWERS, logged in through the api.
mapfile -t viewers < <(psql_bench -v users="$USERS" -v viewers="$VIEWERS" <<'SQL'
SELECT 'seed_' || lpad((1 + (k - 1) * :users / :viewers)::text, 7, '0')
FROM generate_series(1, :viewers) k ORDER BY k
SQL
)
tokens="$bench_dir/tokens.txt"
drive tokens --api "$api" --password "$password" --out "$tokens" "${viewers[@]}" >/dev/null
token="$(head -n 1 "$tokens")"
psql_bench -F ' ' -v list="${viewers[*]}" <<'SQL' | while read -r line; do say "$line"; done
SELECT 'viewers:', count(*) || ' people signed in, each following', round(avg(following), 1)
       || ' people on average (' || round(avg(authors), 1) || ' with posts); a feed merges',
       round(avg(reach)) || ' posts on average'
FROM (SELECT (SELECT count(*) FROM follows f WHERE f.follower_id = u.id) AS following,
             (SELECT count(*) FROM follows f JOIN user_post_counts c ON c.user_id = f.followee_id
              WHERE f.follower_id = u.id AND c.posts > 0) AS authors,
             (SELECT coalesce(sum(c.posts), 0) FROM user_post_counts c
              WHERE c.user_id = u.id
                 OR c.user_id IN (SELECT followee_id FROM follows WHERE follower_id = u.id)) AS reach
      FROM users u WHERE u.username = ANY (string_to_array(:'list', ' '))) v
SQL

# The targets: labels and path files (one path a line).
labels=("feed" "post" "search" "users/me ref")
files=("$bench_dir/feed.paths" "$bench_dir/post.paths" "$bench_dir/search.paths" "$bench_dir/me.paths")
echo "/api/v1/feed" >"${files[0]}"
psql_bench -v n="$POST_IDS" >"${files[1]}" <<'SQL'
SELECT '/api/v1/posts/' || id FROM posts WHERE status = 'published' ORDER BY md5(id::text) LIMIT :n
SQL
read -r -a queries <<<"$QUERIES"
python3 -c 'import sys, urllib.parse
for q in sys.argv[1:]:
    print("/api/v1/search?q=" + urllib.parse.quote(q, safe="") + "&type=post")' "${queries[@]}" >"${files[2]}"
echo "/api/v1/users/me" >"${files[3]}"
# How many posts hold each query (title, text or tags): what a substring search must find.
psql_bench -F ' ' -v queries="${queries[*]}" <<'SQL' | while read -r line; do say "$line"; done
SELECT 'search "' || w.word || '":', c.n || ' posts contain it (' || round(100.0 * c.n / greatest(c.total, 1), 2) || ' %)'
FROM unnest(string_to_array(:'queries', ' ')) WITH ORDINALITY w(word, o)
CROSS JOIN LATERAL (
    SELECT count(*) FILTER (WHERE p.title LIKE pat OR p.body LIKE pat OR array_to_string(p.tags, ' ') LIKE pat) AS n,
           count(*) AS total
    FROM posts p, LATERAL (SELECT '%' || w.word || '%') x(pat) WHERE p.status = 'published'
) c
ORDER BY w.o
SQL

if commit="$(git rev-parse --short HEAD 2>/dev/null)"; then
  git diff --quiet HEAD 2>/dev/null || commit="$commit with uncommitted changes"
else
  commit="(not a git checkout)"
fi
say "wrk -t$THREADS -d$DURATION at c=${CONNECTIONS// /, c=}, $VIEWERS people, api $commit, $(nproc) cores"
for i in "${!labels[@]}"; do
  label="${labels[$i]}"
  file="${files[$i]}"
  read -r status detail <<<"$(drive probe --url "$origin$(head -n 1 "$file")" --token "$token")"
  if [[ "$status" != 2?? ]]; then
    if [ "$label" = search ] && [ "$status" = 404 ]; then
      reason="this api build has no GET /api/v1/search yet (HTTP 404: $detail)"
    else
      reason="HTTP $status ($detail)"
    fi
    say "$label: $reason: not measured"
    drive skip --label "$label" --reason "$reason" --out "$results"
    continue
  fi
  say "$label: $status, $detail"
  views=()
  [ "$label" = post ] && views=(--views-db "$db_url")
  if [ "$WARMUP" != 0 ]; then
    drive run --warmup --label "$label" --url "$origin" --paths "$file" --tokens "$tokens" --lua "$here/social.lua" \
      --connections 64 --threads "$THREADS" --duration "$WARMUP" --api-pid "$api_pid" --db "$BENCH_DB"
  fi
  for c in $CONNECTIONS; do
    drive run --label "$label" --url "$origin" --paths "$file" --tokens "$tokens" --lua "$here/social.lua" \
      --connections "$c" --threads "$THREADS" --duration "$DURATION" --api-pid "$api_pid" --db "$BENCH_DB" \
      --out "$results" "${views[@]}"
  done
done

say "social: $USERS people, $POSTS posts, $LIKES likes, $FOLLOWS follows (seeded in ${seed_secs}s), $VIEWERS viewers, wrk -t$THREADS -d$DURATION (results: $results)"
drive table "$results"
