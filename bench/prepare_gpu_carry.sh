#!/usr/bin/env bash
# Fills carry/ (git-ignored) with the build-time sources that the lent GPU machine lacks and cannot
# download (it reaches no package registry), copied from this Debian machine's packages:
# GoogleTest's sources; CLI11, nlohmann-json, toml++, stb, zlib and sqlite3.h headers; Chart.js;
# and Google Benchmark's headers + shared library (the one compiled thing, so the CUDA kernel
# benchmarks build there; it needs glibc >= 2.32), under both its link name and its soname.
# See docs/gpu-machine.md for how the GPU machine uses them (bench/gpu_check.sh).
#
#   bench/prepare_gpu_carry.sh              (re)creates carry/ in the repository root
#   bench/prepare_gpu_carry.sh --with-data  also copies ../shared/data (MNIST, USPS; ~14 MB) to
#                                           carry/shared-data, for the tests that use real data
# CARRY_DIR=DIR writes DIR instead of carry/ (bench/gpu_check.sh --dry-run uses a temporary one).
#
# Licences: GoogleTest (BSD-3-Clause), CLI11 (BSD-3-Clause) and nlohmann-json (MIT) all allow
# copying; their Debian copyright files go to carry/licenses/. carry/ travels to the GPU machine
# at build time only and is never committed (it is listed in .gitignore).
set -euo pipefail
cd "$(dirname "$0")/.."

with_data=0
for arg in "$@"; do
  case "$arg" in
    --with-data) with_data=1 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "prepare_gpu_carry.sh: unknown argument '$arg' (see --help)" >&2; exit 2 ;;
  esac
done

gtest_src=/usr/src/googletest              # Debian package googletest
cli11_inc=/usr/include/CLI                 # Debian package libcli11-dev
json_inc=/usr/include/nlohmann             # Debian package nlohmann-json3-dev
toml_inc=/usr/include/toml++               # Debian package libtomlplusplus-dev
stb_inc=/usr/include/stb                   # Debian package libstb-dev
sqlite_h=/usr/include/sqlite3.h            # Debian package libsqlite3-dev
zlib_h=/usr/include/zlib.h                 # Debian package zlib1g-dev (zconf.h beside it)
chartjs=/usr/share/javascript/chart.js/chart.min.js  # Debian package libjs-chart.js
bench_inc=/usr/include/benchmark           # Debian package libbenchmark-dev

missing=()
[ -f "$gtest_src/CMakeLists.txt" ] || missing+=("googletest (sources in $gtest_src)")
[ -f "$cli11_inc/CLI.hpp" ] || missing+=("libcli11-dev (headers in $cli11_inc)")
[ -f "$json_inc/json.hpp" ] || missing+=("nlohmann-json3-dev (headers in $json_inc)")
[ -f "$toml_inc/toml.h" ] || missing+=("libtomlplusplus-dev (headers in $toml_inc)")
[ -f "$stb_inc/stb_image.h" ] || missing+=("libstb-dev (headers in $stb_inc)")
[ -f "$sqlite_h" ] || missing+=("libsqlite3-dev ($sqlite_h)")
[ -f "$zlib_h" ] || missing+=("zlib1g-dev ($zlib_h)")
[ -f "$chartjs" ] || missing+=("libjs-chart.js ($chartjs)")
[ -f "$bench_inc/benchmark.h" ] || missing+=("libbenchmark-dev (headers in $bench_inc)")
if [ "${#missing[@]}" -gt 0 ]; then
  echo "prepare_gpu_carry.sh: missing on this machine: ${missing[*]}; run ./setup.sh first" >&2
  exit 1
fi

carry=${CARRY_DIR:-carry}
if [ "$carry" = carry ]; then
  grep -qxE '/?carry/?' .gitignore || { echo "prepare_gpu_carry.sh: carry/ is not listed in .gitignore; refusing" >&2; exit 1; }
fi

rm -rf "$carry"
mkdir -p "$carry/include" "$carry/licenses"
# -L: copy what symlinks point to, so the carry holds plain files only.
cp -rL "$gtest_src" "$carry"/googletest
cp -rL "$cli11_inc" "$carry"/include/CLI
cp -rL "$json_inc" "$carry"/include/nlohmann
cp /usr/share/doc/googletest/copyright "$carry"/licenses/googletest.copyright
cp /usr/share/doc/libcli11-dev/copyright "$carry"/licenses/cli11.copyright
cp /usr/share/doc/nlohmann-json3-dev/copyright "$carry"/licenses/nlohmann-json.copyright
cp -rL "$toml_inc" "$carry"/include/toml++
cp -rL "$stb_inc" "$carry"/stb
cp "$sqlite_h" /usr/include/sqlite3ext.h "$carry"/include/
cp "$zlib_h" /usr/include/zconf.h "$carry"/include/  # the GPU machine has libz.so.1 but no headers
cp "$chartjs" "$carry"/chart.min.js
mkdir -p "$carry"/benchmark/lib "$carry"/benchmark/include
cp -rL "$bench_inc" "$carry"/benchmark/include/benchmark
cp -L /usr/lib/x86_64-linux-gnu/libbenchmark.so "$carry"/benchmark/lib/libbenchmark.so
# Programs linked against it ask the loader for its soname (libbenchmark.so.1debian), not the link name.
bench_soname=$(objdump -p /usr/lib/x86_64-linux-gnu/libbenchmark.so | awk '/SONAME/ {print $2}')
[ -n "$bench_soname" ] || { echo "prepare_gpu_carry.sh: libbenchmark.so has no SONAME" >&2; exit 1; }
cp -L /usr/lib/x86_64-linux-gnu/libbenchmark.so "$carry/benchmark/lib/$bench_soname"
cp -L /usr/lib/x86_64-linux-gnu/libbenchmark_main.a "$carry"/benchmark/lib/libbenchmark_main.a
for pkg in libtomlplusplus-dev libstb-dev libsqlite3-dev libjs-chart.js libbenchmark-dev zlib1g-dev; do
  cp "/usr/share/doc/$pkg/copyright" "$carry/licenses/$pkg.copyright" 2>/dev/null || true
done
if [ "$with_data" = 1 ]; then
  [ -f ../shared/data/mnist/train-images-idx3-ubyte.gz ] || {
    echo "prepare_gpu_carry.sh: --with-data: ../shared/data/mnist is not here" >&2; exit 1; }
  cp -rL ../shared/data "$carry"/shared-data
fi

# Nothing compiled may travel except Google Benchmark's library ("$carry"/benchmark/lib): the GPU
# machine builds everything else from source.
compiled=$(find "$carry" -path "$carry"/benchmark/lib -prune -o -type f \( -name '*.o' -o -name '*.a' -o -name '*.so*' -o -name '*.exe' \) -print)
if [ -n "$compiled" ]; then
  echo "prepare_gpu_carry.sh: unexpected binaries or executables in $carry/:" >&2
  echo "$compiled" >&2
  exit 1
fi

gtest_ver=$(dpkg-query -W -f='${Version}' googletest 2>/dev/null || echo unknown)
cli11_ver=$(dpkg-query -W -f='${Version}' libcli11-dev 2>/dev/null || echo unknown)
json_ver=$(dpkg-query -W -f='${Version}' nlohmann-json3-dev 2>/dev/null || echo unknown)
cat > "$carry"/README <<EOF
Build-time sources for the lent GPU machine (docs/gpu-machine.md); made by bench/prepare_gpu_carry.sh.
Not committed. Licences in licenses/.
  googletest/         GoogleTest sources, Debian googletest $gtest_ver     -> -DGD_GTEST_SOURCE_DIR=\$PWD/carry/googletest
  include/CLI/        CLI11 headers, Debian libcli11-dev $cli11_ver        -> -DGD_CLI11_INCLUDE=\$PWD/carry/include
  include/nlohmann/   nlohmann-json headers, Debian nlohmann-json3-dev $json_ver -> -DGD_JSON_INCLUDE=\$PWD/carry/include
  include/toml++/     toml++ headers (header-only use)                    -> -DGD_TOMLPP_INCLUDE=\$PWD/carry/include
  include/zlib.h      zlib headers; the library is the GPU machine's libz.so.1
                      -> -DZLIB_INCLUDE_DIR=\$PWD/carry/include -DZLIB_LIBRARY=<its libz.so.1>
  include/sqlite3.h   SQLite header; the library is the GPU machine's libsqlite3.so.0
                      -> -DSQLite3_INCLUDE_DIR=\$PWD/carry/include -DSQLite3_LIBRARY=<its libsqlite3.so.0>
  stb/                stb single-header libraries (implementation compiled there) -> -DGD_STB_ROOT=\$PWD/carry/stb
  chart.min.js        Chart.js for HTML reports                           -> -DGD_CHARTJS=\$PWD/carry/chart.min.js
  benchmark/          Google Benchmark headers + libbenchmark.so (+ its soname $bench_soname, for the loader:
                      LD_LIBRARY_PATH=\$PWD/carry/benchmark/lib) -> -DGD_BENCHMARK_ROOT=\$PWD/carry/benchmark
EOF
if [ "$with_data" = 1 ]; then
  echo '  shared-data/        copy of ../shared/data (MNIST, USPS)                -> GD_SHARED_DATA=$PWD/carry/shared-data' >> "$carry"/README
fi
echo "prepare_gpu_carry.sh: $carry/ is $(du -sh "$carry" | cut -f1) ($(find "$carry" -type f | wc -l) files)"
