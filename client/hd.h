// BIP-32 hierarchical deterministic secp256k1 keys (private derivation only)
// and the BIP-44 Cosmos path m/44'/118'/account'/0/index.
//
// Master key: I = HMAC-SHA512("Bitcoin seed", seed); key = I[0:32], chain
// code = I[32:64]. Child i (hardened when i >= 2^31): data = 0x00||key||i
// (hardened) or compressed-pubkey||i, I = HMAC-SHA512(chain code, data),
// child key = key + I[0:32] mod n (libsecp256k1 tweak add), chain code =
// I[32:64]. A tweak >= n or a zero child key is an error (the caller would
// skip to the next index; BIP-32 says this has probability < 2^-127).
// Thread-safe.
#ifndef MESHSEC_CLIENT_HD_H_
#define MESHSEC_CLIENT_HD_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace mesh::client {

inline constexpr uint32_t kHardened = 0x80000000u;
inline constexpr uint32_t kCosmosCoinType = 118;

struct ExtendedKey {
  std::array<uint8_t, 32> key{};         // private key
  std::array<uint8_t, 32> chain_code{};
  uint8_t depth = 0;
  uint32_t parent_fingerprint = 0;        // first 4 bytes of HASH160(parent pubkey)
  uint32_t child_number = 0;

  // 33-byte compressed public key.
  std::string PublicKey() const;
  // Base58Check serialisations (mainnet version bytes): "xprv...", "xpub...".
  std::string ToXprv() const;
  std::string ToXpub() const;
};

// Master key of a 16..64-byte seed; InvalidArgument for other sizes or an
// invalid master key.
absl::StatusOr<ExtendedKey> MasterKey(std::string_view seed);

// Child `index` of `parent` (hardened when index >= kHardened).
absl::StatusOr<ExtendedKey> DeriveChild(const ExtendedKey& parent, uint32_t index);

// Parses "m/44'/118'/0'/0/0" ("h" or "H" also mark hardened). InvalidArgument
// on syntax errors or an index >= 2^31.
absl::StatusOr<std::vector<uint32_t>> ParsePath(std::string_view path);
std::string FormatPath(const std::vector<uint32_t>& path);

// "m/44'/118'/<account>'/0/<index>".
std::string CosmosPath(uint32_t account, uint32_t index);

// The key at `path` below the master key of `seed`.
absl::StatusOr<ExtendedKey> DerivePath(std::string_view seed, std::string_view path);

// Base58 (Bitcoin alphabet) of raw bytes; Base58Check adds 4 bytes of
// double-SHA-256.
std::string Base58Encode(std::string_view bytes);
std::string Base58CheckEncode(std::string_view payload);

}  // namespace mesh::client

#endif  // MESHSEC_CLIENT_HD_H_
