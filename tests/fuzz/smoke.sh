#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan) into BUILD_DIR (default build-fuzz) and runs
# each one for a short fixed time as ctest tests labelled "fuzz" (GD_FUZZ_SECONDS each, default 7:
# about a minute in all). Fails on any finding; findings are written to
# BUILD_DIR/tests/fuzz/findings/. A longer run: docs/fuzzing.md.
#
#   tests/fuzz/smoke.sh [BUILD_DIR]        environment: JOBS (default nproc), GD_FUZZ_SECONDS
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=${1:-build-fuzz}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
CC=${FUZZ_CC:-clang-14} CXX=${FUZZ_CXX:-clang++-14} \
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DGD_FUZZ=ON -DGD_CUDA=OFF \
        -DGD_BUILD_TESTS=OFF -DGD_BUILD_BENCH=OFF -DGD_FUZZ_SECONDS="${GD_FUZZ_SECONDS:-7}" > "$log" \
  || { cat "$log"; exit 1; }
cmake --build "$dir" -j "${JOBS:-$(nproc)}" --target fuzz_all
ctest --test-dir "$dir/tests/fuzz" -L fuzz --output-on-failure
