// The consensus key a provider validator signs with on a consumer chain of a
// replicated / opt-in link (neighbours.md §2.6). Today every validator uses
// its provider consensus key on every consumer; key assignment (a separate
// store with per-consumer keys and pruning) plugs in behind these two
// functions without changing their callers.
//
// Deterministic; reads only.
#ifndef MESHSEC_MESH_PROVIDER_CONSUMER_KEYS_H_
#define MESHSEC_MESH_PROVIDER_CONSUMER_KEYS_H_

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "core/context.h"
#include "core/ids.h"
#include "mesh/provider/types.h"
#include "staking/staking.h"

namespace mesh::provider {

// CometBFT consensus address of an ed25519 key: the first 20 bytes of its
// SHA-256.
std::string ConsensusAddressOf(std::string_view pubkey);

// The 32-byte ed25519 key `validator` uses on `consumer` (default: its own
// provider consensus key).
absl::StatusOr<std::string> ConsumerKeyOf(const Context& ctx, const ConsumerId& consumer,
                                          const staking::Validator& validator);

// The provider validator whose consumer key on `consumer` has the consensus
// address `consumer_address` (raw bytes); nullopt if none.
absl::StatusOr<std::optional<ValidatorAddress>> ProviderValidatorOf(
    const Context& ctx, const ConsumerId& consumer, std::string_view consumer_address);

}  // namespace mesh::provider

#endif  // MESHSEC_MESH_PROVIDER_CONSUMER_KEYS_H_
