#!/usr/bin/env bash
# The dataset maker's benchmark (issue 16). The `augment` method: images per second of each
# transform alone and of the standard pipeline, on one thread, at 64 and 256 px
# (crates/augment/benches/augment.rs). The `gan` method: training time of the 64 px pyramid
# within GAN_SECONDS on GAN_THREADS threads, iterations per scale, samples per second, and the
# samples' mean SSIM to the input and pairwise diversity (crates/gan/benches/gan.rs).
#
#   scripts/bench/datasets.sh                 # about 1 s per cell, 22 cells, then a 90 s GAN
#   SECONDS_PER_CELL=3 GAN_SECONDS=60 scripts/bench/datasets.sh
#   GAN_IMAGE=photo.png GAN_OUT=/tmp/gan scripts/bench/datasets.sh   # train on a photo, keep samples
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "$0")/../lib/common.sh"
cd "$MOJI_ROOT"

SECONDS_PER_CELL="${SECONDS_PER_CELL:-1}"
[[ "$SECONDS_PER_CELL" =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "SECONDS_PER_CELL must be a number of seconds"
GAN_SECONDS="${GAN_SECONDS:-90}"
GAN_THREADS="${GAN_THREADS:-2}"
[[ "$GAN_SECONDS" =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "GAN_SECONDS must be a number of seconds"
"$MOJI_ROOT/scripts/infra.sh" --with-vision >/dev/null
say "augment: images/s on one thread (cargo bench -p moji-augment)"
cargo bench -q --locked -p moji-augment --bench augment -- --seconds "$SECONDS_PER_CELL"
say "gan: 64 px pyramid trained within ${GAN_SECONDS} s on ${GAN_THREADS} threads (cargo bench -p moji-gan)"
gan_args=(--seconds "$GAN_SECONDS" --threads "$GAN_THREADS")
# cargo runs benches in the crate's directory: paths are made absolute first.
[ -n "${GAN_IMAGE:-}" ] && gan_args+=(--image "$(realpath "$GAN_IMAGE")")
[ -n "${GAN_OUT:-}" ] && gan_args+=(--out "$(realpath -m "$GAN_OUT")")
cargo bench -q --locked -p moji-gan --bench gan -- "${gan_args[@]}"
