// The provider's shared-security actions as the signed-tx messages call
// them (typed arguments; the JSON lives in node_module.cc):
//   AssignConsumerKey: the validator's operator account assigns its
//     consensus key on a consumer (provider::ConsumerKeys::Assign rules);
//     PermissionDenied when the signer is not the validator's operator.
//   SubmitConsumerDoubleVote: anyone submits two conflicting votes of a
//     consumer validator (provider::ConsumerEvidence::Submit). When the
//     signer resolves to a provider validator (an assigned key, or its own
//     key), it is slashed natively as for a double sign on this chain
//     (HandleNativeDoubleSign at the current height with its current power:
//     the provider's slash_fraction_double_sign, jail, tombstone — ICS
//     ADR-005/020 defaults; consumer heights mean nothing here).
// Deterministic; errors are those of the modules.
#ifndef MESHSEC_MESH_APP_SHARED_SECURITY_H_
#define MESHSEC_MESH_APP_SHARED_SECURITY_H_

#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/context.h"
#include "core/ids.h"
#include "mesh/provider/consumer_evidence.h"

namespace mesh::app {

absl::Status AssignConsumerKey(const Context& ctx, const AccountAddress& signer,
                               const provider::ConsumerId& consumer,
                               const ValidatorAddress& validator, std::string_view pubkey);

absl::StatusOr<provider::EvidenceVerdict> SubmitConsumerDoubleVote(
    const Context& ctx, const provider::ConsumerId& consumer,
    const provider::DoubleVoteEvidence& evidence);

}  // namespace mesh::app

#endif  // MESHSEC_MESH_APP_SHARED_SECURITY_H_
