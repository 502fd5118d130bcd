// Test-only fixture for the consumer tests: one chain (MemStore) with native
// staking (power_reduction 1 so small amounts have power, downtime slash
// 0.1), two or more validators, and one registered provider "prov" with
// remote denom "ujuno", discount 0.4 and price 0.5 (A = 0.6), as in the
// reference multitests (mesh-consumer-ibc.md §7.0).
#ifndef MESHSEC_MESH_CONSUMER_TEST_FIXTURE_H_
#define MESHSEC_MESH_CONSUMER_TEST_FIXTURE_H_

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "core/context.h"
#include "core/kv.h"
#include "core/status.h"
#include "mesh/consumer/consumer.h"
#include "mesh/consumer/price_feed.h"
#include "mesh/consumer/state.h"
#include "mesh/consumer/virtual_staking.h"
#include "staking/bank.h"
#include "staking/staking.h"

namespace mesh::consumer::testing {

template <typename T>
T Must(absl::StatusOr<T> v) {
  MESH_CHECK_OK(v.status());
  return *std::move(v);
}
inline void Must(const absl::Status& s) { MESH_CHECK_OK(s); }

inline Amount A(u128 v) { return Amount(v); }
inline Dec D(const char* s) { return Must(Dec::Parse(s)); }
inline ValidatorAddress V(const char* s) { return ValidatorAddress(s); }

inline const AccountAddress kGov{"gov"};
inline const AccountAddress kOracle{"oracle"};
inline const Denom kStake{"stake"};
inline const Denom kJuno{"ujuno"};

class ConsumerTest : public ::testing::Test {
 protected:
  ConsumerTest() {
    block_.chain_id = "consumer-1";
    block_.height = 100;
    block_.time_ns = 1571797419879305533ULL;  // the CosmWasm mock env time
    staking::Params sp;
    sp.power_reduction = 1;
    sp.slash_fraction_downtime = D("0.1");
    sp.slash_fraction_double_sign = D("0.25");
    Must(staking::Staking::InitGenesis(ctx(), sp));
    ModuleParams mp;
    mp.authority = kGov;
    mp.epoch_length = 10;
    Must(Consumer::InitGenesis(ctx(), mp));
    RegisterProvider(prov_, "0.4");
    Must(PriceFeed::SetPrice(ctx(), kOracle, prov_, D("0.5")));
  }

  Context ctx() { return Context(&store_, &block_); }

  void RegisterProvider(const ProviderId& p, const char* discount) {
    ProviderSetup setup{kJuno, D(discount), kOracle, 600, 50};
    Must(Consumer::RegisterProvider(ctx(), kGov, p, setup));
  }

  // A validator with `self_bond` tokens of its operator, bonded at once.
  ValidatorAddress CreateValidator(const char* name, u128 self_bond) {
    ValidatorAddress v(name);
    AccountAddress op(std::string("op/") + name);
    Must(staking::Bank::Mint(ctx(), op, kStake, A(self_bond)));
    external_supply_ = Must(external_supply_.Add(A(self_bond)));
    Must(staking::Staking::CreateValidator(ctx(), v, op, A(self_bond), Dec::Zero()));
    return v;
  }

  // Staking EndBlock then the consumer's EndBlock, then the next block.
  EndBlockReport EndBlock() {
    Must(staking::Staking::EndBlock(ctx()).status());
    EndBlockReport r = Must(Consumer::EndBlock(ctx()));
    for (const auto& s : r.update.slashed) slash_burned_ = Must(slash_burned_.Add(s.slash_amount));
    NextBlock(1);
    return r;
  }
  void NextBlock(uint64_t seconds) {
    block_.height += 1;
    block_.time_ns += seconds * kNanosPerSecond;
  }

  void SetCap(u128 cap) { Must(Consumer::SetMaxCap(ctx(), kGov, prov_, A(cap))); }
  void Bond(const char* v, u128 n) {
    Must(VirtualStaking::AddStake(ctx(), prov_, AccountAddress("owner"), V(v), A(n), A(n)));
  }
  EpochReport Epoch() {
    EpochReport r = Must(VirtualStaking::HandleEpoch(ctx(), prov_));
    ExpectInvariants(!r.zero_cap);
    return r;
  }

  static ValidatorAmounts Sorted(ValidatorAmounts v) {
    std::sort(v.begin(), v.end());
    return v;
  }

  // Invariants after every epoch (issue 4): the virtual account holds no
  // loose tokens; the delegated total is the native delegations' tokens and
  // minted - burned - slashed; the bond-denom supply moved only by
  // minted - burned (and staking's slash burns); the virtual stake is within
  // the cap after a non-zero-cap epoch; each request (never negative: Amount)
  // is covered by the delegators' records, so unstakes can always release it.
  void ExpectInvariants(bool after_capped_epoch) {
    AccountAddress virt = Must(VirtualStaking::VirtualAccount(ctx(), prov_));
    EXPECT_EQ(Must(staking::Bank::Balance(ctx(), virt, kStake)), A(0));
    ProviderState st = Must(Consumer::GetState(ctx(), prov_));
    Amount actual;
    for (const auto& [v, a] : Must(VirtualStaking::ActualDelegations(ctx(), prov_))) {
      actual = Must(actual.Add(a));
    }
    EXPECT_EQ(st.total_delegated, actual);
    EXPECT_EQ(st.minted.SaturatingSub(st.burned).SaturatingSub(st.slashed), actual);
    // Minted - burned virtual supply: every token of the bond denom is
    // accounted for by what the test created, what the consumer minted and
    // burned, and what staking slashes burned.
    Amount expected = Must(Must(external_supply_.Add(st.minted)).Sub(st.burned));
    EXPECT_EQ(Must(staking::Bank::Supply(ctx(), kStake)), Must(expected.Sub(slash_burned_)));
    if (after_capped_epoch) {
      EXPECT_LE(actual, st.max_cap);
      EXPECT_LE(st.total_delegated, st.max_cap);
    }
    for (const auto& [v, request] : Must(VirtualStaking::AllBondRequests(ctx(), prov_))) {
      Amount covered;
      for (const auto& e : Must(internal::Records(ctx(), prov_, &v))) {
        covered = Must(covered.Add(e.record.local));
      }
      EXPECT_LE(request, covered) << v.value();
    }
  }

  Amount external_supply_;  // bond-denom tokens minted by the test itself
  Amount slash_burned_;     // tokens burned by staking slashes (from EndBlock)
  MemStore store_;
  BlockInfo block_;
  ProviderId prov_{"prov"};
};

}  // namespace mesh::consumer::testing

#endif  // MESHSEC_MESH_CONSUMER_TEST_FIXTURE_H_
