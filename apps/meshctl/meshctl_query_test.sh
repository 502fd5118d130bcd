#!/usr/bin/env bash
# meshctl mesh queries end to end (docs/meshctl.md): a two-chain `meshd
# devnet` (chaina and chainb, each provider and consumer of the other);
# chaina's alice bonds 1000 uchaina and stakes it on one of chainb's
# validators (one tx of two messages, sent with `meshctl tx raw` signed by
# alice's devnet key imported with `keys import-hex`); then every `query provider`,
# `query consumer` and `query mesh` command is checked through meshctl, the
# state while the stake was in flight with --height, and the exit codes
# (3 for NOT_FOUND, 2 for usage errors). JSON output is read with python3.
#   meshctl_query_test.sh <meshctl> <meshd>
set -euo pipefail
CTL="$1"
MESHD="$2"
# shellcheck source=e2e_lib.sh
source "$(dirname "$0")/e2e_lib.sh"
# py EXPR: a Python expression over j (stdin parsed as JSON), with the
# shell variables ALICE, VAL and VIRT as Python names.
py() { ALICE="${ALICE:-}" VAL="${VAL:-}" VIRT="${VIRT:-}" python3 -c "import json,os,sys; j=json.load(sys.stdin); ALICE=os.environ['ALICE']; VAL=os.environ['VAL']; VIRT=os.environ['VIRT']; print($1)"; }
# module_address HRP NAME: the Cosmos SDK module account address of NAME
# (bech32 of SHA-256(NAME)[:20], BIP-173), computed here, not by meshsec.
module_address() {
  python3 - "$1" "$2" <<'PY'
import hashlib, sys
hrp, name = sys.argv[1], sys.argv[2]
CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
def polymod(values):
    gen = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3]
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1ffffff) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if (top >> i) & 1 else 0
    return chk
data, acc, bits = [], 0, 0
for b in hashlib.sha256(name.encode()).digest()[:20]:
    acc, bits = acc << 8 | b, bits + 8
    while bits >= 5:
        bits -= 5
        data.append(acc >> bits & 31)
if bits:
    data.append(acc << (5 - bits) & 31)
expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
mod = polymod(expanded + data + [0] * 6) ^ 1
print(hrp + "1" + "".join(CHARSET[d] for d in data + [mod >> 5 * (5 - i) & 31 for i in range(6)]))
PY
}
# check DESCRIPTION EXPR: the last command succeeded and EXPR holds over its output.
check() {
  [ "$RC" = 0 ] || fail "$1: exit $RC: $ERR"
  [ "$(echo "$OUT" | py "$2")" = True ] || fail "$1: $2 is false over: $OUT"
}

# ---- help and usage errors (no node needed) ----
for args in "query provider --help" "query consumer --help" "query mesh --help" \
            "query provider external-stakes --help" "query consumer delegation-records -h"; do
  rc "$CTL" $args
  [ "$RC" = 0 ] && grep -q "Usage" <<<"$OUT" && grep -q "Exit codes" <<<"$OUT" \
    || fail "meshctl $args: rc $RC: $OUT"
done
rc "$CTL" query provider --help
for c in vault-params vault-account vault-accounts vault-claims vault-pending-txs links link \
         external-pending-txs external-stakes pending-rewards remote-validators packets-in-flight; do
  grep -q "^  $c " <<<"$OUT" || fail "provider help lacks $c: $OUT"
done
rc "$CTL" query provider external-stakes --help
grep -q -- "--user VALUE" <<<"$OUT" && grep -q -- "--validator VALUE" <<<"$OUT" \
  && grep -q -- "--consumer VALUE" <<<"$OUT" && grep -q -- "--count-total" <<<"$OUT" \
  && grep -q "/meshsec.v1.ProviderQuery/ExternalStakes" <<<"$OUT" || fail "external-stakes help: $OUT"
rc "$CTL" query mesh validators --help
grep -q -- "--page-key" <<<"$OUT" && ! grep -q -- "--reverse" <<<"$OUT" || fail "mesh validators help: $OUT"
ok
for args in "query provider external-stakes" "query provider external-stakes chainb --consumer chainb" \
            "query provider link" "query provider link a b" "query provider link chainb --user x" \
            "query provider vault-params --limit 2" "query consumer provider --provider=" \
            "query mesh validators --reverse" "query mesh delegation onlyone" \
            "query provider pending-rewards chainb" "query consumer nope"; do
  rc "$CTL" $args
  [ "$RC" = 2 ] || fail "meshctl $args: expected exit 2, got $RC ($ERR)"
done
ok

# ---- a two-chain devnet ----
start_devnet "$MESHD" --grpc-kept-blocks 100000
QA="--node $A --output json"
QB="--node $B --output json"
ALICE=$(key chaina alice address)
ALICE_KEY=$(key chaina alice private_key_hex)
# chainb's virtual-staking account for provider chaina: the module account
# "mesh_virtual/chaina" under chainb's prefix (docs/consumer.md, G-21).
VIRT=$(module_address chainb mesh_virtual/chaina)
[ "$VIRT" = "chainb13kyz24u5lz9marq4qkytw9ghmje65y93rht5hc" ] || fail "module address: $VIRT"
sleep 0.3

# Before the stake: the links and the remote validator set.
rc "$CTL" query provider vault-params $QA
check "vault-params" "j['denom'] == 'uchaina' and j['local_staking'] and j['local_max_slash'] == '0.050000000000000000' and j['total_collateral'] == '0'"
# The provider lists a consumer once it has an external staking: none yet.
rc "$CTL" query provider links $QA
check "links before" "j['links'] == [] and j['pagination']['total'] == '0'"
# The validator to stake on: chainb's first (meshsec.v1.Query on chainb).
rc "$CTL" query mesh validators $QB
check "chainb validators" "len(j['validators']) == 3"
VAL=$(echo "$OUT" | py "j['validators'][0]['operator_address']")
[ "${VAL:0:14}" = "chainbvaloper1" ] || fail "chainb validator address $VAL"
rc "$CTL" query provider external-stakes chainb $QA
[ "$RC" = 3 ] && grep -q "code = NotFound desc = unknown consumer chainb" <<<"$ERR" \
  || fail "external-stakes before the first stake: expected exit 3, got $RC: $OUT $ERR"
rc "$CTL" query mesh account "$ALICE" $QA
check "mesh account" "j['address'] == ALICE and j['sequence'] == '0' and int(j['height']) >= 1"
ok

# ---- the cross-stake ----
rc "$CTL" keys import-hex alice "$ALICE_KEY" --home "$T/keys" $QA
[ "$RC" = 0 ] || fail "import alice: $OUT $ERR"
rc "$CTL" tx raw --from alice --home "$T/keys" $QA --msg-json '{"@type":"/meshsec.v1.MsgVaultBond","amount":"1000"}' \
  --msg-json "{\"@type\":\"/meshsec.v1.MsgVaultStakeRemote\",\"consumer\":\"chainb\",\"validator\":\"$VAL\",\"amount\":\"1000\"}"
[ "$RC" = 0 ] || fail "stake tx: $OUT $ERR"
H=$(echo "$OUT" | py "j['height']")
[ -n "$H" ] && [ "$H" -ge 2 ] || fail "stake tx height: $OUT"
ok

# Wait for the ack and chainb's next epoch (epoch length 10 blocks).
for _ in $(seq 1 300); do
  rc "$CTL" query consumer provider chaina $QB
  [ "$RC" = 0 ] && [ "$(echo "$OUT" | py "j['provider']['total_delegated']")" = 900 ] && break
  sleep 0.1
done
rc "$CTL" query consumer provider chaina $QB
check "consumer provider" "j['provider']['provider'] == 'chaina' and j['provider']['remote_denom'] == 'uchaina' and j['provider']['discount'] == '0.100000000000000000' and j['provider']['price_adjustment'] == '0.900000000000000000' and j['provider']['total_delegated'] == '900' and j['provider']['minted'] == '900' and j['provider']['burned'] == '0' and j['provider']['price']['native_per_foreign'] == '1.000000000000000000' and j['provider']['price']['valid'] and j['provider']['channel_open'] and j['provider']['has_max_cap'] and j['provider']['connection_id'] == 'connection-0' and j['provider']['virtual_account'] == VIRT"
rc "$CTL" query consumer provider --provider chaina $QB
check "consumer provider --provider" "j['provider']['minted'] == '900'"
rc "$CTL" query consumer providers $QB
check "consumer providers" "[p['provider'] for p in j['providers']] == ['chaina'] and j['providers'][0]['minted'] == '900'"
rc "$CTL" query consumer params $QB
check "consumer params" "j['epoch_length'] == '10' and j['providers'] == ['chaina']"
rc "$CTL" query consumer virtual-stakes chaina $QB
check "virtual-stakes" "[(s['bond_request'], s['bonded'], s['actual_delegation']) for s in j['stakes'] if s['validator'] == VAL] == [('900', '900', '900')]"
rc "$CTL" query consumer delegation-records chaina --validator "$VAL" $QB
check "delegation-records --validator" "len(j['records']) == 1 and j['records'][0]['delegator'] == ALICE and j['records'][0]['validator'] == VAL and j['records'][0]['remote'] == '1000' and j['records'][0]['local'] == '900' and not j['records'][0]['unstake_in_flight'] and j['records'][0]['slash_debt'] == '0'"
rc "$CTL" query consumer delegation-records chaina $QB --count-total
check "delegation-records" "j['pagination']['total'] == '1'"
rc "$CTL" query consumer packets-in-flight $QB
check "consumer packets-in-flight" "isinstance(j['packets'], list)"
ok

rc "$CTL" query provider remote-validators chainb $QA
check "remote-validators" "len(j['validators']) == 3 and j['pagination']['total'] == '3' and all(v['state'] == 'active' and len(v['history']) == 1 for v in j['validators']) and VAL in [v['validator'] for v in j['validators']]"
rc "$CTL" query provider remote-validators --consumer chainb $QA --limit 1 --count-total
check "remote-validators --limit 1" "len(j['validators']) == 1 and j['pagination']['total'] == '3' and j['pagination']['next_key'] != ''"
rc "$CTL" query provider link chainb $QA
check "link" "j['link']['consumer'] == 'chainb' and j['link']['denom'] == 'uchaina' and j['link']['rewards_denom'] == 'uchainb' and j['link']['channel_state'] == 'OPEN' and j['link']['connection_id'] == 'connection-0' and j['link']['port_id'] == 'mesh-provider' and j['link']['counterparty_port'] == 'mesh-consumer' and j['link']['slash_ratio_double_sign'] == '0.100000000000000000' and j['link']['unbonding_period_seconds'] == '3600' and not j['link']['closed']"
rc "$CTL" query provider links $QA
check "links" "[l['consumer'] for l in j['links']] == ['chainb'] and j['links'][0]['outbox_packets'] == '0'"
rc "$CTL" query provider external-stakes chainb --user "$ALICE" $QA
check "external-stakes --user" "len(j['stakes']) == 1 and j['stakes'][0]['validator'] == VAL and j['stakes'][0]['user'] == ALICE and j['stakes'][0]['stake'] == {'low': '1000', 'high': '1000'} and j['stakes'][0]['unbonding'] == []"
rc "$CTL" query provider external-stakes --consumer chainb --user "$ALICE" --validator "$VAL" $QA
check "external-stakes by flags" "len(j['stakes']) == 1 and j['stakes'][0]['stake']['low'] == '1000'"
rc "$CTL" query provider vault-account "$ALICE" $QA
check "vault-account" "j['account']['user'] == ALICE and j['account']['denom'] == 'uchaina' and j['account']['collateral'] == '1000' and j['account']['max_lien'] == {'low': '1000', 'high': '1000'} and j['account']['free'] == {'low': '0', 'high': '0'} and j['account']['total_slashable'] == {'low': '100', 'high': '100'}"
rc "$CTL" query provider vault-accounts $QA
check "vault-accounts" "[(a['user'], a['collateral']) for a in j['accounts']] == [(ALICE, '1000')]"
rc "$CTL" query provider vault-claims --user "$ALICE" $QA
check "vault-claims" "[(c['lien_holder'], c['amount']['low'], c['amount']['high'], c['slash_ratio']) for c in j['claims']] == [('x/chainb', '1000', '1000', '0.100000000000000000')]"
rc "$CTL" query provider vault-pending-txs $QA
check "vault-pending-txs" "j['txs'] == []"
rc "$CTL" query provider external-pending-txs chainb $QA
check "external-pending-txs" "j['txs'] == []"
rc "$CTL" query provider pending-rewards chainb "$ALICE" $QA
check "pending-rewards" "j['rewards_denom'] == 'uchainb' and j['total'] == '0' and [r['validator'] for r in j['rewards']] == [VAL]"
rc "$CTL" query provider vault-params $QA
check "vault-params after" "j['total_collateral'] == '1000' and j['consumers'] == ['chainb']"
rc "$CTL" query provider remote-validators chainb $QA
check "remote-validators total stake" "[v['total_stake'] for v in j['validators'] if v['validator'] == VAL] == ['1000']"
rc "$CTL" query provider packets-in-flight $QA
check "provider packets-in-flight" "isinstance(j['packets'], list)"
ok

# ---- --height: the block that delivered the stake tx, and the one before ----
rc "$CTL" query provider external-stakes chainb --user "$ALICE" $QA --height "$H"
check "external-stakes at $H" "len(j['stakes']) == 1 and j['stakes'][0]['stake'] == {'low': '0', 'high': '1000'}"
rc "$CTL" query provider vault-pending-txs $QA --height "$H"
check "vault-pending-txs at $H" "[(t['id'], t['user'], t['lien_holder'], t['amount']) for t in j['txs']] == [('1', ALICE, 'x/chainb', '1000')]"
rc "$CTL" query provider external-pending-txs chainb $QA --height "$H"
check "external-pending-txs at $H" "[(t['kind'], t['validator'], t['amount']) for t in j['txs']] == [('stake', VAL, '1000')]"
rc "$CTL" query provider vault-account "$ALICE" $QA --height "$H"
check "vault-account at $H" "j['account']['max_lien'] == {'low': '0', 'high': '1000'} and j['account']['total_slashable'] == {'low': '0', 'high': '100'}"
rc "$CTL" query provider packets-in-flight $QA --height "$H"
check "packets-in-flight at $H" "len([p for p in j['packets'] if p['source_port'] == 'mesh-provider' and p['destination_port'] == 'mesh-consumer']) == 1"
# One block earlier chainb had no external staking yet: NOT_FOUND, exit 3.
rc "$CTL" query provider external-stakes chainb $QA --height $((H - 1))
[ "$RC" = 3 ] && grep -q "code = NotFound" <<<"$ERR" \
  || fail "external-stakes at $((H - 1)): expected exit 3, got $RC: $OUT $ERR"
rc "$CTL" query provider vault-params $QA --height $((H - 1))
check "vault-params at $((H - 1))" "j['total_collateral'] == '0' and j['consumers'] == []"
# The bond moved 1000 uchaina of alice's into the vault at height H.
rc "$CTL" query mesh balance "$ALICE" uchaina $QA --height $((H - 1))
check "mesh balance at $((H - 1))" "int(j['balance']['amount']) > 1000"
before=$(echo "$OUT" | py "j['balance']['amount']")
rc "$CTL" query mesh balance "$ALICE" uchaina $QA --height "$H"
check "mesh balance at $H" "int(j['balance']['amount']) == $before - 1000"
# Account (the nonce, counting queued txs) reads only the latest block.
rc "$CTL" query mesh account "$ALICE" $QA
check "mesh account now" "j['sequence'] == '1' and int(j['height']) > $H"
rc "$CTL" query mesh account "$ALICE" $QA --height $((H - 1))
[ "$RC" = 1 ] && grep -q "code = InvalidArgument" <<<"$ERR" || fail "account at a height: $RC $ERR"
ok

# ---- meshsec.v1.Query ----
rc "$CTL" query mesh validators --status BOND_STATUS_BONDED --limit 2 $QB
check "mesh validators" "len(j['validators']) == 2 and j['pagination']['total'] == '3' and j['pagination']['next_key'] != ''"
next=$(echo "$OUT" | py "j['pagination']['next_key']")
rc "$CTL" query mesh validators --status BOND_STATUS_BONDED --page-key "$next" $QB
check "mesh validators page 2" "len(j['validators']) == 1 and j['pagination']['next_key'] == ''"
rc "$CTL" query mesh validator "$VAL" $QB
check "mesh validator" "j['validator']['operator_address'] == VAL"
# The consumer's virtual stake is a delegation of the provider's module
# account (a bech32 module address); the validator's own bond is the other one.
rc "$CTL" query mesh validator-delegations "$VAL" $QB
check "mesh validator-delegations" "[(d['delegation']['delegator_address'], d['balance']['amount']) for d in j['delegation_responses'] if d['delegation']['delegator_address'] == VIRT] == [(VIRT, '900')] and len(j['delegation_responses']) == 2"
SELF=$(echo "$OUT" | py "[d['delegation']['delegator_address'] for d in j['delegation_responses'] if d['delegation']['delegator_address'] != VIRT][0]")
# The Cosmos staking queries that take a delegator address accept it.
rc "$CTL" query staking delegation "$VIRT" "$VAL" $QB
check "staking delegation of the virtual account" "j['delegation_response']['delegation']['delegator_address'] == VIRT and j['delegation_response']['balance'] == {'denom': 'uchainb', 'amount': '900'}"
rc "$CTL" query staking delegations "$VIRT" $QB
check "staking delegations of the virtual account" "[(d['delegation']['validator_address'], d['balance']['amount']) for d in j['delegation_responses']] == [(VAL, '900')]"
rc "$CTL" query mesh delegation "$VIRT" "$VAL" $QB
check "mesh delegation of the virtual account" "j['delegation_response']['balance'] == {'denom': 'uchainb', 'amount': '900'}"
rc "$CTL" query mesh delegation "$SELF" "$VAL" $QB
check "mesh delegation" "j['delegation_response']['balance'] == {'denom': 'uchainb', 'amount': '10000000000'}"
rc "$CTL" query mesh delegations "$SELF" $QB
check "mesh delegations" "[d['delegation']['validator_address'] for d in j['delegation_responses']] == [VAL]"
rc "$CTL" query mesh unbonding-delegation "$SELF" "$VAL" $QB
[ "$RC" = 3 ] && grep -q "code = NotFound" <<<"$ERR" || fail "mesh unbonding-delegation: $RC $ERR"
rc "$CTL" query mesh balance "$ALICE" uchaina $QA
check "mesh balance" "j['balance']['denom'] == 'uchaina' and int(j['balance']['amount']) > 0"
ok

# ---- errors and the text form ----
rc "$CTL" query provider link nochain $QA
[ "$RC" = 3 ] && grep -q "code = NotFound" <<<"$ERR" || fail "unknown consumer: $RC $ERR"
rc "$CTL" query consumer provider nochain $QB
[ "$RC" = 3 ] && grep -q "code = NotFound" <<<"$ERR" || fail "unknown provider: $RC $ERR"
rc "$CTL" query mesh balance not-an-address uchaina $QA
[ "$RC" = 1 ] && grep -q "code = InvalidArgument" <<<"$ERR" || fail "bad user address: $RC $ERR"
rc "$CTL" query provider vault-params --node "$A"
[ "$RC" = 0 ] && grep -q "^denom: uchaina$" <<<"$OUT" && grep -q "^consumers:$" <<<"$OUT" \
  && grep -q "^- chainb$" <<<"$OUT" || fail "text output: $OUT"
ok

echo "meshctl query e2e: $passed passed, 0 failed"
