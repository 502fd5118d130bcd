#!/usr/bin/env bash
# meshctl `query shared-security` end to end (docs/meshctl.md): a two-chain
# `meshd devnet` (mesh links only: no replicated / opt-in consumer, so those
# lists are empty, not errors). Checks the slash meter at its genesis values,
# consumer key lookups both ways, then a slash proposal submitted by alice
# and voted by chaina's val0 (`meshctl tx raw`), listed with its live tally;
# text output, NOT_FOUND (exit 3) and usage errors (exit 2).
#   meshctl_shared_security_test.sh <meshctl> <meshd>
set -euo pipefail
CTL="$1"
MESHD="$2"
# shellcheck source=e2e_lib.sh
source "$(dirname "$0")/e2e_lib.sh"
# py EXPR: a Python expression over j (stdin parsed as JSON), with the
# shell variables ALICE, VAL0 and BVAL as Python names.
py() {
  ALICE="${ALICE:-}" VAL0="${VAL0:-}" BVAL="${BVAL:-}" python3 -c "import json,os,sys; j=json.load(sys.stdin); ALICE=os.environ['ALICE']; VAL0=os.environ['VAL0']; BVAL=os.environ['BVAL']; print($1)"
}
check() {
  [ "$RC" = 0 ] || fail "$1: exit $RC: $ERR"
  [ "$(echo "$OUT" | py "$2")" = True ] || fail "$1: $2 is false over: $OUT"
}

# ---- help and usage errors (no node needed) ----
rc "$CTL" query --help
[ "$RC" = 0 ] && grep -q "^  shared-security  link modes" <<<"$OUT" || fail "query help: $RC $OUT $ERR"
rc "$CTL" query shared-security --help
for c in ccv-consumers ccv-consumer ccv-consumer-set ccv-pending-vscs ccv-opt-ins key-assignments \
         validator-consumer-key validator-by-consumer-address slash-proposals slash-proposal \
         slash-meter throttled-slashes waiting-slashes evidence-punishments consumer-ccv-state \
         consumer-ccv-validators consumer-ccv-slash-requests; do
  grep -q "^  $c " <<<"$OUT" || fail "shared-security help lacks $c: $OUT"
done
for args in "query shared-security slash-proposal" "query shared-security slash-proposal seven" \
            "query shared-security validator-consumer-key chainb" \
            "query shared-security slash-meter extra"; do
  rc "$CTL" $args
  [ "$RC" = 2 ] || fail "meshctl $args: expected exit 2, got $RC ($ERR)"
done
ok

# ---- a two-chain devnet ----
start_devnet "$MESHD"
QA="--node $A --output json"
QB="--node $B --output json"
ALICE=$(key chaina alice address)
sleep 0.3

# The meter: ICS defaults (5 % of 3 × 10^10 / 10^6 = 30000 power per hour),
# full; nothing queued or waiting.
rc "$CTL" query shared-security slash-meter $QA
check "slash-meter" "j['replenish_fraction'] == '0.050000000000000000' and j['replenish_period_seconds'] == '3600' and j['started'] and j['meter'] == '1500' and j['allowance'] == '1500' and j['total_power'] == '30000' and j['queued'] == '0' and j['max_per_block'] == 100 and j['next_replenish_time'] != ''"
rc "$CTL" query shared-security slash-meter --node "$A"
[ "$RC" = 0 ] && grep -q "^meter: \"1500\"$" <<<"$OUT" && grep -q "^started: true$" <<<"$OUT" \
  || fail "slash-meter text: $OUT"
rc "$CTL" query shared-security throttled-slashes $QA
check "throttled-slashes" "j['slashes'] == [] and j['pagination']['total'] == '0'"
rc "$CTL" query shared-security waiting-slashes chainb $QA
check "waiting-slashes" "j['slashes'] == [] and j['pagination']['total'] == '0'"
rc "$CTL" query shared-security evidence-punishments --consumer chainb $QA
check "evidence-punishments" "j['punishments'] == [] and j['pagination']['total'] == '0'"
ok

# No replicated / opt-in link: empty lists, no CCV state; unknown consumers
# are NOT_FOUND.
rc "$CTL" query shared-security ccv-consumers $QA
check "ccv-consumers" "j['consumers'] == [] and j['pagination']['total'] == '0'"
rc "$CTL" query shared-security consumer-ccv-state $QB
check "consumer-ccv-state" "not j['has_link'] and j['provider'] == '' and j['validators'] == '0'"
rc "$CTL" query shared-security consumer-ccv-validators $QB
check "consumer-ccv-validators" "j['validators'] == []"
rc "$CTL" query shared-security consumer-ccv-slash-requests $QB
check "consumer-ccv-slash-requests" "j['requests'] == []"
rc "$CTL" query shared-security ccv-consumer chainb $QA
[ "$RC" = 3 ] && grep -q "code = NotFound" <<<"$ERR" || fail "ccv-consumer of a mesh link: $RC $ERR"
ok

# Key assignment: nothing assigned; chaina's val0 signs on chainb with its
# own key, and that address maps back to it.
rc "$CTL" query mesh validators $QA
VAL0=$(echo "$OUT" | py "[v['operator_address'] for v in j['validators'] if v['operator_account'] == '$(key chaina val0 address)'][0]")
rc "$CTL" query shared-security key-assignments chainb $QA
check "key-assignments" "j['assignments'] == [] and j['pagination']['total'] == '0'"
rc "$CTL" query shared-security validator-consumer-key chainb "$VAL0" $QA
check "validator-consumer-key" "not j['assigned'] and len(j['consumer_address']) == 40 and j['consumer_address'] == j['consumer_address'].upper() and j['consumer_key'] != ''"
ADDR=$(echo "$OUT" | py "j['consumer_address']")
rc "$CTL" query shared-security validator-by-consumer-address chainb "$ADDR" $QA
check "validator-by-consumer-address" "j['validator'] == VAL0 and not j['assigned'] and j['current']"
rc "$CTL" query shared-security validator-by-consumer-address --consumer chainb --consumer-address 0000000000000000000000000000000000000000 $QA
[ "$RC" = 3 ] || fail "unknown consumer address: expected exit 3, got $RC ($ERR)"
ok

# ---- a slash proposal and a vote ----
rc "$CTL" query shared-security slash-proposals $QA
check "slash-proposals before" "j['proposals'] == []"
rc "$CTL" query mesh validators $QB
BVAL=$(echo "$OUT" | py "j['validators'][2]['operator_address']")
rc "$CTL" query tendermint latest-block $QB
IH=$(( $(echo "$OUT" | py "j['block']['header']['height']") - 1 ))
rc "$CTL" keys import-hex alice "$(key chaina alice private_key_hex)" --home "$T/keys" $QA
[ "$RC" = 0 ] || fail "import alice: $OUT $ERR"
rc "$CTL" keys import-hex val0 "$(key chaina val0 private_key_hex)" --home "$T/keys" $QA
[ "$RC" = 0 ] || fail "import val0: $OUT $ERR"
rc "$CTL" tx raw --from alice --home "$T/keys" $QA \
  --msg-json "{\"@type\":\"/meshsec.v1.MsgSubmitSlashProposal\",\"consumer\":\"chainb\",\"validator\":\"$BVAL\",\"infraction_height\":\"$IH\",\"fraction\":\"0.050000000000000000\",\"deposit\":\"10000000\"}"
[ "$RC" = 0 ] || fail "slash proposal tx: $OUT $ERR"
rc "$CTL" tx raw --from val0 --home "$T/keys" $QA \
  --msg-json '{"@type":"/meshsec.v1.MsgVoteSlashProposal","proposal_id":"1","option":"yes"}'
[ "$RC" = 0 ] || fail "vote tx: $OUT $ERR"
rc "$CTL" query shared-security slash-proposals $QA --count-total
check "slash-proposals" "j['pagination']['total'] == '1' and [(p['id'], p['proposer'], p['consumer'], p['validator'], p['infraction_height'], p['fraction'], p['deposit'], p['status'], p['slashed']) for p in j['proposals']] == [('1', ALICE, 'chainb', BVAL, '$IH', '0.050000000000000000', '10000000', 'voting', '0')]"
check "slash-proposals tally" "j['proposals'][0]['tally'] == {'yes': '10000000000', 'abstain': '0', 'no': '0', 'no_with_veto': '0', 'total_bonded': '30000000000'}"
rc "$CTL" query shared-security slash-proposal 1 $QA
check "slash-proposal 1" "j['proposal']['id'] == '1' and j['proposal']['status'] == 'voting' and j['proposal']['tally']['yes'] == '10000000000'"
rc "$CTL" query shared-security slash-proposal --id 1 --node "$A"
[ "$RC" = 0 ] && grep -q "^  status: voting$" <<<"$OUT" || fail "slash-proposal text: $OUT"
rc "$CTL" query shared-security slash-proposal 2 $QA
[ "$RC" = 3 ] && grep -q "code = NotFound" <<<"$ERR" || fail "slash-proposal 2: $RC $ERR"
ok

echo "meshctl shared-security e2e: $passed passed, 0 failed"
