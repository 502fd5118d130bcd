// SlashThrottle: the provider's slash meter (neighbours.md §2.5, ICS ADR-002
// as amended for ICS ≥ v2 "throttle with retries"; docs/shared-security.md).
//
// One meter per provider chain, in units of consensus power
// (tokens / staking power_reduction, truncated):
//   allowance = RoundHalfEven(replenish_fraction × total bonded power),
//               and 1 if that rounds to 0;
//   start     : meter = allowance, candidate = t + replenish_period;
//   each block: if t ≥ candidate: meter = min(meter + allowance, allowance),
//               candidate = t + period; then if meter ≥ allowance (full,
//               possibly because total power shrank): meter = allowance,
//               candidate = t + period.
// A slash reported by a consumer (an entry of a mesh valset update) is
// handled iff the meter is ≥ 0 *before* subtraction and no older slash is
// waiting; then meter −= cost. Otherwise it is appended to one persisted
// FIFO (all consumers; table 0x5B) and retried, head first, at every end
// of block while the meter is ≥ 0, so the order of each consumer's reports
// is kept and none is lost. ICS ≥ v2 bounces the packet and lets the
// consumer retry; a mesh consumer has no retry protocol (it sends its report
// once, inside a valset update), so the provider keeps the queue itself —
// the queue of ICS v1 without its MaxThrottledPackets panic.
//
// Cost of a slash on a mesh link: the consensus power of the provider's
// committed stake on the slashed consumer validator at the time it is
// handled (the power the provider exposes to that validator; what ICS calls
// the validator's power). Every reported slash costs it, jail-only (ratio 0)
// reports included — ICS ≥ v2 charges a jail its power unless the validator
// is already jailed; here a report always cuts collateral, so it is charged
// even for a jailed validator. Verified evidence (ConsumerEvidence) is not
// throttled (ICS: evidence is not metered).
//
// Bound: the meter is capped at A = allowance and a slash is handled only
// at a meter ≥ 0, so it never falls below −M (M = the largest single cost).
// Over any span of blocks with n replenishments the power of the slashes
// handled is therefore at most (n + 1)·A + M, whatever the consumers send;
// a steady attacker gets A per period (docs/shared-security.md, numbers).
//
// While a slash of validator V reported by consumer C waits, the external
// staking for C keeps each user's committed stake on V at or above his
// share of those slashes (Reserve: by the weight total stored when each was
// queued) — an unstake below it is refused — holds V's matured unbonds and
// keeps the acked changes its weights read (ExternalStaking, P-45): the
// consumer cut its records at once, so a lender could otherwise leave with
// the share it owes and the validator's other lenders would pay it.
//
// Stateless; state in tables 0x5A (meter and params), 0x5B / 0x5C (queue),
// 0xE6 (entries queued per consumer), 0x6D (per consumer and validator).
// Deterministic. Errors: InvalidArgument for bad params.
#ifndef MESHSEC_MESH_PROVIDER_SLASH_THROTTLE_H_
#define MESHSEC_MESH_PROVIDER_SLASH_THROTTLE_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/codec.h"
#include "core/context.h"
#include "core/dec.h"
#include "core/ids.h"
#include "mesh/provider/external_staking.h"

namespace mesh::provider {

// ICS defaults (§2.11): 5 % per hour.
struct ThrottleParams {
  Dec replenish_fraction = Dec::FromRaw(Dec::kOne / 20);
  uint64_t replenish_period_s = 3600;
  // Most queued slashes handled in one end block (bounded work per block,
  // ICS #1001); zero-cost entries do not move the meter.
  uint32_t max_per_block = 100;
  // Most slashes of one consumer waiting in the queue. A report beyond it
  // fails its packet (ResourceExhausted kErrThrottleQueueFull → error ack;
  // the consumer resends a refused valset update later, C-22), so the queue
  // holds at most this many entries per consumer link and a consumer that
  // floods it delays only its own reports. Stored after the other fields
  // (absent in records written before it: the default).
  uint32_t max_queued_per_consumer = 1000;
};

inline constexpr char kErrThrottleQueueFull[] =
    "the slash meter's queue for this consumer is full; resend later";

struct ThrottleState {
  ThrottleParams params;
  bool started = false;
  int64_t meter = 0;
  uint64_t candidate_s = 0;
  void Encode(Encoder& e) const;
  static absl::StatusOr<ThrottleState> Decode(Decoder& d);
};

struct QueuedSlash {
  uint64_t seq = 0;
  ConsumerId consumer;
  RemoteSlash slash;
};

// Pure meter arithmetic.
namespace meter {
int64_t Allowance(Dec fraction, uint64_t total_power);
// The start of the meter (first block).
void Start(ThrottleState& s, int64_t allowance, uint64_t now_s);
// The per-block replenishment of ICS (header comment).
void Replenish(ThrottleState& s, int64_t allowance, uint64_t now_s);
}  // namespace meter

class SlashThrottle {
 public:
  // InvalidArgument unless fraction ∈ [0, 1], period > 0, max_per_block > 0,
  // max_queued_per_consumer > 0.
  // Keeps the meter and the queue.
  static absl::Status SetParams(const Context& ctx, const ThrottleParams& params);
  // The stored state; defaults (not started) before the first use.
  static absl::StatusOr<ThrottleState> State(const Context& ctx);
  // Σ consensus power of the bonded native validators.
  static absl::StatusOr<uint64_t> TotalPower(const Context& ctx);
  // The current cost of handling `slash` (header comment).
  static absl::StatusOr<int64_t> Cost(const Context& ctx, const ConsumerId& consumer,
                                      const RemoteSlash& slash);
  // A consumer's reported slash, judged on arrival against the history
  // before the rest of its packet (ExternalStaking::ReportedSlashApplies):
  // one that would be deferred or dropped goes its way at once and costs
  // nothing (a deferred slash applied later is not metered); one that
  // applies is handled now (ExternalStaking::HandleRemoteSlash,
  // meter −= cost) if nothing waits and the meter is ≥ 0, else queued and
  // handled the same way later. Returns true when handled now. Errors:
  // those of the handler, and ResourceExhausted kErrThrottleQueueFull when
  // the consumer already has max_queued_per_consumer slashes waiting (the
  // caller's packet then fails as a whole).
  static absl::StatusOr<bool> Submit(const Context& ctx, const ConsumerId& consumer,
                                     const RemoteSlash& slash);
  // End of block: starts the meter on first use, replenishes, then handles
  // queued slashes head first while the meter is ≥ 0 (at most
  // max_per_block). A queued slash whose consumer link is gone or closed is
  // dropped (there is nothing left to cut).
  static absl::Status EndBlock(const Context& ctx);
  // Whether a slash of `validator` from `consumer` waits in the queue (one
  // point read of table 0x6D).
  static absl::StatusOr<bool> Waiting(const Context& ctx, const ConsumerId& consumer,
                                      const ValidatorAddress& validator);
  // Σ amount of the slashes of `validator` from `consumer` that wait (0 when
  // none; the same point read): no lender's share of them exceeds it.
  // Unstake keeps Reserve (below), at most this.
  static absl::StatusOr<Amount> QueuedAmount(const Context& ctx, const ConsumerId& consumer,
                                             const ValidatorAddress& validator);
  // What `stake` (a user's stake on `validator` at `consumer`) keeps while
  // slashes of the validator from the consumer wait (P-45), at most its
  // committed stake: over each waiting slash, his share by the P-33 weights
  // rounded up, ceil(amount × w / (W − A)) + 1, where w bounds his weight
  // (ExternalStaking::SlashWeightBound), W is the slash's weight total
  // stored when it was queued and A the amounts of the slashes of the
  // validator queued before it (their handling lowers the weights by at
  // most that); the + 1 is SplitByWeight's remainder unit; never above the
  // slash's amount. A slash queued before W was stored keeps its whole
  // amount (the coarse rule). One point read and no stake scan; work linear
  // in the slashes of the validator waiting (≤ max_queued_per_consumer).
  static absl::StatusOr<Amount> Reserve(const Context& ctx, const ConsumerId& consumer,
                                        const ValidatorAddress& validator,
                                        const AccountAddress& user, const Stake& stake);
  // How many slashes of `consumer` wait.
  static absl::StatusOr<uint64_t> QueuedFor(const Context& ctx, const ConsumerId& consumer);
  // The waiting slashes, oldest first.
  static absl::StatusOr<std::vector<QueuedSlash>> Queue(const Context& ctx);
};

}  // namespace mesh::provider

#endif  // MESHSEC_MESH_PROVIDER_SLASH_THROTTLE_H_
