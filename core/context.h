// Context: what a state-machine call sees — the store it may read and write
// (usually a tx or packet Overlay) and the block it runs in. Height and time
// come only from here: the engine never reads a clock.
#ifndef MESHSEC_CORE_CONTEXT_H_
#define MESHSEC_CORE_CONTEXT_H_

#include <cstdint>
#include <string>

#include "core/kv.h"

namespace mesh {

inline constexpr uint64_t kNanosPerSecond = 1000000000ULL;
// The last block time: Cosmos times are int64 nanoseconds (ABCI's
// Timestamp, the year 2262); node::Chain refuses a later one.
inline constexpr uint64_t kMaxBlockTimeNs = 9223372036854775807ULL;  // 2^63 - 1

struct BlockInfo {
  std::string chain_id;
  uint64_t height = 0;
  uint64_t time_ns = 0;  // block time, nanoseconds since the Unix epoch
  uint64_t time_seconds() const { return time_ns / kNanosPerSecond; }
};

class Context {
 public:
  Context(KvStore* store, const BlockInfo* block) : store_(store), block_(block) {}
  KvStore& store() const { return *store_; }
  const BlockInfo& block() const { return *block_; }
  uint64_t height() const { return block_->height; }
  uint64_t time_ns() const { return block_->time_ns; }
  uint64_t time_seconds() const { return block_->time_seconds(); }
  // The same block over another store (e.g. a nested Overlay).
  Context WithStore(KvStore* store) const { return Context(store, block_); }

 private:
  KvStore* store_;
  const BlockInfo* block_;
};

}  // namespace mesh

#endif  // MESHSEC_CORE_CONTEXT_H_
