#!/usr/bin/env bash
# The main job: installs missing packages, builds the apps, and runs the
# scenario given as the first argument (default: the cross-chain demo) on
# embedded RocksDB under ./data/. Extra arguments go to the runner.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
# ccache hits across checkouts at different paths (CI clones afresh).
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true
BUILD_DIR="${BUILD_DIR:-build}"
cmake -S . -B "$BUILD_DIR" -G Ninja -DMESH_BUILD_TESTS=OFF -DMESH_BUILD_BENCHMARKS=OFF \
  -DMESH_BUILD_APPS=ON >/dev/null
ninja -C "$BUILD_DIR" -j "$(nproc)" meshsec_scenario
mkdir -p data
exec "$BUILD_DIR/apps/meshsec_scenario" --data-dir data "${@:-examples/08_three_chain_mesh.json}"
