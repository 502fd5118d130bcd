#include "mesh/consumer/rewards.h"

#include <optional>
#include <utility>
#include <vector>

#include "core/status.h"
#include "mesh/consumer/outbox.h"
#include "mesh/consumer/state.h"
#include "mesh/consumer/virtual_staking.h"
#include "staking/bank.h"
#include "staking/staking.h"

namespace mesh::consumer {

using internal::kPendingRewardPrefix;
using staking::Bank;
using staking::Staking;

namespace {

absl::Status AddPending(const Context& ctx, const ProviderId& p, const ValidatorAddress& v,
                        Amount amount) {
  if (amount.IsZero()) return absl::OkStatus();
  MESH_ASSIGN_OR_RETURN(Amount pending, internal::GetAmount(ctx, kPendingRewardPrefix, p, v));
  MESH_ASSIGN_OR_RETURN(pending, pending.Add(amount));
  return internal::SetAmount(ctx, kPendingRewardPrefix, p, v, pending);
}

}  // namespace

AccountAddress Rewards::ReserveAccount(const ProviderId& provider) {
  return AccountAddress("module/mesh_rewards/" + provider.value());
}

absl::StatusOr<Amount> Rewards::Collect(const Context& ctx, const ProviderId& provider,
                                        const ValidatorAddress& validator) {
  MESH_ASSIGN_OR_RETURN(AccountAddress virt, VirtualStaking::VirtualAccount(ctx, provider));
  MESH_ASSIGN_OR_RETURN(std::optional<staking::Delegation> del,
                        Staking::GetDelegation(ctx, virt, validator));
  if (!del.has_value()) return Amount::Zero();
  MESH_ASSIGN_OR_RETURN(Denom local, internal::LocalDenom(ctx));
  MESH_ASSIGN_OR_RETURN(auto coins, Staking::WithdrawRewards(ctx, virt, validator));
  Amount collected;
  AccountAddress reserve = ReserveAccount(provider);
  for (const auto& [denom, amount] : coins) {
    // Every withdrawn coin leaves the virtual account (whose balance must
    // stay zero); only the local denom is forwarded (reference §2.3).
    MESH_RETURN_IF_ERROR(Bank::Send(ctx, virt, reserve, denom, amount));
    if (denom == local) collected = amount;
  }
  MESH_RETURN_IF_ERROR(AddPending(ctx, provider, validator, collected));
  return collected;
}

absl::StatusOr<std::vector<RewardInfo>> Rewards::Pending(const Context& ctx,
                                                         const ProviderId& provider) {
  MESH_ASSIGN_OR_RETURN(internal::AmountMap m,
                        internal::AllAmounts(ctx, kPendingRewardPrefix, provider));
  std::vector<RewardInfo> out;
  for (const auto& [v, a] : m) {
    if (!a.IsZero()) out.push_back(RewardInfo{v, a});
  }
  return out;
}

absl::Status Rewards::Flush(const Context& ctx, const ProviderId& provider) {
  MESH_ASSIGN_OR_RETURN(ProviderState st, internal::LoadState(ctx, provider));
  if (!st.channel_open) return absl::OkStatus();
  MESH_ASSIGN_OR_RETURN(std::vector<RewardInfo> pending, Pending(ctx, provider));
  if (pending.empty()) return absl::OkStatus();
  MESH_ASSIGN_OR_RETURN(Denom local, internal::LocalDenom(ctx));
  MESH_RETURN_IF_ERROR(internal::ClearAmounts(ctx, kPendingRewardPrefix, provider));
  return Outbox::Append(ctx, provider, DistributeBatchPacket{std::move(pending), local});
}

absl::Status Rewards::Requeue(const Context& ctx, const ProviderId& provider,
                              const DistributeBatchPacket& batch) {
  for (const auto& r : batch.rewards) {
    MESH_RETURN_IF_ERROR(AddPending(ctx, provider, r.validator, r.reward));
  }
  return absl::OkStatus();
}

absl::Status Rewards::Transfer(const Context& ctx, const ProviderId& provider,
                               const TransferRewardsRequest& req) {
  MESH_RETURN_IF_ERROR(internal::LoadConfig(ctx, provider).status());
  if (req.recipient.empty()) return absl::InvalidArgumentError("Invalid recipient address");
  MESH_ASSIGN_OR_RETURN(Denom local, internal::LocalDenom(ctx));
  if (req.rewards.denom != local) {
    return absl::InvalidArgumentError("Sent wrong denom over IBC: " + req.rewards.denom.value() +
                                      ", expected " + local.value());
  }
  return Bank::Send(ctx, ReserveAccount(provider), req.recipient, local, req.rewards.amount);
}

}  // namespace mesh::consumer
