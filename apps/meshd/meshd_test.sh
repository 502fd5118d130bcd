#!/usr/bin/env bash
# meshd end to end: --help, init, start, kill -9 and restart, export →
# init from it → export (byte-identical), devnet and its restart.
set -euo pipefail
MESHD="$1"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

help=$("$MESHD" --help)
grep -q "meshd init" <<<"$help" || fail "--help"
set +e; "$MESHD" start >/dev/null 2>&1; rc=$?; set -e
[ "$rc" = 2 ] || fail "missing --home should exit 2, got $rc"

"$MESHD" init --home "$T/n1" --chain-id solo >/dev/null
for f in genesis.json config.json keys.json; do [ -s "$T/n1/config/$f" ] || fail "init wrote no $f"; done
set +e; "$MESHD" init --home "$T/n1" --chain-id solo >/dev/null 2>&1; rc=$?; set -e
[ "$rc" = 2 ] || fail "second init should exit 2, got $rc"

out=$("$MESHD" start --home "$T/n1" --grpc-address 127.0.0.1:0 --block-interval-ms 20 --max-blocks 5 2>&1)
grep -q "gRPC on 127.0.0.1:" <<<"$out" || fail "start did not print its gRPC address: $out"
grep -q "stopped at height 5" <<<"$out" || fail "start did not make 5 blocks: $out"

# kill -9 in the middle of a run, then resume from the last committed block.
"$MESHD" start --home "$T/n1" --grpc-address 127.0.0.1:0 --block-interval-ms 20 >"$T/run.log" 2>&1 &
pid=$!
sleep 1.5
kill -9 "$pid"; wait "$pid" 2>/dev/null || true
h=$(grep -o "block [0-9]*" "$T/run.log" | tail -1 | awk '{print $2}')
[ -n "$h" ] && [ "$h" -gt 5 ] || fail "the killed run made no blocks: $(tail -3 "$T/run.log")"
out=$("$MESHD" start --home "$T/n1" --grpc-address 127.0.0.1:0 --block-interval-ms 20 --max-blocks 2 2>&1)
start_h=$(grep -o "at height [0-9]*" <<<"$out" | awk 'NR == 1 {print $3}')
[ "$start_h" -ge "$h" ] || fail "restart at $start_h, before the last logged block $h"

# SIGTERM stops cleanly.
"$MESHD" start --home "$T/n1" --grpc-address 127.0.0.1:0 --block-interval-ms 20 >"$T/term.log" 2>&1 &
pid=$!
sleep 0.7
kill -TERM "$pid"
wait "$pid" || fail "SIGTERM exit code $?"
grep -q "stopped at height" "$T/term.log" || fail "no clean stop on SIGTERM"

# With pipelined commits a clean stop still leaves every block on disk.
out=$("$MESHD" start --home "$T/n1" --grpc-address 127.0.0.1:0 --block-interval-ms 20 --max-blocks 3 --pipelined_commit 2>&1)
stop_h=$(grep -o "stopped at height [0-9]*" <<<"$out" | awk '{print $4}')
[ -n "$stop_h" ] || fail "pipelined start did not stop cleanly: $out"
out=$("$MESHD" start --home "$T/n1" --grpc-address 127.0.0.1:0 --block-interval-ms 20 --max-blocks 1 2>&1)
grep -q "at height $stop_h," <<<"$out" || fail "pipelined stop at $stop_h, restart: $out"

# export → init from it → export is byte-identical.
"$MESHD" export --home "$T/n1" --out "$T/export1.json"
mkdir -p "$T/n2/config"
cp "$T/export1.json" "$T/n2/config/genesis.json"
"$MESHD" export --home "$T/n2" --out "$T/export2.json"
cmp -s "$T/export1.json" "$T/export2.json" || fail "export → init → export differs"

# devnet: two chains, then a restart that resumes them.
out=$("$MESHD" devnet --home "$T/dev" --chains 2 --grpc-port 0 --block-interval-ms 20 --max-blocks 4 2>&1)
grep -q "chainb at height" <<<"$out" || fail "devnet: $out"
out=$("$MESHD" devnet --home "$T/dev" --chains 2 --grpc-port 0 --block-interval-ms 20 --max-blocks 2 2>&1)
grep -q "chaina at height 5" <<<"$out" || fail "devnet restart did not resume at height 5: $out"
set +e; "$MESHD" devnet --home "$T/dev" --chains 7 >/dev/null 2>&1; rc=$?; set -e
[ "$rc" = 2 ] || fail "--chains 7 should exit 2, got $rc"

# the README's main job: a three-chain mesh devnet (scripts/run.sh).
out=$("$MESHD" devnet --home "$T/dev3mesh" --chains 3 --grpc-port 0 --block-interval-ms 20 --max-blocks 3 2>&1)
grep -q "chainc at height" <<<"$out" || fail "devnet --chains 3: $out"

# devnet of three chains with a replicated link: written into the genesis
# files of both ends; refused on a home that already has genesis files and
# for a malformed or impossible link.
out=$("$MESHD" devnet --home "$T/dev3" --chains 3 --grpc-port 0 --block-interval-ms 20 --max-blocks 3 \
      --link-modes chaina:chainc:replicated 2>&1)
grep -q "chainc at height" <<<"$out" || fail "devnet --chains 3 --link-modes: $out"
grep -q '"mode":"replicated"' "$T/dev3/chaina/config/genesis.json" || fail "chaina's link to chainc is not replicated"
grep -q '"mode":"replicated"' "$T/dev3/chainc/config/genesis.json" || fail "chainc's link from chaina is not replicated"
for bad in "chaina:chainc:replicated" "chaina-chainc" "chaina:chainc:sideways"; do
  home="$T/dev3"; [ "$bad" = "chaina:chainc:replicated" ] || home="$T/dev-bad"
  set +e; out=$("$MESHD" devnet --home "$home" --chains 3 --grpc-port 0 --max-blocks 1 --link-modes "$bad" 2>&1); rc=$?; set -e
  [ "$rc" = 2 ] || fail "--link-modes $bad on $home should exit 2, got $rc: $out"
done
echo "meshd lifecycle: 1 passed, 0 failed"
