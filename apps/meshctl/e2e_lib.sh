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
