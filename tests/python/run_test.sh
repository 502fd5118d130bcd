#!/usr/bin/env bash
# The python3-grpcio client tests against a fresh two-chain `meshd devnet`:
#   run_test.sh queries|reflection MESHD WORK_DIR PROJECT_PROTO_DIR COSMOS_PROTO_ROOT \
#               PROTOC GRPC_PYTHON_PLUGIN WKT_INCLUDE
# Uses Debian's /usr/bin/python3 with python3-grpcio and python3-protobuf
# (scripts/deps.sh installs them); exits 77 (skipped) only when those are
# missing. Generates the stubs into WORK_DIR/gen-<mode> (never committed),
# starts the devnet on free ports, runs the test and stops the devnet.
set -euo pipefail
MODE="$1" MESHD="$2" WORK="$3" PROJECT_PROTO="$4" COSMOS_PROTO="$5"
PROTOC="$6" PLUGIN="$7" WKT="$8"
HERE="$(cd "$(dirname "$0")" && pwd)"
PY=/usr/bin/python3
if [ ! -x "$PY" ]; then echo "SKIP: $PY not found"; exit 77; fi
if ! "$PY" -c "import grpc, google.protobuf" 2>/dev/null; then
  echo "SKIP: python3-grpcio / python3-protobuf not installed (scripts/deps.sh)"; exit 77
fi

GEN="$WORK/gen-$MODE"
# The protos whose services the tests call (every meshsec/v1 file); their
# imports are generated too.
mapfile -t mesh_protos < <(cd "$PROJECT_PROTO" && ls meshsec/v1/*.proto)
"$PY" "$HERE/gen_stubs.py" --out "$GEN" --protoc "$PROTOC" --plugin "$PLUGIN" --wkt "$WKT" \
  --path "$PROJECT_PROTO" --path "$COSMOS_PROTO" --path "$HERE/proto" \
  "${mesh_protos[@]}" grpc/health/v1/health.proto \
  cosmos/staking/v1beta1/query.proto cosmos/bank/v1beta1/query.proto \
  cosmos/auth/v1beta1/query.proto cosmos/base/tendermint/v1beta1/query.proto \
  cosmos/crypto/ed25519/keys.proto grpc_reflection/v1alpha/reflection.proto

T=$(mktemp -d)
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$T"
}
trap cleanup EXIT

"$MESHD" devnet --home "$T/home" --chains 2 --grpc-port 0 --block-interval-ms 200 \
  >"$T/meshd.log" 2>&1 &
pid=$!
chains=()
for _ in $(seq 1 200); do
  mapfile -t chains < <(sed -n 's/^meshd devnet: \([a-z0-9]*\) at height .*, gRPC on \([0-9.:]*\),.*/\1=\2/p' "$T/meshd.log")
  [ ${#chains[@]} -eq 2 ] && break
  kill -0 "$pid" 2>/dev/null || { cat "$T/meshd.log"; echo "FAIL: meshd devnet exited"; exit 1; }
  sleep 0.05
done
[ ${#chains[@]} -eq 2 ] || { cat "$T/meshd.log"; echo "FAIL: meshd devnet printed no gRPC addresses"; exit 1; }
echo "devnet: ${chains[*]}"

case "$MODE" in
  queries) "$PY" "$HERE/grpc_query_test.py" "$GEN" "$T/home" "${chains[@]}" ;;
  reflection) "$PY" "$HERE/reflection_test.py" "$GEN" "${chains[0]#*=}" ;;
  *) echo "unknown mode $MODE"; exit 2 ;;
esac
