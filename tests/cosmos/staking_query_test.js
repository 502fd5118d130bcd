// cosmos.staking.v1beta1.Query on a running meshd, through clients we did
// not write: the request/response codecs of cosmjs-types (generated from the
// Cosmos SDK protos), @grpc/grpc-js for the transport, and @cosmjs/math's
// Decimal for the decimal encoding.
//
//   node staking_query_test.js <grpc host:port> <meshd home>
//
// The expectations come from the node's genesis (config/genesis.json): the
// three genesis validators, their self-bonds, commission and the bond denom.
// Prints "N passed, 0 failed"; exits 1 on any failure.
"use strict";

const fs = require("fs");
const path = require("path");
const grpc = require("@grpc/grpc-js");
const { Decimal } = require("@cosmjs/math");
const q = require("cosmjs-types/cosmos/staking/v1beta1/query");
const { BondStatus, bondStatusToJSON } = require("cosmjs-types/cosmos/staking/v1beta1/staking");
const { PubKey } = require("cosmjs-types/cosmos/crypto/ed25519/keys");
const { FileDescriptorProto } = require("cosmjs-types/google/protobuf/descriptor");
const { BinaryReader, BinaryWriter } = require("cosmjs-types/binary");
const bankq = require("cosmjs-types/cosmos/bank/v1beta1/query");
const authq = require("cosmjs-types/cosmos/auth/v1beta1/query");
const { BaseAccount } = require("cosmjs-types/cosmos/auth/v1beta1/auth");
const tmq = require("cosmjs-types/cosmos/base/tendermint/v1beta1/query");

const [address, home] = process.argv.slice(2);
if (!address || !home) {
  console.error("usage: staking_query_test.js HOST:PORT MESHD_HOME");
  process.exit(2);
}
const genesis = JSON.parse(fs.readFileSync(path.join(home, "config", "genesis.json"), "utf8"));
const client = new grpc.Client(address, grpc.credentials.createInsecure());

// One unary call: cosmjs-types encodes the request and decodes the response.
function call(method, reqType, respType, request, service = "cosmos.staking.v1beta1.Query") {
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      `/${service}/${method}`,
      (msg) => Buffer.from(reqType.encode(reqType.fromPartial(msg)).finish()),
      (buf) => respType.decode(new Uint8Array(buf)),
      request,
      (err, resp) => (err ? reject(err) : resolve(resp)));
  });
}
const api = {
  validators: (r) => call("Validators", q.QueryValidatorsRequest, q.QueryValidatorsResponse, r),
  validator: (r) => call("Validator", q.QueryValidatorRequest, q.QueryValidatorResponse, r),
  params: () => call("Params", q.QueryParamsRequest, q.QueryParamsResponse, {}),
  pool: () => call("Pool", q.QueryPoolRequest, q.QueryPoolResponse, {}),
  delegatorDelegations: (r) => call("DelegatorDelegations", q.QueryDelegatorDelegationsRequest,
                                    q.QueryDelegatorDelegationsResponse, r),
  delegation: (r) => call("Delegation", q.QueryDelegationRequest, q.QueryDelegationResponse, r),
  validatorDelegations: (r) => call("ValidatorDelegations", q.QueryValidatorDelegationsRequest,
                                    q.QueryValidatorDelegationsResponse, r),
  unbondingDelegation: (r) => call("UnbondingDelegation", q.QueryUnbondingDelegationRequest,
                                   q.QueryUnbondingDelegationResponse, r),
};

// One grpc.reflection.v1alpha.ServerReflectionInfo exchange, hand-encoded:
// ServerReflectionRequest field `field` (7 list_services, 4
// file_containing_symbol) = `value`. Returns the service names (field 6) or
// the file descriptors (field 4) of the response.
function reflect(field, value) {
  return new Promise((resolve, reject) => {
    const call = client.makeBidiStreamRequest(
      "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
      (b) => b, (b) => new Uint8Array(b));
    call.on("data", (buf) => {
      const out = { services: [], files: [], error: null };
      const r = new BinaryReader(buf);
      while (r.pos < r.len) {
        const [no, wt] = r.tag();
        if (no === 6 || no === 4 || no === 7) {
          const sub = new BinaryReader(r.bytes());
          while (sub.pos < sub.len) {
            const [n2, w2] = sub.tag();
            if (no === 6 && n2 === 1) {
              const svc = new BinaryReader(sub.bytes());
              while (svc.pos < svc.len) {
                const [n3, w3] = svc.tag();
                if (n3 === 1) out.services.push(svc.string()); else svc.skipType(w3);
              }
            } else if (no === 4 && n2 === 1) {
              out.files.push(FileDescriptorProto.decode(sub.bytes()));
            } else if (no === 7 && n2 === 2) {
              out.error = sub.string();
            } else {
              sub.skipType(w2);
            }
          }
        } else {
          r.skipType(wt);
        }
      }
      call.end();
      resolve(out);
    });
    call.on("error", reject);
    call.write(Buffer.from(new BinaryWriter().uint32((field << 3) | 2).string(value).finish()));
  });
}

let passed = 0;
let failed = 0;
function check(cond, what) {
  if (cond) {
    passed++;
  } else {
    failed++;
    console.log(`FAIL: ${what}`);
  }
}
const show = (x) => JSON.stringify(x, (_, v) => (typeof v === "bigint" ? `${v}n` : v));
function eq(actual, expected, what) {
  check(actual === expected, `${what}: got ${show(actual)}, want ${show(expected)}`);
}
async function expectCode(promise, code, what) {
  try {
    await promise;
    check(false, `${what}: succeeded, want gRPC code ${code}`);
  } catch (e) {
    eq(e.code, code, `${what}: gRPC code (${e.details})`);
  }
}

// The bech32 data part (address bytes + checksum excluded): equal data parts
// under different prefixes mean the same address bytes.
const dataOf = (bech32) => bech32.slice(bech32.lastIndexOf("1") + 1, -6);
const ONE_E18 = 10n ** 18n;

// Re-encodes a bech32 address under another prefix (BIP-173 checksum).
const CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
function polymod(values) {
  const gen = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];
  let chk = 1;
  for (const v of values) {
    const b = chk >> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (let i = 0; i < 5; i++) if ((b >> i) & 1) chk ^= gen[i];
  }
  return chk;
}
function withPrefix(bech32, hrp) {
  const data = [...dataOf(bech32)].map((c) => CHARSET.indexOf(c));
  const hrpx = [...hrp].map((c) => c.charCodeAt(0) >> 5).concat([0],
               [...hrp].map((c) => c.charCodeAt(0) & 31));
  const mod = polymod(hrpx.concat(data, [0, 0, 0, 0, 0, 0])) ^ 1;
  const sum = [0, 1, 2, 3, 4, 5].map((i) => (mod >> (5 * (5 - i))) & 31);
  return `${hrp}1${data.concat(sum).map((d) => CHARSET[d]).join("")}`;
}

async function main() {
  const denom = genesis.denom;
  const gvals = genesis.validators;
  eq(gvals.length, 3, "genesis validators");

  // Validators: every genesis validator, bonded, as the SDK encodes them.
  const all = await api.validators({ status: "" });
  eq(all.validators.length, gvals.length, "Validators count");
  eq(all.pagination.total, BigInt(gvals.length), "Validators total (limit 0 counts)");
  eq(all.pagination.nextKey.length, 0, "Validators next_key on the last page");
  for (const g of gvals) {
    const v = all.validators.find((x) => dataOf(x.operatorAddress) === dataOf(g.operator));
    check(v !== undefined, `validator of operator ${g.operator} listed`);
    if (!v) continue;
    check(v.operatorAddress.startsWith(`${genesis.bech32_prefix}valoper1`),
          `valoper prefix: ${v.operatorAddress}`);
    eq(v.status, BondStatus.BOND_STATUS_BONDED, `${v.operatorAddress} status`);
    eq(bondStatusToJSON(v.status), "BOND_STATUS_BONDED", "status name");
    eq(v.jailed, false, "jailed");
    eq(v.tokens, g.self_bond, `${v.operatorAddress} tokens`);
    // LegacyDec on the wire: the integer value * 10^18 (no decimal point).
    eq(v.delegatorShares, (BigInt(g.self_bond) * ONE_E18).toString(), "delegator_shares atomics");
    eq(Decimal.fromAtomics(v.delegatorShares, 18).toString(), g.self_bond, "shares as Decimal");
    const rates = v.commission.commissionRates;
    eq(rates.rate, "100000000000000000", "commission rate atomics");
    eq(Decimal.fromAtomics(rates.rate, 18).toString(), g.commission, "commission rate Decimal");
    eq(Decimal.fromAtomics(rates.rate, 18).toString(), "0.1", "commission 0.1");
    eq(rates.maxRate, ONE_E18.toString(), "max_rate 1");
    eq(v.consensusPubkey.typeUrl, "/cosmos.crypto.ed25519.PubKey", "consensus_pubkey type");
    eq(PubKey.decode(v.consensusPubkey.value).key.length, 32, "ed25519 key length");
    eq(v.minSelfDelegation, "1", "min_self_delegation");
    check(v.description !== undefined && v.description.moniker === "", "description present");

    // Validator: the same record.
    const one = await api.validator({ validatorAddr: v.operatorAddress });
    eq(q.QueryValidatorResponse.toJSON(one).validator.tokens, g.self_bond, "Validator tokens");
    eq(JSON.stringify(q.QueryValidatorResponse.toJSON(one).validator),
       JSON.stringify(q.QueryValidatorsResponse.toJSON({ validators: [v] }).validators[0]),
       "Validator == Validators entry");
  }
  const keys = all.validators.map((v) => v.operatorAddress);
  const pubkeys = new Set(all.validators.map((v) => Buffer.from(v.consensusPubkey.value).toString("hex")));
  eq(pubkeys.size, 3, "distinct consensus keys");

  // Status filter.
  eq((await api.validators({ status: "BOND_STATUS_BONDED" })).validators.length, 3, "bonded filter");
  eq((await api.validators({ status: "BOND_STATUS_UNBONDED" })).validators.length, 0, "unbonded filter");
  eq((await api.validators({ status: "BOND_STATUS_UNBONDING" })).validators.length, 0, "unbonding filter");
  await expectCode(api.validators({ status: "BOND_STATUS_NOPE" }), grpc.status.INVALID_ARGUMENT,
                   "unknown status");

  // Pagination: key, offset, limit, count_total, reverse.
  const p1 = await api.validators({ pagination: { limit: 2n } });
  eq(p1.validators.length, 2, "page 1 size");
  check(p1.pagination.nextKey.length > 0, "page 1 has next_key");
  eq(p1.pagination.total, 0n, "no total without count_total");
  const p2 = await api.validators({ pagination: { key: p1.pagination.nextKey, limit: 2n } });
  eq(p2.validators.length, 1, "page 2 size");
  eq(p2.pagination.nextKey.length, 0, "page 2 is the last");
  eq([...p1.validators, ...p2.validators].map((v) => v.operatorAddress).join(), keys.join(),
     "key pages cover the list in order");
  const off = await api.validators({ pagination: { offset: 1n, limit: 1n, countTotal: true } });
  eq(off.validators[0].operatorAddress, keys[1], "offset 1");
  eq(off.pagination.total, 3n, "count_total");
  const rev = await api.validators({ pagination: { reverse: true } });
  eq(rev.validators.map((v) => v.operatorAddress).join(), [...keys].reverse().join(), "reverse");
  await expectCode(api.validators({ pagination: { key: p1.pagination.nextKey, offset: 1n } }),
                   grpc.status.INVALID_ARGUMENT, "key and offset together");

  // Params.
  const { params } = await api.params();
  eq(params.bondDenom, denom, "bond_denom");
  eq(params.unbondingTime.seconds, BigInt(genesis.staking.unbonding_time_s), "unbonding_time");
  eq(params.maxValidators, genesis.staking.max_validators, "max_validators");
  eq(params.maxEntries, genesis.staking.max_entries, "max_entries");
  eq(params.minCommissionRate, "0", "min_commission_rate");

  // Pool: the bonded pool holds the bonded validators' tokens.
  const { pool } = await api.pool();
  const bondedSum = all.validators.reduce((s, v) => s + BigInt(v.tokens), 0n);
  eq(pool.bondedTokens, bondedSum.toString(), "bonded_tokens");
  check(/^[0-9]+$/.test(pool.notBondedTokens), `not_bonded_tokens integer: ${pool.notBondedTokens}`);

  // DelegatorDelegations of the first validator's operator: its self-bond.
  const g0 = gvals[0];
  const val0 = all.validators.find((v) => dataOf(v.operatorAddress) === dataOf(g0.operator));
  const dd = await api.delegatorDelegations({ delegatorAddr: g0.operator });
  eq(dd.delegationResponses.length, 1, "DelegatorDelegations count");
  const d = dd.delegationResponses[0];
  eq(d.delegation.delegatorAddress, g0.operator, "delegation delegator");
  eq(d.delegation.validatorAddress, val0.operatorAddress, "delegation validator");
  eq(d.delegation.shares, (BigInt(g0.self_bond) * ONE_E18).toString(), "delegation shares atomics");
  eq(d.balance.denom, denom, "delegation balance denom");
  eq(d.balance.amount, g0.self_bond, "delegation balance amount");
  eq(dd.pagination.total, 1n, "DelegatorDelegations total");
  const alice = genesis.accounts[0].address;
  eq((await api.delegatorDelegations({ delegatorAddr: alice })).delegationResponses.length, 0,
     "no delegations of a plain account");

  // Delegation and ValidatorDelegations agree.
  const one = await api.delegation({ delegatorAddr: g0.operator, validatorAddr: val0.operatorAddress });
  eq(one.delegationResponse.balance.amount, g0.self_bond, "Delegation balance");
  const vd = await api.validatorDelegations({ validatorAddr: val0.operatorAddress });
  eq(vd.delegationResponses.length, 1, "ValidatorDelegations count");
  eq(vd.delegationResponses[0].delegation.delegatorAddress, g0.operator, "ValidatorDelegations delegator");

  // Errors with the SDK's codes.
  await expectCode(api.validator({ validatorAddr: "" }), grpc.status.INVALID_ARGUMENT, "empty address");
  await expectCode(api.validator({ validatorAddr: "nonsense" }), grpc.status.INVALID_ARGUMENT,
                   "malformed address");
  const badChecksum = all.validators[0].operatorAddress.replace(/.{6}$/, "") + "qqqqqq";
  await expectCode(api.validator({ validatorAddr: badChecksum }), grpc.status.INVALID_ARGUMENT,
                   "bad checksum");
  eq(withPrefix(g0.operator, `${genesis.bech32_prefix}valoper`), val0.operatorAddress,
     "valoper = operator account bytes");
  await expectCode(api.validator({ validatorAddr: withPrefix(alice, `${genesis.bech32_prefix}valoper`) }),
                   grpc.status.NOT_FOUND, "unknown validator");
  await expectCode(api.delegation({ delegatorAddr: alice, validatorAddr: val0.operatorAddress }),
                   grpc.status.NOT_FOUND, "missing delegation");
  await expectCode(api.unbondingDelegation({ delegatorAddr: alice, validatorAddr: val0.operatorAddress }),
                   grpc.status.NOT_FOUND, "missing unbonding delegation");
  // Reflection lists the service and serves its descriptor (what grpcurl uses).
  const listed = await reflect(7, "");
  check(listed.services.includes("cosmos.staking.v1beta1.Query"),
        `reflection lists cosmos.staking.v1beta1.Query: ${listed.services}`);
  check(listed.services.includes("meshsec.v1.Query"), "reflection lists meshsec.v1.Query");
  const desc = await reflect(4, "cosmos.staking.v1beta1.Query");
  eq(desc.error, null, "reflection error");
  const qfile = desc.files.find((f) => f.name === "cosmos/staking/v1beta1/query.proto");
  check(qfile !== undefined, `query.proto descriptor served: ${desc.files.map((f) => f.name)}`);
  if (qfile) {
    const methods = qfile.service[0].method.map((m) => m.name);
    for (const m of ["Validators", "Validator", "DelegatorDelegations", "Pool", "Params"]) {
      check(methods.includes(m), `descriptor has method ${m}`);
    }
  }

  await otherServices();

  await expectCode(call("HistoricalInfo", q.QueryHistoricalInfoRequest, q.QueryHistoricalInfoResponse,
                        { height: 1n }), grpc.status.UNIMPLEMENTED, "HistoricalInfo not served");
}

// cosmos.bank, cosmos.auth, cosmos.base.tendermint and grpc.health against
// genesis.json (accounts and their balances in the bond denom) and keys.json.
async function otherServices() {
  const bank = "cosmos.bank.v1beta1.Query";
  const denom = genesis.denom;
  const keys = JSON.parse(fs.readFileSync(path.join(home, "config", "keys.json"), "utf8"));
  const alice = keys.find((k) => k.name === "alice").address;
  const gAlice = genesis.accounts.find((a) => a.address === alice);
  check(gAlice !== undefined, "alice of keys.json is a genesis account");

  const bal = await call("Balance", bankq.QueryBalanceRequest, bankq.QueryBalanceResponse,
                         { address: alice, denom }, bank);
  eq(bal.balance.denom, denom, "Balance denom");
  eq(bal.balance.amount, gAlice.balance, "Balance amount = genesis");
  const none = await call("Balance", bankq.QueryBalanceRequest, bankq.QueryBalanceResponse,
                          { address: alice, denom: "nothing" }, bank);
  eq(none.balance.amount, "0", "Balance of an unheld denom");
  await expectCode(call("Balance", bankq.QueryBalanceRequest, bankq.QueryBalanceResponse,
                        { address: "nonsense", denom }, bank),
                   grpc.status.INVALID_ARGUMENT, "Balance of a malformed address");

  const all = await call("AllBalances", bankq.QueryAllBalancesRequest,
                         bankq.QueryAllBalancesResponse, { address: alice }, bank);
  eq(all.balances.map((c) => `${c.amount}${c.denom}`).join(), `${gAlice.balance}${denom}`,
     "AllBalances = genesis");
  eq(all.pagination.total, 1n, "AllBalances total");

  const supply = await call("SupplyOf", bankq.QuerySupplyOfRequest, bankq.QuerySupplyOfResponse,
                            { denom }, bank);
  const minted = genesis.accounts.reduce((s, a) => s + BigInt(a.balance), 0n) +
                 genesis.validators.reduce((s, v) => s + BigInt(v.self_bond), 0n);
  check(BigInt(supply.amount.amount) >= minted,
        `SupplyOf ${supply.amount.amount} >= genesis ${minted}`);

  const acc = await call("Account", authq.QueryAccountRequest, authq.QueryAccountResponse,
                         { address: alice }, "cosmos.auth.v1beta1.Query");
  eq(acc.account.typeUrl, "/cosmos.auth.v1beta1.BaseAccount", "Account type_url");
  const base = BaseAccount.decode(acc.account.value);
  eq(base.address, alice, "BaseAccount address");
  eq(base.sequence, 0n, "BaseAccount sequence (no tx signed yet)");
  // Accounts are numbered in creation order: genesis accounts first, in order.
  eq(base.accountNumber, BigInt(genesis.accounts.findIndex((a) => a.address === alice)),
     "BaseAccount account_number (genesis order)");
  // Alice's address with its first data character changed, checksum redone:
  // a well-formed address that never held anything nor signed.
  const d = dataOf(alice);
  const nobody = withPrefix(`x1${d[0] === "q" ? "p" : "q"}${d.slice(1)}xxxxxx`, genesis.bech32_prefix);
  await expectCode(call("Account", authq.QueryAccountRequest, authq.QueryAccountResponse,
                        { address: nobody }, "cosmos.auth.v1beta1.Query"),
                   grpc.status.NOT_FOUND, "Account never funded");
  await expectCode(call("Account", authq.QueryAccountRequest, authq.QueryAccountResponse,
                        { address: nobody.slice(0, -1) }, "cosmos.auth.v1beta1.Query"),
                   grpc.status.INVALID_ARGUMENT, "Account of a malformed address");

  const tmsvc = "cosmos.base.tendermint.v1beta1.Service";
  const info = await call("GetNodeInfo", tmq.GetNodeInfoRequest, tmq.GetNodeInfoResponse, {}, tmsvc);
  eq(info.defaultNodeInfo.network, genesis.chain_id, "GetNodeInfo network = chain id");
  eq(info.applicationVersion.name, "meshd", "GetNodeInfo application name");
  const syncing = await call("GetSyncing", tmq.GetSyncingRequest, tmq.GetSyncingResponse, {}, tmsvc);
  eq(syncing.syncing, false, "GetSyncing");
  const latest = await call("GetLatestBlock", tmq.GetLatestBlockRequest, tmq.GetLatestBlockResponse,
                            {}, tmsvc);
  const header = latest.block.header;
  eq(header.chainId, genesis.chain_id, "GetLatestBlock chain id");
  check(header.height >= 1n, `GetLatestBlock height ${header.height} >= 1`);
  eq(header.appHash.length, 32, "GetLatestBlock app hash length");
  const genesisS = BigInt(genesis.genesis_time_ns) / 1000000000n;
  check(header.time.seconds >= genesisS, `block time ${header.time.seconds} >= genesis ${genesisS}`);

  // grpc.health.v1.Health/Check{service: ""} -> {status: SERVING = 1}, hand-encoded.
  const health = await new Promise((resolve, reject) => {
    client.makeUnaryRequest("/grpc.health.v1.Health/Check", (b) => b, (b) => Buffer.from(b),
                            Buffer.alloc(0), (err, r) => (err ? reject(err) : resolve(r)));
  });
  eq(health.toString("hex"), "0801", "health Check = SERVING");
}

main()
  .catch((e) => {
    failed++;
    console.log(`FAIL: ${e.stack || e}`);
  })
  .finally(() => {
    client.close();
    console.log(`${passed} passed, ${failed} failed`);
    process.exit(failed === 0 ? 0 : 1);
  });
