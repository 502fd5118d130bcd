// AmountLog: amounts kept one key per position (a height) under a key
// prefix, each with the time it was recorded, for a window of time; the
// owner's record keeps the log's range (AmountLogRange), so that adding an
// entry writes one small key instead of rewriting a list that grows with the
// owner's history, and a reader of "what came at or after position p" reads
// the store only when the range reaches p.
//
// Keys: prefix ‖ u64 position; value: u64 time, amount. Entries of one
// position merge (amounts summed, the later time kept). Positions and times
// rise together, up to entries added out of order, which are only kept a
// little longer. Used by the provider's acked stakes (table 0x6E) and the
// consumer's record additions (table 0x80).
#ifndef MESHSEC_CORE_AMOUNT_LOG_H_
#define MESHSEC_CORE_AMOUNT_LOG_H_

#include <cstdint>
#include <functional>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/amount.h"
#include "core/codec.h"
#include "core/kv.h"

namespace mesh {

// First and last position of the log's entries and the time of the first
// (all 0: the log is empty).
struct AmountLogRange {
  uint64_t first = 0;
  uint64_t last = 0;
  uint64_t first_time = 0;
  bool empty() const { return last == 0; }
  // As a record's trailing fields: three u64 when not empty, nothing when
  // empty (a record written before its log had none, and reads as empty).
  void EncodeTrailing(Encoder& e) const;
  absl::Status DecodeTrailing(Decoder& d);
  friend bool operator==(const AmountLogRange&, const AmountLogRange&) = default;
};

struct AmountLogEntry {
  uint64_t position = 0;
  uint64_t time = 0;
  Amount amount;
};

// Adds `amount` at `position`, recorded at `time`; updates `range` (the
// caller saves it with its record).
absl::Status AmountLogAdd(KvStore& store, std::string_view prefix, AmountLogRange& range,
                          uint64_t position, uint64_t time, Amount amount);

// Deletes the entries recorded before `forget_before`, from the first up to
// the first one recorded later. A single entry goes at once, by its key;
// several only once the first is `grace` past due, so an owner who adds
// often pays one scan per grace period, not one per add.
absl::Status AmountLogForget(KvStore& store, std::string_view prefix, AmountLogRange& range,
                             uint64_t forget_before, uint64_t grace);

// Σ amount of the entries at or after `position` (no store read when the
// range ends below it).
absl::StatusOr<Amount> AmountLogSumSince(const KvReader& store, std::string_view prefix,
                                         const AmountLogRange& range, uint64_t position);

// fn(entry) for every entry, in position order.
absl::Status AmountLogForEach(const KvReader& store, std::string_view prefix,
                              const AmountLogRange& range,
                              const std::function<void(const AmountLogEntry&)>& fn);

}  // namespace mesh

#endif  // MESHSEC_CORE_AMOUNT_LOG_H_
