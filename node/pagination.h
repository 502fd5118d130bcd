// SDK-style pagination (cosmos-sdk types/query.Paginate) over an in-memory
// list (Paginate) or a source read in key order, such as a store index
// (PaginateOrdered): key or offset (never both), limit 0 = the SDK's
// default limit with the total counted, count_total, reverse. Generic over
// the page messages (anything with the accessors of
// cosmos.base.query.v1beta1.PageRequest / PageResponse: key, offset, limit,
// count_total, reverse / set_next_key, set_total), so the Cosmos services
// and the meshsec.v1 mesh queries share one implementation.
#ifndef MESHSEC_NODE_PAGINATION_H_
#define MESHSEC_NODE_PAGINATION_H_

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "core/status.h"

namespace mesh::node::page {

inline constexpr uint64_t kDefaultLimit = 100;  // SDK query.DefaultLimit

// The request's limit (0: kDefaultLimit) and whether the total is counted
// (with a key never; limit 0 counts it, as the SDK does). InvalidArgument
// for a key and an offset both.
template <typename PageRequest>
absl::StatusOr<std::pair<uint64_t, bool>> PageLimits(const PageRequest& req) {
  if (req.offset() > 0 && !req.key().empty()) {
    return absl::InvalidArgumentError(
        "invalid request, either offset or key is expected, got both");
  }
  if (req.limit() == 0) return std::make_pair(kDefaultLimit, req.key().empty());
  return std::make_pair(req.limit(), req.key().empty() && req.count_total());
}

// Sorts `items` by key and returns the indices of the requested page, in
// page order; fills `resp`.
template <typename T, typename KeyFn, typename PageRequest, typename PageResponse>
absl::StatusOr<std::vector<size_t>> Paginate(const std::vector<T>& items, KeyFn key_of,
                                             const PageRequest& req, PageResponse* resp) {
  MESH_ASSIGN_OR_RETURN(auto limits, PageLimits(req));
  const auto [limit, count_total] = limits;
  std::vector<std::pair<std::string, size_t>> keyed;
  keyed.reserve(items.size());
  for (size_t i = 0; i < items.size(); ++i) keyed.emplace_back(key_of(items[i]), i);
  std::sort(keyed.begin(), keyed.end());
  if (req.reverse()) std::reverse(keyed.begin(), keyed.end());

  const size_t n = keyed.size();
  size_t begin = 0;
  if (!req.key().empty()) {
    // Forward: the first key >= req.key; reverse: the first key <= req.key.
    while (begin < n &&
           (req.reverse() ? keyed[begin].first > req.key() : keyed[begin].first < req.key())) {
      ++begin;
    }
  } else {
    begin = static_cast<size_t>(std::min<uint64_t>(req.offset(), n));
  }
  size_t end = begin + static_cast<size_t>(std::min<uint64_t>(limit, n - begin));
  std::vector<size_t> page;
  for (size_t i = begin; i < end; ++i) page.push_back(keyed[i].second);
  if (end < n) resp->set_next_key(keyed[end].first);
  if (count_total) resp->set_total(n);
  return page;
}

// Paginate over a source already in key order: `walk(from, reverse, visit)`
// calls `visit(key, item)` (returning absl::StatusOr<bool>: go on) for its
// entries in ascending key order from the first key >= `from` (with
// `reverse`: descending from the last key <= `from`; "" = from the start
// or the end) until visit returns false, and returns an absl::Status. The
// page is the same as Paginate's over the whole list, but only the entries
// up to the page's end (and one more, the next key) are visited, unless
// the total is counted. Each of the page's items, in page order, is handed
// to `add(item)` (returning absl::Status) during the walk, so an item may
// hold views of what the source holds at that step.
template <typename Item, typename PageRequest, typename PageResponse, typename Walk,
          typename Add>
absl::Status PaginateOrderedInto(const PageRequest& req, PageResponse* resp, Walk walk, Add add) {
  MESH_ASSIGN_OR_RETURN(auto limits, PageLimits(req));
  const uint64_t limit = limits.first;
  const bool count_total = limits.second;
  uint64_t skip = req.offset();
  uint64_t seen = 0;
  uint64_t added = 0;
  bool past_page = false;
  MESH_RETURN_IF_ERROR(walk(
      req.key(), req.reverse(),
      [&](std::string_view key, const Item& item) -> absl::StatusOr<bool> {
        ++seen;
        if (skip > 0) {
          --skip;
          return true;
        }
        if (added < limit) {
          MESH_RETURN_IF_ERROR(add(item));
          ++added;
          return true;
        }
        if (!past_page) resp->set_next_key(std::string(key));
        past_page = true;
        return count_total;  // past the page only to count
      }));
  if (count_total) resp->set_total(seen);
  return absl::OkStatus();
}

// PaginateOrderedInto, returning the page's items in page order.
template <typename Item, typename PageRequest, typename PageResponse, typename Walk>
absl::StatusOr<std::vector<Item>> PaginateOrdered(const PageRequest& req, PageResponse* resp,
                                                  Walk walk) {
  std::vector<Item> page;
  MESH_RETURN_IF_ERROR(PaginateOrderedInto<Item>(req, resp, walk, [&](const Item& item) {
    page.push_back(item);
    return absl::OkStatus();
  }));
  return page;
}

}  // namespace mesh::node::page

#endif  // MESHSEC_NODE_PAGINATION_H_
