#!/usr/bin/env bash
# Runs the cosmjs-types client test (staking_query_test.js) against a fresh
# single-chain meshd:
#   run_test.sh <meshd> <work dir in the build tree>
# Installs the pinned npm packages (package-lock.json) into <work dir>/npm
# when the lock file changed, inits a chain, starts meshd on a free port,
# runs the test and stops the node.
set -euo pipefail
MESHD="$1"
WORK="$2"
HERE="$(cd "$(dirname "$0")" && pwd)"
NPM_DIR="$WORK/npm"
mkdir -p "$NPM_DIR"
if ! cmp -s "$HERE/package-lock.json" "$NPM_DIR/package-lock.json" || [ ! -d "$NPM_DIR/node_modules" ]; then
  cp "$HERE/package.json" "$HERE/package-lock.json" "$NPM_DIR/"
  npm ci --prefix "$NPM_DIR" --no-audit --no-fund --ignore-scripts --loglevel=error
fi

T=$(mktemp -d)
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$T"
}
trap cleanup EXIT

"$MESHD" init --home "$T/home" --chain-id solo >/dev/null
"$MESHD" start --home "$T/home" --grpc-address 127.0.0.1:0 --block-interval-ms 50 >"$T/meshd.log" 2>&1 &
pid=$!
addr=""
for _ in $(seq 1 200); do
  addr=$(grep -o "gRPC on 127.0.0.1:[0-9]*" "$T/meshd.log" | head -1 | awk '{print $3}' || true)
  [ -n "$addr" ] && break
  kill -0 "$pid" 2>/dev/null || { cat "$T/meshd.log"; echo "meshd exited"; exit 1; }
  sleep 0.05
done
[ -n "$addr" ] || { cat "$T/meshd.log"; echo "meshd printed no gRPC address"; exit 1; }

NODE_PATH="$NPM_DIR/node_modules" node "$HERE/staking_query_test.js" "$addr" "$T/home"
