// Converter: provider tokens <-> local virtual tokens for one provider
// (mesh-consumer-ibc.md §2).
//
//   ToLocal   (stake, burn):  local  = floor(floor(remote * P) * A)
//   ToRemote  (slash amounts): remote = floor(floor(local * inv(P)) * inv(A))
// where P = native_per_foreign from the PriceFeed, A = 1 - discount, and
// inv(x) = floor(10^36 / x.raw) (truncated to 18 decimals). Two separate
// floors, price first: 9 at P 0.5, A 0.9 gives floor(4.5) = 4, floor(3.6) = 3.
// Both round down: the result is what one side pays the other.
//
// Unstakes do not go through the price: they release the local amount that
// the same stake was converted to (VirtualStaking records), so unstaking what
// was staked always succeeds whatever the price did (docs/compatibility.md).
//
// Stateless; deterministic.
#ifndef MESHSEC_MESH_CONSUMER_CONVERTER_H_
#define MESHSEC_MESH_CONSUMER_CONVERTER_H_

#include "absl/status/statusor.h"
#include "core/amount.h"
#include "core/context.h"
#include "core/dec.h"
#include "mesh/consumer/types.h"

namespace mesh::consumer {

class Converter {
 public:
  // Pure arithmetic. OutOfRange on overflow.
  static absl::StatusOr<Amount> Normalize(Amount remote, Dec price, Dec adjustment);
  // FailedPrecondition "Invalid price" if price <= 0; InvalidArgument if
  // adjustment <= 0.
  static absl::StatusOr<Amount> Invert(Amount local, Dec price, Dec adjustment);

  // Converts a provider coin to local tokens at the current price.
  // InvalidArgument "Sent wrong denom over IBC: X, expected Y" for a coin
  // not in the provider's denom; FailedPrecondition for a stale or missing
  // price; NotFound for an unknown provider.
  static absl::StatusOr<Amount> ToLocal(const Context& ctx, const ProviderId& provider,
                                        const Coin& remote);
  // Converts local tokens to a provider coin at the current price (same
  // errors as ToLocal, plus Invert's).
  static absl::StatusOr<Coin> ToRemote(const Context& ctx, const ProviderId& provider,
                                       Amount local);
};

}  // namespace mesh::consumer

#endif  // MESHSEC_MESH_CONSUMER_CONVERTER_H_
