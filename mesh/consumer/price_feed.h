// PriceFeed: the consumer's price of one provider's token, per provider.
//
// A price is "native_per_foreign": how many local (consumer) tokens one
// provider token is worth. It is posted by the provider's authorised oracle
// account or by the module authority (governance) and stamped with the block
// time. It is valid while stored_time + ttl > now (strict, in nanoseconds;
// reference PriceKeeper, mesh-consumer-ibc.md §1.3): with ttl 600 s a price
// set at t0 is valid through t0+599 and stale from t0+600.
//
// A stale or missing price is FailedPrecondition: the engine never converts
// at a wrong price. Stateless over Context; deterministic.
#ifndef MESHSEC_MESH_CONSUMER_PRICE_FEED_H_
#define MESHSEC_MESH_CONSUMER_PRICE_FEED_H_

#include <cstdint>
#include <optional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/context.h"
#include "core/dec.h"
#include "core/ids.h"
#include "mesh/consumer/types.h"

namespace mesh::consumer {

class PriceFeed {
 public:
  // Posts a price at the block time. PermissionDenied unless `sender` is the
  // provider's oracle or the module authority; InvalidArgument unless the
  // price is > 0; NotFound for an unknown provider.
  static absl::Status SetPrice(const Context& ctx, const AccountAddress& sender,
                               const ProviderId& provider, Dec native_per_foreign);

  // Stores `price` observed at `time_ns` unless a newer price is stored
  // (an update with an older time is ignored; equal time overwrites).
  static absl::Status Update(const Context& ctx, const ProviderId& provider, uint64_t time_ns,
                             Dec native_per_foreign);

  // The current price. FailedPrecondition "No price data available" if none
  // was ever set, "Price data is outdated" once stale.
  static absl::StatusOr<Dec> Price(const Context& ctx, const ProviderId& provider);
  // The stored price and its time, stale or not (nullopt if none was ever
  // set); for queries. NotFound for an unknown provider.
  static absl::StatusOr<std::optional<PriceInfo>> Stored(const Context& ctx,
                                                         const ProviderId& provider);
};

}  // namespace mesh::consumer

#endif  // MESHSEC_MESH_CONSUMER_PRICE_FEED_H_
