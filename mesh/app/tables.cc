#include "mesh/app/tables.h"

#include "core/codec.h"
#include "core/status.h"

namespace mesh::app::tables {

std::string Key(uint8_t table, std::string_view id) { return Encoder(table).Str(id).Take(); }

absl::StatusOr<std::optional<std::string>> GetString(const KvReader& s, uint8_t table,
                                                     std::string_view id) {
  MESH_ASSIGN_OR_RETURN(std::optional<std::string> raw, s.Get(Key(table, id)));
  if (!raw.has_value()) return std::optional<std::string>();
  Decoder d(*raw);
  MESH_ASSIGN_OR_RETURN(std::string v, d.Str());
  MESH_RETURN_IF_ERROR(d.Finish());
  return std::optional<std::string>(std::move(v));
}

absl::Status PutString(KvStore& s, uint8_t table, std::string_view id, std::string_view value) {
  return s.Put(Key(table, id), Encoder().Str(value).Take());
}

}  // namespace mesh::app::tables
