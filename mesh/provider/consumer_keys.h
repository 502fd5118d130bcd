// ConsumerKeys: key assignment (neighbours.md §2.6, ICS MsgAssignConsumerKey):
// a provider validator chooses the ed25519 consensus key it uses on one
// consumer chain; evidence and slash reports that name a consumer key are
// mapped back to the provider validator.
//
// Rules of Assign (the ICS rules, checked in this order):
//  - the consumer must be a configured link (NotFound otherwise) and not
//    closed (FailedPrecondition);
//  - the validator must exist in native staking (NotFound);
//  - the key must be 32 bytes (InvalidArgument kErrBadConsumerKey);
//  - a key that is some provider validator's own consensus key: refused
//    for another validator (kErrKeyIsProviderKey); for the same validator
//    only allowed when it has assigned another key before
//    (kErrDefaultKeyAssignment), i.e. it means "go back to my own key";
//  - a key whose consumer address is mapped on that consumer — in use by any
//    validator, including the caller, or an old key still kept for pruning —
//    is refused (AlreadyExists kErrConsumerKeyInUse; ICS #1998: re-assigning
//    the same key is an error, not a no-op).
//
// Pruning rule: the reverse mapping of a replaced key is kept for the
// link's unbonding period after the replacement (`prune_at_s`, ICS ≥ v5,
// ADR-018: by time) and removed by Prune at the first block at or after it.
// Nothing can refer to it later: a slash report's infraction must lie inside
// the unbonding window (older ones are dropped with the validator history,
// P-26) and evidence older than the unbonding period is refused as too old
// (ConsumerEvidence), so an infraction signed with the old key cannot be
// reported or proven after its mapping is gone; until then the key cannot be
// assigned again by anyone.
//
// Stateless: tables 0x5D (consumer, provider valoper) -> key and 0x5E
// (consumer, consumer address) -> KeyAssignment. Deterministic.
#ifndef MESHSEC_MESH_PROVIDER_CONSUMER_KEYS_H_
#define MESHSEC_MESH_PROVIDER_CONSUMER_KEYS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/codec.h"
#include "core/context.h"
#include "core/ids.h"
#include "mesh/provider/types.h"
#include "staking/staking.h"

namespace mesh::provider {

inline constexpr char kErrBadConsumerKey[] = "consumer key must be a 32-byte ed25519 public key";
inline constexpr char kErrKeyIsProviderKey[] =
    "consumer key is the provider consensus key of another validator";
inline constexpr char kErrDefaultKeyAssignment[] =
    "cannot assign the validator's own provider key before assigning another key";
inline constexpr char kErrConsumerKeyInUse[] = "consumer key is already in use on this consumer";

// A consumer address's mapping to the provider validator that assigned it.
struct KeyAssignment {
  ValidatorAddress provider_validator;
  std::string pubkey;       // 32 bytes
  uint64_t prune_at_s = 0;  // 0 while current; else replaced, pruned at this time
  void Encode(Encoder& e) const;
  static absl::StatusOr<KeyAssignment> Decode(Decoder& d);
};

class ConsumerKeys {
 public:
  static absl::Status Assign(const Context& ctx, const ConsumerId& consumer,
                             const ValidatorAddress& validator, std::string_view pubkey);
  // The key `validator` uses on `consumer`: its assignment, else its
  // provider consensus key (ICS: unassigned validators use their own key).
  // NotFound for an unknown validator.
  static absl::StatusOr<std::string> KeyOn(const Context& ctx, const ConsumerId& consumer,
                                           const ValidatorAddress& validator);
  // The explicit assignment only.
  static absl::StatusOr<std::optional<std::string>> Assigned(const Context& ctx,
                                                             const ConsumerId& consumer,
                                                             const ValidatorAddress& validator);
  // The mapping of a 20-byte consumer consensus address (current or kept
  // for pruning), if any.
  static absl::StatusOr<std::optional<KeyAssignment>> ByConsumerAddress(
      const Context& ctx, const ConsumerId& consumer, std::string_view address);
  // Every mapping of `consumer` (current and kept for pruning), by
  // consumer address bytes ascending: (address, assignment).
  static absl::StatusOr<std::vector<std::pair<std::string, KeyAssignment>>> Assignments(
      const Context& ctx, const ConsumerId& consumer);
  // The provider validator signing with `address` on `consumer`: the
  // reverse mapping, else the provider validator whose own consensus key
  // has that address and has no assignment on `consumer`; nullopt if none.
  static absl::StatusOr<std::optional<ValidatorAddress>> ProviderValidatorFor(
      const Context& ctx, const ConsumerId& consumer, std::string_view address);
  // Removes every replaced mapping whose prune time has come (at most
  // `limit` per call, oldest first by key order of the scan).
  static absl::Status Prune(const Context& ctx, uint64_t limit = 100);
  // Deletes every assignment of `consumer`, current or kept for pruning, and
  // its prune-queue entries (the consumer is removed: nothing can refer to
  // them any more).
  static absl::Status RemoveConsumer(const Context& ctx, const ConsumerId& consumer);
};

// The interface of the replicated / opt-in link modes (ccv.h) to key
// assignment:
// CometBFT consensus address of an ed25519 key (the first 20 bytes of its
// SHA-256; canonical_vote.h ConsensusAddress).
std::string ConsensusAddressOf(std::string_view pubkey);
// The 32-byte ed25519 key `validator` uses on `consumer` (ConsumerKeys::KeyOn).
absl::StatusOr<std::string> ConsumerKeyOf(const Context& ctx, const ConsumerId& consumer,
                                          const staking::Validator& validator);
// The provider validator whose key on `consumer` has the consensus address
// `consumer_address` (ConsumerKeys::ProviderValidatorFor); nullopt if none.
absl::StatusOr<std::optional<ValidatorAddress>> ProviderValidatorOf(
    const Context& ctx, const ConsumerId& consumer, std::string_view consumer_address);

}  // namespace mesh::provider

#endif  // MESHSEC_MESH_PROVIDER_CONSUMER_KEYS_H_
