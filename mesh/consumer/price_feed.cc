#include "mesh/consumer/price_feed.h"

#include <optional>

#include "core/record.h"
#include "core/status.h"
#include "mesh/consumer/state.h"

namespace mesh::consumer {

using internal::kPricePrefix;
using internal::ProviderPrefix;

absl::Status PriceFeed::SetPrice(const Context& ctx, const AccountAddress& sender,
                                 const ProviderId& provider, Dec native_per_foreign) {
  MESH_ASSIGN_OR_RETURN(ProviderConfig cfg, internal::LoadConfig(ctx, provider));
  MESH_ASSIGN_OR_RETURN(ModuleParams params, internal::LoadParams(ctx));
  if (sender != cfg.oracle && sender != params.authority) {
    return absl::PermissionDeniedError("Unauthorized");
  }
  if (!native_per_foreign.IsPositive()) {
    return absl::InvalidArgumentError("Invalid price, must be greater than 0.0");
  }
  return Update(ctx, provider, ctx.time_ns(), native_per_foreign);
}

absl::Status PriceFeed::Update(const Context& ctx, const ProviderId& provider, uint64_t time_ns,
                               Dec native_per_foreign) {
  std::string key = ProviderPrefix(kPricePrefix, provider);
  MESH_ASSIGN_OR_RETURN(std::optional<PriceInfo> stored, GetRecord<PriceInfo>(ctx.store(), key));
  if (stored.has_value() && stored->time_ns > time_ns) return absl::OkStatus();
  return PutRecord(ctx.store(), key, PriceInfo{time_ns, native_per_foreign});
}

absl::StatusOr<std::optional<PriceInfo>> PriceFeed::Stored(const Context& ctx,
                                                          const ProviderId& provider) {
  MESH_RETURN_IF_ERROR(internal::LoadConfig(ctx, provider).status());
  return GetRecord<PriceInfo>(ctx.store(), ProviderPrefix(kPricePrefix, provider));
}

absl::StatusOr<Dec> PriceFeed::Price(const Context& ctx, const ProviderId& provider) {
  MESH_ASSIGN_OR_RETURN(ProviderConfig cfg, internal::LoadConfig(ctx, provider));
  MESH_ASSIGN_OR_RETURN(std::optional<PriceInfo> stored,
                        GetRecord<PriceInfo>(ctx.store(), ProviderPrefix(kPricePrefix, provider)));
  if (!stored.has_value()) return absl::FailedPreconditionError("No price data available");
  // Valid iff now - ttl < stored.time, written without underflow.
  u128 valid_until = static_cast<u128>(stored->time_ns) +
                     static_cast<u128>(cfg.price_ttl_s) * kNanosPerSecond;
  if (valid_until <= ctx.time_ns()) {
    return absl::FailedPreconditionError("Price data is outdated");
  }
  return stored->native_per_foreign;
}

}  // namespace mesh::consumer
