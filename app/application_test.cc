#include "app/application.h"

#include <filesystem>
#include <string>

#include "app/liveness.h"
#include "core/codec.h"
#include "core/crypto.h"
#include "core/rocksdb_store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "node/staking_msgs.h"
#include "staking/staking.h"

namespace mesh::app {
namespace {

using ::testing::HasSubstr;

AccountAddress Addr(const std::string& seed) {
  return AccountAddress(AccountAddressOf("mesh", PrivateKey::FromSeed(seed).PublicKey()));
}

ValidatorAddress Valoper(const std::string& seed) {
  return *node::ValoperOfAccount(Addr(seed));
}

// One chain, two validators of 1,000,000 tokens (power 1 each at the
// default power reduction of 1,000,000... use reduction 1 for readable
// powers), window 10, half must be signed.
GenesisDoc SingleChain() {
  GenesisDoc g;
  g.chain_id = "solo";
  g.genesis_time_ns = 1700000000ULL * kNanosPerSecond;
  g.denom = Denom("ustake");
  g.staking.power_reduction = 1;
  g.staking.slash_fraction_downtime = Dec::FromRaw(Dec::kOne / 10);
  g.staking.slash_fraction_double_sign = Dec::FromRaw(Dec::kOne / 20);
  g.liveness.signed_blocks_window = 10;
  g.liveness.min_signed_per_window = Dec::FromRaw(Dec::kOne / 2);
  g.accounts.push_back({Addr("alice"), Amount(5000)});
  g.validators.push_back({Addr("val/a"), Amount(1000000), Dec::Zero(), ""});
  g.validators.push_back({Addr("val/b"), Amount(1000000), Dec::Zero(), ""});
  return g;
}

std::unique_ptr<Application> OpenMem(const GenesisDoc& g) {
  auto app = Application::Open(g, std::make_unique<MemStore>());
  EXPECT_TRUE(app.ok()) << app.status();
  EXPECT_TRUE((*app)->InitChain().ok());
  return *std::move(app);
}

// Produces one block whose last commit has every bonded validator signing,
// except `absent` (consensus address) when given.
absl::Status Block(Application& app, uint64_t seconds, const std::string& absent = "") {
  BlockRequest req;
  req.time_ns = app.chain().time_ns() + seconds * kNanosPerSecond;
  auto votes = app.AllSignedVotes();
  if (!votes.ok()) return votes.status();
  for (VoteInfo& v : *votes) {
    if (v.validator_address == absent) v.signed_last_block = false;
  }
  req.decided_last_commit = *votes;
  auto resp = app.FinalizeBlock(req, {});
  if (!resp.ok()) return resp.status();
  return app.Commit().status();
}

std::string ConsAddr(Application& app, const ValidatorAddress& v) {
  return Application::ConsensusAddress(*app.ConsensusPubkey(v));
}

staking::Validator Val(Application& app, const ValidatorAddress& v) {
  return **staking::Staking::GetValidator(app.QueryContext(), v);
}

TEST(GenesisDocTest, JsonRoundTripIsExact) {
  GenesisDoc g = SingleChain();
  g.provider = ProviderRole{};
  g.provider->consumers.push_back({"other", ConnectionId("connection-0"), Denom("uother")});
  g.consumer = ConsumerRole{};
  g.consumer->authority = Addr("gov");
  g.consumer->providers.push_back({"third", ConnectionId("connection-1"), Denom("uthird"),
                                   Dec::One(), Dec::Zero(), Addr("oracle"), 600, 50,
                                   Amount(1000)});
  const std::string text = g.ToJson().Write();
  auto back = GenesisDoc::Parse(text);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->ToJson().Write(), text);
}

TEST(GenesisDocTest, UnknownAndBadFieldsAreNamed) {
  Json j = SingleChain().ToJson();
  j.Add("surprise", Json::Bool(true));
  auto bad = GenesisDoc::FromJson(j);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("surprise"));

  std::string text = SingleChain().ToJson().Write();
  const std::string from = "\"balance\":\"5000\"";
  text.replace(text.find(from), from.size(), "\"balance\":\"-5\"");
  auto neg = GenesisDoc::Parse(text);
  ASSERT_FALSE(neg.ok());
  EXPECT_THAT(std::string(neg.status().message()), HasSubstr("balance"));

  GenesisDoc dup = SingleChain();
  dup.accounts.push_back(dup.accounts.front());
  EXPECT_EQ(dup.Validate().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ApplicationTest, GenesisBondsValidatorsAndReturnsNoUpdatesWhenNothingChanges) {
  auto app = OpenMem(SingleChain());
  EXPECT_EQ(Val(*app, Valoper("val/a")).status, staking::BondStatus::kBonded);
  ASSERT_TRUE(Block(*app, 5).ok());
  EXPECT_EQ(app->chain().height(), 1u);
}

TEST(ApplicationTest, MissedBlocksBeyondTheWindowSlashAndJail) {
  auto app = OpenMem(SingleChain());
  const ValidatorAddress b = Valoper("val/b");
  const std::string b_addr = ConsAddr(*app, b);
  // Max missed in a window of 10 with half required: 5. The window must be
  // full (height > start + 10) before anyone can be found down.
  auto max = Liveness::MaxMissed(app->genesis().liveness);
  ASSERT_TRUE(max.ok());
  EXPECT_EQ(*max, 5u);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(Block(*app, 5, b_addr).ok());
  // Heights 1..10 recorded as missed: counter 10, but the window started at
  // height 1 and is not yet full.
  EXPECT_FALSE(Val(*app, b).jailed);
  ASSERT_TRUE(Block(*app, 5, b_addr).ok());
  ASSERT_TRUE(Block(*app, 5, b_addr).ok());
  const staking::Validator after = Val(*app, b);
  EXPECT_TRUE(after.jailed);
  // 10 % of the power at the infraction (1,000,000 at reduction 1).
  EXPECT_EQ(after.tokens, Amount(900000));
  // The other validator signed every block and is untouched.
  EXPECT_FALSE(Val(*app, Valoper("val/a")).jailed);
  EXPECT_EQ(Val(*app, Valoper("val/a")).tokens, Amount(1000000));
}

TEST(ApplicationTest, OccasionalMissesDoNotJail) {
  auto app = OpenMem(SingleChain());
  const ValidatorAddress b = Valoper("val/b");
  const std::string b_addr = ConsAddr(*app, b);
  for (int i = 0; i < 40; ++i) ASSERT_TRUE(Block(*app, 5, i % 2 == 0 ? b_addr : "").ok());
  EXPECT_FALSE(Val(*app, b).jailed);  // 5 of every 10 missed: exactly the allowance
}

TEST(ApplicationTest, EvidenceSlashesByThePowerItCarries) {
  auto app = OpenMem(SingleChain());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(Block(*app, 5).ok());
  const ValidatorAddress a = Valoper("val/a");
  BlockRequest req;
  req.time_ns = app->chain().time_ns() + 5 * kNanosPerSecond;
  req.decided_last_commit = *app->AllSignedVotes();
  // Power 500,000 at height 2 (as consensus reported it): 5 % of it.
  req.misbehavior.push_back(Misbehavior{MisbehaviorType::kDuplicateVote, ConsAddr(*app, a),
                                        500000, 2, app->chain().time_ns()});
  ASSERT_TRUE(app->FinalizeBlock(req, {}).ok());
  ASSERT_TRUE(app->Commit().ok());
  const staking::Validator v = Val(*app, a);
  EXPECT_TRUE(v.jailed);
  EXPECT_EQ(v.tokens, Amount(1000000 - 25000));
  // Evidence for an unknown validator, a future height or older than the
  // unbonding time is ignored.
  req.time_ns += 5 * kNanosPerSecond;
  req.misbehavior = {Misbehavior{MisbehaviorType::kDuplicateVote, std::string(20, 'x'), 1, 2, 0},
                     Misbehavior{MisbehaviorType::kDuplicateVote, ConsAddr(*app, Valoper("val/b")),
                                 1000000, 99, app->chain().time_ns()},
                     Misbehavior{MisbehaviorType::kDuplicateVote, ConsAddr(*app, Valoper("val/b")),
                                 1000000, 2, 0}};
  ASSERT_TRUE(app->FinalizeBlock(req, {}).ok());
  ASSERT_TRUE(app->Commit().ok());
  EXPECT_EQ(Val(*app, Valoper("val/b")).tokens, Amount(1000000));
}

TEST(ApplicationTest, EndBlockReturnsConsensusUpdates) {
  auto app = OpenMem(SingleChain());
  const ValidatorAddress b = Valoper("val/b");
  const std::string b_addr = ConsAddr(*app, b);
  std::vector<ConsensusUpdate> last;
  for (int i = 0; i < 12; ++i) {
    BlockRequest req;
    req.time_ns = app->chain().time_ns() + 5 * kNanosPerSecond;
    req.decided_last_commit = *app->AllSignedVotes();
    for (VoteInfo& v : req.decided_last_commit) v.signed_last_block = v.validator_address != b_addr;
    auto resp = app->FinalizeBlock(req, {});
    ASSERT_TRUE(resp.ok()) << resp.status();
    ASSERT_TRUE(app->Commit().ok());
    if (!resp->validator_updates.empty()) last = resp->validator_updates;
  }
  // The jailed validator leaves the set: power 0 under its consensus key.
  ASSERT_EQ(last.size(), 1u);
  EXPECT_EQ(last[0].pub_key, *app->ConsensusPubkey(b));
  EXPECT_EQ(last[0].power, 0);
}

TEST(ApplicationTest, RestartResumesFromTheLastCommittedBlock) {
  const std::string dir = ::testing::TempDir() + "/app_restart";
  std::filesystem::remove_all(dir);
  Hash256 hash{};
  {
    auto store = RocksDbStore::Open(dir);
    ASSERT_TRUE(store.ok());
    auto app = Application::Open(SingleChain(), *std::move(store));
    ASSERT_TRUE(app.ok());
    ASSERT_TRUE((*app)->InitChain().ok());
    for (int i = 0; i < 4; ++i) ASSERT_TRUE(Block(**app, 5).ok());
    hash = (*app)->chain().app_hash();
    // A block begun but never committed is lost whole.
    BlockRequest req;
    req.time_ns = (*app)->chain().time_ns() + 5 * kNanosPerSecond;
    ASSERT_TRUE((*app)->BeginBlock(req).ok());
  }
  auto store = RocksDbStore::Open(dir);
  ASSERT_TRUE(store.ok());
  auto app = Application::Open(SingleChain(), *std::move(store));
  ASSERT_TRUE(app.ok());
  ASSERT_TRUE((*app)->InitChain().ok());  // no-op: the chain exists
  EXPECT_EQ((*app)->chain().height(), 4u);
  EXPECT_EQ((*app)->chain().app_hash(), hash);
  ASSERT_TRUE(Block(**app, 5).ok());
  EXPECT_EQ((*app)->chain().height(), 5u);
}

// A store holding a record of an earlier layout -- a staking by-validator
// delegation entry without the delegator's order key or without the
// delegation's shares, a vault lien apart
// from its user record (0x51), a user record without the deferred cuts'
// accounting (0xED), a stake ordered by user (0x61), one without the
// stake-slash stamp (0xEE) or one without the vault's deferred cut (0xF0)
// -- is refused when it is opened, with a message that says what to do.
TEST(ApplicationTest, OpeningAStoreOfAnEarlierLayoutIsRefused) {
  const std::string old_index = Encoder(0x25).Str("valoper").Str("delegator").Take();
  // Ordered, but without the delegation's shares (an empty value).
  const std::string no_shares = Encoder(0x25).Str("valoper").Str("order").Str("delegator").Take();
  const std::string old_lien = Encoder(0x51).Str("user").Raw("local").Take();
  const std::string unsettled = Encoder(0xED).Raw("user").Take();
  const std::string old_stake = Encoder(0x61).Str("consumer").Str("user").Raw("valoper").Take();
  const std::string unstamped = Encoder(0xEE).Str("consumer").Str("valoper").Raw("user").Take();
  const std::string uncounted = Encoder(0xF0).Str("consumer").Str("valoper").Raw("user").Take();
  for (const std::string& old_key :
       {old_index, no_shares, old_lien, unsettled, old_stake, unstamped, uncounted}) {
    const std::string dir = ::testing::TempDir() + "/app_old_layout";
    std::filesystem::remove_all(dir);
    {
      auto store = RocksDbStore::Open(dir);
      ASSERT_TRUE(store.ok());
      auto app = Application::Open(SingleChain(), *std::move(store));
      ASSERT_TRUE(app.ok());
      ASSERT_TRUE((*app)->InitChain().ok());
    }
    {
      auto store = RocksDbStore::Open(dir);
      ASSERT_TRUE(store.ok());
      WriteBatch old;
      old.Put(old_key, "");
      ASSERT_TRUE((*store)->Write(old).ok());
    }
    auto store = RocksDbStore::Open(dir);
    ASSERT_TRUE(store.ok());
    auto app = Application::Open(SingleChain(), *std::move(store));
    ASSERT_FALSE(app.ok());
    EXPECT_EQ(app.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_NE(app.status().message().find("regenerated"), std::string::npos) << app.status();
  }
}

}  // namespace
}  // namespace mesh::app

namespace mesh::app {
namespace {

TEST(ApplicationTest, ExportInitExportIsByteIdenticalAndReplaysToTheSameHash) {
  auto app = OpenMem(SingleChain());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(Block(*app, 5).ok());
  auto state = app->ExportState();
  ASSERT_TRUE(state.ok()) << state.status();
  GenesisDoc exported = app->genesis();
  exported.state = *state;
  const std::string text = exported.ToJson().Write();

  auto doc = GenesisDoc::Parse(text);
  ASSERT_TRUE(doc.ok()) << doc.status();
  auto copy = Application::Open(*doc, std::make_unique<MemStore>());
  ASSERT_TRUE(copy.ok()) << copy.status();
  ASSERT_TRUE((*copy)->InitChain().ok());
  EXPECT_EQ((*copy)->chain().height(), 3u);
  auto again = (*copy)->ExportState();
  ASSERT_TRUE(again.ok());
  GenesisDoc re = (*copy)->genesis();
  re.state = *again;
  EXPECT_EQ(re.ToJson().Write(), text);
  // The same block on both gives the same app hash.
  ASSERT_TRUE(Block(*app, 5).ok());
  ASSERT_TRUE(Block(**copy, 5).ok());
  EXPECT_EQ(app->chain().app_hash(), (*copy)->chain().app_hash());
  // An export whose entries do not hold the app hash it announces is
  // refused. (The app hash chains block writes; it is not a commitment to
  // the state, so only the chain meta can be checked against it.)
  std::string bad = text;
  const size_t at = bad.find("\"app_hash\":\"") + 12;
  bad[at] = bad[at] == '0' ? '1' : '0';
  auto bad_doc = GenesisDoc::Parse(bad);
  ASSERT_TRUE(bad_doc.ok());
  auto tampered = Application::Open(*bad_doc, std::make_unique<MemStore>());
  ASSERT_TRUE(tampered.ok());
  EXPECT_FALSE((*tampered)->InitChain().ok());
}

}  // namespace
}  // namespace mesh::app
