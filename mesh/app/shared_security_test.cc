// The provider's shared-security messages at the application layer: key
// assignment only by the validator's operator; evidence naming a provider
// validator's assigned key slashes it natively (jail, tombstone, fraction).
#include "mesh/app/shared_security.h"

#include "core/crypto.h"
#include "core/status.h"
#include "gtest/gtest.h"
#include "mesh/provider/canonical_vote.h"
#include "mesh/provider/consumer_keys.h"
#include "mesh/provider/external_staking.h"
#include "mesh/provider/vault.h"
#include "staking/bank.h"
#include "staking/staking.h"

namespace mesh::app {
namespace {

using staking::Bank;
using staking::Staking;

template <typename T>
T Must(absl::StatusOr<T> v) {
  MESH_CHECK_OK(v.status());
  return *std::move(v);
}
void Must(const absl::Status& s) { MESH_CHECK_OK(s); }

const Denom kOsmo{"uosmo"};
const ValidatorAddress kVal{"osmovaloper1alice"};
const AccountAddress kOp{"op/alice"};
const provider::ConsumerId kJuno{"juno"};
const Ed25519PrivateKey kAssigned = Ed25519PrivateKey::FromSeed("alice on juno");

class SharedSecurityTest : public ::testing::Test {
 protected:
  SharedSecurityTest() {
    block_.chain_id = "osmo";
    block_.height = 1;
    block_.time_ns = 1700000000ULL * kNanosPerSecond;
    staking::Params p;
    p.bond_denom = kOsmo;
    p.power_reduction = 1;
    p.slash_fraction_double_sign = Dec::Percent(5).value();
    Must(Staking::InitGenesis(ctx(), p));
    Must(Bank::Mint(ctx(), kOp, kOsmo, Amount(1000000)));
    Must(Staking::CreateValidator(ctx(), kVal, kOp, Amount(1000000), Dec::Zero()));
    Must(Staking::EndBlock(ctx()).status());
    block_.height = 2;
    Must(provider::Vault::Init(ctx(), kOsmo, std::nullopt));
    provider::ExternalConfig cfg{kOsmo, Denom("ujuno"), 86400, Dec::Percent(10).value(),
                                 Dec::Percent(1).value(), false};
    Must(provider::ExternalStaking::Init(ctx(), kJuno, cfg));
  }
  Context ctx() { return Context(&store_, &block_); }
  provider::Vote Signed(char b) {
    provider::Vote v;
    v.type = provider::kVotePrecommit;
    v.height = 40;
    v.block_id.hash = std::string(32, b);
    v.block_id.part_set_header = provider::PartSetHeader{1, std::string(32, b)};
    v.timestamp_seconds = 1700000000 - 60;
    v.validator_address = provider::ConsensusAddress(kAssigned.PublicKey());
    v.signature = kAssigned.Sign(provider::VoteSignBytes("juno", v));
    return v;
  }

  MemStore store_;
  BlockInfo block_;
};

TEST_F(SharedSecurityTest, OnlyTheOperatorAssignsItsKey) {
  EXPECT_EQ(AssignConsumerKey(ctx(), AccountAddress("mallory"), kJuno, kVal,
                              kAssigned.PublicKey())
                .code(),
            absl::StatusCode::kPermissionDenied);
  ASSERT_TRUE(AssignConsumerKey(ctx(), kOp, kJuno, kVal, kAssigned.PublicKey()).ok());
  EXPECT_EQ(Must(provider::ConsumerKeys::KeyOn(ctx(), kJuno, kVal)), kAssigned.PublicKey());
}

// 5 % of 1,000,000 = 50,000 burnt; jailed and tombstoned on the provider.
TEST_F(SharedSecurityTest, EvidenceWithAnAssignedKeySlashesTheProviderValidatorNatively) {
  Must(AssignConsumerKey(ctx(), kOp, kJuno, kVal, kAssigned.PublicKey()));
  absl::StatusOr<provider::EvidenceVerdict> v =
      SubmitConsumerDoubleVote(ctx(), kJuno, {Signed('\x01'), Signed('\x02')});
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->validator, kVal);
  const staking::Validator after = *Must(Staking::GetValidator(ctx(), kVal));
  EXPECT_EQ(after.tokens, Amount(950000));
  EXPECT_TRUE(after.jailed);
  EXPECT_TRUE(after.tombstoned);
  // Forged: vote b's signature by another key.
  provider::Vote b = Signed('\x03');
  b.signature = Ed25519PrivateKey::FromSeed("x").Sign(provider::VoteSignBytes("juno", b));
  EXPECT_EQ(SubmitConsumerDoubleVote(ctx(), kJuno, {Signed('\x01'), b}).status().code(),
            absl::StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace mesh::app
