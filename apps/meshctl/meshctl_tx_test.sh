#!/usr/bin/env bash
# meshctl tx end to end (docs/meshctl.md, "Transactions"): a two-chain
# `meshd devnet`; the devnet keys of config/keys.json imported with
# `meshctl keys import-hex`; then, with meshctl only, a full cross-stake
# (tx vault bond 2000, tx vault stake-remote 1000, the provider's external stake,
# the consumer's virtual stake after the relay and the epoch), an external
# unstake, a local stake and unstake, a delegate
# and unbond (tx staking), a bank send, tx raw, a consumer admin tx and an
# edit-validator; a failing tx exits 1 with its code; a wrong sequence is
# refused with code 32, and txs sent back to back take their sequences from
# the node's queue; --generate-only and --dry-run broadcast nothing; usage
# errors exit 2. JSON output is read with python3.
#   meshctl_tx_test.sh <meshctl> <meshd>
set -euo pipefail
CTL="$1"
MESHD="$2"
# shellcheck source=e2e_lib.sh
source "$(dirname "$0")/e2e_lib.sh"
# Here stdin is always /dev/null, so no tx ever waits for a confirmation.
rc() { set +e; "$@" >"$T/out" 2>"$T/err" </dev/null; RC=$?; set -e; OUT=$(cat "$T/out"); ERR=$(cat "$T/err"); }
py() { ALICE="${ALICE:-}" VAL="${VAL:-}" python3 -c "import json,os,sys; j=json.load(sys.stdin); ALICE=os.environ['ALICE']; VAL=os.environ['VAL']; print($1)"; }
check() {
  [ "$RC" = 0 ] || fail "$1: exit $RC: $OUT $ERR"
  [ "$(echo "$OUT" | py "$2")" = True ] || fail "$1: $2 is false over: $OUT"
}
# txok DESCRIPTION: the last tx was delivered with code 0 at a height.
txok() { check "$1" "j['code'] == 0 and int(j['height']) > 0 and len(j['txhash']) == 64"; }

# ---- help and usage errors (no node needed) ----
for args in "tx --help" "tx vault --help" "tx vault stake-remote --help" "tx raw --help" \
            "tx staking create-validator -h" "tx bank send --help"; do
  rc "$CTL" $args
  [ "$RC" = 0 ] && grep -q "Usage" <<<"$OUT" && grep -q "Exit codes" <<<"$OUT" \
    || fail "meshctl $args: rc $RC: $OUT"
done
rc "$CTL" tx --help
for g in bank staking distribution slashing vault local external consumer provider raw; do
  grep -q "^  $g " <<<"$OUT" || fail "tx help lacks $g: $OUT"
done
rc "$CTL" tx vault stake-remote --help
grep -q "/meshsec.v1.MsgVaultStakeRemote" <<<"$OUT" && grep -q -- "--broadcast-mode" <<<"$OUT" \
  || fail "stake-remote help: $OUT"
ok
K="--home $T/home --prefix chaina"
for args in "tx vault bond" "tx vault bond 10 --from nokey $K" "tx vault bond 1x --from nokey $K" \
            "tx nogroup x" "tx vault nocommand" "tx vault bond 10" "tx vault bond 10 --moniker x --from a" \
            "tx vault bond 10 --from a --broadcast-mode async" "tx raw --from a $K"; do
  rc "$CTL" $args
  [ "$RC" = 2 ] || fail "meshctl $args: expected exit 2, got $RC ($ERR)"
done
ok

# --generate-only needs neither a key nor a node: --from may be an address.
ADDR=chaina1407phfvmkdwg3lnqfzv753egg60ttf7d5dhdqm
rc "$CTL" tx vault bond 1000 --from $ADDR --generate-only --fees 5uchaina --gas 200000 --memo hi \
  --output json --node 127.0.0.1:1
check "generate-only" "j['body']['messages'] == [{'@type': '/meshsec.v1.MsgVaultBond', 'sender': '$ADDR', 'amount': '1000'}] and j['body']['memo'] == 'hi' and j['auth_info']['fee'] == {'amount': [{'denom': 'uchaina', 'amount': '5'}], 'gas_limit': '200000', 'payer': '', 'granter': ''} and j['signatures'] == []"
rc "$CTL" tx bank send $ADDR chaina1notanaddress 5uchaina --generate-only --node 127.0.0.1:1
[ "$RC" = 2 ] && grep -q "invalid recipient address" <<<"$ERR" || fail "bad recipient: $RC $ERR"
rc "$CTL" tx staking delegate chainavaloper1x 5 --from $ADDR --generate-only --node 127.0.0.1:1
[ "$RC" = 2 ] || fail "bad coin: $RC $ERR"
ok

# ---- a two-chain devnet ----
start_devnet "$MESHD"
ALICE=$(key chaina alice address)
BOB=$(key chaina bob address)
QA="--node $A --output json"
QB="--node $B --output json"
HA="--home $T/ha"
HB="--home $T/hb"

# Import the devnet keys; the address printed is the devnet's.
rc "$CTL" keys import-hex alice "$(key chaina alice private_key_hex)" $HA $QA
check "import-hex alice" "j['name'] == 'alice' and j['address'] == ALICE and j['hd_path'] == ''"
rc "$CTL" keys import-hex alice "$(key chaina alice private_key_hex)" $HA $QA
[ "$RC" = 1 ] && grep -q "already exists" <<<"$ERR" || fail "import-hex twice: $RC $ERR"
rc "$CTL" keys import-hex bad 1234 $HA $QA
[ "$RC" = 2 ] || fail "import-hex short key: $RC $ERR"
rc "$CTL" keys import-hex val0 "$(key chaina val0 private_key_hex)" $HA $QA
[ "$RC" = 0 ] || fail "import-hex val0: $ERR"
rc "$CTL" keys import-hex gov "$(key chainb gov private_key_hex)" $HB $QB
check "import-hex gov" "j['address'] == '$(key chainb gov address)'"
ok

# The validator to stake on: chainb's first.
rc "$CTL" query mesh validators $QB
VAL=$(echo "$OUT" | py "j['validators'][0]['operator_address']")
[ "${VAL:0:14}" = "chainbvaloper1" ] || fail "chainb validator address $VAL"

# ---- the cross-stake, with meshctl only ----
rc "$CTL" tx vault bond 2000 --from alice $HA $QA
txok "tx vault bond"
rc "$CTL" query provider vault-account "$ALICE" $QA
check "vault-account after bond" "j['account']['collateral'] == '2000' and j['account']['free'] == {'low': '2000', 'high': '2000'}"
rc "$CTL" tx vault stake-remote chainb "$VAL" 1000 --from alice $HA $QA
txok "tx vault stake-remote"
H=$(echo "$OUT" | py "j['height']")
rc "$CTL" query provider external-stakes chainb --user "$ALICE" $QA --height "$H"
check "external-stakes at $H" "len(j['stakes']) == 1 and j['stakes'][0]['validator'] == VAL and j['stakes'][0]['stake']['high'] == '1000'"
ok
# After the relay (the ack) the stake is committed; after chainb's epoch
# the virtual stake is delegated.
for _ in $(seq 1 300); do
  rc "$CTL" query consumer virtual-stakes chaina $QB
  [ "$RC" = 0 ] && [ "$(echo "$OUT" | py "[s['bonded'] for s in j['stakes'] if s['validator'] == VAL]")" = "['900']" ] && break
  sleep 0.1
done
check "virtual-stakes" "[(s['bond_request'], s['bonded']) for s in j['stakes'] if s['validator'] == VAL] == [('900', '900')]"
rc "$CTL" query provider external-stakes chainb --user "$ALICE" $QA
check "external-stakes" "j['stakes'][0]['stake'] == {'low': '1000', 'high': '1000'}"
ok

# ---- tx external unstake, tx vault stake-local, tx local unstake ----
rc "$CTL" tx external unstake chainb "$VAL" 100 --from alice $HA $QA
txok "tx external unstake"
for _ in $(seq 1 300); do
  rc "$CTL" query provider external-stakes chainb --user "$ALICE" $QA
  [ "$RC" = 0 ] && [ "$(echo "$OUT" | py "j['stakes'][0]['stake']['high']")" = 900 ] \
    && [ "$(echo "$OUT" | py "len(j['stakes'][0]['unbonding'])")" = 1 ] && break
  sleep 0.1
done
check "external-stakes after unstake" "j['stakes'][0]['stake'] == {'low': '900', 'high': '900'} and len(j['stakes'][0]['unbonding']) == 1"
rc "$CTL" query mesh validators $QA
VALA=$(echo "$OUT" | py "j['validators'][0]['operator_address']")
rc "$CTL" tx vault stake-local "$VALA" 300 --from alice $HA $QA
txok "tx vault stake-local"
rc "$CTL" query provider vault-claims --user "$ALICE" $QA
check "local claim" "len(j['claims']) == 2"
rc "$CTL" tx local unstake "$VALA" 100 --from alice $HA $QA
txok "tx local unstake"
ok

# ---- tx staking: delegate and unbond on chaina ----
rc "$CTL" tx staking delegate "$VALA" 500uchaina --from alice $HA $QA
txok "tx staking delegate"
rc "$CTL" query staking delegation "$ALICE" "$VALA" $QA
check "delegation" "j['delegation_response']['balance'] == {'denom': 'uchaina', 'amount': '500'}"
rc "$CTL" tx staking unbond "$VALA" 200uchaina --from alice $HA $QA
txok "tx staking unbond"
rc "$CTL" query staking delegation "$ALICE" "$VALA" $QA
check "delegation after unbond" "j['delegation_response']['balance']['amount'] == '300'"
rc "$CTL" query staking unbonding-delegation "$ALICE" "$VALA" $QA
check "unbonding-delegation" "[e['balance'] for e in j['unbond']['entries']] == ['200']"
ok

# ---- a failing tx exits 1 with its code (the message's codespace) ----
rc "$CTL" tx vault unbond 999999999 --from alice $HA $QA
[ "$RC" = 1 ] || fail "failing tx: expected exit 1, got $RC: $OUT $ERR"
grep -q "tx failed: code = [1-9][0-9]* codespace = meshsec" <<<"$ERR" || fail "failing tx stderr: $ERR"
[ "$(echo "$OUT" | py "j['code'] != 0 and j['codespace'] == 'meshsec' and int(j['height']) > 0")" = True ] \
  || fail "failing tx output: $OUT"
# Refused at the check (insufficient funds for the fee): sdk code 5, height 0.
rc "$CTL" tx vault bond 1 --fees 999999999999999999uchaina --from alice $HA $QA
[ "$RC" = 1 ] && grep -q "code = 5 codespace = sdk" <<<"$ERR" || fail "unaffordable fee: $RC $OUT $ERR"
ok

# ---- sequences ----
rc "$CTL" query auth account "$ALICE" $QA
ACCN=$(echo "$OUT" | py "j['account']['account_number']")
SEQ=$(echo "$OUT" | py "j['account']['sequence']")
rc "$CTL" tx vault unbond 1 --from alice --account-number "$ACCN" --sequence $((SEQ + 5)) $HA $QA
[ "$RC" = 1 ] && grep -q "code = 32 codespace = sdk" <<<"$ERR" \
  && grep -q "expected $SEQ" <<<"$ERR" || fail "wrong sequence: $RC $OUT $ERR"
rc "$CTL" tx vault unbond 1 --from alice --account-number "$ACCN" --sequence "$SEQ" $HA $QA
txok "explicit account number and sequence"
# Back to back in sync mode: the second takes the sequence past the queued one.
rc "$CTL" tx vault unbond 1 --from alice --broadcast-mode sync $HA $QA
check "sync tx" "j['code'] == 0 and j['height'] == '0'"
rc "$CTL" tx vault unbond 1 --from alice $HA $QA
txok "tx after a queued one"
rc "$CTL" query auth account "$ALICE" $QA
check "sequence" "int(j['account']['sequence']) == $SEQ + 3"
# --dry-run signs and prints, broadcasts nothing.
rc "$CTL" tx vault unbond 1 --from alice --dry-run $HA $QA
check "dry-run" "len(j['signatures']) == 1 and j['auth_info']['signer_infos'][0]['sequence'] == str($SEQ + 3)"
rc "$CTL" query mesh account "$ALICE" $QA
check "dry-run sent nothing" "j['sequence'] == str($SEQ + 3)"
ok

# ---- bank send, tx raw, consumer admin, edit-validator, distribution ----
rc "$CTL" query bank balance "$BOB" uchaina $QA
BOB0=$(echo "$OUT" | py "j['balance']['amount']")
rc "$CTL" tx bank send alice "$BOB" 7uchaina $HA $QA
txok "tx bank send"
rc "$CTL" query bank balance "$BOB" uchaina $QA
check "bob's balance" "int(j['balance']['amount']) == $BOB0 + 7"
rc "$CTL" tx raw --msg-json '{"@type":"/meshsec.v1.MsgVaultUnbond","amount":"2"}' \
  --msg-json "{\"@type\":\"/cosmos.bank.v1beta1.MsgSend\",\"to_address\":\"$BOB\",\"amount\":[{\"denom\":\"uchaina\",\"amount\":\"3\"}]}" \
  --from alice $HA $QA
txok "tx raw"
rc "$CTL" query bank balance "$BOB" uchaina $QA
check "bob's balance after raw" "int(j['balance']['amount']) == $BOB0 + 10"
rc "$CTL" query provider vault-account "$ALICE" $QA
check "vault after unbonds" "j['account']['collateral'] == str(2000 - 1 - 1 - 1 - 2)"
rc "$CTL" tx consumer set-max-cap chaina 5000000 --from gov $HB $QB
txok "tx consumer set-max-cap"
rc "$CTL" tx consumer set-max-cap chaina 5000000 --from alice $HA --node "$B" --output json --prefix chainb
[ "$RC" = 1 ] || fail "set-max-cap by a stranger: $RC $OUT $ERR"
rc "$CTL" tx staking edit-validator --moniker renamed --from val0 $HA $QA
txok "tx staking edit-validator"
rc "$CTL" query staking validators $QA
check "edited moniker" "[v['description']['moniker'] for v in j['validators']].count('renamed') == 1"
# (and refused for an account that is not a validator)
rc "$CTL" tx staking edit-validator --moniker renamed --from alice $HA $QA
[ "$RC" = 1 ] && grep -q "tx failed: code" <<<"$ERR" || fail "edit-validator by alice: $RC $OUT $ERR"
rc "$CTL" tx distribution withdraw-rewards "$VALA" --from alice $HA $QA
txok "tx distribution withdraw-rewards"
rc "$CTL" tx slashing unjail --from val0 $HA $QA
[ "$RC" = 1 ] && grep -q "tx failed: code" <<<"$ERR" || fail "unjail a validator not jailed: $RC $OUT $ERR"
# ---- the tx queries: by hash, by events, by block ----
rc "$CTL" tx vault bond 3 --from alice $HA $QA
txok "tx vault bond 3"
HASH=$(echo "$OUT" | py "j['txhash']")
HT=$(echo "$OUT" | py "j['height']")
rc "$CTL" query tx get "$HASH" $QA
check "query tx get" "j['tx_response']['txhash'] == '$HASH' and j['tx_response']['height'] == '$HT' and j['tx']['body']['messages'] == [{'@type': '/meshsec.v1.MsgVaultBond', 'sender': ALICE, 'amount': '3'}]"
rc "$CTL" query tx search "message.sender='$ALICE' AND message.action='/meshsec.v1.MsgVaultBond'" $QA
check "query tx search" "len(j['tx_responses']) >= 2 and j['tx_responses'][-1]['txhash'] == '$HASH' and int(j['pagination']['total']) == len(j['tx_responses']) and all(t['body']['messages'][0]['@type'] == '/meshsec.v1.MsgVaultBond' for t in j['txs'])"
rc "$CTL" query tx search "message.sender='$ALICE'" --limit 1 --reverse $QA
check "query tx search, newest first" "len(j['tx_responses']) == 1 and j['tx_responses'][0]['txhash'] == '$HASH'"
rc "$CTL" query tx search "message.sender='$ALICE'" --limit 2 --offset 3 $QA
[ "$RC" = 2 ] || fail "tx search with an offset not a multiple of the limit: $RC $OUT $ERR"
rc "$CTL" query tx block "$HT" $QA
check "query tx block" "j['block']['header']['height'] == '$HT' and {'@type': '/meshsec.v1.MsgVaultBond', 'sender': ALICE, 'amount': '3'} in [m for t in j['txs'] for m in t['body']['messages']]"
rc "$CTL" query tx get "$(printf 'AB%.0s' $(seq 32))" $QA
[ "$RC" = 3 ] || fail "tx get of an unknown hash: expected exit 3, got $RC ($ERR)"
ok

# The text form.
rc "$CTL" tx vault unbond 1 --from alice $HA --node "$A"
[ "$RC" = 0 ] && grep -q "^code: 0$" <<<"$OUT" && grep -q "^txhash: " <<<"$OUT" || fail "text output: $OUT"
ok

echo "meshctl tx e2e: $passed passed, 0 failed"
