// ConsumerEvidence: double signing on a consumer punished on verified
// evidence only (neighbours.md §2.8, §4): votes signed in the test with
// generated ed25519 keys; forged evidence is refused and changes nothing.
#include "mesh/provider/consumer_evidence.h"

#include <string>

#include "core/crypto.h"
#include "core/json.h"
#include "gtest/gtest.h"
#include "mesh/provider/consumer_keys.h"
#include "mesh/provider/external_staking.h"
#include "mesh/provider/remote_validators.h"
#include "mesh/provider/test_util.h"
#include "mesh/provider/vault.h"
#include "staking/staking.h"

namespace mesh::provider {
namespace {

using namespace testing;  // NOLINT(build/namespaces)
using Answer = ConsumerStub::Answer;
using Offender = EvidenceVerdict::Offender;

const Denom kOsmo("OSMO");
const ConsumerId kJuno("juno");
const ValidatorAddress kJunoVal("junovaloper1");
const Ed25519PrivateKey kConsKey = Ed25519PrivateKey::FromSeed("juno-consensus-1");

class ConsumerEvidenceTest : public ::testing::Test {
 protected:
  void SetUp() override { Link(false); }
  void Link(bool require_verified) {
    ASSERT_TRUE(h_.Run([&](const Context& c) { return Vault::Init(c, kOsmo, std::nullopt); }).ok());
    ExternalConfig cfg = ExtConfig("OSMO", "star", 86400, 10);  // double sign 10 %
    cfg.require_verified_evidence = require_verified;
    ASSERT_TRUE(h_.Run([&](const Context& c) { return ExternalStaking::Init(c, kJuno, cfg); }).ok());
    // The consumer announced its validator with its consensus key (base64).
    ASSERT_TRUE(h_.Run([&](const Context& c) {
                    return RemoteValidators::Apply(c, kJuno, kJunoVal, RemoteValidators::Op::kAdd,
                                                   100, h_.ctx().time_seconds() - 1000,
                                                   Base64Encode(kConsKey.PublicKey()));
                  }).ok());
    h_.Fund(Addr("alice"), kOsmo, A(1000));
    ASSERT_TRUE(h_.Bond(Addr("alice"), A(1000)).ok());
    absl::StatusOr<uint64_t> tx = h_.RunOr<uint64_t>([&](const Context& c) {
      return Vault::StakeRemote(c, Addr("alice"), kJuno, A(1000), kJunoVal);
    });
    ASSERT_TRUE(tx.ok()) << tx.status();
    ASSERT_TRUE(stub_.Reply(*tx, Answer::kAck).ok());
  }
  // A precommit at consumer height 150 for block `b`, signed by `key` on
  // chain `chain`, timestamped 100 s before the provider's block time.
  Vote Signed(char b, const Ed25519PrivateKey& key, const std::string& chain = "juno") {
    Vote v;
    v.type = kVotePrecommit;
    v.height = 150;
    v.round = 2;
    v.block_id.hash = std::string(32, b);
    v.block_id.part_set_header = PartSetHeader{1, std::string(32, b)};
    v.timestamp_seconds = static_cast<int64_t>(h_.ctx().time_seconds()) - 100;
    v.timestamp_nanos = 123;
    v.validator_address = ConsensusAddress(key.PublicKey());
    v.signature = key.Sign(VoteSignBytes(chain, v));
    return v;
  }
  absl::StatusOr<EvidenceVerdict> Submit(const DoubleVoteEvidence& e) {
    return h_.RunOr<EvidenceVerdict>(
        [&](const Context& c) { return ConsumerEvidence::Submit(c, kJuno, e); });
  }
  absl::StatusOr<EvidenceVerdict> SubmitSlash(const DoubleVoteEvidence& e) {
    std::optional<absl::StatusOr<EvidenceVerdict>> out;
    absl::Status s = h_.RunSlash([&](const Context& c) {
      out = ConsumerEvidence::Submit(c, kJuno, e);
      return out->status();
    });
    return *out;
  }
  Amount Stake() {
    return (*ExternalStaking::Stakes(h_.ctx(), kJuno, Addr("alice"))).front().stake.stake.low();
  }

  Harness h_;
  ConsumerStub stub_{&h_, kJuno};
};

// 10 % of 1000 = 100: the stake, the lien and the collateral fall to 900,
// a burn of 100 goes to the consumer, the validator is tombstoned.
TEST_F(ConsumerEvidenceTest, GenuineEvidenceSlashesTombstonesAndBurns) {
  absl::StatusOr<EvidenceVerdict> v =
      SubmitSlash({Signed('\x01', kConsKey), Signed('\x02', kConsKey)});
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->offender, Offender::kConsumerValidator);
  EXPECT_EQ(v->validator, kJunoVal);
  EXPECT_EQ(v->slashed, A(100));
  EXPECT_EQ(Stake(), A(900));
  EXPECT_EQ(h_.Account(Addr("alice")).bonded, A(900));
  std::vector<OutboundPacket> burns = stub_.TakeBurns();
  ASSERT_EQ(burns.size(), 1u);
  EXPECT_EQ(burns[0].amount, A(100));
  EXPECT_EQ(burns[0].validators, std::vector<ValidatorAddress>{kJunoVal});
  EXPECT_EQ(*RemoteValidators::CurrentState(h_.ctx(), kJuno, kJunoVal), RemoteState::kTombstoned);
  EXPECT_TRUE(*ConsumerEvidence::Punished(h_.ctx(), kJuno, kJunoVal));
  // The record as the gRPC EvidencePunishments query lists it.
  std::vector<ConsumerEvidence::Punishment> recs =
      ConsumerEvidence::Punishments(h_.ctx(), kJuno).value();
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].validator, kJunoVal);
  EXPECT_EQ(recs[0].height, v->height);
  EXPECT_EQ(recs[0].time_s, v->time_s);
  EXPECT_EQ(recs[0].provider_height, h_.ctx().height());
  // Tombstone cap: the same or any other double sign is refused.
  EXPECT_EQ(Submit({Signed('\x01', kConsKey), Signed('\x03', kConsKey)}).status().code(),
            absl::StatusCode::kFailedPrecondition);
  // A later consumer report of that infraction (height 149) is dropped.
  ValsetUpdate u;
  u.height = 300;
  u.time = h_.ctx().time_seconds() - 10;
  u.slashed.push_back(RemoteSlash{kJunoVal, 149, h_.ctx().time_seconds() - 101, 1, A(100), "0.1"});
  ASSERT_TRUE(h_.RunSlash([&](const Context& c) {
                  return ExternalStaking::OnValsetUpdate(c, kJuno, u);
                }).ok());
  EXPECT_EQ(Stake(), A(900));
}

TEST_F(ConsumerEvidenceTest, ForgedEvidenceIsRefusedAndChangesNothing) {
  const Ed25519PrivateKey other = Ed25519PrivateKey::FromSeed("someone else");
  const Vote a = Signed('\x01', kConsKey);
  // Same vote twice.
  EXPECT_EQ(Submit({a, a}).status().code(), absl::StatusCode::kInvalidArgument);
  // Different height / round / type.
  Vote b = Signed('\x02', kConsKey);
  b.height = 151;
  b.signature = kConsKey.Sign(VoteSignBytes("juno", b));
  EXPECT_EQ(Submit({a, b}).status().message(), "votes at different heights");
  b = Signed('\x02', kConsKey);
  b.round = 3;
  b.signature = kConsKey.Sign(VoteSignBytes("juno", b));
  EXPECT_EQ(Submit({a, b}).status().message(), "votes in different rounds");
  b = Signed('\x02', kConsKey);
  b.type = kVotePrevote;
  b.signature = kConsKey.Sign(VoteSignBytes("juno", b));
  EXPECT_EQ(Submit({a, b}).status().message(), "votes of different types");
  // Bad signature: vote b signed by another key under the validator's address.
  b = Signed('\x02', other);
  b.validator_address = a.validator_address;
  EXPECT_EQ(Submit({a, b}).status().code(), absl::StatusCode::kPermissionDenied);
  // Signed for another chain id.
  EXPECT_EQ(Submit({a, Signed('\x02', kConsKey, "osmosis")}).status().code(),
            absl::StatusCode::kPermissionDenied);
  // Tampered after signing.
  b = Signed('\x02', kConsKey);
  b.timestamp_nanos = 124;
  EXPECT_EQ(Submit({a, b}).status().code(), absl::StatusCode::kPermissionDenied);
  // Unknown key: a key the consumer never announced.
  EXPECT_EQ(Submit({Signed('\x01', other), Signed('\x02', other)}).status().code(),
            absl::StatusCode::kNotFound);
  // Before the validator joined (it was added at consumer height 100).
  Vote early_a = Signed('\x01', kConsKey);
  Vote early_b = Signed('\x02', kConsKey);
  early_a.height = early_b.height = 99;
  early_a.signature = kConsKey.Sign(VoteSignBytes("juno", early_a));
  early_b.signature = kConsKey.Sign(VoteSignBytes("juno", early_b));
  EXPECT_EQ(Submit({early_a, early_b}).status().code(), absl::StatusCode::kNotFound);
  // Too old: more than the unbonding period (86400 s) before the block time.
  const Vote fresh_a = Signed('\x01', kConsKey);
  const Vote fresh_b = Signed('\x02', kConsKey);
  h_.AdvanceSeconds(86400 - 100);
  EXPECT_TRUE(ConsumerEvidence::Verify(h_.ctx(), kJuno, {fresh_a, fresh_b}).ok());
  h_.AdvanceSeconds(1);
  EXPECT_EQ(Submit({fresh_a, fresh_b}).status().message(), kErrEvidenceTooOld);
  EXPECT_EQ(Stake(), A(1000));
  EXPECT_TRUE(stub_.TakeBurns().empty());
  EXPECT_FALSE(*ConsumerEvidence::Punished(h_.ctx(), kJuno, kJunoVal));
}

// Without require_verified_evidence the consumer's own double-sign report
// already slashed the validator: evidence is then refused (tombstone cap).
TEST_F(ConsumerEvidenceTest, EvidenceAfterTheConsumersOwnReportIsRefused) {
  ValsetUpdate u;
  u.height = 160;
  u.time = h_.ctx().time_seconds() - 50;
  u.tombstoned.push_back(kJunoVal);
  u.slashed.push_back(RemoteSlash{kJunoVal, 149, h_.ctx().time_seconds() - 101, 1, A(100), "0.1"});
  ASSERT_TRUE(h_.RunSlash([&](const Context& c) {
                  return ExternalStaking::OnValsetUpdate(c, kJuno, u);
                }).ok());
  EXPECT_EQ(Stake(), A(900));
  EXPECT_EQ(Submit({Signed('\x01', kConsKey), Signed('\x02', kConsKey)}).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

// A provider validator's assigned key resolves to it; nothing is cut here
// (the application slashes it natively).
TEST_F(ConsumerEvidenceTest, AssignedKeyResolvesToTheProviderValidator) {
  const AccountAddress op("op");
  h_.Fund(op, Denom("stake"), A(1000000));
  const ValidatorAddress pv("osmovaloper1");
  ASSERT_TRUE(h_.Run([&](const Context& c) {
                  return staking::Staking::CreateValidator(c, pv, op, A(1000000),
                                                           Dec::Percent(10).value());
                }).ok());
  const Ed25519PrivateKey assigned = Ed25519PrivateKey::FromSeed("assigned for juno");
  ASSERT_TRUE(h_.Run([&](const Context& c) {
                  return ConsumerKeys::Assign(c, kJuno, pv, assigned.PublicKey());
                }).ok());
  absl::StatusOr<EvidenceVerdict> v =
      Submit({Signed('\x01', assigned), Signed('\x02', assigned)});
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->offender, Offender::kProviderValidator);
  EXPECT_EQ(v->validator, pv);
  EXPECT_EQ(v->pubkey, assigned.PublicKey());
  EXPECT_EQ(Stake(), A(1000));
  EXPECT_TRUE(*ConsumerEvidence::Punished(h_.ctx(), kJuno, pv));
}

class VerifiedOnlyLinkTest : public ConsumerEvidenceTest {
 protected:
  void SetUp() override { Link(true); }
};

// require_verified_evidence: the consumer's report is held (nothing cut,
// the tombstone recorded); genuine evidence then applies the held report
// exactly (no burn: the consumer cut its own records by it).
TEST_F(VerifiedOnlyLinkTest, ReportedDoubleSignWaitsForEvidence) {
  ValsetUpdate u;
  u.height = 160;
  u.time = h_.ctx().time_seconds() - 50;
  u.tombstoned.push_back(kJunoVal);
  u.slashed.push_back(RemoteSlash{kJunoVal, 149, h_.ctx().time_seconds() - 101, 1, A(100), "0.1"});
  ASSERT_TRUE(h_.RunSlash([&](const Context& c) {
                  return ExternalStaking::OnValsetUpdate(c, kJuno, u);
                }).ok());
  EXPECT_EQ(Stake(), A(1000));
  EXPECT_EQ(ConsumerEvidence::HeldReports(h_.ctx(), kJuno, kJunoVal)->size(), 1u);
  EXPECT_EQ(*RemoteValidators::CurrentState(h_.ctx(), kJuno, kJunoVal), RemoteState::kTombstoned);
  absl::StatusOr<EvidenceVerdict> v =
      SubmitSlash({Signed('\x01', kConsKey), Signed('\x02', kConsKey)});
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->slashed, A(100));
  EXPECT_EQ(Stake(), A(900));
  EXPECT_TRUE(stub_.TakeBurns().empty());
  EXPECT_TRUE(ConsumerEvidence::HeldReports(h_.ctx(), kJuno, kJunoVal)->empty());
  // Further reports for the punished validator are not held again.
  u.height = 170;
  ASSERT_TRUE(h_.RunSlash([&](const Context& c) {
                  return ExternalStaking::OnValsetUpdate(c, kJuno, u);
                }).ok());
  EXPECT_TRUE(ConsumerEvidence::HeldReports(h_.ctx(), kJuno, kJunoVal)->empty());
  EXPECT_EQ(Stake(), A(900));
}

}  // namespace
}  // namespace mesh::provider

namespace mesh::provider {
namespace {

using namespace testing;  // NOLINT(build/namespaces)

// The evidence age is judged by the consumer's clock at the vote height,
// learnt from its valset updates, not by the vote's signed timestamp: a
// double vote backdated by two unbonding periods is refused only while the
// provider knows nothing of the consumer's clock; once an update at height
// 140 (time now − 50) is known, height 150 is newer than it: accepted, 10 %.
TEST_F(ConsumerEvidenceTest, BackdatedVotesAreJudgedByTheConsumersHeightTimes) {
  const int64_t back = static_cast<int64_t>(h_.ctx().time_seconds()) - 2 * 86400;
  auto backdated = [&](char b) {
    Vote v = Signed(b, kConsKey);
    v.timestamp_seconds = back;
    v.signature = kConsKey.Sign(VoteSignBytes("juno", v));
    return v;
  };
  EXPECT_EQ(Submit({backdated('\x01'), backdated('\x02')}).status().message(),
            kErrEvidenceTooOld);
  ValsetUpdate u;
  u.height = 140;
  u.time = h_.ctx().time_seconds() - 50;
  ASSERT_TRUE(h_.Run([&](const Context& c) {
                  return ExternalStaking::OnValsetUpdate(c, kJuno, u);
                }).ok());
  absl::StatusOr<EvidenceVerdict> v = SubmitSlash({backdated('\x01'), backdated('\x02')});
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->slashed, A(100));
  EXPECT_EQ(Stake(), A(900));
}

// A vote at a height the consumer passed more than an unbonding period ago
// (the update at height 160 is now 86,500 s old) is refused, however fresh
// its signed timestamp; the old entry survives the pruning of the map as
// the newest one older than the window.
TEST_F(ConsumerEvidenceTest, VoteAtAnOldHeightIsRefusedWhateverItsTimestamp) {
  ValsetUpdate u;
  u.height = 160;
  u.time = h_.ctx().time_seconds() - 100;
  ASSERT_TRUE(h_.Run([&](const Context& c) {
                  return ExternalStaking::OnValsetUpdate(c, kJuno, u);
                }).ok());
  h_.AdvanceSeconds(86400);
  u.height = 400;
  u.time = h_.ctx().time_seconds() - 10;
  ASSERT_TRUE(h_.Run([&](const Context& c) {
                  return ExternalStaking::OnValsetUpdate(c, kJuno, u);
                }).ok());
  EXPECT_EQ(ExternalStaking::ConsumerTimeAt(h_.ctx(), kJuno, 150)->time_at_or_after,
            std::optional<uint64_t>(h_.ctx().time_seconds() - 86500));
  EXPECT_EQ(Submit({Signed('\x01', kConsKey), Signed('\x02', kConsKey)}).status().message(),
            kErrEvidenceTooOld);
  EXPECT_EQ(Stake(), A(1000));
}

}  // namespace
}  // namespace mesh::provider
