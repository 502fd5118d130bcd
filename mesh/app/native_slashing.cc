#include "mesh/app/native_slashing.h"

#include <functional>
#include <optional>

#include "core/kv.h"
#include "core/status.h"
#include "mesh/provider/local_staking.h"
#include "staking/staking.h"

namespace mesh::app {
namespace {

using provider::LocalStaking;
using provider::NativeSlashRecord;
using staking::Staking;

// Record the jailing, slash, settle the local stakers; all or nothing.
absl::Status SlashNatively(const Context& ctx, const ValidatorAddress& validator,
                           const std::function<absl::Status(const Context&)>& native_slash) {
  Overlay overlay(&ctx.store());
  const Context c = ctx.WithStore(&overlay);
  MESH_ASSIGN_OR_RETURN(NativeSlashRecord record, LocalStaking::RecordJailing(c, validator));
  MESH_RETURN_IF_ERROR(native_slash(c));
  MESH_RETURN_IF_ERROR(LocalStaking::SettleNativeSlash(c, record));
  return overlay.Commit();
}

}  // namespace

absl::Status HandleNativeDoubleSign(const Context& ctx, const ValidatorAddress& validator,
                                    int64_t infraction_height, uint64_t power) {
  return SlashNatively(ctx, validator, [&](const Context& c) {
    return Staking::HandleDoubleSign(c, validator, infraction_height, power);
  });
}

absl::Status HandleNativeDowntime(const Context& ctx, const ValidatorAddress& validator,
                                  int64_t infraction_height, uint64_t power) {
  return SlashNatively(ctx, validator, [&](const Context& c) {
    return Staking::HandleDowntime(c, validator, infraction_height, power);
  });
}

absl::Status HandleConsumerDowntime(const Context& ctx, const ValidatorAddress& validator,
                                    int64_t infraction_height, uint64_t power, Dec fraction,
                                    uint64_t jail_duration_s) {
  return SlashNatively(ctx, validator, [&](const Context& c) {
    return Staking::HandleDowntimeWith(c, validator, infraction_height, power, fraction,
                                       jail_duration_s);
  });
}

absl::StatusOr<Amount> HandleGovernanceSlash(const Context& ctx,
                                             const provider::NativeSlashOrder& order) {
  const ValidatorAddress& val = order.validator;
  MESH_ASSIGN_OR_RETURN(std::optional<staking::Validator> v, Staking::GetValidator(ctx, val));
  if (!v.has_value() || v->tombstoned || v->status == staking::BondStatus::kUnbonded) {
    return Amount::Zero();
  }
  MESH_ASSIGN_OR_RETURN(uint64_t power, Staking::PowerAtHeight(ctx, val, order.infraction_height));
  MESH_ASSIGN_OR_RETURN(staking::Params params, Staking::GetParams(ctx));
  const int64_t height = static_cast<int64_t>(order.infraction_height);
  Amount burned;
  MESH_RETURN_IF_ERROR(SlashNatively(ctx, val, [&](const Context& c) -> absl::Status {
    MESH_ASSIGN_OR_RETURN(burned, Staking::Slash(c, val, height, power, order.fraction,
                                                 order.tombstone));
    if (order.tombstone) return Staking::Tombstone(c, val);
    if (v->jailed) return absl::OkStatus();
    // Fraction 0: jail only, for the downtime jail duration.
    return Staking::HandleDowntimeWith(c, val, height, power, Dec::Zero(),
                                       params.downtime_jail_duration_s);
  }));
  return burned;
}

}  // namespace mesh::app
