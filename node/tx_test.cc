// Cosmos SDK txs (node/tx.h) and their processing by Chain (node/chain.h):
// golden layout checks with the generated classes, and each tx-level
// failure with its SDK code and exactly the state change the SDK keeps.
#include "node/tx.h"

#include <cstdlib>
#include <string>
#include <vector>

#include "core/crypto.h"
#include "core/status.h"
#include "core/test_mutator.h"
#include "cosmos/bank/v1beta1/tx.pb.h"
#include "cosmos/crypto/secp256k1/keys.pb.h"
#include "cosmos/staking/v1beta1/tx.pb.h"
#include "cosmos/tx/v1beta1/tx.pb.h"
#include "gtest/gtest.h"
#include "node/chain.h"
#include "node/gas.h"
#include "node/staking_msgs.h"
#include "staking/auth.h"
#include "staking/bank.h"
#include "staking/staking.h"

namespace mesh::node {
namespace {

namespace txpb = ::cosmos::tx::v1beta1;
constexpr uint64_t kT0 = 1700000000ULL * kNanosPerSecond;
constexpr char kChain[] = "golden-1";

// Protobuf field `field` (wire type 2) holding `bytes`; lengths < 128 here.
std::string LenField(int field, const std::string& bytes) {
  EXPECT_LT(bytes.size(), 16384u);
  std::string out(1, static_cast<char>(field << 3 | 2));
  size_t n = bytes.size();
  while (n >= 0x80) {
    out += static_cast<char>((n & 0x7F) | 0x80);
    n >>= 7;
  }
  out += static_cast<char>(n);
  return out + bytes;
}

TEST(TxGoldenTest, MsgSendSignDocAndTxRawLayout) {
  const PrivateKey key = PrivateKey::FromSeed("golden");
  const AccountAddress from(AccountAddressOf("cosmos", key.PublicKey()));
  const AccountAddress to(AccountAddressOf("cosmos", PrivateKey::FromSeed("to").PublicKey()));
  TxSpec spec;
  spec.chain_id = kChain;
  spec.account_number = 7;
  spec.sequence = 3;
  spec.msgs.push_back(BankSendMsg(from, to, Denom("stake"), Amount(1234)));
  spec.fee.push_back(FeeCoin{"stake", Amount(500)});
  spec.gas_limit = 200000;
  spec.memo = "hi";
  const SignedTx tx = SignTx(key, spec);

  // TxRaw = 0x0a body 0x12 auth_info 0x1a signature, nothing else.
  EXPECT_EQ(tx.wire, LenField(1, tx.body_bytes) + LenField(2, tx.auth_info_bytes) +
                         LenField(3, tx.signature));
  ASSERT_EQ(tx.signature.size(), 64u);
  txpb::TxBody body;
  ASSERT_TRUE(body.ParseFromString(tx.body_bytes));
  ASSERT_EQ(body.messages_size(), 1);
  EXPECT_EQ(body.messages(0).type_url(), "/cosmos.bank.v1beta1.MsgSend");
  EXPECT_EQ(body.memo(), "hi");
  ::cosmos::bank::v1beta1::MsgSend send;
  ASSERT_TRUE(send.ParseFromString(body.messages(0).value()));
  EXPECT_EQ(send.from_address(), from.value());
  EXPECT_EQ(send.to_address(), to.value());
  ASSERT_EQ(send.amount_size(), 1);
  EXPECT_EQ(send.amount(0).denom(), "stake");
  EXPECT_EQ(send.amount(0).amount(), "1234");
  txpb::AuthInfo auth;
  ASSERT_TRUE(auth.ParseFromString(tx.auth_info_bytes));
  ASSERT_EQ(auth.signer_infos_size(), 1);
  EXPECT_EQ(auth.signer_infos(0).public_key().type_url(), "/cosmos.crypto.secp256k1.PubKey");
  ::cosmos::crypto::secp256k1::PubKey pk;
  ASSERT_TRUE(pk.ParseFromString(auth.signer_infos(0).public_key().value()));
  EXPECT_EQ(pk.key(), key.PublicKey());
  EXPECT_EQ(auth.signer_infos(0).mode_info().single().mode(),
            ::cosmos::tx::signing::v1beta1::SIGN_MODE_DIRECT);
  EXPECT_EQ(auth.signer_infos(0).sequence(), 3u);
  EXPECT_EQ(auth.fee().gas_limit(), 200000u);
  EXPECT_EQ(auth.fee().amount(0).amount(), "500");

  // SignDoc = 0x0a body 0x12 auth_info 0x1a chain_id 0x20 varint(account).
  const std::string sign_doc = LenField(1, tx.body_bytes) + LenField(2, tx.auth_info_bytes) +
                               LenField(3, kChain) + std::string("\x20\x07", 2);
  EXPECT_EQ(tx.SignBytes(kChain, 7), sign_doc);
  // The signature is over SHA-256(SignDoc), low-S (VerifySignature refuses high S).
  EXPECT_TRUE(VerifySignature(key.PublicKey(), sign_doc, tx.signature).ok());
  EXPECT_FALSE(VerifySignature(key.PublicKey(), tx.SignBytes(kChain, 8), tx.signature).ok());

  absl::StatusOr<SignedTx> decoded = SignedTx::Decode(tx.wire);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->msgs[0].type_url, "/cosmos.bank.v1beta1.MsgSend");
  EXPECT_EQ(decoded->sequence, 3u);
  EXPECT_EQ(decoded->fee[0].amount, Amount(500));
}

TEST(TxGoldenTest, MsgDelegateAnyAndJsonBuilderAgree) {
  const AccountAddress del(AccountAddressOf("mesh", PrivateKey::FromSeed("d").PublicKey()));
  const ValidatorAddress val(ValoperAddressOf("mesh", PrivateKey::FromSeed("v").PublicKey()));
  const Msg built = DelegateMsg(del, val, Denom("stake"), Amount(42));
  EXPECT_EQ(built.type_url, "/cosmos.staking.v1beta1.MsgDelegate");
  ::cosmos::staking::v1beta1::MsgDelegate m;
  ASSERT_TRUE(m.ParseFromString(built.value));
  EXPECT_EQ(m.delegator_address(), del.value());
  EXPECT_EQ(m.validator_address(), val.value());
  EXPECT_EQ(m.amount().amount(), "42");
  absl::StatusOr<Msg> json = MsgFromJson(
      R"({"@type":"/cosmos.staking.v1beta1.MsgDelegate","delegatorAddress":")" + del.value() +
      R"(","validator_address":")" + val.value() + R"(","amount":{"denom":"stake","amount":"42"}})");
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_EQ(json->type_url, built.type_url);
  EXPECT_EQ(json->value, built.value);
  absl::StatusOr<std::string> back = MsgToJson(built);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(MsgFromJson(*back)->value, built.value);
  EXPECT_FALSE(MsgFromJson(R"({"@type":"/cosmos.staking.v1beta1.MsgDelegate","x":1})").ok());
  EXPECT_FALSE(MsgFromJson(R"({"delegator_address":"a"})").ok());
  EXPECT_FALSE(MsgFromJson(R"({"@type":"/no.such.Msg"})").ok());
}

// A module's atomic section commits through the tx's GasStore with Apply:
// the same charges as its ops one by one, the ops moved into the overlay.
TEST(GasStoreTest, ApplyChargesEachOpLikePutAndDelete) {
  MemStore base;
  Overlay one_by_one(&base);
  GasMeter m1(1000000);
  GasStore g1(&one_by_one, &m1);
  ASSERT_TRUE(g1.Put("a", "1").ok());
  ASSERT_TRUE(g1.Delete("b").ok());
  ASSERT_TRUE(g1.Put("c", "333").ok());
  Overlay applied(&base);
  GasMeter m2(1000000);
  GasStore g2(&applied, &m2);
  WriteBatch batch;
  batch.Put("a", "1");
  batch.Delete("b");
  batch.Put("c", "333");
  ASSERT_TRUE(g2.Apply(batch).ok());
  EXPECT_TRUE(batch.empty());
  EXPECT_EQ(m2.used(), m1.used());
  EXPECT_EQ(m2.used(), (kWriteCostFlat + 2 * kWriteCostPerByte) + kDeleteCost +
                           (kWriteCostFlat + 4 * kWriteCostPerByte));
  EXPECT_EQ(applied.pending().Serialize(), one_by_one.pending().Serialize());
}

TEST(GasStoreTest, ApplyOutOfGasStopsAtTheOpThatExceedsTheLimit) {
  MemStore base;
  Overlay inner(&base);
  const uint64_t first = kWriteCostFlat + 2 * kWriteCostPerByte;
  GasMeter meter(first + 500);
  GasStore gas(&inner, &meter);
  WriteBatch batch;
  batch.Put("a", "1");
  batch.Put("b", "2");
  batch.Put("c", "3");
  absl::Status s = gas.Apply(batch);
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(meter.used(), 2 * first);  // charged up to the failing op, as Put would
  EXPECT_EQ(batch.size(), 3u);         // unchanged on error
  EXPECT_EQ(inner.pending().size(), 1u);  // the op before it reached the store
  EXPECT_EQ(*inner.Get("a"), "1");
}

TEST(TxDecodeTest, MultiSignerUnknownFieldsAndGarbageAreDecodeErrors) {
  const PrivateKey key = PrivateKey::FromSeed("golden");
  TxSpec spec;
  spec.chain_id = kChain;
  spec.msgs.push_back(Msg{"/x", ""});
  const SignedTx tx = SignTx(key, spec);
  txpb::TxRaw raw;
  ASSERT_TRUE(raw.ParseFromString(tx.wire));
  raw.add_signatures(tx.signature);  // two signatures, one signer info
  EXPECT_FALSE(SignedTx::Decode(raw.SerializeAsString()).ok());
  txpb::AuthInfo auth;
  ASSERT_TRUE(auth.ParseFromString(tx.auth_info_bytes));
  *auth.add_signer_infos() = auth.signer_infos(0);  // two signers
  txpb::TxRaw two;
  two.set_body_bytes(tx.body_bytes);
  two.set_auth_info_bytes(auth.SerializeAsString());
  two.add_signatures(tx.signature);
  two.add_signatures(tx.signature);
  absl::StatusOr<SignedTx> multi = SignedTx::Decode(two.SerializeAsString());
  ASSERT_FALSE(multi.ok());
  EXPECT_NE(multi.status().message().find("one signer"), std::string::npos);
  EXPECT_FALSE(SignedTx::Decode(tx.wire + std::string("\xb8\x06\x01", 3)).ok());  // field 103
  EXPECT_FALSE(SignedTx::Decode("garbage").ok());
}

// A chain with the bank/staking messages; alice (account 0) holds 1000stake.
class TxChainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ChainConfig config{"tx-1", "mesh"};
    config.fee_denom = "stake";
    config.min_gas_price = *Dec::Parse("0.001");
    auto chain = Chain::Open(std::make_unique<MemStore>(), config);
    ASSERT_TRUE(chain.ok());
    chain_ = std::move(*chain);
    InstallStakingMsgs(*chain_);
    ASSERT_TRUE(chain_
                    ->InitGenesis(kT0,
                                  [&](const Context& ctx) -> absl::Status {
                                    MESH_RETURN_IF_ERROR(
                                        staking::Staking::InitGenesis(ctx, staking::Params()));
                                    return staking::Bank::Mint(ctx, alice_, Denom("stake"),
                                                               Amount(1000));
                                  })
                    .ok());
    ASSERT_TRUE(chain_->BeginBlock(kT0 + kNanosPerSecond).ok());
  }

  TxSpec Spec(uint64_t amount, uint64_t fee = 0) {
    TxSpec spec;
    spec.chain_id = "tx-1";
    spec.account_number = 0;
    spec.sequence = chain_->GetAccount(alice_)->sequence;
    spec.msgs.push_back(BankSendMsg(alice_, bob_, Denom("stake"), Amount(amount)));
    if (fee > 0) spec.fee.push_back(FeeCoin{"stake", Amount(fee)});
    return spec;
  }
  Amount Balance(const AccountAddress& who) {
    return *staking::Bank::Balance(chain_->QueryContext(), who, Denom("stake"));
  }
  uint64_t Sequence() { return chain_->GetAccount(alice_)->sequence; }
  void ExpectUnchanged() {
    EXPECT_EQ(Balance(alice_), Amount(1000));
    EXPECT_EQ(Balance(bob_), Amount(0));
    EXPECT_EQ(Sequence(), 0u);
  }

  const PrivateKey alice_key_ = PrivateKey::FromSeed("alice");
  const AccountAddress alice_{AccountAddressOf("mesh", alice_key_.PublicKey())};
  const AccountAddress bob_{AccountAddressOf("mesh", PrivateKey::FromSeed("bob").PublicKey())};
  std::unique_ptr<Chain> chain_;
};

TEST_F(TxChainTest, SendPaysTheFeeAndEmitsSdkEvents) {
  TxResult r = chain_->DeliverTx(SignTx(alice_key_, Spec(100, 10)));
  ASSERT_TRUE(r.ok()) << r.log;
  EXPECT_EQ(Balance(alice_), Amount(890));
  EXPECT_EQ(Balance(bob_), Amount(100));
  EXPECT_EQ(Balance(chain_->FeeCollector()), Amount(10));
  EXPECT_EQ(Sequence(), 1u);
  EXPECT_EQ(chain_->GetAccount(alice_)->pubkey, alice_key_.PublicKey());
  // bob's account was created on first receipt, with the next number.
  EXPECT_GT(chain_->GetAccount(bob_)->account_number, 0u);
  EXPECT_EQ(r.gas_wanted, kDefaultGasLimit);
  EXPECT_GT(r.gas_used, 0u);
  ASSERT_EQ(r.events.size(), 4u);
  EXPECT_EQ(r.events[0].attributes[0], (std::pair<std::string, std::string>{"fee", "10stake"}));
  EXPECT_EQ(r.events[1].attributes[0].second, alice_.value() + "/0");
  EXPECT_EQ(r.events[3].type, "message");
  EXPECT_EQ(r.events[3].attributes,
            (std::vector<std::pair<std::string, std::string>>{
                {"action", "/cosmos.bank.v1beta1.MsgSend"},
                {"sender", alice_.value()},
                {"module", "bank"}}));
}

TEST_F(TxChainTest, WrongChainIdAccountNumberOrHighSIsUnauthorized) {
  TxSpec other_chain = Spec(1);
  other_chain.chain_id = "tx-2";
  TxSpec other_number = Spec(1);
  other_number.account_number = 1;
  const SignedTx good = SignTx(alice_key_, Spec(1));
  // High S: s' = n - s verifies mathematically but is not low-S.
  static const uint8_t kOrder[32] = {
      0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
      0xFF, 0xFF, 0xFF, 0xFF, 0xFE, 0xBA, 0xAE, 0xDC, 0xE6, 0xAF, 0x48,
      0xA0, 0x3B, 0xBF, 0xD2, 0x5E, 0x8C, 0xD0, 0x36, 0x41, 0x41};
  std::string sig = good.signature;
  int borrow = 0;
  for (int i = 31; i >= 0; --i) {
    int d = kOrder[i] - static_cast<uint8_t>(sig[32 + i]) - borrow;
    borrow = d < 0 ? 1 : 0;
    sig[32 + i] = static_cast<char>(d & 0xFF);
  }
  for (const SignedTx& tx : {SignTx(alice_key_, other_chain), SignTx(alice_key_, other_number),
                             good.WithSignature(sig)}) {
    TxResult r = chain_->DeliverTx(tx);
    EXPECT_EQ(r.code, kSdkUnauthorized) << r.log;
    EXPECT_EQ(r.codespace, "sdk");
    ExpectUnchanged();
  }
  EXPECT_TRUE(chain_->DeliverTx(good).ok());
}

TEST_F(TxChainTest, WrongSequenceMissingAccountAndFeeFundsFailCleanly) {
  TxSpec ahead = Spec(1);
  ahead.sequence = 1;
  TxResult r = chain_->DeliverTx(SignTx(alice_key_, ahead));
  EXPECT_EQ(r.code, kSdkWrongSequence) << r.log;
  ExpectUnchanged();
  // carol was never funded: no account.
  const PrivateKey carol = PrivateKey::FromSeed("carol");
  TxSpec from_carol = Spec(1);
  from_carol.msgs = {BankSendMsg(AccountAddress(AccountAddressOf("mesh", carol.PublicKey())),
                                 alice_, Denom("stake"), Amount(1))};
  r = chain_->DeliverTx(SignTx(carol, from_carol));
  EXPECT_EQ(r.code, kSdkUnknownAddress) << r.log;
  EXPECT_NE(r.log.find("unknown address"), std::string::npos);
  // A fee alice cannot pay: nothing changes (not even the sequence).
  r = chain_->DeliverTx(SignTx(alice_key_, Spec(1, 5000)));
  EXPECT_EQ(r.code, kSdkInsufficientFunds) << r.log;
  ExpectUnchanged();
}

TEST_F(TxChainTest, OutOfGasKeepsFeeAndSequenceLikeTheSdk) {
  // Simulation: the gas of the tx, nothing written.
  // (Gas limits of the same varint width: the tx size is charged per byte.)
  TxSpec spec = Spec(100, 10);
  spec.gas_limit = 100000;
  const SignedTx probe = SignTx(alice_key_, spec);
  TxResult sim = chain_->SimulateTx(probe);
  ASSERT_TRUE(sim.ok()) << sim.log;
  ExpectUnchanged();
  // Without a signature: no check, and the 64 signature bytes the signed tx
  // will carry are charged as tx size: the same gas as the signed tx.
  TxResult unsigned_sim = chain_->SimulateTx(probe.WithSignature(""));
  ASSERT_TRUE(unsigned_sim.ok()) << unsigned_sim.log;
  EXPECT_EQ(unsigned_sim.gas_used, sim.gas_used);
  // Too little gas for the ante: nothing is kept.
  spec.gas_limit = 1000;
  TxResult r = chain_->DeliverTx(SignTx(alice_key_, spec));
  EXPECT_EQ(r.code, kSdkOutOfGas) << r.log;
  ExpectUnchanged();
  // Enough for the ante, one short for the message: the fee is paid and the
  // sequence consumed, the send is discarded.
  spec.gas_limit = sim.gas_used - 1;
  r = chain_->DeliverTx(SignTx(alice_key_, spec));
  EXPECT_EQ(r.code, kSdkOutOfGas) << r.log;
  EXPECT_EQ(r.gas_wanted, sim.gas_used - 1);
  EXPECT_EQ(Balance(alice_), Amount(990));
  EXPECT_EQ(Balance(bob_), Amount(0));
  EXPECT_EQ(Sequence(), 1u);
  // Exactly enough: DeliverTx uses what the simulation (now) says.
  spec = Spec(100, 10);
  spec.gas_limit = 100000;
  const TxResult sim2 = chain_->SimulateTx(SignTx(alice_key_, spec));
  spec.gas_limit = sim2.gas_used;
  r = chain_->DeliverTx(SignTx(alice_key_, spec));
  EXPECT_TRUE(r.ok()) << r.log;
  EXPECT_EQ(r.gas_used, sim2.gas_used);
}

TEST_F(TxChainTest, CheckTxEnforcesTheMinimumGasPriceAndWritesNothing) {
  TxSpec spec = Spec(1);  // no fee: below 0.001 * gas
  spec.gas_limit = 100000;
  TxResult r = chain_->CheckTx(SignTx(alice_key_, spec));
  EXPECT_EQ(r.code, kSdkInsufficientFee) << r.log;
  spec.fee = {FeeCoin{"stake", Amount(100)}};  // ceil(0.001 * 100000)
  r = chain_->CheckTx(SignTx(alice_key_, spec));
  EXPECT_TRUE(r.ok()) << r.log;
  ExpectUnchanged();
  spec.sequence = 1;  // one tx of alice's already queued
  EXPECT_TRUE(chain_->CheckTx(SignTx(alice_key_, spec), 1).ok());
  EXPECT_EQ(chain_->CheckTx(SignTx(alice_key_, spec), 0).code, kSdkWrongSequence);
  EXPECT_EQ(chain_->DeliverTxBytes("garbage").code, kSdkTxDecode);
}

// Random mutations of a valid tx's bytes (bits flipped, ranges cut,
// doubled or overwritten, bytes put in, the end cut off): every string but
// the original is refused, with a code, and changes nothing (no fee, no
// sequence, no send). The tx's body and auth info are signed and its
// envelope must be canonical (ADR-027), so no other byte string carries it.
TEST_F(TxChainTest, MutatedTxBytesAreRefusedAndChangeNothing) {
  const std::string valid = SignTx(alice_key_, Spec(100, 10)).Encode();
  testing_internal::Mutator m(0x7478);
  const char* env = std::getenv("MESH_TX_FUZZ_ITERATIONS");
  const int n = env == nullptr ? 2000 : std::atoi(env);
  int refused = 0;
  for (int i = 0; i < n; ++i) {
    const std::string s = m.Mutate(valid);
    if (s == valid) continue;
    const TxResult r = chain_->DeliverTxBytes(s);
    ASSERT_FALSE(r.ok()) << "mutation " << i << " was accepted";
    ASSERT_NE(r.code, 0u);
    ++refused;
  }
  ExpectUnchanged();
  EXPECT_GT(refused, n / 2);
  EXPECT_TRUE(chain_->DeliverTxBytes(valid).ok());  // the original still goes through
}

// One signed tx has one byte string (ADR-027): the TxRaw fields in
// ascending order, body and auth info once each, tags and lengths as
// minimal varints. Every other envelope of the same signed bytes is a
// decode error (the SDK takes a repeated body or auth info, the last one
// winning; compatibility row G-22).
TEST_F(TxChainTest, OnlyTheCanonicalEnvelopeOfASignedTxIsTaken) {
  const std::string valid = SignTx(alice_key_, Spec(100, 10)).Encode();
  const SignedTx tx = *SignedTx::Decode(valid);
  auto field = [](int number, const std::string& bytes, bool padded = false) {
    std::string out(1, static_cast<char>(number << 3 | 2));
    size_t n = bytes.size();
    do {
      out.push_back(static_cast<char>((n & 0x7f) | (n > 0x7f || padded ? 0x80 : 0)));
      n >>= 7;
    } while (n > 0);
    if (padded) out.push_back('\0');  // the same length, one byte longer
    return out + bytes;
  };
  const std::string body = field(1, tx.body_bytes);
  const std::string auth = field(2, tx.auth_info_bytes);
  const std::string sig = field(3, tx.signature);
  ASSERT_EQ(body + auth + sig, valid);
  const std::string long_tag = std::string("\x8a\x00", 2) + body.substr(1);
  const std::vector<std::pair<std::string, std::string>> odd = {
      {"body twice", body + body + auth + sig},
      {"auth info twice", body + auth + auth + sig},
      {"auth info first", auth + body + sig},
      {"signature before auth info", body + sig + auth},
      {"a padded length", field(1, tx.body_bytes, true) + auth + sig},
      {"a padded tag", long_tag + auth + sig},
      {"a varint field", body + auth + sig + std::string("\x20\x01", 2)},
      {"a tag past 64 bits", std::string("\x8a\x80\x80\x80\x80\x80\x80\x80\x80\x02", 10) +
                                 body.substr(1) + auth + sig},
  };
  for (const auto& [what, bytes] : odd) {
    const TxResult r = chain_->CheckTxBytes(bytes);
    EXPECT_EQ(r.code, kSdkTxDecode) << what << ": " << r.log;
    EXPECT_NE(r.log.find("TxRaw"), std::string::npos) << what << ": " << r.log;
    EXPECT_FALSE(chain_->DeliverTxBytes(bytes).ok()) << what;
  }
  ExpectUnchanged();
  EXPECT_TRUE(chain_->DeliverTxBytes(valid).ok());
}

TEST_F(TxChainTest, MessageSignerUnknownFieldsAndFailuresKeepMeshsecCodes) {
  // The message's from_address must be the signer.
  TxSpec spec = Spec(1);
  spec.msgs = {BankSendMsg(bob_, alice_, Denom("stake"), Amount(1))};
  TxResult r = chain_->DeliverTx(SignTx(alice_key_, spec));
  EXPECT_EQ(r.code, static_cast<uint32_t>(absl::StatusCode::kPermissionDenied)) << r.log;
  EXPECT_EQ(r.codespace, "meshsec");
  EXPECT_EQ(Sequence(), 1u);  // the ante ran: the sequence is consumed
  // An unknown field in the message body: refused (strict decoding).
  spec = Spec(1);
  spec.msgs[0].value += std::string("\xb8\x06\x01", 3);  // field 103 = 1
  r = chain_->DeliverTx(SignTx(alice_key_, spec));
  EXPECT_EQ(r.code, static_cast<uint32_t>(absl::StatusCode::kInvalidArgument)) << r.log;
  EXPECT_EQ(Balance(bob_), Amount(0));
  // A failed send (insufficient funds in the message): the handler's code.
  r = chain_->DeliverTx(SignTx(alice_key_, Spec(5000)));
  EXPECT_EQ(r.code, static_cast<uint32_t>(absl::StatusCode::kFailedPrecondition)) << r.log;
  EXPECT_EQ(Balance(alice_), Amount(1000));
}

// The ante's effects reach the block before the messages run; a failing
// later message still discards what an earlier one wrote, and only that.
TEST_F(TxChainTest, FailedSecondMessageDiscardsTheFirstAndKeepsTheAnte) {
  TxSpec spec = Spec(100, 10);
  spec.msgs.push_back(BankSendMsg(alice_, bob_, Denom("stake"), Amount(5000)));
  TxResult r = chain_->DeliverTx(SignTx(alice_key_, spec));
  EXPECT_EQ(r.code, static_cast<uint32_t>(absl::StatusCode::kFailedPrecondition)) << r.log;
  EXPECT_EQ(Balance(alice_), Amount(990));
  EXPECT_EQ(Balance(bob_), Amount(0));
  EXPECT_EQ(Balance(chain_->FeeCollector()), Amount(10));
  EXPECT_EQ(Sequence(), 1u);
  // The next tx sees the fee and the sequence, and nothing of the send.
  r = chain_->DeliverTx(SignTx(alice_key_, Spec(90, 10)));
  ASSERT_TRUE(r.ok()) << r.log;
  EXPECT_EQ(Balance(alice_), Amount(890));
  EXPECT_EQ(Balance(bob_), Amount(90));
  EXPECT_EQ(Sequence(), 2u);
}

}  // namespace
}  // namespace mesh::node
