// SlashGuard: what the provider accepts from a consumer's slash reports,
// checked before ExternalStaking applies a valset update (docs/security.md,
// docs/compatibility.md P-30 .. P-32).
//
// A consumer is trusted for its validator set and for slashes, but only up
// to what the link allows:
//  - an entry naming a validator never seen in a valset update of that
//    consumer (no history here, and not named in any list of the same
//    packet) is refused: InvalidArgument kErrSlashUnknownValidator. The
//    whole packet gets an error ack and nothing is kept (no deferred slash);
//  - the ratio must parse and lie in [0, 1] ("Invalid slash ratio") and must
//    not exceed the link's configured fraction for the infraction: the
//    double-sign fraction when the validator is tombstoned (in this packet's
//    `tombstoned` list or already in the history: a double-sign slash can
//    arrive after its tombstone, C-8), else the downtime fraction. Above it:
//    InvalidArgument "slash ratio R exceeds the configured <kind> fraction F";
//  - the amount is clipped to the most the ratio can take of what the
//    consumer could hold for the validator: ceil(ratio × (Σ stake.high over
//    the validator's users here + the burns toward the consumer on it not
//    yet acknowledged)). Stake in flight counts (the consumer may have it);
//    so do burns queued in the outbox or in flight (`unsettled_burns`, kept
//    by the IBC application): the consumer still holds that stake, and its
//    report was computed on it. Pending unbonds do not count (they are cut
//    by the ratio on their own, never by the amount). Rounded up: the slash is owed to the
//    consumer, so rounding never clips an honest report. Clipped rather than
//    refused: an honest consumer reports its slash at the current price, so
//    after a price drop its amount can exceed ratio × stake, and a refused
//    update is sent again for ever (C-22).
//
// Stateless; reads only. Deterministic.
#ifndef MESHSEC_MESH_PROVIDER_SLASH_GUARD_H_
#define MESHSEC_MESH_PROVIDER_SLASH_GUARD_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/amount.h"
#include "core/context.h"
#include "core/dec.h"
#include "core/ids.h"
#include "mesh/provider/external_staking.h"

namespace mesh::provider {

inline constexpr char kErrSlashUnknownValidator[] =
    "slash names a validator never seen in a valset update: ";

// One entry whose amount was lowered.
struct SlashClip {
  ValidatorAddress validator;
  Amount reported;
  Amount applied;
};

class SlashGuard {
 public:
  // Checks every entry of `update.slashed` (refusal: the first failing entry's
  // error, `update` unchanged) and clips their amounts in place; returns the
  // clipped entries in packet order.
  // `unsettled_burns`: burns sent toward the consumer and not yet
  // acknowledged, by validator (the queued ones are read from the outbox).
  static absl::StatusOr<std::vector<SlashClip>> Check(
      const Context& ctx, const ConsumerId& consumer, ValsetUpdate& update,
      const std::map<std::string, Amount>& unsettled_burns = {});
  // ceil(ratio × (Σ (stake.high + pending unbonds) of `validator`'s users on
  // `consumer` + `extra`)).
  static absl::StatusOr<Amount> Bound(const Context& ctx, const ConsumerId& consumer,
                                      const ValidatorAddress& validator, Dec ratio,
                                      Amount extra = Amount());
};

}  // namespace mesh::provider

#endif  // MESHSEC_MESH_PROVIDER_SLASH_GUARD_H_
