#!/usr/bin/env bash
# Long random-mode runs (not in CI: each takes minutes). Every run must end
# with exact link agreement (tolerance 0). Usage:
#   scripts/long_random.sh [build-dir] [blocks] [seeds...]
# Defaults: build, 50000 blocks, seeds 404 1 2 3 7 (issue 9 also ran 11 12 13 14).
set -euo pipefail
build=${1:-build}
blocks=${2:-50000}
shift $(( $# > 2 ? 2 : $# ))
seeds=("$@")
[ ${#seeds[@]} -eq 0 ] && seeds=(404 1 2 3 7)
bin="$build/apps/meshsec_scenario"
[ -x "$bin" ] || { echo "missing $bin (ninja -C $build meshsec_scenario)" >&2; exit 2; }
passed=0
failed=0
for seed in "${seeds[@]}"; do
  start=$(date +%s)
  if "$bin" --random --seed "$seed" --blocks "$blocks" --chains 3 > "/tmp/long_random_$seed.log" 2>&1; then
    passed=$((passed + 1)); verdict=ok
  else
    failed=$((failed + 1)); verdict="FAILED (see /tmp/long_random_$seed.log)"
  fi
  echo "seed $seed, $blocks blocks: $verdict in $(( $(date +%s) - start )) s"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
