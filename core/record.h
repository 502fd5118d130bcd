// Typed records over a KvStore.
//
// A record type T provides
//   void Encode(Encoder& e) const;
//   static absl::StatusOr<T> Decode(Decoder& d);
// and is stored as the encoder's bytes. GetRecord/PutRecord add the store
// round trip and reject trailing bytes.
#ifndef MESHSEC_CORE_RECORD_H_
#define MESHSEC_CORE_RECORD_H_

#include <optional>
#include <string>
#include <string_view>

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

template <typename T>
std::string EncodeRecord(const T& value) {
  Encoder e;
  value.Encode(e);
  return e.Take();
}

template <typename T>
absl::StatusOr<std::optional<T>> GetRecord(const KvReader& store, std::string_view key) {
  MESH_ASSIGN_OR_RETURN(std::optional<std::string> raw, store.Get(key));
  if (!raw.has_value()) return std::optional<T>();
  MESH_ASSIGN_OR_RETURN(T value, DecodeRecord<T>(*raw));
  return std::optional<T>(std::move(value));
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
  return store.Put(key, EncodeRecord(value));
}

}  // namespace mesh

#endif  // MESHSEC_CORE_RECORD_H_
