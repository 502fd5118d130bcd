// Liveness: Cosmos SDK x/slashing's signed-blocks window. Every block, each
// vote of the last commit is recorded for its validator in a ring of
// `signed_blocks_window` bits; a validator whose window is full (it has
// been in the set for more than a window) and that missed more than
// window − floor(min_signed_per_window × window) blocks of it has been
// down: the caller slashes it (staking's downtime fraction, at the
// infraction height `height − 2`, the SDK's distribution height) and
// jails it, and its signing record starts afresh.
//
// State (docs/state-layout.md): 0xA0 ‖ str validator → SigningInfo;
// 0xA1 ‖ str validator ‖ u64 index → empty (a missed block in the ring).
// Stateless class; deterministic.
#ifndef MESHSEC_APP_LIVENESS_H_
#define MESHSEC_APP_LIVENESS_H_

#include <cstdint>
#include <optional>

#include "absl/status/statusor.h"
#include "app/genesis.h"
#include "core/context.h"
#include "core/ids.h"

namespace mesh::app {

struct SigningInfo {
  uint64_t start_height = 0;   // first height recorded since the last reset
  uint64_t index_offset = 0;   // votes recorded since then
  uint64_t missed = 0;         // missed blocks in the window
};

class Liveness {
 public:
  // Records whether `validator` signed the previous block. Returns true when
  // it crossed the downtime threshold with this vote (its record is reset;
  // the caller slashes and jails). InvalidArgument for a window of 0.
  static absl::StatusOr<bool> HandleVote(const Context& ctx, const LivenessParams& params,
                                         const ValidatorAddress& validator, bool signed_block);
  // Forgets the validator's record (after a jail, so the window refills).
  static absl::Status Reset(const Context& ctx, const ValidatorAddress& validator);
  static absl::StatusOr<std::optional<SigningInfo>> Get(const Context& ctx,
                                                        const ValidatorAddress& validator);
  // The most blocks a validator may miss in a window.
  static absl::StatusOr<uint64_t> MaxMissed(const LivenessParams& params);
};

}  // namespace mesh::app

#endif  // MESHSEC_APP_LIVENESS_H_
