#!/usr/bin/env bash
# Date courses end to end (issue 15): a release moji-api and moji-recommend on their own
# database, REQUESTS courses asked through the api one at a time (scripts/bench/courses.py),
# each followed to its end. Prints the outcomes per provider and p50/p90 of 202 → succeeded,
# and saves every course to .cache/bench/courses/<writer>.json (title, stops, notes, provider).
#
#   scripts/bench/courses.sh                       # WRITER=auto: the local model when present
#   WRITER=template REQUESTS=20 scripts/bench/courses.sh
#
# The writers alone (no queue, planning or saving) are timed by
#   cargo run --release -p moji-llm --example writer_bench -- --calls 20
#
# Settings (environment): WRITER (auto|local|template|openai; openai needs
# MOJI_COURSES__OPENAI_BASE_URL/_MODEL/_API_KEY), REQUESTS (20), BENCH_DB (moji_bench_courses),
# KEEP_DB=1 to keep the database.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "$0")/../lib/common.sh"
cd "$MOJI_ROOT"

WRITER="${WRITER:-auto}"
REQUESTS="${REQUESTS:-20}"
BENCH_DB="${BENCH_DB:-moji_bench_courses}"
KEEP_DB="${KEEP_DB:-0}"
case "$WRITER" in auto | local | template | openai) ;; *) die "WRITER must be auto, local, template or openai" ;; esac
[[ "$REQUESTS" =~ ^[1-9][0-9]*$ ]] && [ "$REQUESTS" -le 200 ] || die "REQUESTS must be 1 … 200"
[[ "$BENCH_DB" =~ ^moji_bench_[a-z0-9_]+$ ]] || die "BENCH_DB must match moji_bench_[a-z0-9_]+"

"$MOJI_ROOT/scripts/infra.sh" >/dev/null
"$MOJI_ROOT/scripts/models.sh" >/dev/null
say "building the release binaries (moji-api, moji-recommend)"
cargo build -q --release --locked --bin moji-api --bin moji-recommend
bin="$CARGO_TARGET_DIR/release"
out_dir="$MOJI_CACHE_DIR/bench/courses"
mkdir -p "$out_dir"

source "$MOJI_ROOT/scripts/bench/lib.sh"
bench_database
bench_env courses "$out_dir"
export MOJI_AUTH__BCRYPT_COST=4
export MOJI_HTTP__API_PORT="$port"
MOJI_HTTP__RECOMMEND_PORT="$(free_port)"
export MOJI_HTTP__RECOMMEND_PORT
export MOJI_MODELS_DIR="${MOJI_MODELS_DIR:-$MOJI_CACHE_DIR/models}"
export MOJI_RECOMMEND__MODEL_DIR="$MOJI_MODELS_DIR/all-minilm-l6-v2"
export MOJI_COURSES__MODEL_PATH="${MOJI_COURSES__MODEL_PATH:-$MOJI_MODELS_DIR/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf}"
export MOJI_COURSES__WRITER="$WRITER"
"$bin/moji-api" migrate >/dev/null

"$bin/moji-api" serve >"$out_dir/api.log" 2>&1 & bench_pids+=($!)
"$bin/moji-recommend" serve >"$out_dir/recommend.log" 2>&1 & bench_pids+=($!)
wait_for "curl -fsS http://127.0.0.1:$port/readyz" 60 || { tail -n 20 "$out_dir/api.log" >&2; die "api did not start"; }
wait_for "curl -fsS http://127.0.0.1:$MOJI_HTTP__RECOMMEND_PORT/readyz" 300 ||
  { tail -n 20 "$out_dir/recommend.log" >&2; die "recommend did not start"; }

say "$REQUESTS courses with writer=$WRITER"
python3 "$MOJI_ROOT/scripts/bench/courses.py" "http://127.0.0.1:$port" "$REQUESTS" "$out_dir/$WRITER.json"
say "courses saved in $out_dir/$WRITER.json"
