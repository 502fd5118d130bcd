// SDK-style pagination (cosmos-sdk types/query.Paginate) over an in-memory
// list: key or offset (never both), limit 0 = the SDK's default limit with
// the total counted, count_total, reverse. Generic over the page messages
// (anything with the accessors of cosmos.base.query.v1beta1.PageRequest /
// PageResponse: key, offset, limit, count_total, reverse / set_next_key,
// set_total), so the Cosmos services and the meshsec.v1 mesh queries share
// one implementation.
#ifndef MESHSEC_NODE_PAGINATION_H_
#define MESHSEC_NODE_PAGINATION_H_

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace mesh::node::page {

inline constexpr uint64_t kDefaultLimit = 100;  // SDK query.DefaultLimit

// Sorts `items` by key and returns the indices of the requested page, in
// page order; fills `resp`.
template <typename T, typename KeyFn, typename PageRequest, typename PageResponse>
absl::StatusOr<std::vector<size_t>> Paginate(const std::vector<T>& items, KeyFn key_of,
                                             const PageRequest& req, PageResponse* resp) {
  if (req.offset() > 0 && !req.key().empty()) {
    return absl::InvalidArgumentError(
        "invalid request, either offset or key is expected, got both");
  }
  uint64_t limit = req.limit();
  bool count_total = req.count_total();
  if (limit == 0) {
    limit = kDefaultLimit;
    count_total = true;
  }
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
  // With a key the SDK never counts; with an offset, only on count_total.
  if (req.key().empty() && count_total) resp->set_total(n);
  return page;
}

}  // namespace mesh::node::page

#endif  // MESHSEC_NODE_PAGINATION_H_
