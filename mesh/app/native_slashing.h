// Native misbehaviour of a validator of this chain, as the node's block
// handler receives it: double-sign evidence and downtime (missed blocks).
//
// The application calls these from its block handler with the evidence's
// infraction height and the validator's power at that height (ABCI evidence
// carries it; a caller that only knows the height passes
// staking::Staking::PowerAtHeight(ctx, validator, infraction_height)).
// Each call, atomically (nothing is written unless it all succeeds):
//   1. records the jailing for the local-staking lien holder
//      (provider::LocalStaking::RecordJailing: what each local staker holds
//      within the slash's reach);
//   2. runs the native slash (staking::Staking::HandleDoubleSign /
//      HandleDowntime: slash, jail, and for a double sign tombstone);
//   3. makes every local staker lose exactly what that slash burned from its
//      proxy's delegations and unbonding entries
//      (provider::LocalStaking::SettleNativeSlash → Vault::Slash with lien
//      holder Local and the propagation that follows), so the local lien and
//      the collateral fall with the delegation.
// On a chain without local staking (no provider role, or the provider's
// local staking disabled) steps 1 and 3 do nothing. Evidence the native
// handler ignores (tombstoned, unbonded; downtime of a jailed validator)
// slashes no one.
// Errors: those of the native handler (NotFound for downtime of an unknown
// validator, InvalidArgument for an infraction in the future) and of the
// vault; deterministic.
#ifndef MESHSEC_MESH_APP_NATIVE_SLASHING_H_
#define MESHSEC_MESH_APP_NATIVE_SLASHING_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/amount.h"
#include "mesh/provider/governance.h"
#include "core/context.h"
#include "core/dec.h"
#include "core/ids.h"

namespace mesh::app {

absl::Status HandleNativeDoubleSign(const Context& ctx, const ValidatorAddress& validator,
                                    int64_t infraction_height, uint64_t power);

absl::Status HandleNativeDowntime(const Context& ctx, const ValidatorAddress& validator,
                                  int64_t infraction_height, uint64_t power);

// Downtime reported by a replicated / opt-in consumer (CcvProvider's
// decision): the same three steps with the link's fraction (0: jail only)
// and jail duration.
absl::Status HandleConsumerDowntime(const Context& ctx, const ValidatorAddress& validator,
                                    int64_t infraction_height, uint64_t power, Dec fraction,
                                    uint64_t jail_duration_s);

// A passed governance slash of a provider validator
// (provider::Governance::EndBlock's NativeSlasher): the same three steps —
// staking slash of `order.fraction` at `order.infraction_height` with the
// validator's power there (PowerAtHeight), then tombstone (jailed forever)
// or, for a jail-only order, jail for the staking downtime_jail_duration
// unless already jailed. A tombstoned or unbonded validator is ignored (0).
// Returns the tokens burned from the validator.
absl::StatusOr<Amount> HandleGovernanceSlash(const Context& ctx,
                                             const provider::NativeSlashOrder& order);

}  // namespace mesh::app

#endif  // MESHSEC_MESH_APP_NATIVE_SLASHING_H_
