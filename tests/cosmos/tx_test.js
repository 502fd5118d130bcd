// A cross-stake signed by cosmjs against a running two-chain `meshd devnet`
// (chaina provider of chainb and the reverse), through clients we did not
// write: @cosmjs/proto-signing (HD wallet, SIGN_MODE_DIRECT SignDoc,
// Registry), cosmjs-types codecs, @grpc/grpc-js transport.
//
//   node tx_test.js <chaina host:port> <chainb host:port> <devnet home> [--after-restart]
//
// The run writes the txhashes and heights it saw to <home>/cosmjs_txs.json;
// with --after-restart (the devnet stopped and started again on the same
// home) it only checks that GetTx still finds each of them, unchanged.
//
// 1. A wallet from a fixed mnemonic; the devnet's alice (keys.json) funds it
//    with a bank MsgSend signed here (as a user with a funded key would).
// 2. The wallet signs tx 1: MsgDelegate 100000 to chaina's val0 (gas from
//    Simulate with an empty signature), and tx 2: /meshsec.v1.MsgVaultBond
//    500000 + /meshsec.v1.MsgVaultStakeRemote 300000 to chainb's val0, both
//    broadcast SYNC to cosmos.tx.v1beta1.Service and awaited with GetTx.
// 3. Read back with cosmos.staking.v1beta1.Query: the delegation on chaina;
//    on chainb the virtual-stake delegation the cross-stake produced after
//    the relay and the consumer's epoch: 300000 * price 1 * (1 - 0.1) = 270000,
//    through ValidatorDelegations and, by the consumer's virtual-staking
//    module address (derived here: bech32 of SHA-256(name)[:20]), Delegation
//    and DelegatorDelegations.
// Prints "N passed, 0 failed"; exits 1 on any failure.
"use strict";

const fs = require("fs");
const path = require("path");
const grpc = require("@grpc/grpc-js");
const {
  DirectSecp256k1HdWallet, DirectSecp256k1Wallet, Registry, makeAuthInfoBytes, makeSignDoc,
  encodePubkey,
} = require("@cosmjs/proto-signing");
const { encodeSecp256k1Pubkey } = require("@cosmjs/amino");
const { createHash } = require("crypto");
const { fromHex, toHex, toBech32 } = require("@cosmjs/encoding");
const { sha256 } = require("@cosmjs/crypto");
const { BinaryWriter, BinaryReader } = require("cosmjs-types/binary");
const { TxRaw } = require("cosmjs-types/cosmos/tx/v1beta1/tx");
const txs = require("cosmjs-types/cosmos/tx/v1beta1/service");
const { MsgSend } = require("cosmjs-types/cosmos/bank/v1beta1/tx");
const { MsgDelegate } = require("cosmjs-types/cosmos/staking/v1beta1/tx");
const stakingq = require("cosmjs-types/cosmos/staking/v1beta1/query");
const authq = require("cosmjs-types/cosmos/auth/v1beta1/query");
const bankq = require("cosmjs-types/cosmos/bank/v1beta1/query");
const { BaseAccount } = require("cosmjs-types/cosmos/auth/v1beta1/auth");

const [addrA, addrB, home, mode] = process.argv.slice(2);
if (!addrA || !addrB || !home) {
  console.error("usage: tx_test.js CHAINA_HOST:PORT CHAINB_HOST:PORT DEVNET_HOME");
  process.exit(2);
}
const MNEMONIC = "choice monitor flock pet order impose family apart curve park capable meadow";

// meshsec.v1 messages (proto/meshsec/v1/msgs.proto), encoded by hand with the
// BinaryWriter cosmjs-types uses: every field is a string.
function stringMessage(fields) {
  return {
    encode(msg, w = BinaryWriter.create()) {
      fields.forEach((name, i) => {
        if (msg[name] !== undefined && msg[name] !== "") w.uint32(((i + 1) << 3) | 2).string(msg[name]);
      });
      return w;
    },
    decode(input) {
      const r = input instanceof BinaryReader ? input : new BinaryReader(input);
      const out = {};
      while (r.pos < r.len) {
        const [no, wt] = r.tag();
        if (no >= 1 && no <= fields.length && wt === 2) out[fields[no - 1]] = r.string();
        else r.skipType(wt);
      }
      return out;
    },
    fromPartial(o) { return { ...o }; },
  };
}
const MsgVaultBond = stringMessage(["sender", "amount"]);
const MsgVaultStakeRemote = stringMessage(["sender", "consumer", "validator", "amount"]);

const registry = new Registry([
  ["/cosmos.bank.v1beta1.MsgSend", MsgSend],
  ["/cosmos.staking.v1beta1.MsgDelegate", MsgDelegate],
  ["/meshsec.v1.MsgVaultBond", MsgVaultBond],
  ["/meshsec.v1.MsgVaultStakeRemote", MsgVaultStakeRemote],
]);

const clients = {
  a: new grpc.Client(addrA, grpc.credentials.createInsecure()),
  b: new grpc.Client(addrB, grpc.credentials.createInsecure()),
};
function call(chain, service, method, reqType, respType, request) {
  return new Promise((resolve, reject) => {
    clients[chain].makeUnaryRequest(
      `/${service}/${method}`,
      (msg) => Buffer.from(reqType.encode(reqType.fromPartial(msg)).finish()),
      (buf) => respType.decode(new Uint8Array(buf)),
      request,
      (err, resp) => (err ? reject(err) : resolve(resp)));
  });
}
const TX = "cosmos.tx.v1beta1.Service";
const STAKING = "cosmos.staking.v1beta1.Query";
const api = {
  broadcast: (c, r) => call(c, TX, "BroadcastTx", txs.BroadcastTxRequest, txs.BroadcastTxResponse, r),
  getTx: (c, r) => call(c, TX, "GetTx", txs.GetTxRequest, txs.GetTxResponse, r),
  simulate: (c, r) => call(c, TX, "Simulate", txs.SimulateRequest, txs.SimulateResponse, r),
  account: (c, address) => call(c, "cosmos.auth.v1beta1.Query", "Account",
                                authq.QueryAccountRequest, authq.QueryAccountResponse, { address }),
  balance: (c, address, denom) => call(c, "cosmos.bank.v1beta1.Query", "Balance",
                                       bankq.QueryBalanceRequest, bankq.QueryBalanceResponse,
                                       { address, denom }),
  delegation: (c, r) => call(c, STAKING, "Delegation", stakingq.QueryDelegationRequest,
                             stakingq.QueryDelegationResponse, r),
  validators: (c) => call(c, STAKING, "Validators", stakingq.QueryValidatorsRequest,
                          stakingq.QueryValidatorsResponse, { status: "" }),
  delegatorDelegations: (c, delegatorAddr) =>
    call(c, STAKING, "DelegatorDelegations", stakingq.QueryDelegatorDelegationsRequest,
         stakingq.QueryDelegatorDelegationsResponse, { delegatorAddr }),
  validatorDelegations: (c, validatorAddr) =>
    call(c, STAKING, "ValidatorDelegations", stakingq.QueryValidatorDelegationsRequest,
         stakingq.QueryValidatorDelegationsResponse, { validatorAddr }),
};

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
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const dataOf = (bech32) => bech32.slice(bech32.lastIndexOf("1") + 1, -6);

function readJson(...parts) {
  return JSON.parse(fs.readFileSync(path.join(home, ...parts), "utf8"));
}

// account_number and sequence, as a wallet reads them (cosmos.auth Account).
async function accountOf(chain, address) {
  const resp = await api.account(chain, address);
  eq(resp.account.typeUrl, "/cosmos.auth.v1beta1.BaseAccount", "account type");
  return BaseAccount.decode(resp.account.value);
}

// SIGN_MODE_DIRECT: TxBody and AuthInfo bytes, SignDoc, TxRaw bytes.
async function signTx(wallet, chainId, messages, gas, sequence, accountNumber, sign = true) {
  const [acc] = await wallet.getAccounts();
  const pubkey = encodePubkey(encodeSecp256k1Pubkey(acc.pubkey));
  const bodyBytes = registry.encodeTxBody({ messages, memo: "cosmjs" });
  const authInfoBytes = makeAuthInfoBytes([{ pubkey, sequence }], [], gas, undefined, undefined);
  let signatures = [new Uint8Array()];
  if (sign) {
    const doc = makeSignDoc(bodyBytes, authInfoBytes, chainId, accountNumber);
    const { signature } = await wallet.signDirect(acc.address, doc);
    signatures = [Buffer.from(signature.signature, "base64")];
  }
  return TxRaw.encode(TxRaw.fromPartial({ bodyBytes, authInfoBytes, signatures })).finish();
}

// Broadcasts SYNC and expects the check to pass (the tx is queued); returns
// the txhash.
async function broadcastSync(chain, txBytes, what) {
  const b = await api.broadcast(chain, { txBytes, mode: txs.BroadcastMode.BROADCAST_MODE_SYNC });
  eq(b.txResponse.code, 0, `${what}: CheckTx code (${b.txResponse.rawLog})`);
  eq(b.txResponse.txhash, toHex(sha256(txBytes)).toUpperCase(), `${what}: txhash`);
  return b.txResponse.txhash;
}

// Waits for the tx with GetTx (NOT_FOUND until its block commits).
async function waitTx(chain, hash, what) {
  for (let i = 0; i < 600; i++) {
    try {
      return await api.getTx(chain, { hash });
    } catch (e) {
      if (e.code !== grpc.status.NOT_FOUND) throw e;
    }
    await sleep(50);
  }
  throw new Error(`${what}: not included`);
}

async function broadcastAndWait(chain, txBytes, what) {
  return waitTx(chain, await broadcastSync(chain, txBytes, what), what);
}

// After a restart of meshd: the tx index still has every tx.
async function afterRestart() {
  const seen = readJson("cosmjs_txs.json");
  eq(seen.length, 3, "txs recorded by the first run");
  for (const t of seen) {
    const g = await api.getTx("a", { hash: t.txhash });
    eq(g.txResponse.txhash, t.txhash, `after restart: ${t.what} txhash`);
    eq(g.txResponse.height.toString(), t.height, `after restart: ${t.what} height`);
    eq(g.txResponse.code, 0, `after restart: ${t.what} code`);
    eq(g.txResponse.gasUsed.toString(), t.gasUsed, `after restart: ${t.what} gas used`);
  }
}

// GetTxsEvent (SDK 0.50 `query`) finds the user's two txs, in order, with a
// log per message (G-19, G-20); GetBlockWithTxs lists the delegate tx.
async function checkTxsEvent(user, r1, r2) {
  const search = (r) => call("a", TX, "GetTxsEvent", txs.GetTxsEventRequest,
                             txs.GetTxsEventResponse, r);
  const found = await search({ query: `message.sender='${user}'`, page: 1n, limit: 10n });
  eq(show(found.txResponses.map((t) => t.txhash)),
     show([r1.txResponse.txhash, r2.txResponse.txhash]), "GetTxsEvent: the sender's txs");
  eq(found.total, 2n, "GetTxsEvent total");
  eq(found.txs[1].body.messages[0].typeUrl, "/meshsec.v1.MsgVaultBond", "GetTxsEvent tx decoded");
  eq(show(found.txResponses[1].logs.map((l) => l.msgIndex)), show([0, 1]), "stake tx logs");
  const desc = await search({ query: `message.sender='${user}' AND tx.height>0`, limit: 1n,
                              orderBy: txs.OrderBy.ORDER_BY_DESC });
  eq(show(desc.txResponses.map((t) => t.txhash)), show([r2.txResponse.txhash]),
     "GetTxsEvent DESC limit 1");
  const block = await call("a", TX, "GetBlockWithTxs", txs.GetBlockWithTxsRequest,
                           txs.GetBlockWithTxsResponse, { height: r1.txResponse.height });
  check(block.block.data.txs.some((t) => toHex(sha256(t)).toUpperCase() === r1.txResponse.txhash),
        "GetBlockWithTxs: the delegate tx in its block");
  eq(block.txs.length, block.block.data.txs.length, "GetBlockWithTxs: every tx decoded");
}

async function main() {
  if (mode === "--after-restart") return afterRestart();
  const genA = readJson("chaina", "config", "genesis.json");
  const genB = readJson("chainb", "config", "genesis.json");
  const keysA = readJson("chaina", "config", "keys.json");
  const keysB = readJson("chainb", "config", "keys.json");
  const denomA = genA.denom;
  const prefix = genA.bech32_prefix;

  // The user's wallet and the funder's key.
  const wallet = await DirectSecp256k1HdWallet.fromMnemonic(MNEMONIC, { prefix });
  const [user] = await wallet.getAccounts();
  check(user.address.startsWith(`${prefix}1`), `address prefix: ${user.address}`);
  const alice = keysA.find((k) => k.name === "alice");
  const aliceWallet = await DirectSecp256k1Wallet.fromKey(fromHex(alice.private_key_hex), prefix);
  eq((await aliceWallet.getAccounts())[0].address, alice.address, "alice's address from her key");

  // 1. Funding: alice sends the user 1000000.
  const aliceAcc = await accountOf("a", alice.address);
  const send = {
    typeUrl: "/cosmos.bank.v1beta1.MsgSend",
    value: MsgSend.fromPartial({ fromAddress: alice.address, toAddress: user.address,
                                 amount: [{ denom: denomA, amount: "1000000" }] }),
  };
  const fund = await broadcastAndWait(
    "a", await signTx(aliceWallet, genA.chain_id, [send], 200000, aliceAcc.sequence,
                      aliceAcc.accountNumber), "fund");
  eq(fund.txResponse.code, 0, `fund: DeliverTx code (${fund.txResponse.rawLog})`);
  eq((await api.balance("a", user.address, denomA)).balance.amount, "1000000", "funded balance");

  // The validators: val0 of each chain, by its account's address bytes.
  const val0A = keysA.find((k) => k.name === "val0");
  const val0B = keysB.find((k) => k.name === "val0");
  const valoperA = (await api.validators("a")).validators
    .find((v) => dataOf(v.operatorAddress) === dataOf(val0A.address)).operatorAddress;
  const valoperB = (await api.validators("b")).validators
    .find((v) => dataOf(v.operatorAddress) === dataOf(val0B.address)).operatorAddress;

  // 2. Tx 1: MsgDelegate, gas from a simulation with an empty signature.
  const userAcc = await accountOf("a", user.address);
  eq(userAcc.sequence, 0n, "a new account's sequence");
  const delegate = {
    typeUrl: "/cosmos.staking.v1beta1.MsgDelegate",
    value: MsgDelegate.fromPartial({ delegatorAddress: user.address, validatorAddress: valoperA,
                                     amount: { denom: denomA, amount: "100000" } }),
  };
  const sim = await api.simulate("a", {
    txBytes: await signTx(wallet, genA.chain_id, [delegate], 300000, 0, userAcc.accountNumber, false),
  });
  check(sim.gasInfo.gasUsed > 0n, `simulated gas ${sim.gasInfo.gasUsed}`);
  check(sim.result.events.some((e) => e.type === "message"), "simulation has a message event");
  const tx1 = await signTx(wallet, genA.chain_id, [delegate], 300000, 0, userAcc.accountNumber);

  // Tx 2: the mesh stake, sequence 1 (broadcast before tx 1 is in a block).
  const bond = { typeUrl: "/meshsec.v1.MsgVaultBond",
                 value: { sender: user.address, amount: "500000" } };
  const stakeRemote = {
    typeUrl: "/meshsec.v1.MsgVaultStakeRemote",
    value: { sender: user.address, consumer: genB.chain_id, validator: valoperB, amount: "300000" },
  };
  const tx2 = await signTx(wallet, genA.chain_id, [bond, stakeRemote], 400000, 1,
                           userAcc.accountNumber);
  const h1 = await broadcastSync("a", tx1, "delegate");
  const h2 = await broadcastSync("a", tx2, "stake");
  const r1 = await waitTx("a", h1, "delegate");
  const r2 = await waitTx("a", h2, "stake");
  eq(r1.txResponse.code, 0, `delegate: DeliverTx code (${r1.txResponse.rawLog})`);
  eq(r2.txResponse.code, 0, `stake: DeliverTx code (${r2.txResponse.rawLog})`);
  eq(r1.txResponse.gasUsed, sim.gasInfo.gasUsed, "delivered gas = simulated gas");
  eq(r1.txResponse.gasWanted, 300000n, "gas wanted");
  check(r1.txResponse.height > 0n, `delegate height ${r1.txResponse.height}`);
  check(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(r1.txResponse.timestamp),
        `RFC 3339 timestamp ${r1.txResponse.timestamp}`);
  // GetTx gives back the tx as signed: the messages decode with the registry.
  eq(r2.tx.body.messages.length, 2, "stake tx messages");
  eq(r2.tx.body.messages[1].typeUrl, "/meshsec.v1.MsgVaultStakeRemote", "stake msg type");
  eq(registry.decode(r2.tx.body.messages[1]).amount, "300000", "stake msg amount");
  eq(r2.tx.authInfo.signerInfos[0].sequence, 1n, "stake tx sequence");
  const actions = r2.txResponse.events.filter((e) => e.type === "message")
    .flatMap((e) => e.attributes.filter((a) => Buffer.from(a.key).toString() === "action"))
    .map((a) => Buffer.from(a.value).toString());
  eq(show(actions), show(["/meshsec.v1.MsgVaultBond", "/meshsec.v1.MsgVaultStakeRemote"]),
     "message events");

  fs.writeFileSync(path.join(home, "cosmjs_txs.json"), JSON.stringify(
    [["fund", fund], ["delegate", r1], ["stake", r2]].map(([what, r]) => ({
      what, txhash: r.txResponse.txhash, height: r.txResponse.height.toString(),
      gasUsed: r.txResponse.gasUsed.toString() }))));
  await checkTxsEvent(user.address, r1, r2);

  // 3. Read back on chaina: the delegation, and what is left liquid.
  const d = await api.delegation("a", { delegatorAddr: user.address, validatorAddr: valoperA });
  eq(d.delegationResponse.balance.amount, "100000", "chaina delegation balance");
  eq(d.delegationResponse.balance.denom, denomA, "chaina delegation denom");
  eq(d.delegationResponse.delegation.shares, (100000n * 10n ** 18n).toString(),
     "chaina delegation shares (LegacyDec atomics)");
  eq((await api.balance("a", user.address, denomA)).balance.amount, "400000",
     "liquid after delegate + bond");

  // On chainb: after the relay and the consumer's epoch, chaina's virtual
  // staking account delegates 270000 to val0.
  let virtual;
  for (let i = 0; i < 600 && !virtual; i++) {
    const all = await api.validatorDelegations("b", valoperB);
    virtual = all.delegationResponses.find(
      (r) => dataOf(r.delegation.delegatorAddress) !== dataOf(val0B.address));
    if (!virtual) await sleep(50);
  }
  check(virtual !== undefined, "virtual delegation on chainb appears");
  // The consumer's virtual-staking account of provider chaina is the module
  // account "mesh_virtual/<provider chain id>": address = the first 20 bytes
  // of SHA-256(name) (Cosmos SDK address.Module), bech32 under chainb's
  // account prefix (G-21). Derived here, not asked from the server.
  const moduleName = `mesh_virtual/${genA.chain_id}`;
  const virtualAddr = toBech32(
    genB.bech32_prefix, createHash("sha256").update(moduleName).digest().subarray(0, 20));
  if (virtual) {
    eq(virtual.delegation.delegatorAddress, virtualAddr, "chainb virtual delegator");
    eq(virtual.balance.amount, "270000", "chainb virtual delegation balance");
    eq(virtual.balance.denom, genB.denom, "chainb virtual delegation denom");
    eq(virtual.delegation.shares, (270000n * 10n ** 18n).toString(), "chainb virtual shares");
    const all = await api.validatorDelegations("b", valoperB);
    eq(all.delegationResponses.length, 2, "chainb val0: self-bond + the virtual delegation");
  }
  // The queries that take a delegator address accept the module address.
  const vd = await api.delegation("b", { delegatorAddr: virtualAddr, validatorAddr: valoperB });
  eq(vd.delegationResponse.delegation.delegatorAddress, virtualAddr, "Delegation: delegator");
  eq(vd.delegationResponse.delegation.validatorAddress, valoperB, "Delegation: validator");
  eq(vd.delegationResponse.balance.amount, "270000", "Delegation: virtual delegation balance");
  eq(vd.delegationResponse.balance.denom, genB.denom, "Delegation: virtual delegation denom");
  const dd = await api.delegatorDelegations("b", virtualAddr);
  eq(dd.delegationResponses.length, 1, "DelegatorDelegations: one virtual delegation");
  if (dd.delegationResponses.length === 1) {
    eq(dd.delegationResponses[0].delegation.validatorAddress, valoperB,
       "DelegatorDelegations: validator");
    eq(dd.delegationResponses[0].balance.amount, "270000", "DelegatorDelegations: balance");
  }
  eq(dd.pagination.total, 1n, "DelegatorDelegations: pagination total");

}

main().then(() => {
  console.log(`${passed} passed, ${failed} failed`);
  for (const c of Object.values(clients)) c.close();
  process.exit(failed === 0 ? 0 : 1);
}).catch((e) => {
  console.log(`FAIL: ${e.stack || e}`);
  console.log(`${passed} passed, ${failed + 1} failed`);
  process.exit(1);
});
