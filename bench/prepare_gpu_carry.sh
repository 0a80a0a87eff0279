#!/usr/bin/env bash
# Fills carry/ (git-ignored) with the build-time sources that the lent GPU machine lacks and cannot
# download (it reaches no package registry): GoogleTest's sources and the CLI11 and nlohmann-json
# headers, copied from this Debian machine's packages. Only headers and sources, nothing compiled.
# See docs/gpu-machine.md for how the GPU machine uses them.
#
#   bench/prepare_gpu_carry.sh              (re)creates carry/ in the repository root
#   bench/prepare_gpu_carry.sh --with-data  also copies ../shared/data (MNIST, USPS; ~14 MB) to
#                                           carry/shared-data, for the tests that use real data
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
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "prepare_gpu_carry.sh: unknown argument '$arg' (see --help)" >&2; exit 2 ;;
  esac
done

gtest_src=/usr/src/googletest              # Debian package googletest
cli11_inc=/usr/include/CLI                 # Debian package libcli11-dev
json_inc=/usr/include/nlohmann             # Debian package nlohmann-json3-dev

missing=()
[ -f "$gtest_src/CMakeLists.txt" ] || missing+=("googletest (sources in $gtest_src)")
[ -f "$cli11_inc/CLI.hpp" ] || missing+=("libcli11-dev (headers in $cli11_inc)")
[ -f "$json_inc/json.hpp" ] || missing+=("nlohmann-json3-dev (headers in $json_inc)")
if [ "${#missing[@]}" -gt 0 ]; then
  echo "prepare_gpu_carry.sh: missing on this machine: ${missing[*]}; run ./setup.sh first" >&2
  exit 1
fi

grep -qxE '/?carry/?' .gitignore || { echo "prepare_gpu_carry.sh: carry/ is not listed in .gitignore; refusing" >&2; exit 1; }

rm -rf carry
mkdir -p carry/include carry/licenses
# -L: copy what symlinks point to, so carry/ holds plain files only.
cp -rL "$gtest_src" carry/googletest
cp -rL "$cli11_inc" carry/include/CLI
cp -rL "$json_inc" carry/include/nlohmann
cp /usr/share/doc/googletest/copyright carry/licenses/googletest.copyright
cp /usr/share/doc/libcli11-dev/copyright carry/licenses/cli11.copyright
cp /usr/share/doc/nlohmann-json3-dev/copyright carry/licenses/nlohmann-json.copyright
if [ "$with_data" = 1 ]; then
  [ -f ../shared/data/mnist/train-images-idx3-ubyte.gz ] || {
    echo "prepare_gpu_carry.sh: --with-data: ../shared/data/mnist is not here" >&2; exit 1; }
  cp -rL ../shared/data carry/shared-data
fi

# Nothing compiled may travel: the GPU machine builds everything from source.
compiled=$(find carry -type f \( -name '*.o' -o -name '*.a' -o -name '*.so*' -o -name '*.exe' \) -print)
if [ -n "$compiled" ]; then
  echo "prepare_gpu_carry.sh: unexpected binaries or executables in carry/:" >&2
  echo "$compiled" >&2
  exit 1
fi

gtest_ver=$(dpkg-query -W -f='${Version}' googletest 2>/dev/null || echo unknown)
cli11_ver=$(dpkg-query -W -f='${Version}' libcli11-dev 2>/dev/null || echo unknown)
json_ver=$(dpkg-query -W -f='${Version}' nlohmann-json3-dev 2>/dev/null || echo unknown)
cat > carry/README <<EOF
Build-time sources for the lent GPU machine (docs/gpu-machine.md); made by bench/prepare_gpu_carry.sh.
Not committed. Licences in licenses/.
  googletest/         GoogleTest sources, Debian googletest $gtest_ver     -> -DGD_GTEST_SOURCE_DIR=\$PWD/carry/googletest
  include/CLI/        CLI11 headers, Debian libcli11-dev $cli11_ver        -> -DGD_CLI11_INCLUDE=\$PWD/carry/include
  include/nlohmann/   nlohmann-json headers, Debian nlohmann-json3-dev $json_ver -> -DGD_JSON_INCLUDE=\$PWD/carry/include
EOF
if [ "$with_data" = 1 ]; then
  echo '  shared-data/        copy of ../shared/data (MNIST, USPS)                -> GD_SHARED_DATA=$PWD/carry/shared-data' >> carry/README
fi
echo "prepare_gpu_carry.sh: carry/ is $(du -sh carry | cut -f1) ($(find carry -type f | wc -l) files)"
