#include "mesh/consumer/provider_guard.h"

#include <optional>
#include <set>
#include <vector>

#include "core/status.h"
#include "mesh/consumer/state.h"
#include "staking/staking.h"

namespace mesh::consumer {

absl::StatusOr<Amount> ProviderGuard::HeldRemote(const Context& ctx, const ProviderId& provider,
                                                 const ValidatorAddress& validator) {
  MESH_ASSIGN_OR_RETURN(std::vector<internal::RecordEntry> records,
                        internal::Records(ctx, provider, &validator));
  Amount sum;
  for (const auto& e : records) {
    MESH_ASSIGN_OR_RETURN(sum, sum.Add(e.record.remote));
  }
  return sum;
}

absl::StatusOr<bool> ProviderGuard::HoldsAny(const Context& ctx, const ProviderId& provider,
                                              const ValidatorAddress& validator) {
  bool any = false;
  MESH_RETURN_IF_ERROR(internal::ForEachRecordWhile(
      ctx, provider, &validator,
      [&](ValidatorAddress, AccountAddress, DelegationRecord r) -> absl::StatusOr<bool> {
        any = !r.remote.IsZero();
        return !any;
      }));
  return any;
}

absl::Status ProviderGuard::CheckStake(const StakeRequest& req) {
  if (req.delegator.empty()) return absl::InvalidArgumentError(kErrEmptyDelegator);
  return absl::OkStatus();
}

absl::Status ProviderGuard::CheckUnstake(const Context& ctx, const ProviderId& provider,
                                         const UnstakeRequest& req) {
  // What is held, plus what a forwarded slash cut from the delegator's own
  // record while this unstake was in flight: the provider takes that cut
  // from the unstake (C-28), so an unstake of the whole pre-slash stake is
  // honest (C-29). The own record alone decides when it covers the unstake
  // (the others only add to what is held): no other record is read.
  MESH_ASSIGN_OR_RETURN(std::optional<DelegationRecord> own,
                        internal::LoadRecord(ctx, provider, req.validator, req.delegator));
  if (own.has_value()) {
    MESH_ASSIGN_OR_RETURN(Amount covered, own->remote.Add(own->slash_debt));
    if (req.unstake.amount <= covered) return absl::OkStatus();
  }
  MESH_ASSIGN_OR_RETURN(std::vector<internal::RecordEntry> records,
                        internal::Records(ctx, provider, &req.validator));
  Amount held;
  for (const auto& e : records) {
    MESH_ASSIGN_OR_RETURN(held, held.Add(e.record.remote));
    if (e.delegator == req.delegator) {
      MESH_ASSIGN_OR_RETURN(held, held.Add(e.record.slash_debt));
    }
  }
  if (req.unstake.amount <= held) return absl::OkStatus();
  return absl::FailedPreconditionError("unstake of " + req.unstake.amount.ToString() +
                                       " exceeds the " + held.ToString() + " held on " +
                                       req.validator.value() + " for this provider");
}

absl::Status ProviderGuard::CheckBurn(const Context& ctx, const ProviderId& provider,
                                      const BurnRequest& req) {
  if (req.validators.empty()) return absl::InvalidArgumentError("burn names no validator");
  if (req.burn.amount.IsZero()) return absl::InvalidArgumentError("burn of 0");
  // Whether anything is held on the named validators: each one's records
  // are read up to the first that holds remote.
  bool held = false;
  std::set<ValidatorAddress> seen;
  for (const ValidatorAddress& v : req.validators) {
    if (!seen.insert(v).second) continue;
    MESH_ASSIGN_OR_RETURN(bool here, HoldsAny(ctx, provider, v));
    MESH_ASSIGN_OR_RETURN(std::optional<staking::Validator> val,
                          staking::Staking::GetValidator(ctx, v));
    if (!val.has_value() && !here) {
      return absl::NotFoundError("burn names unknown validator " + v.value());
    }
    held = held || here;
  }
  if (held) return absl::OkStatus();
  return absl::FailedPreconditionError("burn of " + req.burn.amount.ToString() +
                                       " on validators where this provider holds nothing");
}

absl::StatusOr<Amount> ProviderGuard::ClipForwardedSlash(const Context& ctx,
                                                         const ProviderId& provider,
                                                         const ValidatorAddress& validator,
                                                         Dec ratio, Amount amount) {
  MESH_ASSIGN_OR_RETURN(Amount held, HeldRemote(ctx, provider, validator));
  MESH_ASSIGN_OR_RETURN(Amount bound, MulCeil(held, ratio));  // owed: round up
  return Min(amount, bound);
}

}  // namespace mesh::consumer
