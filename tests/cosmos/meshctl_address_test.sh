#!/usr/bin/env bash
# meshctl and cosmjs derive the same address from the same mnemonic:
#   meshctl_address_test.sh <meshctl> <work dir in the build tree>
# Installs the pinned npm packages (package-lock.json) into <work dir>/npm
# when the lock file changed (as run_test.sh does), then compares the
# addresses of the BIP-39 "abandon ... about" mnemonic and of new mnemonics
# made by meshctl, at several BIP-44 paths and prefixes.
set -euo pipefail
CTL="$1"
WORK="$2"
HERE="$(cd "$(dirname "$0")" && pwd)"
NPM_DIR="$WORK/npm"
mkdir -p "$NPM_DIR"
if ! cmp -s "$HERE/package-lock.json" "$NPM_DIR/package-lock.json" || [ ! -d "$NPM_DIR/node_modules" ]; then
  cp "$HERE/package.json" "$HERE/package-lock.json" "$NPM_DIR/"
  npm ci --prefix "$NPM_DIR" --no-audit --no-fund --ignore-scripts --loglevel=error
fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
passed=0
fail() { echo "FAIL: $*"; echo "$passed passed, 1 failed"; exit 1; }
cosmjs() { NODE_PATH="$NPM_DIR/node_modules" node "$HERE/derive_address.js" "$1" "$2" <"$3"; }
field() { python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }

echo "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about" \
  >"$T/abandon.txt"
want="cosmos19rl4cm2hmr8afy4kldpxz3fka4jguq0auqdal4"
got_js=$(cosmjs cosmos "m/44'/118'/0'/0/0" "$T/abandon.txt")
[ "$got_js" = "$want" ] || fail "cosmjs gives $got_js for the abandon mnemonic"
got=$("$CTL" keys import abandon --mnemonic-file "$T/abandon.txt" --home "$T/k" --prefix cosmos \
      --output json | field address)
[ "$got" = "$want" ] || fail "meshctl gives $got for the abandon mnemonic"
passed=$((passed + 1))

# New mnemonics (24 and 12 words), other accounts/indexes and prefixes.
n=0
for spec in "24 0 0 mesh" "12 0 0 cosmos" "24 1 2 osmo" "24 0 7 mesh" "12 3 0 solo"; do
  read -r words account index prefix <<<"$spec"
  n=$((n + 1))
  out=$("$CTL" keys add "k$n" --words "$words" --account "$account" --index "$index" \
        --home "$T/k" --prefix "$prefix" --output json)
  field mnemonic <<<"$out" >"$T/m$n.txt"
  ours=$(field address <<<"$out")
  theirs=$(cosmjs "$prefix" "m/44'/118'/$account'/0/$index" "$T/m$n.txt")
  [ "$ours" = "$theirs" ] || fail "$spec: meshctl $ours, cosmjs $theirs"
  passed=$((passed + 1))
done
echo "meshctl vs cosmjs addresses: $passed passed, 0 failed"
