#include "node/signer_cache.h"

#include <algorithm>
#include <utility>

#include "absl/strings/string_view.h"
#include "core/kv.h"
#include "core/status.h"

namespace mesh::node {

SignerCache::SignerCache(std::string prefix, size_t capacity)
    : prefix_(std::move(prefix)), per_shard_(std::max<size_t>(1, capacity / kShards)) {}

absl::StatusOr<SignerCache::Signer> SignerCache::Get(std::string_view pubkey33) {
  Shard& shard = shards_[FixedKeyHash(pubkey33) % kShards];
  {
    std::lock_guard<std::mutex> lock(shard.mu);
    auto it = shard.signers.find(absl::string_view(pubkey33.data(), pubkey33.size()));
    if (it != shard.signers.end()) {
      ++shard.hits;
      return it->second;
    }
  }
  // Parsed and derived outside the lock: two threads that miss the same
  // key both compute it, and the second insert finds the first's.
  MESH_ASSIGN_OR_RETURN(ParsedPublicKey key, ParsedPublicKey::Parse(pubkey33));
  Signer signer{key, AccountAddressOf(prefix_, pubkey33)};
  std::lock_guard<std::mutex> lock(shard.mu);
  ++shard.misses;
  if (shard.signers.size() >= per_shard_) shard.signers.clear();
  shard.signers.try_emplace(std::string(pubkey33), signer);
  return signer;
}

// Each shard's figure, read under its lock, summed.
template <typename Of>
uint64_t SignerCache::Sum(Of of) const {
  uint64_t n = 0;
  for (const Shard& s : shards_) {
    std::lock_guard<std::mutex> lock(s.mu);
    n += of(s);
  }
  return n;
}

uint64_t SignerCache::hits() const {
  return Sum([](const Shard& s) { return s.hits; });
}

uint64_t SignerCache::misses() const {
  return Sum([](const Shard& s) { return s.misses; });
}

size_t SignerCache::size() const {
  return Sum([](const Shard& s) { return s.signers.size(); });
}

}  // namespace mesh::node
