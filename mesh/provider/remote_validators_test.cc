// CRDT unit tests of external-staking crdt.rs (mesh-provider.md §8.5) and
// the valset-update processing order (§6.3).
#include "mesh/provider/remote_validators.h"

#include "gtest/gtest.h"
#include "mesh/provider/external_staking.h"
#include "mesh/provider/test_util.h"

namespace mesh::provider {
namespace {

using Op = RemoteValidators::Op;
using testing::Val;

class RemoteValidatorsTest : public ::testing::Test {
 protected:
  void Do(const char* v, Op op, uint64_t h, uint64_t t, const char* key = "") {
    ASSERT_TRUE(RemoteValidators::Apply(h_.ctx(), c_, Val(v), op, h, t, key).ok());
  }
  std::optional<ValState> At(const char* v, uint64_t h) {
    return RemoteValidators::AtHeight(h_.ctx(), c_, Val(v), h).value();
  }
  std::vector<ValidatorAddress> Active() {
    return RemoteValidators::ListActive(h_.ctx(), c_).value();
  }
  RemoteState State(const char* v) {
    return RemoteValidators::CurrentState(h_.ctx(), c_, Val(v)).value();
  }
  size_t Entries(const char* v) {
    return RemoteValidators::Get(h_.ctx(), c_, Val(v)).value().entries.size();
  }

  testing::Harness h_;
  ConsumerId c_{"consumer"};
};

using VS = ValState;
constexpr auto kActive = RemoteState::kActive;
constexpr auto kTomb = RemoteState::kTombstoned;

TEST_F(RemoteValidatorsTest, HappyPath) {
  Do("alice", Op::kAdd, 123, 1234, "pk");
  Do("bob", Op::kAdd, 200, 2345, "pk");
  Do("carl", Op::kAdd, 303, 3456, "pk");
  Do("bob", Op::kTombstone, 201, 2346);
  EXPECT_EQ(Active(), (std::vector<ValidatorAddress>{Val("alice"), Val("carl")}));
  auto list = RemoteValidators::List(h_.ctx(), c_).value();
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0], std::make_pair(Val("alice"), kActive));
  EXPECT_EQ(list[1], std::make_pair(Val("bob"), kTomb));
  EXPECT_EQ(list[2], std::make_pair(Val("carl"), kActive));
}

TEST_F(RemoteValidatorsTest, TombstoneBeforeAddWorks) {
  Do("bob", Op::kTombstone, 199, 2344);
  Do("alice", Op::kAdd, 123, 1234, "pk");
  Do("bob", Op::kAdd, 200, 2345, "pk");
  Do("carl", Op::kAdd, 303, 3456, "pk");
  EXPECT_EQ(Active(), (std::vector<ValidatorAddress>{Val("alice"), Val("carl")}));
  EXPECT_EQ(State("bob"), kTomb);
}

TEST_F(RemoteValidatorsTest, PaginationWorks) {
  char name[32];
  for (int i = 0; i < 20; ++i) {
    std::snprintf(name, sizeof(name), "validator-%02d", i);
    Do(name, Op::kAdd, 123, 1234, "pk");
  }
  for (int i : {19, 17, 12, 11, 7, 4, 3}) {
    std::snprintf(name, sizeof(name), "validator-%02d", i);
    Do(name, Op::kTombstone, 200, 2345);
  }
  auto all = Active();
  ASSERT_EQ(all.size(), 13u);
  auto p1 = RemoteValidators::ListActive(h_.ctx(), c_, std::nullopt, 7).value();
  EXPECT_EQ(p1, std::vector<ValidatorAddress>(all.begin(), all.begin() + 7));
  auto p2 = RemoteValidators::ListActive(h_.ctx(), c_, p1.back(), 7).value();
  EXPECT_EQ(p2, std::vector<ValidatorAddress>(all.begin() + 7, all.end()));
  EXPECT_TRUE(RemoteValidators::ListActive(h_.ctx(), c_, p2.back(), 7).value().empty());
}

TEST_F(RemoteValidatorsTest, KeyRotationWorks) {
  Do("alice", Op::kAdd, 123, 1234, "pk1");
  Do("bob", Op::kAdd, 200, 2345, "pk1");
  Do("alice", Op::kAdd, 202, 2347, "pk2");
  Do("alice", Op::kUpdate, 203, 2348, "pk3");
  EXPECT_EQ(At("alice", 200), (VS{"pk1", 123, 1234, kActive}));
  EXPECT_EQ(At("alice", 202), (VS{"pk2", 202, 2347, kActive}));
  EXPECT_EQ(At("alice", 500), (VS{"pk3", 203, 2348, kActive}));
}

TEST_F(RemoteValidatorsTest, AddExistingValidatorWorks) {
  Do("alice", Op::kAdd, 123, 1234, "pk1");
  Do("alice", Op::kRemove, 202, 2347);
  EXPECT_EQ(At("alice", 200), (VS{"pk1", 123, 1234, kActive}));
  EXPECT_EQ(At("alice", 202), (VS{"pk1", 202, 2347, RemoteState::kUnbonded}));
  Do("alice", Op::kAdd, 300, 3456, "pk2");
  EXPECT_EQ(At("alice", 500), (VS{"pk2", 300, 3456, kActive}));
}

TEST_F(RemoteValidatorsTest, JailValidatorWorks) {
  Do("alice", Op::kAdd, 100, 1234, "pk1");
  Do("alice", Op::kJail, 200, 2345);
  EXPECT_EQ(At("alice", 200), (VS{"pk1", 200, 2345, RemoteState::kJailed}));
  Do("alice", Op::kAdd, 300, 3456, "pk1");
  EXPECT_EQ(At("alice", 500), (VS{"pk1", 300, 3456, kActive}));
}

TEST_F(RemoteValidatorsTest, JailRemoveValidatorWorks) {
  Do("alice", Op::kAdd, 100, 1234, "pk1");
  Do("alice", Op::kJail, 200, 2345);
  EXPECT_EQ(State("alice"), RemoteState::kJailed);
  Do("alice", Op::kRemove, 300, 3456);
  EXPECT_EQ(At("alice", 500), (VS{"pk1", 300, 3456, RemoteState::kUnbonded}));
}

TEST_F(RemoteValidatorsTest, TombstoneBeforeAllWorks) {
  Do("alice", Op::kAdd, 100, 1234, "pk");
  Do("bob", Op::kTombstone, 100, 1234);
  Do("bob", Op::kAdd, 200, 2345, "pk");
  EXPECT_EQ(Active(), (std::vector<ValidatorAddress>{Val("alice")}));
  EXPECT_EQ(At("bob", 500), (VS{"", 100, 1234, kTomb}));
  EXPECT_FALSE(At("bob", 1).has_value());
  Do("bob", Op::kAdd, 300, 3000, "pk");
  Do("bob", Op::kUpdate, 400, 4000, "pk2");
  Do("bob", Op::kRemove, 500, 5000);
  Do("bob", Op::kJail, 600, 6000);
  Do("bob", Op::kTombstone, 800, 8000);
  EXPECT_EQ(At("bob", 900), (VS{"", 100, 1234, kTomb}));
}

TEST_F(RemoteValidatorsTest, TombstoneDrainsLaterEvents) {
  Do("alice", Op::kAdd, 100, 1234, "pk");
  Do("bob", Op::kAdd, 200, 2345, "pk");
  Do("bob", Op::kTombstone, 199, 2344);
  EXPECT_EQ(Active(), (std::vector<ValidatorAddress>{Val("alice")}));
  EXPECT_EQ(At("bob", 500), (VS{"", 199, 2344, kTomb}));
}

// P-44: an event below a tombstone's height that arrives after it (a
// reordered update) enters the history behind the tombstone, as it would
// have in order; events at or after the tombstone's height stay no-ops.
TEST_F(RemoteValidatorsTest, EventBelowATombstoneStillEntersTheHistory) {
  Do("bob", Op::kAdd, 100, 1000, "pk");
  Do("bob", Op::kJail, 120, 1200);
  Do("bob", Op::kTombstone, 160, 1600);
  Do("bob", Op::kAdd, 140, 1400, "pk");
  Do("bob", Op::kUpdate, 145, 1450, "pk2");
  Do("bob", Op::kAdd, 160, 1600, "pk3");
  Do("bob", Op::kJail, 170, 1700);
  EXPECT_EQ(State("bob"), kTomb);
  EXPECT_EQ(At("bob", 130), (VS{"pk", 120, 1200, RemoteState::kJailed}));
  EXPECT_EQ(At("bob", 140), (VS{"pk", 140, 1400, kActive}));
  EXPECT_EQ(At("bob", 150), (VS{"pk2", 145, 1450, kActive}));
  EXPECT_EQ(At("bob", 160), (VS{"", 160, 1600, kTomb}));
  EXPECT_EQ(Entries("bob"), 5u);
  // The same history as in order.
  Do("carl", Op::kAdd, 100, 1000, "pk");
  Do("carl", Op::kJail, 120, 1200);
  Do("carl", Op::kAdd, 140, 1400, "pk");
  Do("carl", Op::kUpdate, 145, 1450, "pk2");
  Do("carl", Op::kTombstone, 160, 1600);
  EXPECT_EQ(RemoteValidators::Get(h_.ctx(), c_, Val("carl")).value().entries,
            RemoteValidators::Get(h_.ctx(), c_, Val("bob")).value().entries);
}

TEST_F(RemoteValidatorsTest, DrainOlderWorks) {
  Do("alice", Op::kAdd, 100, 1234, "pk");
  Do("alice", Op::kRemove, 200, 2345);
  Do("alice", Op::kAdd, 300, 3456, "pk");
  EXPECT_EQ(Entries("alice"), 3u);
  ASSERT_TRUE(RemoteValidators::DrainOlder(h_.ctx(), c_, Val("alice"), 1300 - 100).ok());
  EXPECT_EQ(Entries("alice"), 3u);
  // P-26: the reference keeps 1 entry here (only the add at 3456); the
  // removal at 2345 was still in effect at the cutoff 3400 and stays, so an
  // infraction at a height between 200 and 300 is still judged.
  ASSERT_TRUE(RemoteValidators::DrainOlder(h_.ctx(), c_, Val("alice"), 3500 - 100).ok());
  EXPECT_EQ(Entries("alice"), 2u);
  EXPECT_EQ(State("alice"), kActive);
  ASSERT_TRUE(RemoteValidators::DrainOlder(h_.ctx(), c_, Val("alice"), 50000 - 100).ok());
  EXPECT_EQ(Entries("alice"), 1u);
  EXPECT_EQ(State("alice"), kActive);
}

// P-26: active since long ago, jailed and re-added recently: a double sign
// at a height before the jail is still judged active once the old entry is
// older than the window (the reference drains it and skips the slash).
TEST_F(RemoteValidatorsTest, DrainKeepsTheEntryInEffectAtTheCutoff) {
  Do("alice", Op::kAdd, 100, 1000, "pk");
  Do("alice", Op::kJail, 982, 9820);
  Do("alice", Op::kAdd, 983, 9830, "pk");
  ASSERT_TRUE(RemoteValidators::DrainOlder(h_.ctx(), c_, Val("alice"), 9880 - 600).ok());
  EXPECT_EQ(Entries("alice"), 3u);
  ValidatorHistory h = RemoteValidators::Get(h_.ctx(), c_, Val("alice")).value();
  EXPECT_TRUE(history::ActiveAtHeight(h, 976));
  EXPECT_FALSE(history::ActiveAtHeight(h, 982));
}

// external-staking contract.rs valset_update_happy_path: tombstones are
// processed before additions, so bob's add in the same packet is ignored.
TEST_F(RemoteValidatorsTest, ValsetUpdateHappyPath) {
  ASSERT_TRUE(ExternalStaking::Init(h_.ctx(), c_, testing::ExtConfig("uosmo", "ujuno", 100, 10))
                  .ok());
  ValsetUpdate u;
  u.height = 100;
  u.time = 1234;
  u.additions = {{Val("alice"), "pk"}, {Val("bob"), "pk"}, {Val("carl"), "pk"}};
  u.tombstoned = {Val("bob")};
  ASSERT_TRUE(ExternalStaking::OnValsetUpdate(h_.ctx(), c_, u).ok());
  EXPECT_EQ(State("alice"), kActive);
  EXPECT_EQ(State("bob"), kTomb);
  EXPECT_EQ(State("carl"), kActive);
}

// A validator both removed and jailed in one packet ends Jailed.
TEST_F(RemoteValidatorsTest, ValsetUpdateRemovedAndJailedEndsJailed) {
  ASSERT_TRUE(ExternalStaking::Init(h_.ctx(), c_, testing::ExtConfig("uosmo", "ujuno", 100, 10))
                  .ok());
  Do("alice", Op::kAdd, 90, 1000, "pk");
  ValsetUpdate u;
  u.height = 100;
  u.time = 1234;
  u.removals = {Val("alice"), Val("alice")};
  u.jailed = {Val("alice")};
  ASSERT_TRUE(ExternalStaking::OnValsetUpdate(h_.ctx(), c_, u).ok());
  EXPECT_EQ(State("alice"), RemoteState::kJailed);
}

// Deviation: among equal heights the operation applied last is current, so
// a validator added and jailed in the same packet is Jailed (the reference
// keeps it Active and lets users stake to it).
TEST_F(RemoteValidatorsTest, EqualHeightLaterOperationWins) {
  ASSERT_TRUE(ExternalStaking::Init(h_.ctx(), c_, testing::ExtConfig("uosmo", "ujuno", 100, 10))
                  .ok());
  ValsetUpdate u;
  u.height = 100;
  u.time = 1234;
  u.additions = {{Val("alice"), "pk1"}};
  u.jailed = {Val("alice")};
  u.updated = {};
  ASSERT_TRUE(ExternalStaking::OnValsetUpdate(h_.ctx(), c_, u).ok());
  EXPECT_EQ(State("alice"), RemoteState::kJailed);
  Do("bob", Op::kAdd, 50, 10, "pk1");
  Do("bob", Op::kUpdate, 50, 10, "pk2");
  EXPECT_EQ(At("bob", 50)->pub_key, "pk2");
}

}  // namespace
}  // namespace mesh::provider
