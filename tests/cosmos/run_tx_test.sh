#!/usr/bin/env bash
# Runs the cosmjs signing test (tx_test.js) against a fresh two-chain
# `meshd devnet`:
#   run_tx_test.sh <meshd> <work dir in the build tree>
# Installs the pinned npm packages (package-lock.json) into <work dir>/npm
# when the lock file changed, starts the devnet on free ports (100 ms
# blocks), runs the test, stops the devnet, starts it again on the same home
# and checks that GetTx still finds the test's txs (the tx index is kept in
# <home>/<chain>/txindex), then stops it.
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

# Starts the devnet on $T/net, logging to $1; sets pid, a and b.
start_devnet() {
  "$MESHD" devnet --home "$T/net" --chains 2 --grpc-port 0 --block-interval-ms 100 >"$1" 2>&1 &
  pid=$!
  a="" b=""
  for _ in $(seq 1 400); do
    a=$(grep -o "chaina at height [0-9]*, gRPC on 127.0.0.1:[0-9]*" "$1" | awk '{print $NF}' || true)
    b=$(grep -o "chainb at height [0-9]*, gRPC on 127.0.0.1:[0-9]*" "$1" | awk '{print $NF}' || true)
    [ -n "$a" ] && [ -n "$b" ] && return 0
    kill -0 "$pid" 2>/dev/null || { cat "$1"; echo "FAIL: meshd devnet exited"; exit 1; }
    sleep 0.05
  done
  cat "$1"; echo "FAIL: meshd devnet printed no gRPC addresses"; exit 1
}
stop_devnet() {
  kill -INT "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  pid=""
}

start_devnet "$T/meshd.log"
status=0
NODE_PATH="$NPM_DIR/node_modules" node "$HERE/tx_test.js" "$a" "$b" "$T/net" || status=$?
if [ "$status" -ne 0 ]; then tail -20 "$T/meshd.log"; exit "$status"; fi
stop_devnet
start_devnet "$T/meshd2.log"
NODE_PATH="$NPM_DIR/node_modules" node "$HERE/tx_test.js" "$a" "$b" "$T/net" --after-restart || status=$?
if [ "$status" -ne 0 ]; then tail -20 "$T/meshd2.log"; fi
stop_devnet
exit "$status"
