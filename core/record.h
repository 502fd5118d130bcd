// Typed records over a KvStore.
//
// A record type T provides
//   void Encode(Encoder& e) const;
//   static absl::StatusOr<T> Decode(Decoder& d);
// and is stored as the encoder's bytes. GetRecord/PutRecord add the store
// round trip and reject trailing bytes.
#ifndef MESHSEC_CORE_RECORD_H_
#define MESHSEC_CORE_RECORD_H_

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/codec.h"
#include "core/kv.h"
#include "core/status.h"

namespace mesh {

template <typename T>
absl::StatusOr<T> DecodeRecord(std::string_view bytes) {
  Decoder d(bytes);
  MESH_ASSIGN_OR_RETURN(T value, T::Decode(d));
  MESH_RETURN_IF_ERROR(d.Finish());
  return value;
}

// A record buffer of at most this capacity is kept by its thread for the
// next record of its type; a larger one (a rare large record) is freed.
inline constexpr size_t kRecordBufferKept = 4096;

// The record's bytes in a string of their exact size, built with one
// allocation: they are encoded into a buffer the thread keeps for records
// of this type (its capacity reused from one record to the next), then
// copied out. Encoding into a fresh string regrew it at every doubling
// (five allocations and copies for a 300-byte stake) and left the slack
// with the value in a block's batch. REQUIRES: T::Encode does not itself
// call EncodeRecord<T> (it would write into the same buffer).
template <typename T>
std::string EncodeRecord(const T& value) {
  thread_local std::string buffer;
  Encoder e(std::move(buffer));
  value.Encode(e);
  std::string bytes(e.data());
  std::string used = e.Take();
  buffer = used.capacity() <= kRecordBufferKept ? std::move(used) : std::string();
  return bytes;
}

template <typename T>
absl::StatusOr<std::optional<T>> GetRecord(const KvReader& store, std::string_view key) {
  MESH_ASSIGN_OR_RETURN(std::optional<std::string> raw, store.Get(key));
  if (!raw.has_value()) return std::optional<T>();
  MESH_ASSIGN_OR_RETURN(T value, DecodeRecord<T>(*raw));
  return std::optional<T>(std::move(value));
}

// GetRecord of each of `keys` through one KvReader::GetMany; (*out)[i] is
// keys[i]'s record (nullopt when absent).
template <typename T>
absl::Status GetRecords(const KvReader& store, std::span<const std::string> keys,
                        std::vector<std::optional<T>>* out) {
  std::vector<std::optional<std::string>> raw;
  MESH_RETURN_IF_ERROR(store.GetMany(keys, &raw));
  out->clear();
  out->reserve(raw.size());
  for (std::optional<std::string>& bytes : raw) {
    if (!bytes.has_value()) {
      out->emplace_back();
      continue;
    }
    MESH_ASSIGN_OR_RETURN(T value, DecodeRecord<T>(*bytes));
    out->emplace_back(std::move(value));
  }
  return absl::OkStatus();
}

// Like GetRecord, but an absent record is `fallback`.
template <typename T>
absl::StatusOr<T> GetRecordOr(const KvReader& store, std::string_view key, T fallback) {
  MESH_ASSIGN_OR_RETURN(std::optional<T> v, GetRecord<T>(store, key));
  if (!v.has_value()) return fallback;
  return *std::move(v);
}

template <typename T>
absl::Status PutRecord(KvStore& store, std::string_view key, const T& value) {
  return store.PutOwned(std::string(key), EncodeRecord(value));
}
// A key built for this write (a std::string rvalue) is handed over, not
// copied.
template <typename T, typename K>
  requires std::same_as<K, std::string>
absl::Status PutRecord(KvStore& store, K&& key, const T& value) {
  return store.PutOwned(std::move(key), EncodeRecord(value));
}

// For the keys `prefix ‖ u64 n` with n >= from, in ascending n: calls
// fn(n, value), which returns StatusOr<bool> (false stops the scan). The
// scan starts at `from`, so keys deleted below it are never walked.
template <typename Fn>
absl::Status ForEachU64Keyed(const KvReader& store, std::string_view prefix, uint64_t from,
                             Fn&& fn) {
  auto it = store.Scan(Encoder().Raw(prefix).U64(from).Take(), PrefixEnd(prefix));
  for (; it->Valid(); it->Next()) {
    const std::string_view key = it->key();
    if (key.size() != prefix.size() + 8) return absl::DataLossError("u64-keyed entry: bad key");
    Decoder n(key.substr(prefix.size()));
    MESH_ASSIGN_OR_RETURN(uint64_t number, n.U64());
    MESH_ASSIGN_OR_RETURN(bool more, fn(number, it->value()));
    if (!more) break;
  }
  return it->status();
}

}  // namespace mesh

#endif  // MESHSEC_CORE_RECORD_H_
