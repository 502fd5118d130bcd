// RemoteValidators: the provider's height-indexed history of one consumer's
// validator set (mesh-provider.md §6), the reference's operation-based CRDT.
//
// Per validator a list of ValState sorted by start_height descending; entry 0
// is the current state. add/update/remove/jail insert an entry at the event's
// consumer height; tombstone is absorbing and drops history at or after its
// height: an event at or after that height is a no-op, while one below it
// (a reordered update arriving after the tombstone) still enters the history
// behind the tombstone, so every order of arrival gives the same history
// (P-44; the reference ignores every event after a tombstone). Among entries
// of equal height the one applied last is current (docs/compatibility.md:
// the reference keeps the first).
//
// The pure functions work on a ValidatorHistory; RemoteValidators stores one
// history per (consumer, valoper) in ctx.store(). Deterministic, stateless.
#ifndef MESHSEC_MESH_PROVIDER_REMOTE_VALIDATORS_H_
#define MESHSEC_MESH_PROVIDER_REMOTE_VALIDATORS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "core/context.h"
#include "core/ids.h"
#include "mesh/provider/types.h"

namespace mesh::provider {

// Pure history operations.
namespace history {
RemoteState Current(const ValidatorHistory& h);
// The entry with the highest start_height <= height, if any.
std::optional<ValState> AtHeight(const ValidatorHistory& h, uint64_t height);
bool ActiveAtHeight(const ValidatorHistory& h, uint64_t height);
void Add(ValidatorHistory& h, std::string pub_key, uint64_t height, uint64_t time);
void Update(ValidatorHistory& h, std::string pub_key, uint64_t height, uint64_t time);
void Remove(ValidatorHistory& h, uint64_t height, uint64_t time);
void Jail(ValidatorHistory& h, uint64_t height, uint64_t time);
void Tombstone(ValidatorHistory& h, uint64_t height, uint64_t time);
// Keeps the leading entries that started after `cutoff_time` (at least one).
void DrainOlder(ValidatorHistory& h, uint64_t cutoff_time);
}  // namespace history

class RemoteValidators {
 public:
  enum class Op : uint8_t { kAdd, kUpdate, kRemove, kJail, kTombstone };

  // Applies one operation at the consumer's (height, time). `pub_key` is used
  // by kAdd and kUpdate only.
  static absl::Status Apply(const Context& ctx, const ConsumerId& consumer,
                            const ValidatorAddress& val, Op op, uint64_t height, uint64_t time,
                            const std::string& pub_key = "");
  static absl::Status DrainOlder(const Context& ctx, const ConsumerId& consumer,
                                 const ValidatorAddress& val, uint64_t cutoff_time);

  // Empty history when the validator was never seen.
  static absl::StatusOr<ValidatorHistory> Get(const Context& ctx, const ConsumerId& consumer,
                                              const ValidatorAddress& val);
  static absl::StatusOr<RemoteState> CurrentState(const Context& ctx, const ConsumerId& consumer,
                                                  const ValidatorAddress& val);
  static absl::StatusOr<std::optional<ValState>> AtHeight(const Context& ctx,
                                                          const ConsumerId& consumer,
                                                          const ValidatorAddress& val,
                                                          uint64_t height);

  // Validators ascending by address, after `start_after` (exclusive), at
  // most `limit` (default 100).
  static absl::StatusOr<std::vector<std::pair<ValidatorAddress, RemoteState>>> List(
      const Context& ctx, const ConsumerId& consumer,
      const std::optional<ValidatorAddress>& start_after = std::nullopt,
      std::optional<uint64_t> limit = std::nullopt);
  // Only those whose current state is Active.
  static absl::StatusOr<std::vector<ValidatorAddress>> ListActive(
      const Context& ctx, const ConsumerId& consumer,
      const std::optional<ValidatorAddress>& start_after = std::nullopt,
      std::optional<uint64_t> limit = std::nullopt);
};

}  // namespace mesh::provider

#endif  // MESHSEC_MESH_PROVIDER_REMOTE_VALIDATORS_H_
