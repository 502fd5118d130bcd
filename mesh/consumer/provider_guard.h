// ProviderGuard: what the consumer accepts from a provider's packets before
// acting on them (docs/security.md, docs/compatibility.md C-24 .. C-27).
//
// The provider is trusted to move only what it sent: every request below
// that could not have come from an honest provider is refused (the IBC layer
// writes an error ack and discards the overlay, so nothing changes), never
// acknowledged as a success that changed nothing.
//  - stake: the delegator must be non-empty (InvalidArgument
//    kErrEmptyDelegator); the IBC application also requires valid bech32;
//  - unstake: at most what this provider holds on the validator, Σ remote of
//    its records there (C-20 takes a record's shortfall from the other
//    records, so the validator total is the bound) plus the delegator's own
//    record's slash_debt (a forwarded slash cut it while the unstake was in
//    flight; the provider takes that cut from the unstake, C-28, C-29);
//    more is FailedPrecondition
//    "unstake of X exceeds the Y held on V for this provider", not a silent
//    saturation. The provider rolls its unstake back on the error ack;
//  - burn: a non-empty validator list (InvalidArgument "burn names no
//    validator"), a positive amount ("burn of 0"), every listed validator a
//    validator of this chain or one this provider holds records on (NotFound
//    "burn names unknown validator V"), and something held there: the listed
//    validators' records must hold a positive provider amount
//    (FailedPrecondition "burn of X on validators where this provider holds
//    nothing"). An amount above what they hold burns what is there (C-21):
//    refused, it would be sent again for ever (P-27), and honest crossing
//    packets exceed it (a forwarded slash already cut the records; C-27);
//  - a forwarded slash reports at most ceil(ratio × what the provider holds
//    on the validator), the provider's own bound (SlashGuard, P-31).
//
// Stateless; reads only. Deterministic.
#ifndef MESHSEC_MESH_CONSUMER_PROVIDER_GUARD_H_
#define MESHSEC_MESH_CONSUMER_PROVIDER_GUARD_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/amount.h"
#include "core/context.h"
#include "core/dec.h"
#include "core/ids.h"
#include "mesh/consumer/types.h"

namespace mesh::consumer {

inline constexpr char kErrEmptyDelegator[] = "stake names no delegator";

class ProviderGuard {
 public:
  static absl::Status CheckStake(const StakeRequest& req);
  static absl::Status CheckUnstake(const Context& ctx, const ProviderId& provider,
                                   const UnstakeRequest& req);
  static absl::Status CheckBurn(const Context& ctx, const ProviderId& provider,
                                const BurnRequest& req);
  // Σ remote of the provider's records on `validator`.
  static absl::StatusOr<Amount> HeldRemote(const Context& ctx, const ProviderId& provider,
                                           const ValidatorAddress& validator);
  // Whether a record of the provider on `validator` holds any remote (the
  // records are read up to the first that does).
  static absl::StatusOr<bool> HoldsAny(const Context& ctx, const ProviderId& provider,
                                       const ValidatorAddress& validator);
  // min(amount, ceil(ratio × HeldRemote)): what a forwarded slash reports.
  static absl::StatusOr<Amount> ClipForwardedSlash(const Context& ctx, const ProviderId& provider,
                                                   const ValidatorAddress& validator, Dec ratio,
                                                   Amount amount);
};

}  // namespace mesh::consumer

#endif  // MESHSEC_MESH_CONSUMER_PROVIDER_GUARD_H_
