#include "mesh/provider/consumer_keys.h"

#include <vector>

#include "core/crypto.h"
#include "core/status.h"

namespace mesh::provider {

std::string ConsensusAddressOf(std::string_view pubkey) {
  const Hash256 h = Sha256(pubkey);
  return std::string(reinterpret_cast<const char*>(h.data()), 20);
}

absl::StatusOr<std::string> ConsumerKeyOf(const Context& /*ctx*/, const ConsumerId& /*consumer*/,
                                          const staking::Validator& validator) {
  return validator.consensus_pubkey;
}

absl::StatusOr<std::optional<ValidatorAddress>> ProviderValidatorOf(
    const Context& ctx, const ConsumerId& consumer, std::string_view consumer_address) {
  MESH_ASSIGN_OR_RETURN(std::vector<staking::Validator> all, staking::Staking::AllValidators(ctx));
  for (const staking::Validator& v : all) {
    MESH_ASSIGN_OR_RETURN(std::string key, ConsumerKeyOf(ctx, consumer, v));
    if (ConsensusAddressOf(key) == consumer_address) {
      return std::optional<ValidatorAddress>(v.operator_address);
    }
  }
  return std::optional<ValidatorAddress>();
}

}  // namespace mesh::provider
