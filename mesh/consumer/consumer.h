// Consumer: the entry points of the mesh-security consumer role
// (docs/consumer.md; reference converter + virtual-staking contracts and the
// consumer chain module, mesh-consumer-ibc.md §1-4, §6 and
// mesh-chain-module.md §1).
//
// Who calls what:
//  - genesis / governance: InitGenesis, RegisterProvider, SetMaxCap; the
//    provider's oracle (or governance): PriceFeed::SetPrice;
//  - the mesh IBC application: OnChannelOpen / OnChannelClose, the inbound
//    handlers (Handle*: an error becomes an error ack, and the caller
//    discards the packet's overlay), OnAcknowledgement / OnTimeout for the
//    packets it took from the outbox (TakeOutbox); these never fail except
//    on store errors;
//  - the node, once per block after the staking module's EndBlock: EndBlock.
//
// EndBlock, in order: records the block time; captures the block's
// validator events (ValidatorEvents) and applies the validator status; for
// every provider books its share of each slash at once and, when its channel
// is open, queues one ValsetUpdate with the block's lists and every slash
// whose provider-denom amount can be computed at a valid price (slashes wait
// in order for a valid price, they are never converted at a wrong one); then
// runs the epoch of every provider due at this height, each in its own
// overlay (a failing epoch is discarded and reported, the next one is
// scheduled anyway, epoch_length blocks later).
//
// Stateless over Context; deterministic.
#ifndef MESHSEC_MESH_CONSUMER_CONSUMER_H_
#define MESHSEC_MESH_CONSUMER_CONSUMER_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/amount.h"
#include "core/context.h"
#include "core/dec.h"
#include "core/ids.h"
#include "mesh/consumer/types.h"
#include "mesh/consumer/virtual_staking.h"

namespace mesh::consumer {

struct ProviderSetup {
  Denom remote_denom;
  Dec discount;                // in [0, 1)
  AccountAddress oracle;
  uint64_t price_ttl_s = 600;  // > 0
  uint32_t max_retrieve = 50;  // > 0
};

struct EpochOutcome {
  ProviderId provider;
  absl::Status status;  // not OK: the epoch's writes were discarded
  EpochReport report;
};

struct EndBlockReport {
  ValsetUpdate update;  // chain-wide (slash amounts are the validator totals)
  std::vector<EpochOutcome> epochs;
};

class Consumer {
 public:
  // InvalidArgument for epoch_length 0 or an account_prefix bech32 cannot
  // use.
  static absl::Status InitGenesis(const Context& ctx, const ModuleParams& params);
  static absl::StatusOr<ModuleParams> GetParams(const Context& ctx);

  // Governance. PermissionDenied unless `sender` is the authority.
  // InvalidArgument for a discount outside [0, 1), an empty denom, a zero
  // ttl or max_retrieve; FailedPrecondition if already registered.
  static absl::Status RegisterProvider(const Context& ctx, const AccountAddress& sender,
                                       const ProviderId& provider, const ProviderSetup& setup);
  // Sets the provider's max cap (0 = wind down through internal unstakes)
  // and schedules its epochs if none are. InvalidArgument "amount exceeds
  // total available max cap (used S of TOTAL)" when the caps of all
  // providers would exceed params.total_max_cap.
  static absl::Status SetMaxCap(const Context& ctx, const AccountAddress& sender,
                                const ProviderId& provider, Amount cap);
  static absl::StatusOr<ProviderConfig> GetConfig(const Context& ctx, const ProviderId& provider);
  static absl::StatusOr<ProviderState> GetState(const Context& ctx, const ProviderId& provider);
  static absl::StatusOr<std::vector<ProviderId>> Providers(const Context& ctx);

  // Channel established: queues the initial ValsetUpdate (additions = the
  // bonded validators).
  static absl::Status OnChannelOpen(const Context& ctx, const ProviderId& provider);
  // Channel closed: every virtual delegation of the provider is unbonded.
  static absl::Status OnChannelClose(const Context& ctx, const ProviderId& provider);

  // Inbound requests. Stake: converts at the current price and records the
  // stake (NotFound unknown validator, FailedPrecondition tombstoned
  // validator or stale price, InvalidArgument wrong denom); returns the
  // local amount. Unstake: releases through the delegator's record, no price
  // needed; returns the local amount released. Burn: converts and spreads
  // over the listed validators' requests; returns the local amount burned.
  static absl::StatusOr<Amount> HandleStake(const Context& ctx, const ProviderId& provider,
                                            const StakeRequest& req);
  // `absorbed` (when given) receives what the delegator's slash debt
  // covered (VirtualStaking::RemoveStake); the success ack reports it.
  static absl::StatusOr<Amount> HandleUnstake(const Context& ctx, const ProviderId& provider,
                                              const UnstakeRequest& req,
                                              Amount* absorbed = nullptr);
  static absl::StatusOr<Amount> HandleBurn(const Context& ctx, const ProviderId& provider,
                                           const BurnRequest& req);
  static absl::Status HandleTransferRewards(const Context& ctx, const ProviderId& provider,
                                            const TransferRewardsRequest& req);

  // Result of a packet this consumer sent. Success of an InternalUnstake
  // unbonds it; an error ack of a DistributeBatch returns its rewards to
  // pending; of an InternalUnstake lets the next zero-cap epoch resend it;
  // of a ValsetUpdate queues it again (C-22: slashes and jails must not be
  // lost). A timeout queues the same packet again.
  static absl::Status OnAcknowledgement(const Context& ctx, const ProviderId& provider,
                                        const ConsumerPacket& packet, bool success);
  static absl::Status OnTimeout(const Context& ctx, const ProviderId& provider,
                                const ConsumerPacket& packet);

  static absl::StatusOr<std::vector<OutboxEntry>> TakeOutbox(const Context& ctx,
                                                             const ProviderId& provider);

  static absl::StatusOr<EndBlockReport> EndBlock(const Context& ctx);
};

}  // namespace mesh::consumer

#endif  // MESHSEC_MESH_CONSUMER_CONSUMER_H_
