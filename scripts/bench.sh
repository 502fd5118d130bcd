#!/usr/bin/env bash
# The headline benchmarks of the performance issue, with their same-run ceilings.
#
#   scripts/bench.sh            build, run every headline (≈ 1 s per case), write JSON and
#                               regenerate docs/perf.md + docs/perf/*.png
#   scripts/bench.sh --smoke    the same at minimum time, report only under the build dir
#                               (docs/ untouched); CI may call it (< 2 min once built)
#   MESH_BENCH_LARGE=1 scripts/bench.sh     adds the 10^5-user cases (a few minutes of setup)
#
# Environment: BENCH_BUILD_DIR (default build-bench: RelWithDebInfo, ninja, ccache),
# BENCH_MIN_TIME (seconds per case, default 1; smoke 0.01), JOBS (default: nproc),
# BENCH_REPETITIONS (runs of each case, default: the headline's own in HEADLINES, 3 for the
# headlines and 1 for the slash and memory, whose cases build their users anew; smoke 1). The tables show
# the median of the runs and the ratio's range: this shared 2-core machine drifts by a fifth from
# minute to minute, and one slow patch no longer decides a cell.
# The set of benchmarks, their tables, targets and plots: HEADLINES in scripts/perf_report.py
# (one entry per benchmark). Results: $BENCH_BUILD_DIR/results/<date>-<commit>.json; a full run
# also copies it to docs/perf/results.json.
set -euo pipefail
cd "$(dirname "$0")/.."

SMOKE=0
for arg in "$@"; do
  case "$arg" in
    --smoke) SMOKE=1 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "bench.sh: unknown argument $arg" >&2; exit 2 ;;
  esac
done

BUILD_DIR="${BENCH_BUILD_DIR:-build-bench}"
JOBS="${JOBS:-$(nproc)}"
if [ "$SMOKE" = 1 ]; then
  MIN_TIME="${BENCH_MIN_TIME:-0.01}"
  export MESH_BENCH_QUERY_WINDOW="${MESH_BENCH_QUERY_WINDOW:-0.1}"
  export MESH_BENCH_IDLE_SECONDS="${MESH_BENCH_IDLE_SECONDS:-0.2}"
  export MESH_BENCH_MODE=smoke
else
  MIN_TIME="${BENCH_MIN_TIME:-1}"
  export MESH_BENCH_MODE=full
fi

command -v gnuplot >/dev/null 2>&1 || bash scripts/deps.sh
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true

mapfile -t RUNS < <(python3 scripts/perf_report.py runs)
TARGETS=$(printf '%s\n' "${RUNS[@]}" | cut -f2 | sort -u | tr '\n' ' ')
TOTAL=$(( ${#RUNS[@]} + 2 ))

echo "[1/$TOTAL] Building $TARGETS in $BUILD_DIR"
# Tests stay configured (not built): the cross-chain benchmarks link the test harness library.
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DMESH_BUILD_BENCHMARKS=ON >/dev/null
BUILT=()
# Read whole, not piped into grep -q: grep stopping at its match would end
# ninja with SIGPIPE, which pipefail counts as the pipeline failing.
KNOWN_TARGETS=$(ninja -C "$BUILD_DIR" -t targets all 2>/dev/null || true)
for t in $TARGETS; do
  if grep -q "^$t:" <<<"$KNOWN_TARGETS"; then BUILT+=("$t"); fi
done
if [ ${#BUILT[@]} -gt 0 ]; then
  mkdir -p "$BUILD_DIR/results"
  if ! ninja -C "$BUILD_DIR" -j "$JOBS" "${BUILT[@]}" >"$BUILD_DIR/results/build.log" 2>&1; then
    tail -40 "$BUILD_DIR/results/build.log"; exit 1
  fi
fi

COMMIT=$(git rev-parse --short HEAD)
STAMP="$(date -u +%Y%m%d-%H%M)-$COMMIT"
OUT="$BUILD_DIR/results/$STAMP"
mkdir -p "$OUT"

LINEBUF=""
command -v stdbuf >/dev/null 2>&1 && LINEBUF="stdbuf -oL"
i=1
for run in "${RUNS[@]}"; do
  IFS=$'\t' read -r key binary filter reps title <<<"$run"
  if [ "$SMOKE" = 1 ]; then reps=1; fi
  reps="${BENCH_REPETITIONS:-$reps}"
  i=$((i + 1))
  bin="$BUILD_DIR/bench/$binary"
  if [ ! -x "$bin" ]; then
    echo "[$i/$TOTAL] $title … skipped ($binary not built)"
    continue
  fi
  listed=$("$bin" --benchmark_list_tests --benchmark_filter="$filter" 2>/dev/null || true)
  if [ -z "$listed" ]; then
    echo "[$i/$TOTAL] $title … not in this build ($filter)"
    continue
  fi
  echo "[$i/$TOTAL] $title … ($binary $filter, $reps run(s) of each case)"
  set +e
  # Line-buffered so that each case shows as soon as it ends.
  $LINEBUF "$bin" --benchmark_filter="$filter" --benchmark_min_time="$MIN_TIME" \
    --benchmark_repetitions="$reps" \
    --benchmark_out="$OUT/$key.json" --benchmark_out_format=json 2>&1 | tee "$OUT/$key.log" | \
    grep --line-buffered -E '^BM_|ERROR' | grep --line-buffered -vE '_(mean|stddev|cv) ' | \
    sed -u -E 's/ +/ /g; s/^/    /' | cut -c1-150
  status=${PIPESTATUS[0]}
  set -e
  if [ "$status" -ne 0 ]; then
    echo "$binary failed (exit $status), see $OUT/$key.log" >&2; exit 1
  fi
done

echo "[$TOTAL/$TOTAL] Report"
RESULTS="$BUILD_DIR/results/$STAMP.json"
python3 scripts/perf_report.py merge "$RESULTS" "$OUT"
if [ "$SMOKE" = 1 ]; then
  python3 scripts/perf_report.py report "$RESULTS" "$OUT/perf.md" "$OUT/perf"
  echo "smoke report: $OUT/perf.md (docs/perf.md unchanged)"
else
  mkdir -p docs/perf
  cp "$RESULTS" docs/perf/results.json
  python3 scripts/perf_report.py report docs/perf/results.json docs/perf.md docs/perf
  echo "results: $RESULTS; docs/perf.md and docs/perf/*.png regenerated"
fi
