// PaginateOrdered (a page read from a source in key order) against Paginate
// (the same page cut from the whole list in memory): the same items,
// next_key, total and errors for random lists and requests, and no entry
// visited past the page's next key unless the total is counted.
#include "node/pagination.h"

#include <cstdint>
#include <map>
#include <random>
#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "cosmos/base/query/v1beta1/pagination.pb.h"
#include "gtest/gtest.h"

namespace mesh::node::page {
namespace {

using ::cosmos::base::query::v1beta1::PageRequest;
using ::cosmos::base::query::v1beta1::PageResponse;

// A source in key order over `items` (key -> item), as a store index is
// read: from the first key >= from (reverse: the last key <= from).
struct MapWalk {
  const std::map<std::string, int>* items;
  uint64_t* visited;
  template <typename Visit>
  absl::Status operator()(std::string_view from, bool reverse, const Visit& visit) const {
    auto step = [&](const std::string& key, int item) -> absl::StatusOr<bool> {
      ++*visited;
      return visit(key, item);
    };
    if (!reverse) {
      auto it = from.empty() ? items->begin() : items->lower_bound(std::string(from));
      for (; it != items->end(); ++it) {
        absl::StatusOr<bool> more = step(it->first, it->second);
        if (!more.ok()) return more.status();
        if (!*more) break;
      }
      return absl::OkStatus();
    }
    auto it = from.empty() ? items->end() : items->upper_bound(std::string(from));
    while (it != items->begin()) {
      --it;
      absl::StatusOr<bool> more = step(it->first, it->second);
      if (!more.ok()) return more.status();
      if (!*more) break;
    }
    return absl::OkStatus();
  }
};

std::string RandomKey(std::mt19937_64& rng) {
  std::string key(1 + rng() % 4, '\0');
  for (char& c : key) c = static_cast<char>('a' + rng() % 6);
  return key;
}

TEST(PaginateOrderedTest, SamePagesAsTheInMemoryListOnRandomRequests) {
  std::mt19937_64 rng(12);
  for (int round = 0; round < 3000; ++round) {
    std::map<std::string, int> items;
    const int n = static_cast<int>(rng() % 30);
    for (int i = 0; i < n; ++i) items.emplace(RandomKey(rng), i);
    std::vector<std::pair<std::string, int>> list(items.begin(), items.end());
    std::shuffle(list.begin(), list.end(), rng);

    PageRequest req;
    switch (rng() % 3) {
      case 0: req.set_key(RandomKey(rng)); break;
      case 1: req.set_offset(rng() % 35); break;
      default: break;
    }
    if (rng() % 10 == 0) {  // both: refused
      req.set_key(RandomKey(rng));
      req.set_offset(1 + rng() % 5);
    }
    req.set_limit(rng() % 4 == 0 ? 0 : rng() % 12);
    req.set_count_total(rng() % 2 == 0);
    req.set_reverse(rng() % 2 == 0);
    const std::string what = req.ShortDebugString() + " over " + std::to_string(n);

    PageResponse want_resp;
    absl::StatusOr<std::vector<size_t>> want =
        Paginate(list, [](const auto& e) { return e.first; }, req, &want_resp);
    PageResponse got_resp;
    uint64_t visited = 0;
    absl::StatusOr<std::vector<int>> got =
        PaginateOrdered<int>(req, &got_resp, MapWalk{&items, &visited});
    ASSERT_EQ(got.ok(), want.ok()) << what;
    if (!want.ok()) {
      EXPECT_EQ(got.status(), want.status()) << what;
      continue;
    }
    std::vector<int> want_items;
    for (size_t i : *want) want_items.push_back(list[i].second);
    EXPECT_EQ(*got, want_items) << what;
    EXPECT_EQ(got_resp.next_key(), want_resp.next_key()) << what;
    EXPECT_EQ(got_resp.total(), want_resp.total()) << what;
    const bool counted = req.key().empty() && (req.limit() == 0 || req.count_total());
    if (!counted) {
      // Not counted: nothing past the next key was read.
      const uint64_t limit = req.limit() == 0 ? kDefaultLimit : req.limit();
      EXPECT_LE(visited, req.offset() + limit + 1) << what;
    }
  }
}

TEST(PaginateOrderedTest, APageOfALongListReadsThePageAndTheNextKeyOnly) {
  std::map<std::string, int> items;
  for (int i = 0; i < 100000; ++i) items.emplace(std::to_string(1000000 + i), i);
  PageRequest req;
  req.set_key("1050000");
  req.set_limit(10);
  PageResponse resp;
  uint64_t visited = 0;
  absl::StatusOr<std::vector<int>> page = PaginateOrdered<int>(req, &resp, MapWalk{&items, &visited});
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(*page, (std::vector<int>{50000, 50001, 50002, 50003, 50004, 50005, 50006, 50007,
                                     50008, 50009}));
  EXPECT_EQ(resp.next_key(), "1050010");
  EXPECT_EQ(visited, 11u);
  // Counting the total reads it all, as the SDK does.
  req.clear_key();
  req.set_count_total(true);
  visited = 0;
  PageResponse counted;
  ASSERT_TRUE(PaginateOrdered<int>(req, &counted, MapWalk{&items, &visited}).ok());
  EXPECT_EQ(counted.total(), 100000u);
  EXPECT_EQ(visited, 100000u);
}

}  // namespace
}  // namespace mesh::node::page
