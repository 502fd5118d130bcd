// State tables of the mesh IBC application (docs/mesh-ibc.md has the
// grammar). Keys: one prefix byte, then core/codec.h length-prefixed
// strings.
//
//   provider side (0x90-0x97)
//   0x90 authorized endpoint | str consumer  -> str connection, str port
//   0x91 consumer channel    | str consumer  -> str channel
//   0x92 channel consumer    | str channel   -> str consumer
//   0x93 burns in flight     | str consumer, str valoper -> amount (sent,
//                              not yet acked or timed out; SlashGuard bound)
//   consumer side (0x98-0x9F)
//   0x98 provider connection | str provider  -> str connection
//   0x99 provider channel    | str provider  -> str channel
//   0x9A channel provider    | str channel   -> str provider
//
// A stored channel is never deleted (the reference allows exactly one
// channel per pair, ever). Deterministic; internal to mesh/app.
#ifndef MESHSEC_MESH_APP_TABLES_H_
#define MESHSEC_MESH_APP_TABLES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/kv.h"

namespace mesh::app::tables {

inline constexpr uint8_t kProviderEndpoint = 0x90;
inline constexpr uint8_t kProviderChannelOf = 0x91;
inline constexpr uint8_t kProviderConsumerOf = 0x92;
inline constexpr uint8_t kProviderBurnsInFlight = 0x93;
inline constexpr uint8_t kConsumerConnection = 0x98;
inline constexpr uint8_t kConsumerChannelOf = 0x99;
inline constexpr uint8_t kConsumerProviderOf = 0x9A;

std::string Key(uint8_t table, std::string_view id);

// A single string value under Key(table, id); nullopt when absent.
absl::StatusOr<std::optional<std::string>> GetString(const KvReader& s, uint8_t table,
                                                     std::string_view id);
absl::Status PutString(KvStore& s, uint8_t table, std::string_view id, std::string_view value);

}  // namespace mesh::app::tables

#endif  // MESHSEC_MESH_APP_TABLES_H_
