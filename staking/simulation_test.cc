// Randomised simulation: many random operations on a small chain; after each
// one the module invariants hold, supply equals the sum of balances, supply
// only changes on explicit mint or slash, a rejected operation leaves the
// state byte-for-byte unchanged, and reward withdrawals never fail.
//
// The seed is printed; rerun one with MESH_SEED=<seed> (MESH_SIM_STEPS sets
// the number of operations per seed).
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "staking/test_util.h"

namespace mesh::staking::testing {
namespace {

const Denom kFee("ufee");

uint64_t EnvOr(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  return v == nullptr ? fallback : std::strtoull(v, nullptr, 10);
}

class Simulation : public StakingTest {
 protected:
  void Start(uint64_t seed) {
    rng_.seed(seed);
    Params p;
    p.max_validators = 3;
    p.unbonding_time_s = 1000;
    p.power_reduction = 1000;
    p.downtime_jail_duration_s = 60;
    Init(p);
  }
  // Modulo of the raw engine output: reproducible on every standard library.
  uint64_t Rand(uint64_t n) { return rng_() % n; }
  std::string Account() { return "acct" + std::to_string(Rand(6)); }
  ValidatorAddress Validator() { return ValidatorAddress("val/" + std::to_string(Rand(5))); }
  Dec Fraction() {
    static const char* kFractions[] = {"0", "0.01", "0.05", "0.333333333333333333", "0.5", "1"};
    return D(kFractions[Rand(6)]);
  }
  std::string Dump() {
    std::string out;
    for (auto it = store_.Scan("", ""); it->Valid(); it->Next()) {
      out += std::to_string(it->key().size()) + ":" + std::string(it->key()) +
             std::to_string(it->value().size()) + ":" + std::string(it->value());
    }
    return out;
  }

  // One random operation; returns its status and whether it may burn.
  absl::Status Step(bool* may_burn, bool* withdraw) {
    AccountAddress who(Account());
    ValidatorAddress val = Validator();
    Amount amount(1 + Rand(3000000));
    int64_t infraction = static_cast<int64_t>(block_.height) - static_cast<int64_t>(Rand(30));
    last_kind_ = Rand(15);
    switch (last_kind_) {
      case 0: {
        std::string name = val.value().substr(4);
        Fund("op/" + name, amount.raw());
        expected_supply_ = Must(expected_supply_.Add(amount));
        before_ = Dump();
        return Staking::CreateValidator(ctx(), val, AccountAddress("op/" + name), amount,
                                        Fraction());
      }
      case 1:
      case 2:
        Fund(who.value(), amount.raw());
        expected_supply_ = Must(expected_supply_.Add(amount));
        before_ = Dump();
        return StatusOf(Staking::Delegate(ctx(), who, val, amount));
      case 3: {
        Amount have;
        if (Must(Staking::GetValidator(ctx(), val)).has_value()) {
          have = Must(Staking::DelegationTokens(ctx(), who, val));
        }
        return StatusOf(Staking::Undelegate(ctx(), who, val, Amount(1 + Rand(have.raw() + 1))));
      }
      case 4: {
        auto d = Must(Staking::GetDelegation(ctx(), who, val));
        Dec shares = d.has_value() ? Must(d->shares.MulTruncate(Fraction())) : D("1");
        return StatusOf(Staking::InstantUndelegate(ctx(), who, val, shares));
      }
      case 5:
        return StatusOf(Staking::BeginRedelegate(ctx(), who, val, Validator(), amount));
      case 6:
        *may_burn = true;
        return StatusOf(Staking::Slash(ctx(), val, infraction, Rand(20), Fraction()));
      case 7:
        *may_burn = true;
        if (Rand(8) != 0)
          return StatusOf(Staking::Slash(ctx(), val, infraction, Rand(20), Fraction()));
        // Rare: a tombstoned validator is out for good.
        return Staking::HandleDoubleSign(ctx(), val, infraction, Rand(20));
      case 8:
        *may_burn = true;
        return Staking::HandleDowntime(ctx(), val, infraction, Rand(20));
      case 9:
        return Staking::Unjail(ctx(), val);
      case 10:
        return Staking::Jail(ctx(), val);
      case 11: {
        Must(Bank::Mint(ctx(), AccountAddress("fees"), kFee, amount));
        fee_minted_ = Must(fee_minted_.Add(amount));
        before_ = Dump();
        return Staking::AllocateRewards(ctx(), AccountAddress("fees"), kFee, amount);
      }
      case 12:
        *withdraw = true;
        return StatusOf(Staking::WithdrawRewards(ctx(), who, val));
      default: {
        absl::Status s = StatusOf(Staking::EndBlock(ctx()));
        NextBlock(1 + Rand(400));
        return s;
      }
    }
  }

  void Run(uint64_t seed, uint64_t steps) {
    Start(seed);
    std::printf("staking simulation seed=%llu steps=%llu\n", static_cast<unsigned long long>(seed),
                static_cast<unsigned long long>(steps));
    for (uint64_t i = 0; i < steps; ++i) {
      before_ = Dump();
      bool may_burn = false, withdraw = false;
      // Step re-snapshots before_ after any funding it does itself.
      absl::Status s = Step(&may_burn, &withdraw);
      SCOPED_TRACE("seed " + std::to_string(seed) + " step " + std::to_string(i) + ": " +
                   s.ToString());
      ASSERT_TRUE(s.ok() || s.code() == absl::StatusCode::kInvalidArgument ||
                  s.code() == absl::StatusCode::kNotFound ||
                  s.code() == absl::StatusCode::kFailedPrecondition)
          << s;
      if (withdraw && s.code() != absl::StatusCode::kNotFound) {
        ASSERT_TRUE(s.ok()) << "reward withdrawal must never fail: " << s;
      }
      if (!s.ok()) {
        ASSERT_EQ(Dump(), before_) << "rejected operation changed state";
      }
      ASSERT_TRUE(Staking::CheckInvariants(ctx()).ok()) << Staking::CheckInvariants(ctx());
      Amount supply = Supply();
      ASSERT_EQ(Must(Bank::SumBalances(ctx(), denom())), supply);
      if (may_burn) {
        ASSERT_LE(supply, expected_supply_);
        expected_supply_ = supply;
      } else {
        ASSERT_EQ(supply, expected_supply_);
      }
      ASSERT_EQ(Must(Bank::SumBalances(ctx(), kFee)), fee_minted_);
      ++stats_[s.ok() ? 0 : 1];
      if (s.ok()) ++ok_by_kind_[last_kind_ < 13 ? last_kind_ : 13];
    }
    std::printf(
        "  ok=%llu rejected=%llu validators=%zu\n", static_cast<unsigned long long>(stats_[0]),
        static_cast<unsigned long long>(stats_[1]), Must(Staking::AllValidators(ctx())).size());
    std::printf(
        "  ok by kind (create, delegate x2, undelegate, instant, redelegate, slash,\n"
        "  slash or double-sign, downtime, unjail, jail, allocate, withdraw, end-block):");
    for (uint64_t n : ok_by_kind_) std::printf(" %llu", static_cast<unsigned long long>(n));
    std::printf("\n");
  }

  std::mt19937_64 rng_;
  std::string before_;  // the state just before the operation under test
  Amount expected_supply_;
  Amount fee_minted_;
  uint64_t stats_[2] = {0, 0};
  uint64_t last_kind_ = 0;
  uint64_t ok_by_kind_[14] = {};
};

TEST_F(Simulation, RandomOperationsKeepInvariants) {
  uint64_t steps = EnvOr("MESH_SIM_STEPS", 1500);
  if (const char* s = std::getenv("MESH_SEED")) {
    Run(std::strtoull(s, nullptr, 10), steps);
    return;
  }
  Run(20240601, steps);
}

TEST_F(Simulation, SecondSeed) { Run(EnvOr("MESH_SEED2", 7), EnvOr("MESH_SIM_STEPS", 1500)); }

}  // namespace
}  // namespace mesh::staking::testing
