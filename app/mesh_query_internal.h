// Helpers shared by the mesh query services (mesh_query_service.cc,
// shared_security_query_service.cc): formatting, page keys and the
// pagination of whole lists (node/pagination.h). Internal to app/.
#ifndef MESHSEC_APP_MESH_QUERY_INTERNAL_H_
#define MESHSEC_APP_MESH_QUERY_INTERNAL_H_

#include <google/protobuf/timestamp.pb.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "core/codec.h"
#include "core/context.h"
#include "core/status.h"
#include "mesh/consumer/types.h"
#include "mesh/provider/vault.h"
#include "node/chain_query.h"
#include "node/pagination.h"

namespace mesh::app::mq {

// The engine's read functions page by at most 30 entries; the queries read
// whole lists through them and paginate those (node/pagination.h).
inline constexpr uint64_t kReadBatch = 30;

// An 18-place decimal as the SDK's LegacyDec text.
inline std::string DecText(Dec d) { return consumer::Dec18String(d); }

inline void SetTime(uint64_t ns, google::protobuf::Timestamp* t) {
  t->set_seconds(static_cast<int64_t>(ns / kNanosPerSecond));
  t->set_nanos(static_cast<int32_t>(ns % kNanosPerSecond));
}

// Page keys: big-endian ids sort numerically; '\0' separates the fields of
// a composite key (addresses and ids never contain it).
inline std::string IdKey(uint64_t id) { return Encoder().U64(id).Take(); }
inline std::string PairKey(std::string_view a, std::string_view b) {
  std::string key(a);
  key.push_back('\0');
  key.append(b);
  return key;
}

inline absl::Status Required(const char* field, const std::string& value) {
  if (value.empty()) return absl::InvalidArgumentError(absl::StrCat(field, " is empty"));
  return absl::OkStatus();
}

// Fills `resp` with the page of `items` (keyed by key_of) `req` asks for.
template <typename T, typename KeyFn, typename Req, typename Resp, typename FillFn>
absl::Status FillPage(const std::vector<T>& items, KeyFn key_of, const Req& req, Resp* resp,
                      FillFn fill) {
  MESH_ASSIGN_OR_RETURN(std::vector<size_t> page,
                        node::page::Paginate(items, key_of, req.pagination(),
                                             resp->mutable_pagination()));
  for (size_t i : page) {
    MESH_RETURN_IF_ERROR(fill(items[i]));
  }
  return absl::OkStatus();
}

// Fills `resp` with the page `req` asks for of a list read in key order
// from the store: `walk(from, reverse, visit)` hands `visit(key, item)` the
// list's entries from a page key (node::page::PaginateOrdered); `fill`
// then reads each item of the page. A page of a long list costs the page.
template <typename Item, typename Req, typename Resp, typename Walk, typename FillFn>
absl::Status FillOrderedPage(const Req& req, Resp* resp, Walk walk, FillFn fill) {
  MESH_ASSIGN_OR_RETURN(std::vector<Item> page,
                        node::page::PaginateOrdered<Item>(req.pagination(),
                                                          resp->mutable_pagination(), walk));
  for (const Item& item : page) {
    MESH_RETURN_IF_ERROR(fill(item));
  }
  return absl::OkStatus();
}

// The vault config; FailedPrecondition on a chain without the provider role.
inline absl::StatusOr<provider::VaultConfig> RequireProvider(const Context& ctx) {
  absl::StatusOr<provider::VaultConfig> cfg = provider::Vault::Config(ctx);
  if (absl::IsNotFound(cfg.status())) {
    return absl::FailedPreconditionError("this chain has no provider role");
  }
  return cfg;
}

// meshsec.v1.SharedSecurityQuery (shared_security_query_service.cc).
std::unique_ptr<grpc::Service> NewSharedSecurityQueryService(node::ChainQueryFn query);

}  // namespace mesh::app::mq

#endif  // MESHSEC_APP_MESH_QUERY_INTERNAL_H_
