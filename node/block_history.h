// BlockHistory: the committed views (Chain::CommittedView, a store snapshot
// each) of the last K blocks, so that a GrpcServer serves queries at a past
// height (the Cosmos `x-cosmos-block-height` request header; docs/grpc.md
// "Queries at a height").
//
// Add() records the view of a newly committed block; the oldest views beyond
// `keep` are dropped. A view at a height already kept replaces it (the same
// block published again); a lower height than the latest (a store restored
// under the server) drops every kept view above it.
//
// Thread safety: all methods are thread-safe; views are shared read-only.
#ifndef MESHSEC_NODE_BLOCK_HISTORY_H_
#define MESHSEC_NODE_BLOCK_HISTORY_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>

#include "absl/status/statusor.h"
#include "node/chain.h"

namespace mesh::node {

// The gRPC metadata key of the height header (request and response).
inline constexpr char kBlockHeightHeader[] = "x-cosmos-block-height";

// The height a request header names: nullopt for an absent or empty header
// or "0" (the latest block, as the Cosmos SDK reads 0); InvalidArgument for
// anything but a base-10 unsigned integer.
absl::StatusOr<std::optional<uint64_t>> ParseBlockHeight(std::optional<std::string_view> header);

class BlockHistory {
 public:
  // Keeps the views of the last `keep` blocks (at least 1).
  explicit BlockHistory(size_t keep);

  // Records the view of a committed block at view->height(). A null view
  // (a store without snapshots) clears the history.
  void Add(std::shared_ptr<const Chain> view);

  // The view at `height`, or the latest for nullopt. Unavailable while
  // nothing is kept; InvalidArgument for a height above the latest;
  // NotFound for a height no longer (or never) kept, naming the oldest
  // kept height.
  absl::StatusOr<std::shared_ptr<const Chain>> At(std::optional<uint64_t> height) const;

  // Null while nothing is kept.
  std::shared_ptr<const Chain> Latest() const;
  size_t size() const;
  size_t keep() const { return keep_; }

 private:
  const size_t keep_;
  mutable std::mutex mu_;
  std::map<uint64_t, std::shared_ptr<const Chain>> views_;  // by height, guarded by mu_
};

}  // namespace mesh::node

#endif  // MESHSEC_NODE_BLOCK_HISTORY_H_
