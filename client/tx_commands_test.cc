#include "client/tx_commands.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/crypto.h"
#include "cosmos/bank/v1beta1/tx.pb.h"
#include "cosmos/crypto/ed25519/keys.pb.h"
#include "cosmos/distribution/v1beta1/tx.pb.h"
#include "cosmos/slashing/v1beta1/tx.pb.h"
#include "cosmos/staking/v1beta1/tx.pb.h"
#include "meshsec/v1/msgs.pb.h"
#include "node/tx.h"

namespace mesh::client {
namespace {

namespace bk = ::cosmos::bank::v1beta1;
namespace sk = ::cosmos::staking::v1beta1;
namespace ds = ::cosmos::distribution::v1beta1;
namespace sl = ::cosmos::slashing::v1beta1;
namespace ms = ::meshsec::v1;

// Addresses of the "chaina" devnet shape: the signer, another account, and
// a local and a consumer-chain validator.
std::string Addr(const std::string& hrp, char fill) {
  return *Bech32Encode(hrp, std::string(20, fill));
}
const std::string kSigner = Addr("chaina", 1);
const std::string kOther = Addr("chaina", 2);
const std::string kLocalVal = Addr("chainavaloper", 3);
const std::string kRemoteVal = Addr("chainbvaloper", 4);
const std::string kSignerValoper = Addr("chainavaloper", 1);

TxArgs Args(std::vector<std::string> args, std::map<std::string, std::string> flags = {}) {
  TxArgs a;
  a.args = std::move(args);
  a.flags = std::move(flags);
  a.signer = kSigner;
  a.prefix = "chaina";
  return a;
}

const TxCommand& Cmd(const std::string& group, const std::string& name) {
  const TxCommand* c = FindTxCommand(group, name);
  EXPECT_NE(c, nullptr) << group << " " << name;
  static const TxCommand kNone;
  return c != nullptr ? *c : kNone;
}

// Builds `group name` from `a` and unpacks its one message as M.
template <typename M>
M BuildOne(const std::string& group, const std::string& name, const TxArgs& a) {
  const TxCommand& c = Cmd(group, name);
  M m;
  if (!c.build) return m;
  absl::StatusOr<std::vector<node::Msg>> msgs = c.build(a);
  EXPECT_TRUE(msgs.ok()) << msgs.status();
  if (!msgs.ok()) return m;
  EXPECT_EQ(msgs->size(), 1u);
  EXPECT_EQ(msgs->at(0).type_url, "/" + std::string(M::descriptor()->full_name()));
  EXPECT_EQ(c.msg_type, msgs->at(0).type_url);
  EXPECT_TRUE(node::UnpackStrict(msgs->at(0).value, &m).ok());
  return m;
}

void ExpectUsageError(const std::string& group, const std::string& name, const TxArgs& a,
                      const std::string& needle) {
  const TxCommand& c = Cmd(group, name);
  ASSERT_TRUE(c.build);
  absl::StatusOr<std::vector<node::Msg>> msgs = c.build(a);
  ASSERT_FALSE(msgs.ok()) << group << " " << name;
  EXPECT_TRUE(absl::IsInvalidArgument(msgs.status())) << msgs.status();
  EXPECT_NE(std::string(msgs.status().message()).find(needle), std::string::npos) << msgs.status();
}

template <typename M>
std::string Wire(const M& m) {
  return m.SerializeAsString();
}

TEST(TxTableTest, EveryMessageOfTheChainHasACommand) {
  std::set<std::string> types;
  for (const TxCommand& c : TxCommands()) {
    EXPECT_FALSE(c.help.empty()) << c.group << " " << c.name;
    EXPECT_TRUE(c.build) << c.group << " " << c.name;
    EXPECT_FALSE(TxGroupSummary(c.group).empty()) << c.group;
    EXPECT_LE(c.min_args, c.max_args);
    if (!c.msg_type.empty()) {
      EXPECT_TRUE(types.insert(c.msg_type).second) << c.msg_type;
    }
  }
  for (const char* t :
       {"/cosmos.bank.v1beta1.MsgSend", "/cosmos.staking.v1beta1.MsgCreateValidator",
        "/cosmos.staking.v1beta1.MsgEditValidator", "/cosmos.staking.v1beta1.MsgDelegate",
        "/cosmos.staking.v1beta1.MsgUndelegate", "/cosmos.staking.v1beta1.MsgBeginRedelegate",
        "/cosmos.distribution.v1beta1.MsgWithdrawDelegatorReward",
        "/cosmos.slashing.v1beta1.MsgUnjail"}) {
    EXPECT_EQ(types.count(t), 1u) << t;
  }
  // Every meshsec.v1 message a user signs (Msg*; the others are parts of
  // one, as LinkPowerShaping), except the evidence (tx raw).
  const auto* file = ms::MsgVaultBond::descriptor()->file();
  for (int i = 0; i < file->message_type_count(); ++i) {
    if (std::string(file->message_type(i)->name()).rfind("Msg", 0) != 0) continue;
    const std::string t = "/" + std::string(file->message_type(i)->full_name());
    if (t == "/meshsec.v1.MsgSubmitConsumerDoubleVote") continue;
    EXPECT_EQ(types.count(t), 1u) << t;
  }
  EXPECT_NE(FindTxCommand("raw", ""), nullptr);
}

TEST(TxBuilderTest, BankSend) {
  bk::MsgSend want;
  want.set_from_address(kSigner);
  want.set_to_address(kOther);
  auto* c = want.add_amount();
  c->set_denom("uchaina");
  c->set_amount("100");
  c = want.add_amount();
  c->set_denom("ibc/ABC");
  c->set_amount("2");
  EXPECT_EQ(Wire(BuildOne<bk::MsgSend>("bank", "send", Args({kOther, "100uchaina,2ibc/ABC"}))),
            Wire(want));
  ExpectUsageError("bank", "send", Args({kOther, "100"}), "invalid coin");
  ExpectUsageError("bank", "send", Args({kOther, "-5uchaina"}), "invalid coin");
  ExpectUsageError("bank", "send", Args({kOther, "1.5uchaina"}), "invalid coin");
  ExpectUsageError("bank", "send", Args({"chaina1bad", "5uchaina"}), "invalid recipient");
  ExpectUsageError("bank", "send", Args({kLocalVal, "5uchaina"}), "expected prefix chaina");
  ExpectUsageError("bank", "send", Args({kOther, "340282366920938463463374607431768211456uchaina"}),
                   "coin amount");
}

TEST(TxBuilderTest, CreateValidator) {
  const std::string key(32, '\x07');
  sk::MsgCreateValidator m =
      BuildOne<sk::MsgCreateValidator>("staking", "create-validator",
                                       Args({}, {{"amount", "1000000uchaina"},
                                                 {"consensus_key", ToHex(key)},
                                                 {"moniker", "m"},
                                                 {"website", "w"},
                                                 {"commission_rate", "0.05"},
                                                 {"min_self_delegation", "10"}}));
  EXPECT_EQ(m.validator_address(), kSignerValoper);
  EXPECT_EQ(m.delegator_address(), kSigner);
  EXPECT_EQ(m.value().denom(), "uchaina");
  EXPECT_EQ(m.value().amount(), "1000000");
  EXPECT_EQ(m.description().moniker(), "m");
  EXPECT_EQ(m.description().website(), "w");
  EXPECT_EQ(m.description().details(), "");
  EXPECT_EQ(m.commission().rate(), "50000000000000000");
  EXPECT_EQ(m.commission().max_rate(), "200000000000000000");
  EXPECT_EQ(m.commission().max_change_rate(), "10000000000000000");
  EXPECT_EQ(m.min_self_delegation(), "10");
  EXPECT_EQ(m.pubkey().type_url(), "/cosmos.crypto.ed25519.PubKey");
  ::cosmos::crypto::ed25519::PubKey pk;
  ASSERT_TRUE(m.pubkey().UnpackTo(&pk));
  EXPECT_EQ(pk.key(), key);
  ExpectUsageError("staking", "create-validator", Args({}, {{"consensus_key", ToHex(key)}}),
                   "--amount is required");
  ExpectUsageError("staking", "create-validator",
                   Args({}, {{"amount", "5uchaina"}, {"consensus_key", "abcd"}}), "32 bytes");
  ExpectUsageError(
      "staking", "create-validator",
      Args({},
           {{"amount", "5uchaina"}, {"consensus_key", ToHex(key)}, {"commission_rate", "0.1.2"}}),
      "--commission_rate");
}

TEST(TxBuilderTest, EditValidatorKeepsWhatIsNotGiven) {
  sk::MsgEditValidator m = BuildOne<sk::MsgEditValidator>(
      "staking", "edit-validator", Args({}, {{"moniker", "new"}, {"commission_rate", "0.2"}}));
  EXPECT_EQ(m.validator_address(), kSignerValoper);
  EXPECT_EQ(m.description().moniker(), "new");
  EXPECT_EQ(m.description().identity(), "[do-not-modify]");
  EXPECT_EQ(m.description().details(), "[do-not-modify]");
  EXPECT_EQ(m.commission_rate(), "200000000000000000");
  EXPECT_EQ(m.min_self_delegation(), "");
  sk::MsgEditValidator only_rate = BuildOne<sk::MsgEditValidator>(
      "staking", "edit-validator", Args({}, {{"commission_rate", "1"}}));
  EXPECT_FALSE(only_rate.has_description());
  EXPECT_EQ(only_rate.commission_rate(), "1000000000000000000");
  ExpectUsageError("staking", "edit-validator", Args({}), "nothing to edit");
  ExpectUsageError("staking", "edit-validator", Args({}, {{"min_self_delegation", "x"}}),
                   "min-self-delegation");
}

TEST(TxBuilderTest, DelegateUnbondRedelegate) {
  sk::MsgDelegate d =
      BuildOne<sk::MsgDelegate>("staking", "delegate", Args({kLocalVal, "500uchaina"}));
  EXPECT_EQ(d.delegator_address(), kSigner);
  EXPECT_EQ(d.validator_address(), kLocalVal);
  EXPECT_EQ(d.amount().denom(), "uchaina");
  EXPECT_EQ(d.amount().amount(), "500");
  sk::MsgUndelegate u =
      BuildOne<sk::MsgUndelegate>("staking", "unbond", Args({kLocalVal, "7uchaina"}));
  EXPECT_EQ(u.delegator_address(), kSigner);
  EXPECT_EQ(u.validator_address(), kLocalVal);
  EXPECT_EQ(u.amount().amount(), "7");
  const std::string dst = Addr("chainavaloper", 9);
  sk::MsgBeginRedelegate r =
      BuildOne<sk::MsgBeginRedelegate>("staking", "redelegate", Args({kLocalVal, dst, "3uchaina"}));
  EXPECT_EQ(r.delegator_address(), kSigner);
  EXPECT_EQ(r.validator_src_address(), kLocalVal);
  EXPECT_EQ(r.validator_dst_address(), dst);
  EXPECT_EQ(r.amount().amount(), "3");
  ExpectUsageError("staking", "delegate", Args({kRemoteVal, "5uchaina"}), "chainavaloper");
  ExpectUsageError("staking", "delegate", Args({kOther, "5uchaina"}), "invalid validator");
  ExpectUsageError("staking", "unbond", Args({kLocalVal, "uchaina"}), "invalid coin");
  ExpectUsageError("staking", "redelegate", Args({kLocalVal, kLocalVal, "3uchaina"}), "same");
}

TEST(TxBuilderTest, WithdrawRewardsAndUnjail) {
  ds::MsgWithdrawDelegatorReward w = BuildOne<ds::MsgWithdrawDelegatorReward>(
      "distribution", "withdraw-rewards", Args({kLocalVal}));
  EXPECT_EQ(w.delegator_address(), kSigner);
  EXPECT_EQ(w.validator_address(), kLocalVal);
  sl::MsgUnjail u = BuildOne<sl::MsgUnjail>("slashing", "unjail", Args({}));
  EXPECT_EQ(u.validator_addr(), kSignerValoper);
  ExpectUsageError("distribution", "withdraw-rewards", Args({"x"}), "invalid validator");
}

TEST(TxBuilderTest, Vault) {
  ms::MsgVaultBond b = BuildOne<ms::MsgVaultBond>("vault", "bond", Args({"1000"}));
  EXPECT_EQ(b.sender(), kSigner);
  EXPECT_EQ(b.amount(), "1000");
  EXPECT_EQ(BuildOne<ms::MsgVaultUnbond>("vault", "unbond", Args({"7"})).amount(), "7");
  ExpectUsageError("vault", "unbond", Args({"007"}), "leading zero");
  ms::MsgVaultStakeLocal l =
      BuildOne<ms::MsgVaultStakeLocal>("vault", "stake-local", Args({kLocalVal, "10"}));
  EXPECT_EQ(l.sender(), kSigner);
  EXPECT_EQ(l.validator(), kLocalVal);
  EXPECT_EQ(l.amount(), "10");
  ms::MsgVaultStakeRemote r = BuildOne<ms::MsgVaultStakeRemote>(
      "vault", "stake-remote", Args({"chainb", kRemoteVal, "1000"}));
  EXPECT_EQ(r.sender(), kSigner);
  EXPECT_EQ(r.consumer(), "chainb");
  EXPECT_EQ(r.validator(), kRemoteVal);
  EXPECT_EQ(r.amount(), "1000");
  ExpectUsageError("vault", "bond", Args({"1000uchaina"}), "invalid amount");
  ExpectUsageError("vault", "bond", Args({"-1"}), "invalid amount");
  ExpectUsageError("vault", "bond", Args({""}), "invalid amount");
  ExpectUsageError("vault", "bond", Args({"340282366920938463463374607431768211456"}), "amount");
  ExpectUsageError("vault", "stake-local", Args({kRemoteVal, "10"}), "chainavaloper");
  ExpectUsageError("vault", "stake-remote", Args({"chainb", kOther, "10"}), "consumer validator");
  ExpectUsageError("vault", "stake-remote", Args({"", kRemoteVal, "10"}), "consumer is empty");
  ExpectUsageError("vault", "stake-remote", Args({"chainb", kRemoteVal, "1e3"}), "invalid amount");
}

TEST(TxBuilderTest, LocalAndExternal) {
  ms::MsgLocalUnstake u = BuildOne<ms::MsgLocalUnstake>("local", "unstake", Args({kLocalVal, "5"}));
  EXPECT_EQ(u.sender(), kSigner);
  EXPECT_EQ(u.validator(), kLocalVal);
  EXPECT_EQ(u.amount(), "5");
  EXPECT_EQ(BuildOne<ms::MsgLocalWithdrawUnbonded>("local", "withdraw-unbonded", Args({})).sender(),
            kSigner);
  EXPECT_EQ(BuildOne<ms::MsgLocalWithdrawRewards>("local", "withdraw-rewards", Args({})).sender(),
            kSigner);
  ms::MsgExternalUnstake e =
      BuildOne<ms::MsgExternalUnstake>("external", "unstake", Args({"chainb", kRemoteVal, "40"}));
  EXPECT_EQ(e.sender(), kSigner);
  EXPECT_EQ(e.consumer(), "chainb");
  EXPECT_EQ(e.validator(), kRemoteVal);
  EXPECT_EQ(e.amount(), "40");
  ms::MsgExternalWithdrawUnbonded wu =
      BuildOne<ms::MsgExternalWithdrawUnbonded>("external", "withdraw-unbonded", Args({"chainb"}));
  EXPECT_EQ(wu.sender(), kSigner);
  EXPECT_EQ(wu.consumer(), "chainb");
  const std::string recipient = Addr("chainb", 5);
  ms::MsgExternalWithdrawRewards wr = BuildOne<ms::MsgExternalWithdrawRewards>(
      "external", "withdraw-rewards", Args({"chainb", kRemoteVal, recipient}));
  EXPECT_EQ(wr.sender(), kSigner);
  EXPECT_EQ(wr.consumer(), "chainb");
  EXPECT_EQ(wr.validator(), kRemoteVal);
  EXPECT_EQ(wr.remote_recipient(), recipient);
  ExpectUsageError("local", "unstake", Args({kLocalVal, "x"}), "invalid amount");
  ExpectUsageError("external", "unstake", Args({"chainb", "nope", "1"}), "consumer validator");
  ExpectUsageError("external", "withdraw-rewards", Args({"chainb", kRemoteVal, "nope"}),
                   "remote recipient");
}

TEST(TxBuilderTest, ConsumerAdminAndKeyAssignment) {
  ms::MsgConsumerSetPrice p =
      BuildOne<ms::MsgConsumerSetPrice>("consumer", "set-price", Args({"chaina", "1.5"}));
  EXPECT_EQ(p.authority(), kSigner);
  EXPECT_EQ(p.provider(), "chaina");
  EXPECT_EQ(p.price(), "1.500000000000000000");
  ms::MsgConsumerSetMaxCap c =
      BuildOne<ms::MsgConsumerSetMaxCap>("consumer", "set-max-cap", Args({"chaina", "5000000"}));
  EXPECT_EQ(c.authority(), kSigner);
  EXPECT_EQ(c.provider(), "chaina");
  EXPECT_EQ(c.cap(), "5000000");
  const std::string key(32, '\x2a');
  ms::MsgAssignConsumerKey k = BuildOne<ms::MsgAssignConsumerKey>(
      "provider", "assign-consumer-key", Args({"chainb", kLocalVal, ToHex(key)}));
  EXPECT_EQ(k.sender(), kSigner);
  EXPECT_EQ(k.consumer(), "chainb");
  EXPECT_EQ(k.validator(), kLocalVal);
  EXPECT_EQ(k.key(), key);
  // base64 works too
  EXPECT_EQ(BuildOne<ms::MsgAssignConsumerKey>(
                "provider", "assign-consumer-key",
                Args({"chainb", kLocalVal, "KioqKioqKioqKioqKioqKioqKioqKioqKioqKioqKio="}))
                .key(),
            key);
  ExpectUsageError("consumer", "set-price", Args({"chaina", "1,5"}), "invalid decimal");
  ExpectUsageError("consumer", "set-price", Args({"chaina", "0.0000000000000000001"}),
                   "invalid decimal");
  ExpectUsageError("consumer", "set-max-cap", Args({"chaina", "5.5"}), "invalid cap");
  ExpectUsageError("provider", "assign-consumer-key", Args({"chainb", kLocalVal, "00"}),
                   "32 bytes");
}

TEST(TxBuilderTest, OptInOptOutAndSlashGovernance) {
  ms::MsgOptIn in = BuildOne<ms::MsgOptIn>("provider", "opt-in", Args({"chainc"}));
  EXPECT_EQ(in.sender(), kSigner);
  EXPECT_EQ(in.consumer(), "chainc");
  EXPECT_EQ(BuildOne<ms::MsgOptOut>("provider", "opt-out", Args({"chainc"})).consumer(), "chainc");
  ms::MsgSubmitSlashProposal p = BuildOne<ms::MsgSubmitSlashProposal>(
      "provider", "slash-proposal", Args({"chainb", "chainbvaloper1x", "42", "0.05", "10000000"}));
  EXPECT_EQ(p.sender(), kSigner);
  EXPECT_EQ(p.consumer(), "chainb");
  EXPECT_EQ(p.validator(), "chainbvaloper1x");
  EXPECT_EQ(p.infraction_height(), 42u);
  EXPECT_EQ(p.fraction(), "0.050000000000000000");
  EXPECT_EQ(p.deposit(), "10000000");
  EXPECT_FALSE(p.jail_only());
  ms::MsgSubmitSlashProposal j = BuildOne<ms::MsgSubmitSlashProposal>(
      "provider", "slash-proposal", Args({"chainb", "chainavaloper1a", "42", "0.5", "10000000"},
                                         {{"jail_only", "true"}}));
  EXPECT_TRUE(j.jail_only());
  ExpectUsageError("provider", "slash-proposal",
                   Args({"chainb", "v", "42", "0.5", "10000000"}, {{"jail_only", "yes"}}),
                   "jail_only");
  ms::MsgVoteSlashProposal v =
      BuildOne<ms::MsgVoteSlashProposal>("provider", "vote", Args({"7", "no_with_veto"}));
  EXPECT_EQ(v.sender(), kSigner);
  EXPECT_EQ(v.proposal_id(), 7u);
  EXPECT_EQ(v.option(), "no_with_veto");
  ExpectUsageError("provider", "vote", Args({"7", "maybe"}), "option");
  ExpectUsageError("provider", "vote", Args({"-1", "yes"}), "proposal id");
  ExpectUsageError("provider", "slash-proposal",
                   Args({"chainb", "v", "4x", "0.05", "10000000"}), "infraction height");
  ExpectUsageError("provider", "opt-in", Args({""}), "consumer");
}

TEST(TxBuilderTest, RawFillsTheSignerAndKeepsOrder) {
  TxArgs a = Args({});
  a.msg_json = {R"({"@type":"/meshsec.v1.MsgVaultBond","amount":"10"})",
                R"({"@type":"/cosmos.bank.v1beta1.MsgSend","to_address":")" + kOther +
                    R"(","amount":[{"denom":"uchaina","amount":"3"}]})"};
  absl::StatusOr<std::vector<node::Msg>> msgs = FindTxCommand("raw", "")->build(a);
  ASSERT_TRUE(msgs.ok()) << msgs.status();
  ASSERT_EQ(msgs->size(), 2u);
  ms::MsgVaultBond b;
  ASSERT_TRUE(node::UnpackStrict(msgs->at(0).value, &b).ok());
  EXPECT_EQ(b.sender(), kSigner);
  EXPECT_EQ(b.amount(), "10");
  bk::MsgSend s;
  ASSERT_TRUE(node::UnpackStrict(msgs->at(1).value, &s).ok());
  EXPECT_EQ(s.from_address(), kSigner);
  EXPECT_EQ(s.to_address(), kOther);
  a.msg_json = {R"({"@type":"/meshsec.v1.MsgVaultBond","bogus":"10"})"};
  absl::StatusOr<std::vector<node::Msg>> bad = FindTxCommand("raw", "")->build(a);
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(bad.status()));
  EXPECT_NE(std::string(bad.status().message()).find("--msg-json 1"), std::string::npos);
  a.msg_json.clear();
  EXPECT_TRUE(absl::IsInvalidArgument(FindTxCommand("raw", "")->build(a).status()));
}

TEST(TxParseTest, CoinsDecimalsKeys) {
  EXPECT_EQ(ParseCoin("0uatom")->amount, "0");
  EXPECT_EQ(
      ParseCoin("12ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2")->denom,
      "ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2");
  EXPECT_FALSE(ParseCoin("12ua").ok());  // denom too short
  EXPECT_FALSE(ParseCoin("12 uatom").ok());
  EXPECT_FALSE(ParseCoin("12u$tom").ok());
  EXPECT_TRUE(ParseCoins("")->empty());
  EXPECT_EQ(ParseCoins("1uaaa, 2ubbb")->size(), 2u);
  EXPECT_EQ(*DecToSdkWire("0.1"), "100000000000000000");
  EXPECT_EQ(*DecToSdkWire("0"), "0");
  EXPECT_EQ(*DecToSdkWire("2"), "2000000000000000000");
  EXPECT_EQ(*DecToSdkWire("0.000000000000000001"), "1");
  EXPECT_EQ(*DecPoint18("007.5"), "7.500000000000000000");
  EXPECT_FALSE(DecToSdkWire(".5").ok());
  EXPECT_FALSE(DecToSdkWire("1.").ok());
  EXPECT_FALSE(DecToSdkWire("-1").ok());
  EXPECT_EQ(*ValoperOf(kSigner), kSignerValoper);
  EXPECT_TRUE(CheckAddress(kRemoteVal, "*valoper", "v").ok());
  EXPECT_FALSE(CheckAddress(kOther, "*valoper", "v").ok());
  EXPECT_TRUE(CheckAddress(kOther, "", "v").ok());
  EXPECT_FALSE(ParseKey32(std::string(63, 'a'), "k").ok());
  EXPECT_EQ(ExpectedSequence("account sequence mismatch, expected 7, got 12"), 7);
  EXPECT_EQ(ExpectedSequence("nothing"), -1);
}

TEST(TxJsonTest, UnsignedAndSignedForms) {
  node::TxSpec spec;
  spec.chain_id = "chaina";
  spec.account_number = 3;
  spec.sequence = 4;
  ms::MsgVaultBond b;
  b.set_sender(kSigner);
  b.set_amount("1");
  spec.msgs.push_back(node::PackMsg(b));
  spec.fee.push_back({"uchaina", Amount(5)});
  spec.memo = "m";
  absl::StatusOr<std::string> unsigned_json = UnsignedTxJson(spec);
  ASSERT_TRUE(unsigned_json.ok()) << unsigned_json.status();
  EXPECT_NE(unsigned_json->find(R"("@type":"/meshsec.v1.MsgVaultBond")"), std::string::npos);
  EXPECT_NE(unsigned_json->find(R"("gas_limit":"10000000")"), std::string::npos);
  EXPECT_NE(unsigned_json->find(R"("signatures":[])"), std::string::npos);
  auto key = PrivateKey::FromSeed("tx_commands_test");
  absl::StatusOr<std::string> signed_json = SignedTxJson(node::SignTx(key, spec).Encode());
  ASSERT_TRUE(signed_json.ok()) << signed_json.status();
  EXPECT_NE(signed_json->find(R"("sequence":"4")"), std::string::npos);
  EXPECT_NE(signed_json->find("/cosmos.crypto.secp256k1.PubKey"), std::string::npos);
  EXPECT_EQ(signed_json->find(R"("signatures":[])"), std::string::npos);
}

TEST(TxSendTest, AStaleSequenceIsSignedAgainOnceWithTheExpectedOne) {
  const PrivateKey key = PrivateKey::FromSeed("tx_commands_test");
  node::TxSpec spec;
  spec.chain_id = "chaina";
  spec.account_number = 1;
  spec.sequence = 3;
  ms::MsgVaultBond b;
  b.set_sender(kSigner);
  b.set_amount("1");
  spec.msgs.push_back(node::PackMsg(b));
  // A node whose next sequence is 5: it refuses others with code 32.
  std::vector<uint64_t> sent;
  auto node = [&](const std::string& raw) {
    absl::StatusOr<node::SignedTx> tx = node::SignedTx::Decode(raw);
    EXPECT_TRUE(tx.ok());
    sent.push_back(tx->sequence);
    BroadcastResult r;
    if (tx->sequence != 5) {
      r.code = 32;
      r.codespace = "sdk";
      r.log = absl::StrCat("account sequence mismatch, expected 5, got ", tx->sequence,
                           ": incorrect account sequence");
    }
    return r;
  };
  std::string note;
  BroadcastResult r = SignAndSend(key, &spec, true, node, &note);
  EXPECT_EQ(r.code, 0u);
  EXPECT_EQ(sent, (std::vector<uint64_t>{3, 5}));
  EXPECT_EQ(spec.sequence, 5u);
  EXPECT_NE(note.find("signed again with 5"), std::string::npos);
  // An explicit --sequence is never changed.
  sent.clear();
  note.clear();
  spec.sequence = 9;
  r = SignAndSend(key, &spec, false, node, &note);
  EXPECT_EQ(r.code, 32u);
  EXPECT_EQ(sent, (std::vector<uint64_t>{9}));
  EXPECT_TRUE(note.empty());
  // Another failure is not retried.
  sent.clear();
  auto broke = [&](const std::string&) {
    sent.push_back(0);
    BroadcastResult f;
    f.code = 5;
    f.codespace = "sdk";
    return f;
  };
  EXPECT_EQ(SignAndSend(key, &spec, true, broke, &note).code, 5u);
  EXPECT_EQ(sent.size(), 1u);
}

TEST(TxBuilderTest, LinkProposals) {
  ms::MsgSubmitLinkUpdateProposal u = BuildOne<ms::MsgSubmitLinkUpdateProposal>(
      "provider", "link-update-proposal",
      Args({"chainb", "10000000"}, {{"validators_power_cap", "30"},
                                    {"prioritylist", "chainavaloper1a,chainavaloper1b"},
                                    {"allow_inactive_vals", "true"},
                                    {"downtime_slash_fraction", "0.01"},
                                    {"downtime_jail_s", "1200"}}));
  EXPECT_EQ(u.sender(), kSigner);
  EXPECT_EQ(u.consumer(), "chainb");
  EXPECT_EQ(u.deposit(), "10000000");
  ASSERT_TRUE(u.has_power_shaping());
  EXPECT_EQ(u.power_shaping().top_n(), 0u);
  EXPECT_EQ(u.power_shaping().validators_power_cap(), 30u);
  ASSERT_EQ(u.power_shaping().prioritylist_size(), 2);
  EXPECT_EQ(u.power_shaping().prioritylist(1), "chainavaloper1b");
  EXPECT_TRUE(u.power_shaping().allow_inactive_vals());
  ASSERT_TRUE(u.has_infraction());
  EXPECT_EQ(u.infraction().downtime_slash_fraction(), "0.010000000000000000");
  EXPECT_EQ(u.infraction().downtime_jail_s(), 1200u);
  // Infraction only: no power-shaping block.
  ms::MsgSubmitLinkUpdateProposal i = BuildOne<ms::MsgSubmitLinkUpdateProposal>(
      "provider", "link-update-proposal",
      Args({"chainb", "10000000"}, {{"downtime_slash_fraction", "0"}, {"downtime_jail_s", "60"}}));
  EXPECT_FALSE(i.has_power_shaping());
  ExpectUsageError("provider", "link-update-proposal", Args({"chainb", "10000000"}),
                   "power-shaping or infraction");
  ExpectUsageError("provider", "link-update-proposal",
                   Args({"chainb", "10000000"}, {{"downtime_jail_s", "60"}}), "both");
  ms::MsgSubmitConsumerRemovalProposal r = BuildOne<ms::MsgSubmitConsumerRemovalProposal>(
      "provider", "consumer-removal-proposal", Args({"chainb", "10000000"}));
  EXPECT_EQ(r.consumer(), "chainb");
  EXPECT_EQ(r.deposit(), "10000000");
}

}  // namespace
}  // namespace mesh::client
