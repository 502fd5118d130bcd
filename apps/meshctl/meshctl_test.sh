#!/usr/bin/env bash
# meshctl end to end (docs/meshctl.md): help and usage exit codes, the keyring
# (test and file backends), then every query group against a fresh
# single-chain meshd on a free port, with the expected values taken from the
# node's genesis. JSON output is checked with python3.
#   meshctl_test.sh <meshctl> <meshd>
set -euo pipefail
CTL="$1"
MESHD="$2"
# shellcheck source=e2e_lib.sh
source "$(dirname "$0")/e2e_lib.sh"
# py EXPR: evaluates a Python expression over j (stdin parsed as JSON) and g (the genesis).
py() { python3 -c "import json,sys; j=json.load(sys.stdin); g=json.load(open('$T/home/config/genesis.json')); print($1)"; }
ABANDON="abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"
K="--home $T/cli --prefix cosmos"

# ---- help and usage errors (exit 2) ----
for args in "--help" "keys --help" "keys add --help" "query --help" "query staking --help" \
            "query staking validators --help" "q tendermint latest-block -h" "help"; do
  rc "$CTL" $args
  [ "$RC" = 0 ] && grep -q "Usage" <<<"$OUT" && grep -q "Exit codes" <<<"$OUT" \
    || fail "meshctl $args: rc $RC: $OUT"
done
ok
rc "$CTL" query staking validators --help
grep -q -- "--page-key" <<<"$OUT" || fail "validators help lists no pagination flags"
rc "$CTL" query staking pool --help
grep -q -- "--page-key" <<<"$OUT" && fail "pool help lists pagination flags"
ok
for args in "" "bogus" "keys" "keys frob" "query" "query nope" "query staking frob" \
            "query staking validators --bogus-flag" "query staking validator" \
            "query staking pool --limit 3" "query staking validators --limit x" \
            "query staking validators --output yaml" "query bank balance onlyone" \
            "query staking validators --page-key !!! " "query staking validators --height -1" \
            "keys show" "keys add x --mnemonic-file f" "keys list --limit 2"; do
  rc "$CTL" $args
  [ "$RC" = 2 ] || fail "meshctl $args: expected exit 2, got $RC ($ERR)"
done
ok

# ---- keys (test backend) ----
rc "$CTL" keys list $K --output json
[ "$RC" = 0 ] && [ "$OUT" = "[]" ] || fail "empty keys list: $RC $OUT"
echo "$ABANDON" >"$T/abandon.txt"
rc "$CTL" keys add alice --recover $K --output json <"$T/abandon.txt"
[ "$RC" = 0 ] || fail "keys add --recover: $ERR"
addr=$(echo "$OUT" | python3 -c "import json,sys; print(json.load(sys.stdin)['address'])")
[ "$addr" = "cosmos19rl4cm2hmr8afy4kldpxz3fka4jguq0auqdal4" ] || fail "abandon address $addr"
grep -q mnemonic <<<"$OUT" && fail "recovered key printed a mnemonic"
[ "$(stat -c %a "$T/cli/keyring-test/alice.json")" = 600 ] || fail "key file mode"
[ "$(stat -c %a "$T/cli/keyring-test")" = 700 ] || fail "keyring dir mode"
grep -q abandon "$T/cli/keyring-test/alice.json" && fail "mnemonic stored"
ok
rc "$CTL" keys show alice $K --address
[ "$OUT" = "cosmos19rl4cm2hmr8afy4kldpxz3fka4jguq0auqdal4" ] || fail "show --address: $OUT"
rc "$CTL" keys show alice $K --pubkey
grep -q '"@type":"/cosmos.crypto.secp256k1.PubKey"' <<<"$OUT" || fail "show --pubkey: $OUT"
rc "$CTL" keys show alice --home "$T/cli" --prefix osmo --address
[ "${OUT:0:5}" = "osmo1" ] || fail "--prefix osmo: $OUT"
rc "$CTL" keys import bob --mnemonic-file "$T/abandon.txt" --account 1 --index 2 $K --output json
[ "$RC" = 0 ] || fail "import: $ERR"
grep -q "m/44'/118'/1'/0/2" <<<"$OUT" || fail "import path: $OUT"
rc "$CTL" keys add alice --recover $K <"$T/abandon.txt"
[ "$RC" = 1 ] && grep -q "already exists" <<<"$ERR" || fail "duplicate name: $RC $ERR"
echo "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon" \
  >"$T/bad.txt"
rc "$CTL" keys import carol --mnemonic-file "$T/bad.txt" $K
[ "$RC" = 2 ] && grep -q checksum <<<"$ERR" || fail "bad checksum: $RC $ERR"
[ -e "$T/cli/keyring-test/carol.json" ] && fail "bad mnemonic stored a key"
rc "$CTL" keys add fresh --words 12 $K --output json
[ "$RC" = 0 ] || fail "keys add: $ERR"
words=$(echo "$OUT" | python3 -c "import json,sys; print(len(json.load(sys.stdin)['mnemonic'].split()))")
[ "$words" = 12 ] || fail "new mnemonic has $words words"
rc "$CTL" keys list $K --output json
[ "$(echo "$OUT" | python3 -c "import json,sys; print(','.join(k['name'] for k in json.load(sys.stdin)))")" \
  = "alice,bob,fresh" ] || fail "keys list: $OUT"
rc "$CTL" keys delete fresh $K </dev/null
[ "$RC" = 2 ] || fail "delete without --yes: $RC"
rc "$CTL" keys delete fresh $K --yes
[ "$RC" = 0 ] || fail "delete: $ERR"
rc "$CTL" keys show fresh $K
[ "$RC" = 3 ] || fail "show deleted key: expected 3, got $RC"
rc "$CTL" keys delete fresh $K --yes
[ "$RC" = 3 ] || fail "delete missing key: expected 3, got $RC"
ok

# ---- keys (file backend) ----
echo "a long passphrase" >"$T/pass.txt"
F="--keyring-backend file --keyring-passphrase-file $T/pass.txt"
rc "$CTL" keys import enc --mnemonic-file "$T/abandon.txt" $K $F --output json
[ "$RC" = 0 ] || fail "file backend import: $ERR"
grep -q aes-256-gcm "$T/cli/keyring-file/enc.json" && ! grep -q privkey "$T/cli/keyring-file/enc.json" \
  || fail "file backend stores the key in clear"
[ "$(stat -c %a "$T/cli/keyring-file/enc.json")" = 600 ] || fail "file backend mode"
rc "$CTL" keys show enc $K --keyring-backend file --address
[ "$OUT" = "cosmos19rl4cm2hmr8afy4kldpxz3fka4jguq0auqdal4" ] || fail "file backend show: $OUT"
echo "short" >"$T/short.txt"
rc "$CTL" keys import enc2 --mnemonic-file "$T/abandon.txt" $K --keyring-backend file \
  --keyring-passphrase-file "$T/short.txt"
[ "$RC" = 2 ] || fail "short passphrase: $RC"
ok

# ---- a node ----
"$MESHD" init --home "$T/home" --chain-id solo >/dev/null
"$MESHD" start --home "$T/home" --grpc-address 127.0.0.1:0 --block-interval-ms 50 >"$T/meshd.log" 2>&1 &
pid=$!
node=""
for _ in $(seq 1 200); do
  node=$(grep -o "gRPC on 127.0.0.1:[0-9]*" "$T/meshd.log" | head -1 | awk '{print $3}' || true)
  [ -n "$node" ] && break
  kill -0 "$pid" 2>/dev/null || fail "meshd exited: $(cat "$T/meshd.log")"
  sleep 0.05
done
[ -n "$node" ] || fail "meshd printed no gRPC address"
Q="--node $node --output json"
sleep 0.3

# The account prefix comes from the node when --prefix is absent.
rc "$CTL" keys show alice --home "$T/cli" --node "$node" --address
[ "${OUT:0:5}" = "solo1" ] || fail "prefix from the node: $OUT $ERR"
ok

rc "$CTL" query staking validators $Q
[ "$RC" = 0 ] || fail "validators: $ERR"
[ "$(echo "$OUT" | py "len(j['validators']) == len(g['validators']) and j['pagination']['total'] == str(len(g['validators']))")" = True ] \
  || fail "validators vs genesis: $OUT"
[ "$(echo "$OUT" | py "sorted(v['tokens'] for v in j['validators']) == sorted(v['self_bond'] for v in g['validators'])")" = True ] \
  || fail "validator tokens vs self-bonds: $OUT"
[ "$(echo "$OUT" | py "all(v['status'] == 'BOND_STATUS_BONDED' and v['consensus_pubkey']['@type'] == '/cosmos.crypto.ed25519.PubKey' for v in j['validators'])")" = True ] \
  || fail "validator status/pubkey: $OUT"
val=$(echo "$OUT" | py "j['validators'][0]['operator_address']")
rc "$CTL" query staking validator "$val" $Q
[ "$RC" = 0 ] && [ "$(echo "$OUT" | py "j['validator']['operator_address']")" = "$val" ] || fail "validator: $ERR"
ok

# Pagination: --limit 1 pages through all validators by --page-key.
seen=""
key=""
for _ in 1 2 3 4; do
  if [ -n "$key" ]; then rc "$CTL" query staking validators $Q --limit 1 --page-key "$key"
  else rc "$CTL" query staking validators $Q --limit 1 --count-total; fi
  [ "$RC" = 0 ] || fail "page: $ERR"
  [ "$(echo "$OUT" | py "len(j['validators'])")" = 1 ] || fail "page size: $OUT"
  seen="$seen $(echo "$OUT" | py "j['validators'][0]['operator_address']")"
  key=$(echo "$OUT" | py "j['pagination']['next_key']")
  [ -z "$key" ] && break
done
[ "$(echo "$seen" | wc -w)" = 3 ] && [ "$(echo "$seen" | tr ' ' '\n' | sort -u | grep -c .)" = 3 ] \
  || fail "paging saw: $seen"
rc "$CTL" query staking validators $Q --limit 1 --count-total
[ "$(echo "$OUT" | py "j['pagination']['total']")" = 3 ] || fail "count-total: $OUT"
first=$(echo "$seen" | awk '{print $1}')
rc "$CTL" query staking validators $Q --limit 1 --reverse
[ "$(echo "$OUT" | py "j['validators'][0]['operator_address']")" != "$first" ] || fail "--reverse: $OUT"
rc "$CTL" query staking validators $Q --offset 2 --limit 5
[ "$(echo "$OUT" | py "len(j['validators'])")" = 1 ] || fail "--offset: $OUT"
ok

rc "$CTL" query staking pool $Q
[ "$(echo "$OUT" | py "j['pool']['bonded_tokens'] == str(sum(int(v['self_bond']) for v in g['validators']))")" = True ] \
  || fail "pool: $OUT"
rc "$CTL" query staking params $Q
[ "$(echo "$OUT" | py "j['params']['bond_denom'] == g['denom'] and j['params']['max_validators'] == g['staking']['max_validators']")" = True ] \
  || fail "params: $OUT"
op=$(echo "$OUT" | py "g['validators'][0]['operator']")
rc "$CTL" query staking delegations "$op" $Q
[ "$(echo "$OUT" | py "j['delegation_responses'][0]['balance']['amount'] == g['validators'][0]['self_bond']")" = True ] \
  || fail "delegations: $OUT"
valop=$(echo "$OUT" | py "j['delegation_responses'][0]['delegation']['validator_address']")
rc "$CTL" query staking delegation "$op" "$valop" $Q
[ "$RC" = 0 ] || fail "delegation: $ERR"
rc "$CTL" query staking validator-delegations "$valop" $Q
[ "$(echo "$OUT" | py "[d['delegation']['delegator_address'] for d in j['delegation_responses']] == [g['validators'][0]['operator']]")" = True ] \
  || fail "validator-delegations: $OUT"
rc "$CTL" query staking unbonding-delegations "$op" $Q
[ "$RC" = 0 ] && [ "$(echo "$OUT" | py "len(j['unbonding_responses'])")" = 0 ] || fail "unbonding-delegations: $OUT"
rc "$CTL" query staking redelegations "$op" $Q
[ "$RC" = 0 ] || fail "redelegations: $ERR"
ok

acct=$(python3 -c "import json; print(json.load(open('$T/home/config/genesis.json'))['accounts'][0]['address'])")
rc "$CTL" query bank balance "$acct" usolo $Q
[ "$(echo "$OUT" | py "j['balance']['amount'] == g['accounts'][0]['balance']")" = True ] || fail "balance: $OUT"
rc "$CTL" query bank balances "$acct" $Q
[ "$(echo "$OUT" | py "j['balances'] == [{'denom': g['denom'], 'amount': g['accounts'][0]['balance']}]")" = True ] \
  || fail "balances: $OUT"
rc "$CTL" query bank total-supply $Q
[ "$(echo "$OUT" | py "j['supply'] == [{'denom': g['denom'], 'amount': str(sum(int(a['balance']) for a in g['accounts']) + sum(int(v['self_bond']) for v in g['validators']))}]")" = True ] \
  || fail "total-supply: $OUT"
rc "$CTL" query auth account "$acct" $Q
[ "$(echo "$OUT" | py "j['account']['@type'] == '/cosmos.auth.v1beta1.BaseAccount' and j['account']['address'] == g['accounts'][0]['address']")" = True ] \
  || fail "account: $OUT"
ok

rc "$CTL" query tendermint node-info $Q
[ "$(echo "$OUT" | py "j['default_node_info']['network'] if 'default_node_info' in j else j['node_info']['network']")" = solo ] \
  || fail "node-info: $OUT"
rc "$CTL" query tendermint latest-block $Q
h=$(echo "$OUT" | py "j['block']['header']['height']")
[ "$h" -ge 1 ] && [ "$(echo "$OUT" | py "j['block']['header']['chain_id']")" = solo ] || fail "latest-block: $OUT"
rc "$CTL" query tendermint syncing $Q
[ "$(echo "$OUT" | py "j['syncing']")" = False ] || fail "syncing: $OUT"
# --height is sent as metadata; the latest height is always answerable.
rc "$CTL" query staking pool $Q --height "$h"
[ "$RC" = 0 ] || fail "--height $h: $ERR"
ok

# Text output: YAML-like.
rc "$CTL" query staking pool --node "$node"
grep -q "^pool:$" <<<"$OUT" && grep -q "^  bonded_tokens: " <<<"$OUT" || fail "text output: $OUT"
ok

# Errors: NOT_FOUND exits 3, other RPC errors 1, with the gRPC code on stderr.
rc "$CTL" query staking delegation "$acct" "$valop" $Q
[ "$RC" = 3 ] && grep -q "code = NotFound" <<<"$ERR" || fail "missing delegation: $RC $ERR"
unknown_val=$(python3 - "$valop" <<'PY'
import sys
# bech32 re-encoding of other 20 bytes under the operator prefix
C = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
def polymod(v):
    g = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3]; c = 1
    for x in v:
        b = c >> 25; c = (c & 0x1ffffff) << 5 ^ x
        for i in range(5): c ^= g[i] if (b >> i) & 1 else 0
    return c
def enc(hrp, data):
    acc = bits = 0; out = []
    for b in data:
        acc = acc << 8 | b; bits += 8
        while bits >= 5: bits -= 5; out.append(acc >> bits & 31)
    if bits: out.append(acc << (5 - bits) & 31)
    v = [ord(x) >> 5 for x in hrp] + [0] + [ord(x) & 31 for x in hrp] + out + [0] * 6
    p = polymod(v) ^ 1
    return hrp + "1" + "".join(C[d] for d in out + [p >> 5 * (5 - i) & 31 for i in range(6)])
print(enc(sys.argv[1].rsplit("1", 1)[0], bytes(range(1, 21))))
PY
)
rc "$CTL" query staking validator "$unknown_val" $Q
[ "$RC" = 3 ] && grep -q "code = NotFound" <<<"$ERR" || fail "unknown validator $unknown_val: $RC $ERR"
rc "$CTL" query bank balances not-an-address $Q
[ "$RC" = 1 ] && grep -q "code = InvalidArgument" <<<"$ERR" || fail "bad address: $RC $ERR"
rc "$CTL" query staking pool --node 127.0.0.1:1 --timeout-ms 3000
[ "$RC" = 1 ] && grep -q "code = Unavailable" <<<"$ERR" || fail "no node: $RC $ERR"
ok

echo "meshctl e2e: $passed passed, 0 failed"
