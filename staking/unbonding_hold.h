// Unbonding holds (neighbours.md §1.5 "On hold"; ICS <= v4 PutUnbondingOnHold
// / UnbondingCanComplete). A mature unbonding operation (undelegation entry,
// redelegation entry, validator unbonding) does not complete while its hold
// count is > 0; it completes at the first end block at or after its
// completion time at which the count is 0.
//
// The journal: while it is on (SetJournal), every operation started gets one
// hold and an entry in the journal; the holder (mesh/provider/ccv.cc,
// docs/shared-security.md "Unbonding waits for maturity") takes the journal,
// puts its own holds and releases the journal's one. With the journal off and
// no holds (the default) staking behaves, and writes its state, exactly as
// without this file.
//
// An operation is named by an opaque id (UnbondingOpId): its kind and the
// fields that identify its entry. Entries merged into an existing one (same
// creation height and completion time) share its id.
//
// State (docs/state-layout.md): 0x38 hold counts, 0x39 journal, 0x3A switch.
#ifndef MESHSEC_STAKING_UNBONDING_HOLD_H_
#define MESHSEC_STAKING_UNBONDING_HOLD_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/context.h"
#include "core/ids.h"

namespace mesh::staking {

// Ids of the three kinds of unbonding operation.
std::string UndelegationOpId(const AccountAddress& del, const ValidatorAddress& val,
                             uint64_t creation_height, uint64_t completion_ns);
std::string RedelegationOpId(const AccountAddress& del, const ValidatorAddress& src,
                             const ValidatorAddress& dst, uint64_t creation_height,
                             uint64_t completion_ns);
std::string ValidatorUnbondingOpId(const ValidatorAddress& val, uint64_t unbonding_height,
                                   uint64_t unbonding_time_ns);

class UnbondingHolds {
 public:
  // Turns the journal on or off (writes only on a change).
  static absl::Status SetJournal(const Context& ctx, bool on);
  static absl::StatusOr<bool> JournalOn(const Context& ctx);
  // The operations started since the last call, in id order; removes them
  // from the journal. Each still carries the journal's hold: the caller
  // releases it once it has put its own.
  static absl::StatusOr<std::vector<std::string>> TakeStarted(const Context& ctx);
  static absl::Status Hold(const Context& ctx, std::string_view op);
  // A no-op for an operation without holds (completed or cancelled since).
  static absl::Status Release(const Context& ctx, std::string_view op);
  static absl::StatusOr<uint64_t> Count(const Context& ctx, std::string_view op);
};

namespace internal {
// Called by staking when `op` starts: journaled and held if the journal is on.
absl::Status RecordStartedOp(const Context& ctx, std::string_view op);
absl::StatusOr<bool> OnHold(const Context& ctx, std::string_view op);
}  // namespace internal

}  // namespace mesh::staking

#endif  // MESHSEC_STAKING_UNBONDING_HOLD_H_
