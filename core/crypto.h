// Hashes, secp256k1 and ed25519 signatures and Cosmos-style addresses.
//
// Signatures are compact 64-byte r||s ECDSA over SHA-256 of the message, as
// Cosmos SDK secp256k1 keys sign. Verification rejects high-S signatures
// (s > n/2), like Cosmos. Public keys are 33-byte compressed SEC1.
// Account address bytes = RIPEMD-160(SHA-256(compressed pubkey)).
// Signing is deterministic (RFC 6979). Thread-compatible.
#ifndef MESHSEC_CORE_CRYPTO_H_
#define MESHSEC_CORE_CRYPTO_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace mesh {

using Hash256 = std::array<uint8_t, 32>;
using Hash160 = std::array<uint8_t, 20>;

Hash256 Sha256(std::string_view data);

// Incremental SHA-256: Update(a); Update(b); Finish() == Sha256(a + b).
// Small updates are gathered in an internal buffer so hashing a stream of
// short fields (a block's write batch, op by op) costs about as much as
// hashing one contiguous string, without building that string.
// Not copyable; Finish() once (later calls abort).
class Sha256Hasher {
 public:
  Sha256Hasher();
  ~Sha256Hasher();
  Sha256Hasher(const Sha256Hasher&) = delete;
  Sha256Hasher& operator=(const Sha256Hasher&) = delete;

  Sha256Hasher& Update(std::string_view data);
  Sha256Hasher& U8(uint8_t v);
  Sha256Hasher& U32(uint32_t v);  // big-endian, as Encoder::U32
  Sha256Hasher& U64(uint64_t v);  // big-endian, as Encoder::U64
  Hash256 Finish();

 private:
  void Flush();
  static constexpr size_t kBufferBytes = 4096;
  void* ctx_;  // EVP_MD_CTX
  size_t used_ = 0;
  bool finished_ = false;
  uint8_t buf_[kBufferBytes];
};
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

  // 33-byte compressed public key (derived once, when the key is made: a
  // signer signing many txs does not pay the point multiplication again).
  std::string PublicKey() const {
    return std::string(reinterpret_cast<const char*>(public_key_.data()), public_key_.size());
  }
  // 64-byte r||s, low-S, over SHA-256(message).
  std::string Sign(std::string_view message) const;
  const std::array<uint8_t, 32>& bytes() const { return key_; }

 private:
  explicit PrivateKey(const std::array<uint8_t, 32>& k);
  std::array<uint8_t, 32> key_{};
  std::array<uint8_t, 33> public_key_{};
};

// OK iff `sig64` is a valid low-S signature of SHA-256(message) by `pubkey33`.
// InvalidArgument for malformed keys/signatures, PermissionDenied for a
// signature that does not verify or has high S.
absl::Status VerifySignature(std::string_view pubkey33, std::string_view message,
                             std::string_view sig64);

// A secp256k1 public key already parsed: the curve point of a 33-byte
// compressed key. Parsing recovers the point's y by a square root, about a
// tenth of a verification, so a signer seen again need not pay it twice
// (node::SignerCache). Copyable; thread-compatible.
class ParsedPublicKey {
 public:
  // InvalidArgument, with VerifySignature's message, unless `pubkey33` is a
  // 33-byte compressed key of a point on the curve.
  static absl::StatusOr<ParsedPublicKey> Parse(std::string_view pubkey33);
  // VerifySignature(pubkey33, message, sig64) for the key this was parsed
  // from: the same status in every case.
  absl::Status Verify(std::string_view message, std::string_view sig64) const;

 private:
  ParsedPublicKey() = default;
  std::array<uint8_t, 64> point_{};  // secp256k1_pubkey, opaque
};

// Ed25519 (RFC 8032, pure, no pre-hash) through OpenSSL: the consensus keys
// of validators (CometBFT ed25519). Any 32 bytes are a valid private key;
// public keys are 32 bytes, signatures 64 bytes R||S. Signing is
// deterministic. Thread-compatible.
class Ed25519PrivateKey {
 public:
  // InvalidArgument unless exactly 32 bytes.
  static absl::StatusOr<Ed25519PrivateKey> FromBytes(std::string_view bytes32);
  // Deterministic key: the private key is SHA-256(seed). For devnets, tests
  // and the default consensus key of a validator (docs/staking.md).
  static Ed25519PrivateKey FromSeed(std::string_view seed);

  // 32-byte public key.
  std::string PublicKey() const;
  // 64-byte signature of `message`.
  std::string Sign(std::string_view message) const;
  const std::array<uint8_t, 32>& bytes() const { return key_; }

 private:
  explicit Ed25519PrivateKey(const std::array<uint8_t, 32>& k) : key_(k) {}
  std::array<uint8_t, 32> key_{};
};

inline constexpr size_t kEd25519PublicKeySize = 32;
inline constexpr size_t kEd25519SignatureSize = 64;

// OK iff `sig64` is a valid Ed25519 signature of `message` by `pubkey32`.
// InvalidArgument for a key or signature of the wrong size or a key OpenSSL
// refuses; PermissionDenied for a signature that does not verify.
absl::Status VerifyEd25519(std::string_view pubkey32, std::string_view message,
                           std::string_view sig64);

// Bech32 (BIP-173) encoding of 8-bit data. Errors are InvalidArgument.
//
// Rules (both directions): the human-readable part (hrp) is 1..83 characters
// in US-ASCII 33..126; the whole string is at most kBech32MaxLength
// characters. Encode requires a hrp without upper-case letters and always
// emits lower case. Decode accepts an all-lower or all-upper string (mixed
// case is rejected), splits at the LAST '1', requires a 6-character checksum
// computed with constant 1 (BIP-173, not BIP-350 bech32m), and returns the
// hrp in lower case. 5->8 bit conversion rejects non-zero padding and
// padding of 5 bits or more.
inline constexpr size_t kBech32MaxLength = 90;
absl::StatusOr<std::string> Bech32Encode(std::string_view hrp, std::string_view data);
struct Bech32Decoded {
  std::string hrp;
  std::string data;  // 8-bit bytes
};
absl::StatusOr<Bech32Decoded> Bech32Decode(std::string_view s);

// The Cosmos SDK's store-key component of an address
// (address.MustLengthPrefix): one length byte, then the bytes a bech32
// address decodes to. A string that is not bech32 with 1..255 data bytes
// (a module id, say) is its own key. A list keyed by address in the SDK
// (a validator's delegations) is in the order of these keys.
std::string AddressOrderKey(std::string_view address);

// Lower level: bech32 over 5-bit values (each < 32), checksum excluded. Used
// for payloads that are not whole bytes (e.g. a segwit version prefix).
absl::StatusOr<std::string> Bech32EncodeValues(std::string_view hrp,
                                               const std::vector<uint8_t>& values5);
struct Bech32DecodedValues {
  std::string hrp;
  std::vector<uint8_t> values5;
};
absl::StatusOr<Bech32DecodedValues> Bech32DecodeValues(std::string_view s);
// Bech32DecodeValues without allocating (the same checks and errors): `hrp`
// views the input as written (either case), `values[0, count)` are the 5-bit
// values, checksum excluded. Valid while the input is.
struct Bech32Raw {
  std::string_view hrp;
  size_t count = 0;
  std::array<uint8_t, kBech32MaxLength> values;
  // The hrp in lower case.
  std::string LowerHrp() const;
  // Appends the values regrouped into bytes (ConvertBits(values, 5, 8,
  // false), the same errors).
  absl::Status AppendBytes(std::string* out) const;
};
absl::Status Bech32DecodeRaw(std::string_view s, Bech32Raw* out);
// Regroups `in` (values of `from_bits` bits) into values of `to_bits` bits,
// big-endian bit order. With `pad`, a final partial group is zero-padded;
// without, leftover bits must be fewer than `from_bits` and all zero.
// InvalidArgument on an out-of-range input value or bad padding.
// REQUIRES: 1 <= from_bits, to_bits <= 8.
absl::StatusOr<std::vector<uint8_t>> ConvertBits(const std::vector<uint8_t>& in,
                                                 int from_bits, int to_bits, bool pad);

// Address bytes (20) of a compressed public key.
std::string AddressBytes(std::string_view pubkey33);
// "<prefix>1..." account address and "<prefix>valoper1..." operator address
// of the same key. REQUIRES: `prefix` is a valid lower-case hrp short enough
// for the result (check configuration with AddressToBech32 first); aborts
// otherwise, as that is a configuration bug, not an input error.
std::string AccountAddressOf(std::string_view prefix, std::string_view pubkey33);
std::string ValoperAddressOf(std::string_view prefix, std::string_view pubkey33);
// Bech32 of raw address bytes under `hrp` (e.g. "cosmos", "cosmosvaloper").
// InvalidArgument on a bad hrp or a result longer than kBech32MaxLength.
absl::StatusOr<std::string> AddressToBech32(std::string_view hrp, std::string_view addr_bytes);
// The Cosmos SDK module account address of module `name`
// (authtypes.NewModuleAddress: the first 20 bytes of SHA-256(name)) and its
// bech32 under `hrp`. InvalidArgument on a bad hrp.
std::string ModuleAddressBytes(std::string_view name);
absl::StatusOr<std::string> ModuleAddress(std::string_view hrp, std::string_view name);
// Raw address bytes of `addr` if it is valid bech32 with exactly hrp
// `expected_hrp` (compared in lower case) and a 1..255-byte payload (the
// Cosmos SDK VerifyAddressFormat bound); InvalidArgument otherwise.
absl::StatusOr<std::string> AddressFromBech32(std::string_view expected_hrp,
                                              std::string_view addr);

}  // namespace mesh

#endif  // MESHSEC_CORE_CRYPTO_H_
