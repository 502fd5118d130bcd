// Rewards: staking rewards of the virtual stake, forwarded to the provider
// (mesh-consumer-ibc.md §6).
//
// At each epoch the virtual account withdraws its rewards from every
// validator it was bonded to at the last epoch and that is still active
// (Staking::WithdrawRewards), and before any change of one of its
// delegations. Withdrawn tokens move to the provider's reward reserve
// (ReserveAccount) and the local-denom amount is added to the validator's
// pending reward. Flush sends all pending rewards in one DistributeBatch
// (ascending validator) when the channel is open. An error ack or timeout
// puts the batch back into pending, so it is announced again at the next
// epoch: a failed distribution never strands tokens. The provider releases
// reserve tokens with TransferRewards. Stateless; deterministic.
#ifndef MESHSEC_MESH_CONSUMER_REWARDS_H_
#define MESHSEC_MESH_CONSUMER_REWARDS_H_

#include <vector>

#include "absl/status/statusor.h"
#include "core/amount.h"
#include "core/context.h"
#include "core/ids.h"
#include "mesh/consumer/types.h"

namespace mesh::consumer {

class Rewards {
 public:
  static AccountAddress ReserveAccount(const ProviderId& provider);

  // Withdraws the virtual account's rewards on `validator` into the reserve
  // and returns the local-denom amount (0 without a delegation).
  static absl::StatusOr<Amount> Collect(const Context& ctx, const ProviderId& provider,
                                        const ValidatorAddress& validator);
  // Pending (collected, not yet announced) rewards in validator order.
  static absl::StatusOr<std::vector<RewardInfo>> Pending(const Context& ctx,
                                                         const ProviderId& provider);
  // Appends a DistributeBatch with all pending rewards to the outbox and
  // clears them, if any are pending and the channel is open.
  static absl::Status Flush(const Context& ctx, const ProviderId& provider);
  // Returns an unacknowledged batch to pending. Never fails except on store
  // errors.
  static absl::Status Requeue(const Context& ctx, const ProviderId& provider,
                              const DistributeBatchPacket& batch);
  // Pays `req.rewards` from the reserve to the recipient. InvalidArgument
  // for an empty recipient or a denom other than the local one;
  // FailedPrecondition when the reserve is short.
  static absl::Status Transfer(const Context& ctx, const ProviderId& provider,
                               const TransferRewardsRequest& req);
};

}  // namespace mesh::consumer

#endif  // MESHSEC_MESH_CONSUMER_REWARDS_H_
