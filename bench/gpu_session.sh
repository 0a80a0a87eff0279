#!/usr/bin/env bash
# Everything a lent GPU machine is needed for, in stages that each fit one 10-minute `run` call of
# the device tool (docs/gpu-machine.md). Run from the repository root on the GPU machine, with
# carry/ prepared here by `bench/prepare_gpu_carry.sh --with-data` and carried (`carry: ["carry"]`).
# Every stage first configures and builds build-gpu/ (a no-op while the machine is still warm) and
# writes its logs and results under $OUT (default ./gpu-out), which the device tool brings back.
#
#   bench/gpu_session.sh test        CUDA tests (ctest -L cuda), device and library versions
#   bench/gpu_session.sh memcheck    compute-sanitizer memcheck over every cuda_*_test binary
#   bench/gpu_session.sh racecheck   compute-sanitizer racecheck (and synccheck) likewise
#   bench/gpu_session.sh kernels     bench/cuda_ops_bench (Google Benchmark JSON)
#   bench/gpu_session.sh e2e         bench/e2e_vs_torch.py --device cuda (eager and torch.compile)
#   bench/gpu_session.sh fast-cnn    cnn on full MNIST (15 and 6 epochs): time to 99% test accuracy, graph on/off
#   bench/gpu_session.sh tune        gpu_tune --parallel 2 --device cuda on a small mlp study
#
# Several stages may be named in one call (they run in order; keep the total under 10 minutes).
set -eo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-$PWD/gpu-out}
mkdir -p "$OUT"
[ $# -gt 0 ] || { sed -n '2,18p' "$0"; exit 2; }
[ -d carry ] || { echo "gpu_session.sh: carry/ is missing: run bench/prepare_gpu_carry.sh --with-data here first" >&2; exit 2; }

CUDNN=$(python3 -c "import nvidia.cudnn as m; print(list(m.__path__)[0])" 2>/dev/null || true)
SQLITE=$(ls /usr/lib/x86_64-linux-gnu/libsqlite3.so* 2>/dev/null | head -1 || true)
if [ -z "$SQLITE" ]; then
  SQLITE=$(ldd "$(python3 -c 'import _sqlite3; print(_sqlite3.__file__)')" 2>/dev/null | awk '/libsqlite3/ {print $3}' | head -1)
fi
export LD_LIBRARY_PATH=${CUDNN:+$CUDNN/lib:}$PWD/carry/benchmark/lib:${SQLITE:+$(dirname "$SQLITE"):}$LD_LIBRARY_PATH
export GD_SHARED_DATA=$PWD/carry/shared-data
MNIST=$GD_SHARED_DATA/mnist

build() {
  if [ ! -f build-gpu/build.ninja ]; then
    cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DGD_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90 \
      -DGD_GTEST_SOURCE_DIR=$PWD/carry/googletest -DGD_CLI11_INCLUDE=$PWD/carry/include \
      -DGD_JSON_INCLUDE=$PWD/carry/include -DGD_TOMLPP_INCLUDE=$PWD/carry/include \
      -DSQLite3_INCLUDE_DIR=$PWD/carry/include ${SQLITE:+-DSQLite3_LIBRARY=$SQLITE} \
      -DGD_STB_ROOT=$PWD/carry/stb -DGD_CHARTJS=$PWD/carry/chart.min.js \
      -DGD_BENCHMARK_ROOT=$PWD/carry/benchmark ${CUDNN:+-DGD_CUDNN_ROOT=$CUDNN} > "$OUT/configure.log" 2>&1 \
      || { tail -40 "$OUT/configure.log"; exit 1; }
    sed -n '/summary/,$p' "$OUT/configure.log" | head -30
  fi
  cmake --build build-gpu -j"$(nproc)" > "$OUT/build.log" 2>&1 || { grep -E -A5 'error|FAILED' "$OUT/build.log" | head -60; exit 1; }
  echo "build: ok ($(grep -c 'Building' "$OUT/build.log" || true) compile steps)"
}

cuda_tests() { ls build-gpu/tests/cuda_*_test; }

stage_test() {
  { nvidia-smi; nvcc --version; echo "cuDNN: $CUDNN"; python3 -c "import torch; print('torch', torch.__version__, torch.version.cuda)"; } \
    > "$OUT/device.txt" 2>&1 || true
  ctest --test-dir build-gpu -L cuda --output-on-failure > "$OUT/ctest-cuda.log" 2>&1 || true
  tail -25 "$OUT/ctest-cuda.log"
}

stage_sanitizer() {  # $1 = tool; one log for all binaries (few files come back)
  local tool=$1 log="$OUT/$1.log" failed=0
  : > "$log"
  for t in $(cuda_tests); do
    echo "=== $t" >> "$log"
    if compute-sanitizer --tool "$tool" --error-exitcode 1 "$t" >> "$log" 2>&1; then
      echo "$tool OK   $t"
    else
      echo "$tool FAIL $t"; failed=1
    fi
  done
  grep -E "ERROR SUMMARY|========= (Invalid|Race|Barrier|Uninitialized)" "$log" | sort | uniq -c | head -20 || true
  return 0
}

stage_kernels() {
  build-gpu/bench/cuda_ops_bench --benchmark_format=json --benchmark_out="$OUT/cuda_ops_bench.json" \
    --benchmark_repetitions=3 --benchmark_report_aggregates_only=true 2>&1 | tail -40
}

stage_e2e() {
  python3 bench/e2e_vs_torch.py --device cuda --gpu-train build-gpu/gpu_train --data-dir "$MNIST" \
    --python python3 --json "$OUT/benchmarks-gpu.json" --markdown "$OUT/benchmarks-gpu.md" 2>&1 | tail -40
}

stage_fast_cnn() {  # the default 15-epoch recipe and a 6-epoch run, each with the graph on and off
  for epochs in 15 6; do
    for graph in --cuda-graph --no-cuda-graph; do
      local run="$OUT/fast-cnn-e$epochs$graph"
      build-gpu/gpu_train --arch cnn --dataset mnist --data-dir "$GD_SHARED_DATA" --device cuda --epochs $epochs $graph \
        --track-test --quiet --out "$run" > "$run.log" 2>&1 || tail -5 "$run.log"
      python3 - "$run" <<'EOF'
import json, sys
d = sys.argv[1]
curve = json.load(open(d + "/test_curve.json"))
hit = next((c for c in curve if c["test_accuracy"] >= 0.99), None)
print(d.rsplit("/", 1)[-1], "final", curve[-1]["test_accuracy"], "after", round(curve[-1]["train_seconds"], 3), "s;",
      "99% at", (round(hit["train_seconds"], 3), "s, epoch", hit["epoch"]) if hit else "never")
EOF
    done
  done
}

stage_tune() {
  build-gpu/gpu_tune --arch mlp --space spaces/mlp.toml --sampler tpe --trials 8 --parallel 2 --device cuda \
    --dataset mnist --data-dir "$GD_SHARED_DATA" --storage "$OUT/tune.db" --study gpu-parallel \
    > "$OUT/tune.log" 2>&1 || true
  tail -25 "$OUT/tune.log"
}

build
for stage in "$@"; do
  echo "=== $stage ($(date -u +%H:%M:%S))"
  case "$stage" in
    test) stage_test ;;
    memcheck) stage_sanitizer memcheck ;;
    racecheck) stage_sanitizer racecheck; stage_sanitizer synccheck ;;
    kernels) stage_kernels ;;
    e2e) stage_e2e ;;
    fast-cnn) stage_fast_cnn ;;
    tune) stage_tune ;;
    *) echo "gpu_session.sh: unknown stage '$stage'" >&2; exit 2 ;;
  esac
done
