// Test fixture shared by the staking tests: an in-memory chain with a block
// clock, funded accounts and helpers. Test-only.
#ifndef MESHSEC_STAKING_TEST_UTIL_H_
#define MESHSEC_STAKING_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/context.h"
#include "core/kv.h"
#include "staking/bank.h"
#include "staking/staking.h"

namespace mesh::staking::testing {

#define ASSERT_OK(expr) ASSERT_TRUE((expr).ok()) << (expr).status()
#define EXPECT_OK(expr) EXPECT_TRUE((expr).ok()) << (expr).status()

inline absl::Status StatusOf(const absl::Status& s) { return s; }
template <typename T>
absl::Status StatusOf(const absl::StatusOr<T>& s) {
  return s.status();
}

// Unwraps a StatusOr in a test, failing loudly.
template <typename T>
T Must(absl::StatusOr<T> s) {
  EXPECT_TRUE(s.ok()) << s.status();
  if (!s.ok()) std::abort();
  return *std::move(s);
}
inline void Must(const absl::Status& s) {
  EXPECT_TRUE(s.ok()) << s;
  if (!s.ok()) std::abort();
}

inline Dec D(const char* s) { return Must(Dec::Parse(s)); }
inline Amount A(u128 v) { return Amount(v); }

class StakingTest : public ::testing::Test {
 protected:
  void SetUp() override { Init(Params{}); }

  void Init(const Params& p) {
    params_ = p;
    Must(Staking::InitGenesis(ctx(), p));
  }

  Context ctx() { return Context(&store_, &block_); }
  const Denom& denom() const { return params_.bond_denom; }

  void Fund(const std::string& who, u128 amount) {
    Must(Bank::Mint(ctx(), AccountAddress(who), denom(), Amount(amount)));
  }
  Amount Balance(const std::string& who) {
    return Must(Bank::Balance(ctx(), AccountAddress(who), denom()));
  }
  Amount PoolBalance(const AccountAddress& pool) {
    return Must(Bank::Balance(ctx(), pool, denom()));
  }
  Amount Supply() { return Must(Bank::Supply(ctx(), denom())); }

  // Funds the operator and creates the validator "val/<name>" operated by
  // account "op/<name>".
  ValidatorAddress CreateVal(const std::string& name, u128 self_bond,
                             Dec commission = Dec::Zero()) {
    Fund("op/" + name, self_bond);
    ValidatorAddress v("val/" + name);
    Must(Staking::CreateValidator(ctx(), v, AccountAddress("op/" + name), Amount(self_bond),
                                  commission));
    return v;
  }
  Dec DelegateFunded(const std::string& who, const ValidatorAddress& v, u128 amount) {
    Fund(who, amount);
    return Must(Staking::Delegate(ctx(), AccountAddress(who), v, Amount(amount)));
  }
  Validator Val(const ValidatorAddress& v) {
    auto got = Must(Staking::GetValidator(ctx(), v));
    EXPECT_TRUE(got.has_value()) << v.value();
    return got.value_or(Validator{});
  }
  Dec SharesOf(const std::string& who, const ValidatorAddress& v) {
    auto d = Must(Staking::GetDelegation(ctx(), AccountAddress(who), v));
    return d.has_value() ? d->shares : Dec::Zero();
  }

  // Ends the current block and starts the next one `seconds` later.
  std::vector<ValidatorUpdate> EndBlock(uint64_t seconds = 5) {
    auto updates = Must(Staking::EndBlock(ctx()));
    NextBlock(seconds);
    return updates;
  }
  void NextBlock(uint64_t seconds = 5) {
    block_.height += 1;
    block_.time_ns += seconds * kNanosPerSecond;
  }
  void ExpectInvariants() {
    absl::Status s = Staking::CheckInvariants(ctx());
    EXPECT_TRUE(s.ok()) << s;
    EXPECT_EQ(Must(Bank::SumBalances(ctx(), denom())), Supply());
  }
  std::vector<ValidatorEvent> Drain() { return Must(Staking::DrainEvents(ctx())); }

  MemStore store_;
  BlockInfo block_{"test-chain", 1, 1700000000ULL * kNanosPerSecond};
  Params params_;
};

}  // namespace mesh::staking::testing

#endif  // MESHSEC_STAKING_TEST_UTIL_H_
