#include "mesh/app/shared_security.h"

#include <optional>

#include "core/status.h"
#include "mesh/app/native_slashing.h"
#include "mesh/provider/consumer_keys.h"
#include "staking/staking.h"

namespace mesh::app {

absl::Status AssignConsumerKey(const Context& ctx, const AccountAddress& signer,
                               const provider::ConsumerId& consumer,
                               const ValidatorAddress& validator, std::string_view pubkey) {
  MESH_ASSIGN_OR_RETURN(std::optional<staking::Validator> v,
                        staking::Staking::GetValidator(ctx, validator));
  if (!v.has_value()) return absl::NotFoundError("unknown validator: " + validator.value());
  if (v->operator_account != signer) {
    return absl::PermissionDeniedError("only the validator's operator may assign its keys");
  }
  return provider::ConsumerKeys::Assign(ctx, consumer, validator, pubkey);
}

absl::StatusOr<provider::EvidenceVerdict> SubmitConsumerDoubleVote(
    const Context& ctx, const provider::ConsumerId& consumer,
    const provider::DoubleVoteEvidence& evidence) {
  MESH_ASSIGN_OR_RETURN(provider::EvidenceVerdict verdict,
                        provider::ConsumerEvidence::Submit(ctx, consumer, evidence));
  if (verdict.offender == provider::EvidenceVerdict::Offender::kProviderValidator) {
    MESH_ASSIGN_OR_RETURN(uint64_t power, staking::Staking::PowerAtHeight(
                                              ctx, verdict.validator, ctx.height()));
    MESH_RETURN_IF_ERROR(HandleNativeDoubleSign(ctx, verdict.validator,
                                                static_cast<int64_t>(ctx.height()), power));
  }
  return verdict;
}

}  // namespace mesh::app
