#include "node/block_history.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace mesh::node {

absl::StatusOr<std::optional<uint64_t>> ParseBlockHeight(std::optional<std::string_view> header) {
  if (!header.has_value() || header->empty()) return std::optional<uint64_t>();
  const std::string text(*header);
  uint64_t h = 0;
  bool digits = std::all_of(header->begin(), header->end(),
                            [](char c) { return c >= '0' && c <= '9'; });
  if (!digits || !absl::SimpleAtoi(text, &h)) {
    return absl::InvalidArgumentError(absl::StrCat("invalid ", kBlockHeightHeader, " header \"",
                                                   text, "\": want a block height"));
  }
  if (h == 0) return std::optional<uint64_t>();
  return std::optional<uint64_t>(h);
}

BlockHistory::BlockHistory(size_t keep) : keep_(std::max<size_t>(keep, 1)) {}

void BlockHistory::Add(std::shared_ptr<const Chain> view) {
  std::lock_guard<std::mutex> lock(mu_);
  if (view == nullptr) {
    views_.clear();
    return;
  }
  const uint64_t h = view->height();
  views_.erase(views_.upper_bound(h), views_.end());
  views_[h] = std::move(view);
  while (views_.size() > keep_) views_.erase(views_.begin());
}

absl::StatusOr<std::shared_ptr<const Chain>> BlockHistory::At(
    std::optional<uint64_t> height) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (views_.empty()) return absl::UnavailableError("no committed block is kept");
  const uint64_t latest = views_.rbegin()->first;
  if (!height.has_value()) return views_.rbegin()->second;
  if (*height > latest) {
    return absl::InvalidArgumentError(absl::StrCat("height ", *height,
                                                   " is above the latest height ", latest));
  }
  auto it = views_.find(*height);
  if (it == views_.end()) {
    return absl::NotFoundError(absl::StrCat("height ", *height,
                                            " is not available (pruned); the oldest kept "
                                            "height is ",
                                            views_.begin()->first, ", the latest ", latest));
  }
  return it->second;
}

std::shared_ptr<const Chain> BlockHistory::Latest() const {
  std::lock_guard<std::mutex> lock(mu_);
  return views_.empty() ? nullptr : views_.rbegin()->second;
}

size_t BlockHistory::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return views_.size();
}

}  // namespace mesh::node
