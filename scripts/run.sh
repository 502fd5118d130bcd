#!/usr/bin/env bash
# The main job: installs missing packages, builds meshd and runs a devnet of
# chains (default 3) linked as a mesh, each on embedded RocksDB under
# ./devnet/<chain>/data with gRPC on 127.0.0.1:9090, 9091, ... Ctrl-C stops
# it cleanly; running it again resumes every chain and every packet in
# flight. Extra arguments go to `meshd devnet` (e.g. --chains 2,
# --max-blocks 20, --block-interval-ms 500).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
# ccache hits across checkouts at different paths (CI clones afresh).
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true
BUILD_DIR="${BUILD_DIR:-build}"
cmake -S . -B "$BUILD_DIR" -G Ninja -DMESH_BUILD_TESTS=OFF -DMESH_BUILD_BENCHMARKS=OFF \
  -DMESH_BUILD_APPS=ON >/dev/null
ninja -C "$BUILD_DIR" -j "$(nproc)" meshd meshsec_scenario
exec "$BUILD_DIR/apps/meshd/meshd" devnet --home devnet --chains 3 "$@"
