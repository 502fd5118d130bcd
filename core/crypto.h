// Hashes, secp256k1 signatures and Cosmos-style addresses.
//
// Signatures are compact 64-byte r||s ECDSA over SHA-256 of the message, as
// Cosmos SDK secp256k1 keys sign. Verification rejects high-S signatures
// (s > n/2), like Cosmos. Public keys are 33-byte compressed SEC1.
// Account address bytes = RIPEMD-160(SHA-256(compressed pubkey)).
// Signing is deterministic (RFC 6979). Thread-compatible.
#ifndef MESHSEC_CORE_CRYPTO_H_
#define MESHSEC_CORE_CRYPTO_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace mesh {

using Hash256 = std::array<uint8_t, 32>;
using Hash160 = std::array<uint8_t, 20>;

Hash256 Sha256(std::string_view data);
Hash160 Ripemd160(std::string_view data);
std::string ToHex(std::string_view bytes);
template <size_t N>
std::string ToHex(const std::array<uint8_t, N>& a) {
  return ToHex(std::string_view(reinterpret_cast<const char*>(a.data()), N));
}
absl::StatusOr<std::string> FromHex(std::string_view hex);

class PrivateKey {
 public:
  // InvalidArgument unless 32 bytes forming a valid secp256k1 secret.
  static absl::StatusOr<PrivateKey> FromBytes(std::string_view bytes32);
  // Deterministic key from a seed string: SHA-256(seed) (re-hashed until
  // valid). For devnets and tests only.
  static PrivateKey FromSeed(std::string_view seed);

  // 33-byte compressed public key.
  std::string PublicKey() const;
  // 64-byte r||s, low-S, over SHA-256(message).
  std::string Sign(std::string_view message) const;
  const std::array<uint8_t, 32>& bytes() const { return key_; }

 private:
  explicit PrivateKey(const std::array<uint8_t, 32>& k) : key_(k) {}
  std::array<uint8_t, 32> key_{};
};

// OK iff `sig64` is a valid low-S signature of SHA-256(message) by `pubkey33`.
// InvalidArgument for malformed keys/signatures, PermissionDenied for a
// signature that does not verify or has high S.
absl::Status VerifySignature(std::string_view pubkey33, std::string_view message,
                             std::string_view sig64);

// Bech32 (BIP-173) encoding of 8-bit data. Errors are InvalidArgument.
absl::StatusOr<std::string> Bech32Encode(std::string_view hrp, std::string_view data);
struct Bech32Decoded {
  std::string hrp;
  std::string data;  // 8-bit bytes
};
absl::StatusOr<Bech32Decoded> Bech32Decode(std::string_view s);

// Address bytes (20) of a compressed public key.
std::string AddressBytes(std::string_view pubkey33);
// "<prefix>1..." account address and "<prefix>valoper1..." operator address
// of the same key.
std::string AccountAddressOf(std::string_view prefix, std::string_view pubkey33);
std::string ValoperAddressOf(std::string_view prefix, std::string_view pubkey33);

}  // namespace mesh

#endif  // MESHSEC_CORE_CRYPTO_H_
