# Shared by the meshctl end-to-end tests (sourced, not run): a temp dir $T
# removed at exit with the node started as $pid, pass/fail counting, and
#   rc CMD...   runs CMD; its exit code in $RC, stdout in $OUT, stderr in $ERR
#               (stdin is the caller's: `rc CMD <file` feeds CMD).
T=$(mktemp -d)
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$T"
}
trap cleanup EXIT
passed=0
fail() { echo "FAIL: $*"; echo "$passed passed, 1 failed"; exit 1; }
ok() { passed=$((passed + 1)); }
rc() { set +e; "$@" >"$T/out" 2>"$T/err"; RC=$?; set -e; OUT=$(cat "$T/out"); ERR=$(cat "$T/err"); }
#   start_devnet MESHD [ARGS...]  starts `MESHD devnet` of two chains in
#               $T/dev (gRPC on free ports, 100 ms blocks, ARGS added) as
#               $pid and waits for its gRPC addresses: $A (chaina), $B (chainb)
#   key CHAIN NAME FIELD          a field of a devnet key (config/keys.json)
start_devnet() {
  local meshd="$1"
  shift
  "$meshd" devnet --home "$T/dev" --chains 2 --grpc-port 0 --block-interval-ms 100 "$@" \
    >"$T/meshd.log" 2>&1 &
  pid=$!
  A=""
  B=""
  for _ in $(seq 1 300); do
    A=$(grep -o "chaina at height [0-9]*, gRPC on 127.0.0.1:[0-9]*" "$T/meshd.log" 2>/dev/null | awk '{print $7}' || true)
    B=$(grep -o "chainb at height [0-9]*, gRPC on 127.0.0.1:[0-9]*" "$T/meshd.log" 2>/dev/null | awk '{print $7}' || true)
    [ -n "$A" ] && [ -n "$B" ] && break
    kill -0 "$pid" 2>/dev/null || fail "meshd devnet exited: $(cat "$T/meshd.log")"
    sleep 0.1
  done
  [ -n "$A" ] && [ -n "$B" ] || fail "meshd devnet printed no gRPC addresses: $(cat "$T/meshd.log")"
}
key() { python3 -c "import json; print(next(k['$3'] for k in json.load(open('$T/dev/$1/config/keys.json')) if k['name'] == '$2'))"; }
