// The signers a chain has seen, by public key: each key's parsed curve
// point and its bech32 account address, so that a signer's next tx skips
// both the key's parse (a square root, about a tenth of a verification) and
// the address's derivation (SHA-256, RIPEMD-160, bech32).
//
// A cache of pure functions of the key bytes and the chain's address
// prefix: a verdict computed through it is the one computed without it
// (node/parallel_verify.h), whatever it holds. Only keys that parse are
// kept. Bounded: a shard that reaches its share of the capacity is emptied
// and refilled by the signers that come next.
//
// Thread-safe: the block producer's verification threads share it.
// Threads and hash maps live here, in node/, and nowhere in
// core/staking/ibc/mesh.
#ifndef MESHSEC_NODE_SIGNER_CACHE_H_
#define MESHSEC_NODE_SIGNER_CACHE_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "core/crypto.h"

namespace mesh::node {

class SignerCache {
 public:
  struct Signer {
    ParsedPublicKey key;
    std::string address;  // AccountAddressOf(prefix, pubkey33)
  };
  // REQUIRES: `prefix` is a valid bech32 hrp (as AccountAddressOf).
  explicit SignerCache(std::string prefix, size_t capacity = kDefaultCapacity);
  SignerCache(const SignerCache&) = delete;
  SignerCache& operator=(const SignerCache&) = delete;

  // The signer of `pubkey33`, from the cache or parsed and derived now (and
  // then kept); the parse's InvalidArgument when the key is malformed (not
  // kept).
  absl::StatusOr<Signer> Get(std::string_view pubkey33);

  std::string_view prefix() const { return prefix_; }
  // Lookups answered from the cache, and keys parsed, since construction.
  uint64_t hits() const;
  uint64_t misses() const;
  size_t size() const;

  // About 150 bytes a signer: 2^17 signers are ~20 MiB. Sized, as the
  // state cache is, for 10^5 active signers: at 2^16 a chain whose blocks
  // come from 10^5 signers emptied a shard every ~4000 txs and parsed most
  // keys again (Headline 1 at 10^5 users: 10 % of a verification per tx).
  static constexpr size_t kDefaultCapacity = size_t{1} << 17;

 private:
  static constexpr size_t kShards = 16;
  struct Shard {
    mutable std::mutex mu;
    absl::flat_hash_map<std::string, Signer> signers;
    uint64_t hits = 0;
    uint64_t misses = 0;
  };
  template <typename Of>
  uint64_t Sum(Of of) const;

  const std::string prefix_;
  const size_t per_shard_;
  std::array<Shard, kShards> shards_;
};

}  // namespace mesh::node

#endif  // MESHSEC_NODE_SIGNER_CACHE_H_
