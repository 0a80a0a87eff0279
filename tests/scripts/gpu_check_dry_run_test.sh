#!/usr/bin/env bash
# Keeps bench/gpu_check.sh's dry run working (ctest: gpu_check_dry_run): the carry, the configure with
# CUDA on and the carried dependencies, the build plan of exactly the targets the GPU run builds, a
# stage made to fail (the next stages still run and the run reports failure), the stages that need a
# device reported as skipped, and the output-file limits of the device tool. Exit 77 (ctest: skipped,
# with the reason printed) where no CUDA compiler is installed.
set -uo pipefail
src=$1
nvcc=$(command -v nvcc || ls /usr/local/cuda/bin/nvcc 2>/dev/null || true)
if [ -z "$nvcc" ]; then
  echo "SKIP: no CUDA compiler (nvcc): the dry run configures with CUDA on"
  exit 77
fi
export PATH=$(dirname "$nvcc"):$PATH
work=$(mktemp -d "${TMPDIR:-/tmp}/gd-gpu-check.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; echo "--- summary.md"; cat "$work/out/summary.md" 2>/dev/null; exit 1; }

OUT=$work/out GD_CHECK_BUILD_DIR=$work/build GD_CHECK_FAIL_STAGE=ctest \
  "$src/bench/gpu_check.sh" --dry-run --build-plan-only > "$work/stdout" 2>&1
rc=$?
[ "$rc" != 0 ] || fail "a failed stage must make the run fail (exit $rc)"
summary=$work/out/summary.md
[ -f "$summary" ] || { cat "$work/stdout"; fail "no summary.md"; }
row() { grep -E "^\| $1 \| $2 \|" "$summary" > /dev/null || fail "stage $1 is not '$2'"; }
row configure ok
row build ok
row ctest failed
row memcheck skipped
row cnn99 skipped
row e2e skipped
row kernels skipped
grep -q "failed on purpose" "$summary" || fail "the injected failure is not named"
grep -q "CUDA kernels *: ON" "$summary" || fail "the configure summary (CUDA on) is not in summary.md"
grep -q "planned only" "$summary" || fail "the build step did not plan"
for t in gpu_train cuda_conv2d_test cuda_step_graph_test; do
  grep -q "$t" "$summary" || fail "the build plan does not name $t"
done
grep -qE "^Output files: [1-8] files$" "$summary" || fail "output files over the device tool's limits: $(grep '^Output files' "$summary")"
files=$(find "$work/out" -type f | wc -l)
[ "$files" -le 8 ] || fail "$files files in OUT"
tail -1 "$work/stdout" | grep -q "^Output files" || fail "the summary is not printed last"

"$src/bench/gpu_check.sh" --no-such-flag > /dev/null 2>&1
[ $? = 2 ] || fail "an unknown flag must exit 2"
echo "PASS: gpu_check.sh --dry-run ($(grep -c '^| ' "$summary") table rows)"
