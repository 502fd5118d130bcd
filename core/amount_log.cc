#include "core/amount_log.h"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "core/record.h"
#include "core/status.h"

namespace mesh {
namespace {

std::string EntryKey(std::string_view prefix, uint64_t position) {
  return Encoder().Reserve(prefix.size() + 8).Raw(prefix).U64(position).Take();
}

absl::StatusOr<AmountLogEntry> DecodeEntry(uint64_t position, std::string_view value) {
  AmountLogEntry a;
  a.position = position;
  Decoder d(value);
  MESH_ASSIGN_OR_RETURN(a.time, d.U64());
  MESH_ASSIGN_OR_RETURN(a.amount, d.Amt());
  MESH_RETURN_IF_ERROR(d.Finish());
  return a;
}

// fn(entry) from position `from` up, while fn returns true.
template <typename Fn>
absl::Status Scan(const KvReader& store, std::string_view prefix, uint64_t from, Fn&& fn) {
  return ForEachU64Keyed(store, prefix, from,
                         [&](uint64_t position, std::string_view value) -> absl::StatusOr<bool> {
                           MESH_ASSIGN_OR_RETURN(AmountLogEntry a, DecodeEntry(position, value));
                           return fn(a);
                         });
}

}  // namespace

void AmountLogRange::EncodeTrailing(Encoder& e) const {
  if (!empty()) e.U64(first).U64(last).U64(first_time);
}

absl::Status AmountLogRange::DecodeTrailing(Decoder& d) {
  if (d.AtEnd()) return absl::OkStatus();
  MESH_ASSIGN_OR_RETURN(first, d.U64());
  MESH_ASSIGN_OR_RETURN(last, d.U64());
  MESH_ASSIGN_OR_RETURN(first_time, d.U64());
  return absl::OkStatus();
}

absl::Status AmountLogAdd(KvStore& store, std::string_view prefix, AmountLogRange& range,
                          uint64_t position, uint64_t time, Amount amount) {
  const bool any = !range.empty();
  const std::string key = EntryKey(prefix, position);
  if (any && position >= range.first && position <= range.last) {
    MESH_ASSIGN_OR_RETURN(std::optional<std::string> old, store.Get(key));
    if (old.has_value()) {
      MESH_ASSIGN_OR_RETURN(AmountLogEntry prev, DecodeEntry(position, *old));
      MESH_ASSIGN_OR_RETURN(amount, prev.amount.Add(amount));
      time = std::max(time, prev.time);
    }
  }
  MESH_RETURN_IF_ERROR(store.Put(key, Encoder().U64(time).Amt(amount).Take()));
  if (!any || position <= range.first) {
    range.first = position;
    range.first_time = time;
  }
  if (!any || position > range.last) range.last = position;
  return absl::OkStatus();
}

absl::Status AmountLogForget(KvStore& store, std::string_view prefix, AmountLogRange& range,
                             uint64_t forget_before, uint64_t grace) {
  if (range.empty() || range.first_time >= forget_before) return absl::OkStatus();
  if (range.first == range.last) {  // a single one: by its key
    MESH_RETURN_IF_ERROR(store.Delete(EntryKey(prefix, range.first)));
    range = AmountLogRange{};
    return absl::OkStatus();
  }
  if (range.first_time + grace >= forget_before) return absl::OkStatus();
  // The scan starts at the first live position, never at keys deleted before.
  std::optional<AmountLogEntry> first;
  std::vector<std::string> forgotten;
  MESH_RETURN_IF_ERROR(
      Scan(store, prefix, range.first, [&](const AmountLogEntry& a) -> absl::StatusOr<bool> {
        if (a.time >= forget_before) {
          first = a;
          return false;
        }
        forgotten.push_back(EntryKey(prefix, a.position));
        return true;
      }));
  for (const std::string& k : forgotten) MESH_RETURN_IF_ERROR(store.Delete(k));
  if (first.has_value()) {
    range.first = first->position;
    range.first_time = first->time;
  } else {
    range = AmountLogRange{};
  }
  return absl::OkStatus();
}

absl::StatusOr<Amount> AmountLogSumSince(const KvReader& store, std::string_view prefix,
                                         const AmountLogRange& range, uint64_t position) {
  Amount sum;
  if (range.empty() || range.last < position) return sum;
  MESH_RETURN_IF_ERROR(Scan(store, prefix, std::max(position, range.first),
                            [&](const AmountLogEntry& a) -> absl::StatusOr<bool> {
                              MESH_ASSIGN_OR_RETURN(sum, sum.Add(a.amount));
                              return true;
                            }));
  return sum;
}

absl::Status AmountLogForEach(const KvReader& store, std::string_view prefix,
                              const AmountLogRange& range,
                              const std::function<void(const AmountLogEntry&)>& fn) {
  if (range.empty()) return absl::OkStatus();
  return Scan(store, prefix, range.first, [&](const AmountLogEntry& a) -> absl::StatusOr<bool> {
    fn(a);
    return true;
  });
}

}  // namespace mesh
