// Test harness for provider_test: one provider chain in a MemStore, every
// operation run in its own Overlay (committed on OK, discarded on error, as
// the node does), the vault invariants and collateral conservation checked
// after every operation, and an in-process consumer stand-in that acks,
// rejects or times out the packets in the outboxes.
#ifndef MESHSEC_MESH_PROVIDER_TEST_UTIL_H_
#define MESHSEC_MESH_PROVIDER_TEST_UTIL_H_

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/context.h"
#include "core/kv.h"
#include "gtest/gtest.h"
#include "mesh/provider/external_staking.h"
#include "mesh/provider/vault.h"
#include "staking/bank.h"
#include "staking/staking.h"

namespace mesh::provider::testing {

inline AccountAddress Addr(const char* s) { return AccountAddress(s); }
inline ValidatorAddress Val(const char* s) { return ValidatorAddress(s); }
inline Amount A(u128 v) { return Amount(v); }
inline Dec Pct(uint64_t p) { return Dec::Percent(p).value(); }
inline AmountRange R(u128 low, u128 high) { return AmountRange::Make(A(low), A(high)).value(); }
inline AmountRange R(u128 v) { return AmountRange(A(v)); }

// Reference default block: height 12345, time 1571797419.879305533 s.
inline constexpr uint64_t kStartTimeNs = 1571797419879305533ULL;

class Harness {
 public:
  Harness() {
    block_.chain_id = "provider";
    block_.height = 12345;
    block_.time_ns = kStartTimeNs;
  }
  Context ctx() { return Context(&store_, &block_); }
  BlockInfo& block() { return block_; }

  // Runs `fn` in a fresh overlay; commits it on OK. Afterwards the vault
  // invariants must hold and the total collateral must be unchanged (use
  // Bond/Unbond/RunSlash for the operations that change it).
  absl::Status Run(const std::function<absl::Status(const Context&)>& fn) {
    absl::Status s = RunRaw(fn);
    CheckAfterOp(/*slash=*/false);
    return s;
  }
  // As Run for an operation that may slash: collateral may only go down.
  absl::Status RunSlash(const std::function<absl::Status(const Context&)>& fn) {
    absl::Status s = RunRaw(fn);
    CheckAfterOp(/*slash=*/true);
    return s;
  }
  template <typename T>
  absl::StatusOr<T> RunOr(const std::function<absl::StatusOr<T>(const Context&)>& fn) {
    std::optional<absl::StatusOr<T>> out;
    absl::Status s = Run([&](const Context& c) -> absl::Status {
      out = fn(c);
      return out->status();
    });
    return *out;
  }

  void Fund(const AccountAddress& who, const Denom& denom, Amount amount) {
    ASSERT_TRUE(Run([&](const Context& c) { return staking::Bank::Mint(c, who, denom, amount); })
                    .ok());
  }
  absl::Status Bond(const AccountAddress& who, Amount amount) {
    absl::Status s = RunRaw([&](const Context& c) { return Vault::Bond(c, who, amount); });
    if (s.ok()) expected_collateral_ = expected_collateral_.Add(amount).value();
    CheckAfterOp(false);
    return s;
  }
  absl::Status Unbond(const AccountAddress& who, Amount amount) {
    absl::Status s = RunRaw([&](const Context& c) { return Vault::Unbond(c, who, amount); });
    if (s.ok()) expected_collateral_ = expected_collateral_.Sub(amount).value();
    CheckAfterOp(false);
    return s;
  }
  Amount Balance(const AccountAddress& who, const Denom& denom) {
    return staking::Bank::Balance(ctx(), who, denom).value();
  }
  void AdvanceSeconds(uint64_t s, uint64_t heights = 1) {
    block_.time_ns += s * kNanosPerSecond;
    block_.height += heights;
  }
  AccountInfo Account(const AccountAddress& who) { return Vault::Account(ctx(), who).value(); }
  Amount expected_collateral() const { return expected_collateral_; }

 private:
  absl::Status RunRaw(const std::function<absl::Status(const Context&)>& fn) {
    Overlay overlay(&store_);
    absl::Status s = fn(ctx().WithStore(&overlay));
    if (s.ok()) {
      EXPECT_TRUE(overlay.Commit().ok());
    }
    return s;
  }
  void CheckAfterOp(bool slash) {
    absl::Status inv = Vault::CheckInvariants(ctx());
    EXPECT_TRUE(inv.ok()) << inv;
    absl::StatusOr<Amount> total = Vault::TotalCollateral(ctx());
    if (!total.ok()) return;  // vault not initialised yet
    if (slash) {
      EXPECT_LE(*total, expected_collateral_);
      expected_collateral_ = *total;
    } else {
      EXPECT_EQ(*total, expected_collateral_) << "collateral not conserved";
    }
  }

  MemStore store_;
  BlockInfo block_;
  Amount expected_collateral_;
};

// The consumer chain seen from the provider: takes the packets out of a
// consumer's outbox and answers them the way the test says.
class ConsumerStub {
 public:
  enum class Answer { kAck, kError, kTimeout };

  ConsumerStub(Harness* h, ConsumerId id) : h_(h), id_(std::move(id)) {}
  const ConsumerId& id() const { return id_; }

  // Moves the outbox into the in-flight list; returns everything in flight.
  const std::vector<OutboundPacket>& Collect() {
    EXPECT_TRUE(h_->Run([&](const Context& c) -> absl::Status {
                  MESH_ASSIGN_OR_RETURN(auto drained, ExternalStaking::DrainOutbox(c, id_));
                  for (auto& p : drained) inflight_.push_back(std::move(p));
                  return absl::OkStatus();
                }).ok());
    return inflight_;
  }
  // Answers the in-flight packet carrying `tx_id` (must exist).
  absl::Status Reply(uint64_t tx_id, Answer a) {
    Collect();
    for (size_t i = 0; i < inflight_.size(); ++i) {
      if (inflight_[i].kind == OutboundPacket::Kind::kBurn || inflight_[i].tx_id != tx_id) continue;
      OutboundPacket p = inflight_[i];
      inflight_.erase(inflight_.begin() + static_cast<std::ptrdiff_t>(i));
      return Deliver(p, a);
    }
    return absl::NotFoundError("no such packet in flight");
  }
  // Answers the newest in-flight tx packet (the reference's "last pending").
  absl::Status ReplyLast(Answer a) {
    Collect();
    for (size_t i = inflight_.size(); i-- > 0;) {
      if (inflight_[i].kind == OutboundPacket::Kind::kBurn) continue;
      return Reply(inflight_[i].tx_id, a);
    }
    return absl::NotFoundError("nothing in flight");
  }
  // Answers everything in flight, oldest first.
  absl::Status ReplyAll(Answer a) {
    Collect();
    std::vector<OutboundPacket> all;
    all.swap(inflight_);
    for (const OutboundPacket& p : all) MESH_RETURN_IF_ERROR(Deliver(p, a));
    return absl::OkStatus();
  }
  // Removes and returns the burns in flight.
  std::vector<OutboundPacket> TakeBurns() {
    Collect();
    std::vector<OutboundPacket> burns;
    std::erase_if(inflight_, [&](const OutboundPacket& p) {
      if (p.kind != OutboundPacket::Kind::kBurn) return false;
      burns.push_back(p);
      return true;
    });
    return burns;
  }

 private:
  absl::Status Deliver(const OutboundPacket& p, Answer a) {
    // Ack handlers must never fail on valid state.
    return h_->Run([&](const Context& c) -> absl::Status {
      if (a == Answer::kTimeout) return ExternalStaking::OnTimeout(c, id_, p);
      const bool ok = a == Answer::kAck;
      switch (p.kind) {
        case OutboundPacket::Kind::kStake: return ExternalStaking::OnStakeAck(c, id_, p.tx_id, ok);
        case OutboundPacket::Kind::kUnstake:
          return ExternalStaking::OnUnstakeAck(c, id_, p.tx_id, ok);
        case OutboundPacket::Kind::kTransferRewards:
          return ExternalStaking::OnTransferRewardsAck(c, id_, p.tx_id, ok);
        case OutboundPacket::Kind::kBurn: return ExternalStaking::OnBurnAck(c, id_, p, ok);
      }
      return absl::OkStatus();
    });
  }

  Harness* h_;
  ConsumerId id_;
  std::vector<OutboundPacket> inflight_;
};

// The reference's external staking instance parameters.
inline ExternalConfig ExtConfig(const char* denom, const char* rewards, uint64_t period,
                                uint64_t slash_percent) {
  ExternalConfig c;
  c.denom = Denom(denom);
  c.rewards_denom = Denom(rewards);
  c.unbonding_period_s = period;
  c.slash_ratio_dsign = Pct(slash_percent);
  c.slash_ratio_offline = Pct(slash_percent);
  return c;
}

// Native staking with `validators` bonded (each self-bonded 10^6 by
// "op/<validator>", so each has consensus power 1).
inline void InitNativeStaking(Harness& h, const char* denom, uint64_t unbonding_s,
                              const std::vector<const char*>& validators) {
  staking::Params p;
  p.bond_denom = Denom(denom);
  p.unbonding_time_s = unbonding_s;
  ASSERT_TRUE(h.Run([&](const Context& c) { return staking::Staking::InitGenesis(c, p); }).ok());
  for (const char* v : validators) {
    const AccountAddress op(std::string("op/") + v);
    h.Fund(op, Denom(denom), A(1000000));
    absl::Status s = h.Run([&](const Context& c) {
      return staking::Staking::CreateValidator(c, ValidatorAddress(v), op, A(1000000), Dec::Zero());
    });
    ASSERT_TRUE(s.ok()) << s;
  }
  ASSERT_TRUE(h.Run([](const Context& c) { return staking::Staking::EndBlock(c).status(); }).ok());
}

inline void EndBlock(Harness& h) {
  absl::Status s = h.Run([](const Context& c) { return staking::Staking::EndBlock(c).status(); });
  ASSERT_TRUE(s.ok()) << s;
}

// A store of an earlier layout is refused, not misread: for each key of
// `old_keys` in turn (one per retired table), `check` (a CheckStoredLayout)
// fails with FailedPrecondition naming the earlier layout while the key is
// stored, and passes again once it is deleted.
inline void ExpectEarlierLayoutRefused(Harness& h, const std::vector<std::string>& old_keys,
                                       const std::function<absl::Status()>& check) {
  EXPECT_TRUE(check().ok());
  for (const std::string& key : old_keys) {
    ASSERT_TRUE(h.Run([&](const Context& c) { return c.store().Put(key, "x"); }).ok());
    const absl::Status s = check();
    EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
    EXPECT_NE(s.message().find("earlier layout"), std::string_view::npos) << s;
    ASSERT_TRUE(h.Run([&](const Context& c) { return c.store().Delete(key); }).ok());
  }
  EXPECT_TRUE(check().ok());
}

}  // namespace mesh::provider::testing

#endif  // MESHSEC_MESH_PROVIDER_TEST_UTIL_H_
