#!/usr/bin/env bash
# Everything the first GPU machine must answer, in one run of the device tool that ends in under
# 9 minutes on a fresh H100 (16 cores), its own build included (docs/gpu-machine.md):
#
#   device     GPU, driver, nvcc, PyTorch and cuDNN versions
#   configure  CMake with CUDA on and the carried dependencies (carry/, bench/prepare_gpu_carry.sh)
#   build      only what runs: the cuda_* tests, gpu_train, the CUDA kernel benchmark
#   ctest      ctest -L cuda, with a per-test timeout
#   memcheck   compute-sanitizer memcheck on the conv2d, lc2d, softmax-xent and step-graph tests (filtered)
#   cnn99      the cnn on full MNIST with the CUDA graph on: time to 99% test accuracy
#   e2e        2 epochs at batch 128 against eager PyTorch for mlp, cnn and lcnn (bench/e2e_vs_torch.py)
#   kernels    bench/cuda_ops_bench, short
#   racecheck, tune   not in the default list: compute-sanitizer racecheck on the same tests;
#              gpu_tune --parallel 2 --device cuda on a small study (GD_CHECK_STAGES names them)
#
# A stage that fails is reported and the next one still runs; each stage has a time cap, and the
# whole run stops starting stages when its deadline nears. At most 8 files are written to $OUT,
# summary.md first in importance (device, versions, pass/fail counts, every number); the summary is
# printed last.
#
#   bench/gpu_check.sh                      on the GPU machine, from the repository root, with carry/
#                                           made here by `bench/prepare_gpu_carry.sh --with-data`
#   bench/gpu_check.sh --dry-run            here, without a GPU: the carry, configure with CUDA on,
#                                           the build, the stage handling and the output-file limits;
#                                           the stages that need a device are reported as skipped
#   bench/gpu_check.sh --dry-run --build-plan-only
#                                           the same, but the build step only plans (ninja -n): what
#                                           the test suite runs (tests/gpu_check_dry_run_test.sh)
#
# Environment: OUT (default ./gpu-out), GD_CHECK_BUILD_DIR (default build-gpu), GD_CARRY (default
# carry; the dry run makes its own), GD_CHECK_DEADLINE_S (default 530), GD_CHECK_STAGES (default
# all, in the order above), GD_CHECK_FAIL_STAGE (a stage made to fail, to test the error handling).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

dry_run=0
plan_only=0
for arg in "$@"; do
  case "$arg" in
    --dry-run) dry_run=1 ;;
    --build-plan-only) plan_only=1 ;;
    -h|--help) sed -n '2,30p' "$0"; exit 0 ;;
    *) echo "gpu_check.sh: unknown argument '$arg' (see --help)" >&2; exit 2 ;;
  esac
done
[ "$plan_only" = 0 ] || [ "$dry_run" = 1 ] || { echo "gpu_check.sh: --build-plan-only needs --dry-run" >&2; exit 2; }

START=$(date +%s)
DEADLINE=$((START + ${GD_CHECK_DEADLINE_S:-530}))
OUT=${OUT:-$ROOT/gpu-out}
BUILD=${GD_CHECK_BUILD_DIR:-build-gpu}
STAGES=${GD_CHECK_STAGES:-device configure build ctest memcheck cnn99 e2e kernels}
FAIL_STAGE=${GD_CHECK_FAIL_STAGE:-}
JOBS=$(nproc)
mkdir -p "$OUT"
SUMMARY=$OUT/summary.md
BUILD_LOG=$OUT/build.log      # configure + build
STAGE_LOG=$OUT/stages.log     # everything the other stages print
: > "$BUILD_LOG"
: > "$STAGE_LOG"
declare -a RESULTS=()   # "stage|status|seconds|note"
declare -a NUMBERS=()   # lines for the summary's numbers section

note_number() { NUMBERS+=("$1"); }

# ---- the carry -------------------------------------------------------------------------------------
if [ "$dry_run" = 1 ] && [ -z "${GD_CARRY:-}" ]; then
  CARRY=$(mktemp -d "${TMPDIR:-/tmp}/gd-carry.XXXXXX")
  trap 'rm -rf "$CARRY"' EXIT
  if ! CARRY_DIR=$CARRY bench/prepare_gpu_carry.sh > "$OUT/carry.txt" 2>&1; then
    cat "$OUT/carry.txt" >&2
    echo "gpu_check.sh: bench/prepare_gpu_carry.sh failed (above)" >&2
    exit 1
  fi
  cat "$OUT/carry.txt" >> "$BUILD_LOG"
  rm -f "$OUT/carry.txt"
else
  CARRY=$(cd "${GD_CARRY:-carry}" 2>/dev/null && pwd) || {
    echo "gpu_check.sh: ${GD_CARRY:-carry}/ is missing: run bench/prepare_gpu_carry.sh --with-data here first" >&2
    exit 2
  }
fi
DATA=$CARRY/shared-data

# A shared library on this machine by soname (ldconfig's cache first, then the usual folders).
find_lib() {
  local so=$1 path
  path=$(ldconfig -p 2>/dev/null | awk -v so="$so" '$1 == so && /x86-64/ {print $NF; exit}')
  [ -n "$path" ] || path=$(ls /usr/lib/x86_64-linux-gnu/"$so" /lib/x86_64-linux-gnu/"$so" /usr/lib64/"$so" \
                             /usr/lib/"$so" 2>/dev/null | head -1)
  echo "$path"
}
ZLIB_LIB=$(find_lib libz.so.1)
SQLITE_LIB=$(find_lib libsqlite3.so.0)
if [ -z "$SQLITE_LIB" ]; then  # Python's own sqlite3 module links one
  SQLITE_LIB=$(ldd "$(python3 -c 'import _sqlite3; print(_sqlite3.__file__)' 2>/dev/null)" 2>/dev/null |
               awk '/libsqlite3/ {print $3; exit}')
fi
CUDNN=""
[ "$dry_run" = 1 ] || CUDNN=$(python3 -c "import nvidia.cudnn as m; print(list(m.__path__)[0])" 2>/dev/null || true)
export LD_LIBRARY_PATH=${CUDNN:+$CUDNN/lib:}$CARRY/benchmark/lib:${SQLITE_LIB:+$(dirname "$SQLITE_LIB"):}${LD_LIBRARY_PATH:-}
export GD_SHARED_DATA=$DATA

# ---- stage machinery -------------------------------------------------------------------------------
remaining() { echo $((DEADLINE - $(date +%s))); }

# run_stage NAME CAP_SECONDS FUNCTION: runs FUNCTION under min(CAP, time left), records the outcome.
# A function returns 0 (ok), 1 (failed) or 3 (skipped); it may set STAGE_NOTE.
run_stage() {
  local name=$1 cap=$2 fn=$3 left t0 rc status
  case " $STAGES " in *" $name "*) ;; *) return 0 ;; esac
  left=$(($(remaining) - 15))
  if [ "$left" -lt 20 ]; then
    RESULTS+=("$name|skipped|0|out of time (deadline ${GD_CHECK_DEADLINE_S:-530} s)")
    return 0
  fi
  [ "$cap" -le "$left" ] || cap=$left
  echo "=== $name ($(date -u +%H:%M:%S), cap ${cap}s)" | tee -a "$STAGE_LOG"
  STAGE_NOTE=""
  t0=$(date +%s)
  if [ "$FAIL_STAGE" = "$name" ]; then
    STAGE_NOTE="failed on purpose (GD_CHECK_FAIL_STAGE)"
    rc=1
  else
    STAGE_CAP=$cap "$fn"
    rc=$?
  fi
  case $rc in
    0) status=ok ;;
    3) status=skipped ;;
    124) status=failed; STAGE_NOTE="timed out after ${cap}s${STAGE_NOTE:+; $STAGE_NOTE}" ;;
    *) status=failed ;;
  esac
  RESULTS+=("$name|$status|$(($(date +%s) - t0))|$STAGE_NOTE")
  echo "=== $name: $status ${STAGE_NOTE}" | tee -a "$STAGE_LOG"
}

needs_device() {
  if [ "$dry_run" = 1 ]; then
    STAGE_NOTE="dry run: needs a GPU"
    return 3
  fi
  return 0
}

# ---- stages ----------------------------------------------------------------------------------------
stage_device() {
  needs_device || return 3
  {
    echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "- GPU: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | head -1)"
    echo "- nvcc: $(nvcc --version 2>&1 | grep -o 'release [0-9.]*' | head -1)"
    echo "- PyTorch: $(python3 -c 'import torch; print(torch.__version__, "CUDA", torch.version.cuda, "cuDNN", torch.backends.cudnn.version())' 2>&1 | tail -1)"
    echo "- cuDNN folder: ${CUDNN:-not found (convolutions will use im2col + cuBLAS)}"
    echo "- CPU cores: $JOBS"
  } > "$OUT/device.md"
  cat "$OUT/device.md" >> "$STAGE_LOG"
  nvidia-smi --query-gpu=name --format=csv,noheader > /dev/null 2>&1
}

stage_configure() {
  local mimic=()
  # The GPU machine has none of these packages: make the configure here resolve the same way.
  mimic=(-DGD_USE_OPENBLAS=OFF -DGD_POSTGRES=OFF -DGD_IMAGE_CODECS=OFF -DGD_PYTHON=OFF
         -DCMAKE_DISABLE_FIND_PACKAGE_CURL=ON -DCMAKE_DISABLE_FIND_PACKAGE_OpenSSL=ON
         -DCMAKE_DISABLE_FIND_PACKAGE_GTest=ON -DCMAKE_DISABLE_FIND_PACKAGE_CLI11=ON
         -DCMAKE_DISABLE_FIND_PACKAGE_nlohmann_json=ON -DCMAKE_DISABLE_FIND_PACKAGE_benchmark=ON)
  timeout "$STAGE_CAP" cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DGD_CUDA=ON \
    -DCMAKE_CUDA_ARCHITECTURES=90 "${mimic[@]}" \
    -DGD_GTEST_SOURCE_DIR="$CARRY/googletest" -DGD_CLI11_INCLUDE="$CARRY/include" \
    -DGD_JSON_INCLUDE="$CARRY/include" -DGD_TOMLPP_INCLUDE="$CARRY/include" \
    -DZLIB_INCLUDE_DIR="$CARRY/include" ${ZLIB_LIB:+-DZLIB_LIBRARY="$ZLIB_LIB"} \
    -DSQLite3_INCLUDE_DIR="$CARRY/include" ${SQLITE_LIB:+-DSQLite3_LIBRARY="$SQLITE_LIB"} \
    -DGD_STB_ROOT="$CARRY/stb" -DGD_CHARTJS="$CARRY/chart.min.js" -DGD_BENCHMARK_ROOT="$CARRY/benchmark" \
    ${CUDNN:+-DGD_CUDNN_ROOT="$CUDNN"} -DGD_DATA_ROOT="$DATA" >> "$BUILD_LOG" 2>&1
  local rc=$?
  # The configure summary goes into summary.md whatever happened.
  sed -n '/gpudigits .* configuration/,/^-- $/p' "$BUILD_LOG" | sed 's/^-- //' > "$OUT/configure.txt"
  if [ "$rc" != 0 ]; then
    STAGE_NOTE="cmake exit $rc; end of build.log: $(tail -3 "$BUILD_LOG" | tr '\n' ' ' | cut -c1-300)"
    return 1
  fi
  grep -q "CUDA kernels *: ON" "$OUT/configure.txt" || { STAGE_NOTE="configured without CUDA"; return 1; }
}

build_targets() {
  local t
  for t in tests/cuda_*_test.cpp; do basename "$t" .cpp; done
  echo gpu_train
  case " $STAGES " in *" tune "*) echo gpu_tune ;; esac
  [ -f "$CARRY/benchmark/lib/libbenchmark.so" ] && echo cuda_ops_bench
}

stage_build() {
  [ -f "$BUILD/build.ninja" ] || { STAGE_NOTE="not configured"; return 1; }
  local targets
  targets=$(build_targets | tr '\n' ' ')
  if [ "$plan_only" = 1 ]; then
    # Lists every command that building exactly these targets runs (fails on an unknown target or a
    # broken graph) without running them.
    local plan=$OUT/plan.txt
    timeout "$STAGE_CAP" ninja -C "$BUILD" -t commands $targets > "$plan" 2>&1 || {
      STAGE_NOTE="ninja could not plan: $(tail -2 "$plan" | tr '\n' ' ')"
      rm -f "$plan"
      return 1
    }
    STAGE_NOTE="planned only (--build-plan-only): $(wc -l < "$plan") commands for $targets"
    rm -f "$plan"
    return 0
  fi
  timeout "$STAGE_CAP" cmake --build "$BUILD" -j"$JOBS" --target $targets >> "$BUILD_LOG" 2>&1
  local rc=$?
  if [ "$rc" != 0 ]; then
    STAGE_NOTE="exit $rc: $(grep -E -m3 'error|FAILED' "$BUILD_LOG" | tr '\n' ' ' | cut -c1-400)"
    return "$rc"
  fi
  STAGE_NOTE="$(echo $targets | wc -w) targets"
}

stage_ctest() {
  needs_device || return 3
  local log=$OUT/ctest.log
  timeout "$STAGE_CAP" ctest --test-dir "$BUILD" -L cuda --timeout 90 -j 4 --output-on-failure > "$log" 2>&1
  local rc=$?
  local line
  line=$(grep -E "tests passed, [0-9]+ tests failed out of" "$log" | tail -1)
  STAGE_NOTE=${line:-"no ctest summary line (exit $rc)"}
  note_number "ctest -L cuda: ${line:-no summary (exit $rc)}"
  grep -E "^\s+[0-9]+ - .*\((Failed|Timeout|SEGFAULT|Subprocess aborted|Exception)\)" "$log" | head -20 |
    sed 's/^/  - failed: /' > "$OUT/ctest-failed.txt"
  tail -30 "$log" >> "$STAGE_LOG"
  return "$rc"
}

# sanitize TOOL LOG: compute-sanitizer TOOL over the filtered tests of the kernels most at risk.
sanitize() {
  local tool=$1 log=$2 bad=0 spec bin filter
  : > "$log"
  for spec in "cuda_conv2d_test:CudaConv2d.DispatchMatchesReference:CudaConv2d.SmallerBatches*" \
              "cuda_lc2d_test:*" "cuda_softmax_xent_test:*" \
              "cuda_step_graph_test:CudaGraph.Record*:CudaGraph.AnAllocation*:CudaGraph.CnnMatchesEager*"; do
    bin=${spec%%:*}
    filter=${spec#*:}
    echo "=== $bin --gtest_filter=$filter" >> "$log"
    local left=$(($(remaining) - 15))
    [ "$left" -gt 10 ] || { echo "out of time" >> "$log"; bad=1; break; }
    if timeout "$left" compute-sanitizer --tool "$tool" --error-exitcode 1 "$BUILD/tests/$bin" \
         --gtest_filter="$filter" >> "$log" 2>&1; then
      echo "$tool clean: $bin" | tee -a "$STAGE_LOG"
    else
      echo "$tool FAILED: $bin" | tee -a "$STAGE_LOG"
      bad=1
    fi
  done
  local errors
  errors=$(grep -E "ERROR SUMMARY: [0-9]+ error" "$log" | awk '{s += $4} END {print s + 0}')
  STAGE_NOTE="$errors errors reported"
  note_number "$tool: $errors errors over the conv2d, lc2d, softmax-xent and step-graph tests (filtered)"
  return "$bad"
}

stage_memcheck() {
  needs_device || return 3
  sanitize memcheck "$OUT/memcheck.log"
}

# Not in the default list (GD_CHECK_STAGES="build racecheck tune", say, for a second call).
stage_racecheck() {
  needs_device || return 3
  sanitize racecheck "$OUT/racecheck.log"
}

stage_tune() {
  needs_device || return 3
  local db
  db=$(mktemp -d)/tune.db
  timeout "$STAGE_CAP" "$BUILD/gpu_tune" --arch mlp --space spaces/mlp.toml --sampler tpe --trials 6 --parallel 2 \
    --device cuda --dataset mnist --data-dir "$DATA/mnist" --epochs 2 --storage "$db" --study gpu-parallel \
    >> "$STAGE_LOG" 2>&1
  local rc=$?
  STAGE_NOTE="gpu_tune --parallel 2 --device cuda: exit $rc"
  note_number "$STAGE_NOTE"
  return "$rc"
}

stage_cnn99() {
  needs_device || return 3
  [ -f "$DATA/mnist/train-images-idx3-ubyte.gz" ] || [ -f "$DATA/mnist/train-images-idx3-ubyte" ] || {
    STAGE_NOTE="no MNIST in $DATA/mnist (prepare the carry with --with-data)"
    return 1
  }
  local run=$OUT/cnn99-run
  timeout "$STAGE_CAP" "$BUILD/gpu_train" --arch cnn --dataset mnist --data-dir "$DATA/mnist" --device cuda \
    --epochs 8 --track-test --out "$run" >> "$STAGE_LOG" 2>&1
  local rc=$?
  local line
  line=$(python3 - "$run" <<'EOF'
import json, sys
d = sys.argv[1]
try:
    curve = json.load(open(d + "/test_curve.json"))
    metrics = json.load(open(d + "/metrics.json"))
except Exception as e:
    print(f"no results ({e})"); sys.exit(0)
hit = next((c for c in curve if c["test_accuracy"] >= 0.99), None)
graph = metrics.get("cuda_graph", {})
print(f"cnn, full MNIST, {len(curve)} epochs: final test {100 * curve[-1]['test_accuracy']:.2f}% after "
      f"{curve[-1]['train_seconds']:.2f} s of training; 99% "
      + (f"after {hit['train_seconds']:.2f} s (epoch {hit['epoch']})" if hit else "not reached")
      + f"; CUDA graph: {'recorded' if graph.get('recorded') else 'NOT recorded: ' + str(graph.get('reason'))}")
EOF
)
  # Keep only what fits the file budget: the run's own folder goes, its numbers stay.
  rm -rf "$run"
  STAGE_NOTE=$line
  note_number "$line"
  return "$rc"
}

stage_e2e() {
  needs_device || return 3
  PYTHONUNBUFFERED=1 timeout "$STAGE_CAP" python3 bench/e2e_vs_torch.py --device cuda --epochs 2 --batch-size 128 \
    --torch-modes eager --gpu-train "$BUILD/gpu_train" --data-dir "$DATA/mnist" --python python3 \
    --json "$OUT/e2e.json" --markdown "$OUT/e2e.md" --label "cuda gpu_check" >> "$STAGE_LOG" 2>&1
  local rc=$?
  local lines
  lines=$(python3 - "$OUT/e2e.json" <<'EOF'
import json, sys
try:
    rows = json.load(open(sys.argv[1]))["cuda gpu_check"]["rows"]
except Exception as e:
    print(f"no results ({e})"); sys.exit(0)
for r in rows:
    ours, theirs = r["gpudigits"], r["pytorch"][0]
    if "error" in theirs:
        print(f"{r['arch']}: pytorch failed: {theirs['error']}"); continue
    ratio = ours["samples_per_sec"] / theirs["samples_per_sec"]
    delta = 100 * (ours["test_accuracy"] - theirs["test_accuracy"])
    print(f"{r['arch']} (2 epochs, batch 128): {ours['samples_per_sec']:.0f} vs {theirs['samples_per_sec']:.0f} "
          f"samples/s = {ratio:.2f}x eager PyTorch; test {100 * ours['test_accuracy']:.2f}% vs "
          f"{100 * theirs['test_accuracy']:.2f}% ({delta:+.2f} points)")
EOF
)
  while IFS= read -r l; do [ -n "$l" ] && note_number "$l"; done <<< "$lines"
  STAGE_NOTE="$(echo "$lines" | wc -l) archs"
  return "$rc"
}

stage_kernels() {
  needs_device || return 3
  [ -x "$BUILD/bench/cuda_ops_bench" ] || { STAGE_NOTE="cuda_ops_bench not built (no Google Benchmark in the carry)"; return 1; }
  timeout "$STAGE_CAP" "$BUILD/bench/cuda_ops_bench" --benchmark_format=json --benchmark_out="$OUT/kernels.json" \
    --benchmark_min_time=0.05s > /dev/null 2>> "$STAGE_LOG"
}

# ---- output-file limits of the device tool ---------------------------------------------------------
# At most 8 files, 16 MiB each, no deeper than $OUT/a/b/file, names of letters, digits, '.', '_', '-'.
check_out_limits() {
  local f problems=() count=0
  while IFS= read -r f; do
    count=$((count + 1))
    local rel=${f#"$OUT"/}
    local depth
    depth=$(echo "$rel" | tr -cd '/' | wc -c)
    [ "$depth" -le 2 ] || problems+=("$rel is too deep")
    [[ "$rel" =~ ^[A-Za-z0-9._/-]+$ ]] || problems+=("$rel has a name the device tool will not return")
    if [ "$(stat -c %s "$f")" -gt $((16 << 20)) ]; then
      tail -c $((15 << 20)) "$f" > "$f.cut" && mv "$f.cut" "$f"
      problems+=("$rel was cut to its last 15 MiB")
    fi
  done < <(find "$OUT" -type f | sort)
  [ "$count" -le 8 ] || problems+=("$count files in $OUT, more than the 8 that come back")
  OUT_CHECK="$count files"
  [ "${#problems[@]}" = 0 ] || OUT_CHECK="$OUT_CHECK; PROBLEMS: ${problems[*]}"
  [ "${#problems[@]}" = 0 ]
}

# ---- run -------------------------------------------------------------------------------------------
run_stage device 20 stage_device
run_stage configure 90 stage_configure
run_stage build 300 stage_build
run_stage ctest 120 stage_ctest
run_stage memcheck 100 stage_memcheck
run_stage cnn99 60 stage_cnn99
run_stage e2e 110 stage_e2e
run_stage kernels 40 stage_kernels
run_stage racecheck 200 stage_racecheck
run_stage tune 200 stage_tune

failed=0
{
  echo "# gpu_check $( [ "$dry_run" = 1 ] && echo "(dry run, no GPU)" )"
  echo
  echo "Command: \`bench/gpu_check.sh $*\` from $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(date -u +%Y-%m-%dT%H:%M:%SZ), $(($(date +%s) - START)) s."
  echo
  echo "## Device"
  if [ -f "$OUT/device.md" ]; then cat "$OUT/device.md"; else echo "- none (dry run or device stage not run)"; fi
  echo
  echo "## Stages"
  echo
  echo "| stage | result | seconds | note |"
  echo "|---|---|---|---|"
  for r in "${RESULTS[@]}"; do
    IFS='|' read -r n s t note <<< "$r"
    [ "$s" != failed ] || failed=$((failed + 1))
    echo "| $n | $s | $t | ${note//|//} |"
  done
  [ -s "$OUT/ctest-failed.txt" ] && { echo; echo "Failed CUDA tests:"; cat "$OUT/ctest-failed.txt"; }
  echo
  echo "## Numbers"
  if [ "${#NUMBERS[@]}" = 0 ]; then echo "- none"; else printf -- '- %s\n' "${NUMBERS[@]}"; fi
  echo
  echo "## Configure summary"
  echo '```'
  if [ -s "$OUT/configure.txt" ]; then cat "$OUT/configure.txt"; else echo "(configure did not run)"; fi
  echo '```'
} > "$SUMMARY"
rm -f "$OUT/device.md" "$OUT/configure.txt" "$OUT/ctest-failed.txt"
if check_out_limits; then limits_ok=1; else limits_ok=0; failed=$((failed + 1)); fi
echo "Output files: $OUT_CHECK" >> "$SUMMARY"
cat "$SUMMARY"
[ "$failed" = 0 ]
