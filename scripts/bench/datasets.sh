#!/usr/bin/env bash
# The dataset maker's benchmark (issue 16). So far the `augment` method: images per second of
# each transform alone and of the standard pipeline, on one thread, at 64 and 256 px
# (crates/augment/benches/augment.rs). The GAN's training time and samples/s join it when the
# `gan` method lands.
#
#   scripts/bench/datasets.sh                 # about 1 s per cell, 22 cells
#   SECONDS_PER_CELL=3 scripts/bench/datasets.sh
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "$0")/../lib/common.sh"
cd "$MOJI_ROOT"

SECONDS_PER_CELL="${SECONDS_PER_CELL:-1}"
[[ "$SECONDS_PER_CELL" =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "SECONDS_PER_CELL must be a number of seconds"
"$MOJI_ROOT/scripts/infra.sh" --with-vision >/dev/null
say "augment: images/s on one thread (cargo bench -p moji-augment)"
cargo bench -q --locked -p moji-augment --bench augment -- --seconds "$SECONDS_PER_CELL"
