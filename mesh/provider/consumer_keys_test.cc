// ConsumerKeys: key assignment per consumer with the ICS rules
// (neighbours.md §2.6) and pruning after the unbonding period.
#include "mesh/provider/consumer_keys.h"

#include <algorithm>
#include <map>
#include <string>

#include "core/crypto.h"
#include "gtest/gtest.h"
#include "mesh/provider/canonical_vote.h"
#include "mesh/provider/external_staking.h"
#include "mesh/provider/test_util.h"
#include "staking/staking.h"

namespace mesh::provider {
namespace {

using namespace testing;  // NOLINT(build/namespaces)

const ConsumerId kJuno("juno");
const ConsumerId kStars("stars");
const ValidatorAddress kVal1("osmovaloper1");
const ValidatorAddress kVal2("osmovaloper2");

std::string Key(const char* seed) { return Ed25519PrivateKey::FromSeed(seed).PublicKey(); }

class ConsumerKeysTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const ValidatorAddress& v : {kVal1, kVal2}) {
      const AccountAddress op("op-" + v.value());
      h_.Fund(op, Denom("stake"), A(1000000));
      ASSERT_TRUE(h_.Run([&](const Context& c) {
                      return staking::Staking::CreateValidator(c, v, op, A(1000000),
                                                               Dec::Percent(10).value());
                    }).ok());
    }
    for (const ConsumerId& c : {kJuno, kStars}) {
      ASSERT_TRUE(h_.Run([&](const Context& ctx) {
                      return ExternalStaking::Init(ctx, c, ExtConfig("OSMO", "x", 1000, 10));
                    }).ok());
    }
  }
  absl::Status Assign(const ConsumerId& c, const ValidatorAddress& v, const std::string& key) {
    return h_.Run([&](const Context& ctx) { return ConsumerKeys::Assign(ctx, c, v, key); });
  }
  std::string ProviderKey(const ValidatorAddress& v) {
    return (*staking::Staking::GetValidator(h_.ctx(), v))->consensus_pubkey;
  }
  std::optional<ValidatorAddress> Signer(const ConsumerId& c, const std::string& key) {
    return *ConsumerKeys::ProviderValidatorFor(h_.ctx(), c, ConsensusAddress(key));
  }

  Harness h_;
};

TEST_F(ConsumerKeysTest, AssignedKeyMapsBackToTheValidator) {
  EXPECT_EQ(*ConsumerKeys::KeyOn(h_.ctx(), kJuno, kVal1), ProviderKey(kVal1));
  EXPECT_EQ(Signer(kJuno, ProviderKey(kVal1)), kVal1);  // unassigned: own key
  ASSERT_TRUE(Assign(kJuno, kVal1, Key("a")).ok());
  EXPECT_EQ(*ConsumerKeys::KeyOn(h_.ctx(), kJuno, kVal1), Key("a"));
  EXPECT_EQ(*ConsumerKeys::KeyOn(h_.ctx(), kStars, kVal1), ProviderKey(kVal1));
  EXPECT_EQ(Signer(kJuno, Key("a")), kVal1);
  EXPECT_EQ(Signer(kJuno, ProviderKey(kVal1)), std::nullopt);  // not its key on juno any more
  EXPECT_EQ(Signer(kStars, Key("a")), std::nullopt);
}

TEST_F(ConsumerKeysTest, RefusalsFollowTheIcsRules) {
  EXPECT_EQ(Assign(kJuno, kVal1, "short").message(), kErrBadConsumerKey);
  EXPECT_EQ(Assign(ConsumerId("nope"), kVal1, Key("a")).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Assign(kJuno, ValidatorAddress("ghost"), Key("a")).code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(Assign(kJuno, kVal1, ProviderKey(kVal2)).message(), kErrKeyIsProviderKey);
  EXPECT_EQ(Assign(kJuno, kVal1, ProviderKey(kVal1)).message(), kErrDefaultKeyAssignment);
  ASSERT_TRUE(Assign(kJuno, kVal1, Key("a")).ok());
  EXPECT_EQ(Assign(kJuno, kVal2, Key("a")).message(), kErrConsumerKeyInUse);  // another's
  EXPECT_EQ(Assign(kJuno, kVal1, Key("a")).message(), kErrConsumerKeyInUse);  // its own
  EXPECT_TRUE(Assign(kStars, kVal2, Key("a")).ok());  // per consumer
  // Back to its own provider key after an assignment: allowed.
  EXPECT_TRUE(Assign(kJuno, kVal1, ProviderKey(kVal1)).ok());
  EXPECT_EQ(*ConsumerKeys::KeyOn(h_.ctx(), kJuno, kVal1), ProviderKey(kVal1));
}

// A replaced key keeps mapping to its validator for the link's unbonding
// period (1000 s) and cannot be taken by anyone until it is pruned.
TEST_F(ConsumerKeysTest, ReplacedKeyIsKeptForTheUnbondingPeriodThenPruned) {
  ASSERT_TRUE(Assign(kJuno, kVal1, Key("a")).ok());
  const uint64_t t0 = h_.ctx().time_seconds();
  ASSERT_TRUE(Assign(kJuno, kVal1, Key("b")).ok());
  std::optional<KeyAssignment> old =
      *ConsumerKeys::ByConsumerAddress(h_.ctx(), kJuno, ConsensusAddress(Key("a")));
  ASSERT_TRUE(old.has_value());
  EXPECT_EQ(old->provider_validator, kVal1);
  EXPECT_EQ(old->prune_at_s, t0 + 1000);
  EXPECT_EQ(Signer(kJuno, Key("a")), kVal1);
  EXPECT_EQ(Signer(kJuno, Key("b")), kVal1);
  EXPECT_EQ(Assign(kJuno, kVal2, Key("a")).message(), kErrConsumerKeyInUse);
  h_.AdvanceSeconds(999);
  ASSERT_TRUE(h_.Run([](const Context& c) { return ConsumerKeys::Prune(c); }).ok());
  EXPECT_EQ(Signer(kJuno, Key("a")), kVal1);
  h_.AdvanceSeconds(1);
  ASSERT_TRUE(h_.Run([](const Context& c) { return ConsumerKeys::Prune(c); }).ok());
  EXPECT_EQ(Signer(kJuno, Key("a")), std::nullopt);
  EXPECT_EQ(Signer(kJuno, Key("b")), kVal1);  // the current one stays
  EXPECT_TRUE(Assign(kJuno, kVal2, Key("a")).ok());
  EXPECT_EQ(Signer(kJuno, Key("a")), kVal2);
}

// Assignments lists every mapping of one consumer (current and replaced),
// by consumer address, and only that consumer's.
TEST_F(ConsumerKeysTest, AssignmentsListsTheMappingsOfOneConsumer) {
  EXPECT_TRUE(ConsumerKeys::Assignments(h_.ctx(), kJuno)->empty());
  ASSERT_TRUE(Assign(kJuno, kVal1, Key("a")).ok());
  const uint64_t t0 = h_.ctx().time_seconds();
  ASSERT_TRUE(Assign(kJuno, kVal1, Key("b")).ok());
  ASSERT_TRUE(Assign(kJuno, kVal2, Key("c")).ok());
  ASSERT_TRUE(Assign(kStars, kVal2, Key("d")).ok());
  auto all = ConsumerKeys::Assignments(h_.ctx(), kJuno);
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 3u);
  std::map<std::string, KeyAssignment> by_address(all->begin(), all->end());
  ASSERT_EQ(by_address.size(), 3u);
  EXPECT_TRUE(std::is_sorted(all->begin(), all->end(),
                             [](const auto& x, const auto& y) { return x.first < y.first; }));
  const KeyAssignment& a = by_address[ConsensusAddress(Key("a"))];
  EXPECT_EQ(a.provider_validator, kVal1);
  EXPECT_EQ(a.pubkey, Key("a"));
  EXPECT_EQ(a.prune_at_s, t0 + 1000);  // replaced, kept for the unbonding period
  EXPECT_EQ(by_address[ConsensusAddress(Key("b"))].prune_at_s, 0u);
  EXPECT_EQ(by_address[ConsensusAddress(Key("c"))].provider_validator, kVal2);
  auto stars = ConsumerKeys::Assignments(h_.ctx(), kStars);
  ASSERT_EQ(stars->size(), 1u);
  EXPECT_EQ(stars->at(0).first, ConsensusAddress(Key("d")));
}

}  // namespace
}  // namespace mesh::provider
