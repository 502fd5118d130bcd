#!/usr/bin/env bash
# The whole test suite: installs missing packages, builds every library and
# test with ninja + ccache, runs CTest, then a short benchmark smoke pass.
#   scripts/test.sh            # Release-with-debug-info build in build/
#   MESH_SANITIZE=ON scripts/test.sh   # ASan+UBSan build in build-asan/
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
# ccache hits across checkouts at different paths (CI clones afresh).
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true

SAN="${MESH_SANITIZE:-OFF}"
BUILD_DIR="${BUILD_DIR:-build}"
[ "$SAN" = "ON" ] && BUILD_DIR="${BUILD_DIR}-asan"
JOBS="${JOBS:-$(nproc)}"

cmake -S . -B "$BUILD_DIR" -G Ninja -DMESH_SANITIZE="$SAN" \
  -DMESH_BUILD_TESTS=ON -DMESH_BUILD_BENCHMARKS=ON -DMESH_BUILD_APPS=ON >/dev/null
ninja -C "$BUILD_DIR" -j "$JOBS"
(cd "$BUILD_DIR" && ctest --output-on-failure -j "$JOBS" --timeout 600)

# Benchmarks: a smoke pass only (each runs briefly) so CI stays fast.
if [ -x "$BUILD_DIR/bench/mesh_bench" ]; then
  "$BUILD_DIR/bench/mesh_bench" --benchmark_min_time=0.01 >/dev/null
  echo "benchmark smoke pass: ok"
fi
if [ -x "$BUILD_DIR/bench/query_bench" ]; then
  MESH_BENCH_QUERY_WINDOW=0.1 MESH_BENCH_IDLE_SECONDS=0.2 \
    "$BUILD_DIR/bench/query_bench" --benchmark_min_time=0.01 >/dev/null
  echo "query benchmark smoke pass: ok"
fi
