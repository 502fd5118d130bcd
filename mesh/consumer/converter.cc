#include "mesh/consumer/converter.h"

#include "core/status.h"
#include "mesh/consumer/price_feed.h"
#include "mesh/consumer/state.h"

namespace mesh::consumer {

absl::StatusOr<Amount> Converter::Normalize(Amount remote, Dec price, Dec adjustment) {
  MESH_ASSIGN_OR_RETURN(Amount priced, MulFloor(remote, price));
  return MulFloor(priced, adjustment);
}

absl::StatusOr<Amount> Converter::Invert(Amount local, Dec price, Dec adjustment) {
  if (!price.IsPositive()) {
    return absl::FailedPreconditionError("Invalid price, must be greater than 0.0");
  }
  if (!adjustment.IsPositive()) {
    return absl::InvalidArgumentError(
        "Invalid discount, must be greater or equal than 0.0 and less than 1.0");
  }
  MESH_ASSIGN_OR_RETURN(Dec inv_price, price.Inv());
  MESH_ASSIGN_OR_RETURN(Dec inv_adjustment, adjustment.Inv());
  MESH_ASSIGN_OR_RETURN(Amount priced, MulFloor(local, inv_price));
  return MulFloor(priced, inv_adjustment);
}

absl::StatusOr<Amount> Converter::ToLocal(const Context& ctx, const ProviderId& provider,
                                          const Coin& remote) {
  MESH_ASSIGN_OR_RETURN(ProviderConfig cfg, internal::LoadConfig(ctx, provider));
  if (remote.denom != cfg.remote_denom) {
    return absl::InvalidArgumentError("Sent wrong denom over IBC: " + remote.denom.value() +
                                      ", expected " + cfg.remote_denom.value());
  }
  MESH_ASSIGN_OR_RETURN(Dec price, PriceFeed::Price(ctx, provider));
  return Normalize(remote.amount, price, cfg.price_adjustment);
}

absl::StatusOr<Coin> Converter::ToRemote(const Context& ctx, const ProviderId& provider,
                                         Amount local) {
  MESH_ASSIGN_OR_RETURN(ProviderConfig cfg, internal::LoadConfig(ctx, provider));
  MESH_ASSIGN_OR_RETURN(Dec price, PriceFeed::Price(ctx, provider));
  MESH_ASSIGN_OR_RETURN(Amount remote, Invert(local, price, cfg.price_adjustment));
  return Coin{cfg.remote_denom, remote};
}

}  // namespace mesh::consumer
