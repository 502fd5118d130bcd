// SHA-256 (FIPS 180-4), RIPEMD-160 (Dobbertin/Bosselaers/Preneel 1996), hex,
// secp256k1 ECDSA through libsecp256k1, and Cosmos address derivation.
#include "core/crypto.h"

#include <secp256k1.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "core/status.h"

namespace mesh {
namespace {

// ---------------------------------------------------------------------------
// Shared Merkle-Damgard padding: both hashes take 64-byte blocks and append
// 0x80, zeros and the 64-bit bit length; SHA-256 stores the length
// big-endian, RIPEMD-160 little-endian.

template <typename Compress>
void HashPadded(std::string_view data, bool big_endian_length, Compress compress) {
  const auto* p = reinterpret_cast<const uint8_t*>(data.data());
  size_t n = data.size();
  while (n >= 64) {
    compress(p);
    p += 64;
    n -= 64;
  }
  uint8_t tail[128] = {};
  std::memcpy(tail, p, n);
  tail[n] = 0x80;
  const size_t tail_len = n + 9 <= 64 ? 64 : 128;
  const uint64_t bit_len = static_cast<uint64_t>(data.size()) * 8;
  for (int i = 0; i < 8; ++i) {
    const size_t pos = big_endian_length ? tail_len - 1 - i : tail_len - 8 + i;
    tail[pos] = static_cast<uint8_t>(bit_len >> (8 * i));
  }
  compress(tail);
  if (tail_len == 128) compress(tail + 64);
}

uint32_t Rotr(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }
uint32_t Rotl(uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }

// ---------------------------------------------------------------------------
// SHA-256

constexpr uint32_t kSha256K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
    0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
    0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2};

void Sha256Compress(std::array<uint32_t, 8>& h, const uint8_t* block) {
  uint32_t w[64];
  for (int i = 0; i < 16; ++i) {
    w[i] = (uint32_t{block[4 * i]} << 24) | (uint32_t{block[4 * i + 1]} << 16) |
           (uint32_t{block[4 * i + 2]} << 8) | uint32_t{block[4 * i + 3]};
  }
  for (int i = 16; i < 64; ++i) {
    const uint32_t s0 = Rotr(w[i - 15], 7) ^ Rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
    const uint32_t s1 = Rotr(w[i - 2], 17) ^ Rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
  for (int i = 0; i < 64; ++i) {
    const uint32_t t1 = k + (Rotr(e, 6) ^ Rotr(e, 11) ^ Rotr(e, 25)) + ((e & f) ^ (~e & g)) +
                        kSha256K[i] + w[i];
    const uint32_t t2 = (Rotr(a, 2) ^ Rotr(a, 13) ^ Rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    k = g;
    g = f;
    f = e;
    e = d + t1;
    d = c;
    c = b;
    b = a;
    a = t1 + t2;
  }
  h[0] += a; h[1] += b; h[2] += c; h[3] += d;
  h[4] += e; h[5] += f; h[6] += g; h[7] += k;
}

// ---------------------------------------------------------------------------
// RIPEMD-160: two parallel lines of 80 steps each.

constexpr uint8_t kRmdR[80] = {
    0, 1, 2,  3,  4,  5,  6,  7,  8, 9,  10, 11, 12, 13, 14, 15, 7,  4,  13, 1,
    10, 6, 15, 3,  12, 0,  9,  5,  2, 14, 11, 8,  3,  10, 14, 4,  9,  15, 8,  1,
    2, 7, 0,  6,  13, 11, 5,  12, 1, 9,  11, 10, 0,  8,  12, 4,  13, 3,  7,  15,
    14, 5, 6, 2,  4,  0,  5,  9,  7, 12, 2,  10, 14, 1,  3,  8,  11, 6,  15, 13};
constexpr uint8_t kRmdRp[80] = {
    5, 14, 7, 0, 9, 2, 11, 4, 13, 6, 15, 8, 1, 10, 3, 12, 6, 11, 3, 7,
    0, 13, 5, 10, 14, 15, 8, 12, 4, 9, 1, 2, 15, 5, 1, 3, 7, 14, 6, 9,
    11, 8, 12, 2, 10, 0, 4, 13, 8, 6, 4, 1, 3, 11, 15, 0, 5, 12, 2, 13,
    9, 7, 10, 14, 12, 15, 10, 4, 1, 5, 8, 7, 6, 2, 13, 14, 0, 3, 9, 11};
constexpr uint8_t kRmdS[80] = {
    11, 14, 15, 12, 5, 8, 7, 9, 11, 13, 14, 15, 6, 7, 9, 8, 7, 6, 8, 13,
    11, 9, 7, 15, 7, 12, 15, 9, 11, 7, 13, 12, 11, 13, 6, 7, 14, 9, 13, 15,
    14, 8, 13, 6, 5, 12, 7, 5, 11, 12, 14, 15, 14, 15, 9, 8, 9, 14, 5, 6,
    8, 6, 5, 12, 9, 15, 5, 11, 6, 8, 13, 12, 5, 12, 13, 14, 11, 8, 5, 6};
constexpr uint8_t kRmdSp[80] = {
    8, 9, 9, 11, 13, 15, 15, 5, 7, 7, 8, 11, 14, 14, 12, 6, 9, 13, 15, 7,
    12, 8, 9, 11, 7, 7, 12, 7, 6, 15, 13, 11, 9, 7, 15, 11, 8, 6, 6, 14,
    12, 13, 5, 14, 13, 13, 7, 5, 15, 5, 8, 11, 14, 14, 6, 14, 6, 9, 12, 9,
    12, 5, 15, 8, 8, 5, 12, 9, 12, 5, 14, 6, 8, 13, 6, 5, 15, 13, 11, 11};
constexpr uint32_t kRmdK[5] = {0x00000000, 0x5a827999, 0x6ed9eba1, 0x8f1bbcdc, 0xa953fd4e};
constexpr uint32_t kRmdKp[5] = {0x50a28be6, 0x5c4dd124, 0x6d703ef3, 0x7a6d76e9, 0x00000000};

// The five boolean functions f1..f5 selected by round j (0..4).
uint32_t RmdF(int j, uint32_t x, uint32_t y, uint32_t z) {
  switch (j) {
    case 0: return x ^ y ^ z;
    case 1: return (x & y) | (~x & z);
    case 2: return (x | ~y) ^ z;
    case 3: return (x & z) | (y & ~z);
    default: return x ^ (y | ~z);
  }
}

void Ripemd160Compress(std::array<uint32_t, 5>& h, const uint8_t* block) {
  uint32_t x[16];
  for (int i = 0; i < 16; ++i) {
    x[i] = uint32_t{block[4 * i]} | (uint32_t{block[4 * i + 1]} << 8) |
           (uint32_t{block[4 * i + 2]} << 16) | (uint32_t{block[4 * i + 3]} << 24);
  }
  uint32_t al = h[0], bl = h[1], cl = h[2], dl = h[3], el = h[4];
  uint32_t ar = h[0], br = h[1], cr = h[2], dr = h[3], er = h[4];
  for (int i = 0; i < 80; ++i) {
    const int j = i / 16;
    uint32_t t = Rotl(al + RmdF(j, bl, cl, dl) + x[kRmdR[i]] + kRmdK[j], kRmdS[i]) + el;
    al = el; el = dl; dl = Rotl(cl, 10); cl = bl; bl = t;
    t = Rotl(ar + RmdF(4 - j, br, cr, dr) + x[kRmdRp[i]] + kRmdKp[j], kRmdSp[i]) + er;
    ar = er; er = dr; dr = Rotl(cr, 10); cr = br; br = t;
  }
  const uint32_t t = h[1] + cl + dr;
  h[1] = h[2] + dl + er;
  h[2] = h[3] + el + ar;
  h[3] = h[4] + al + br;
  h[4] = h[0] + bl + cr;
  h[0] = t;
}

// ---------------------------------------------------------------------------
// secp256k1

// One context for the process. Created without randomisation: blinding only
// hardens against side channels on the signing machine and needs a random
// seed, which the engine does not use; results are identical either way.
const secp256k1_context* Secp() {
  static const secp256k1_context* const ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
  MESH_CHECK(ctx != nullptr);
  return ctx;
}

absl::StatusOr<secp256k1_pubkey> ParsePublicKey(std::string_view pubkey33) {
  if (pubkey33.size() != 33 || (pubkey33[0] != 0x02 && pubkey33[0] != 0x03)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "public key must be 33-byte compressed SEC1 (0x02/0x03 prefix), got ", pubkey33.size(),
        " bytes"));
  }
  secp256k1_pubkey pk;
  if (!secp256k1_ec_pubkey_parse(Secp(), &pk, reinterpret_cast<const uint8_t*>(pubkey33.data()),
                                 pubkey33.size())) {
    return absl::InvalidArgumentError("public key is not a point on secp256k1");
  }
  return pk;
}

absl::StatusOr<secp256k1_ecdsa_signature> ParseSignature(std::string_view sig64) {
  if (sig64.size() != 64) {
    return absl::InvalidArgumentError(
        absl::StrCat("signature must be 64 bytes r||s, got ", sig64.size()));
  }
  secp256k1_ecdsa_signature sig;
  if (!secp256k1_ecdsa_signature_parse_compact(Secp(), &sig,
                                               reinterpret_cast<const uint8_t*>(sig64.data()))) {
    return absl::InvalidArgumentError("signature r or s is not below the group order");
  }
  return sig;
}

std::string Bech32OrDie(std::string_view hrp, std::string_view bytes) {
  absl::StatusOr<std::string> s = AddressToBech32(hrp, bytes);
  MESH_CHECK_OK(s.status());
  return *std::move(s);
}

int HexNibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

Hash256 Sha256(std::string_view data) {
  std::array<uint32_t, 8> h = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                               0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  HashPadded(data, /*big_endian_length=*/true,
             [&h](const uint8_t* block) { Sha256Compress(h, block); });
  Hash256 out;
  for (int i = 0; i < 32; ++i) out[i] = static_cast<uint8_t>(h[i / 4] >> (24 - 8 * (i % 4)));
  return out;
}

Hash160 Ripemd160(std::string_view data) {
  std::array<uint32_t, 5> h = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0};
  HashPadded(data, /*big_endian_length=*/false,
             [&h](const uint8_t* block) { Ripemd160Compress(h, block); });
  Hash160 out;
  for (int i = 0; i < 20; ++i) out[i] = static_cast<uint8_t>(h[i / 4] >> (8 * (i % 4)));
  return out;
}

std::string ToHex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) {
    const auto b = static_cast<uint8_t>(c);
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 15]);
  }
  return out;
}

absl::StatusOr<std::string> FromHex(std::string_view hex) {
  if (hex.size() % 2 != 0) {
    return absl::InvalidArgumentError(absl::StrCat("hex: odd length ", hex.size()));
  }
  std::string out;
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    const int hi = HexNibble(hex[i]);
    const int lo = HexNibble(hex[i + 1]);
    if (hi < 0 || lo < 0) {
      return absl::InvalidArgumentError(absl::StrCat("hex: invalid digit at offset ", i));
    }
    out.push_back(static_cast<char>((hi << 4) | lo));
  }
  return out;
}

absl::StatusOr<PrivateKey> PrivateKey::FromBytes(std::string_view bytes32) {
  if (bytes32.size() != 32) {
    return absl::InvalidArgumentError(
        absl::StrCat("private key must be 32 bytes, got ", bytes32.size()));
  }
  std::array<uint8_t, 32> k;
  std::memcpy(k.data(), bytes32.data(), 32);
  if (!secp256k1_ec_seckey_verify(Secp(), k.data())) {
    return absl::InvalidArgumentError("private key is zero or not below the group order");
  }
  return PrivateKey(k);
}

PrivateKey PrivateKey::FromSeed(std::string_view seed) {
  Hash256 k = Sha256(seed);
  // Invalid with probability ~2^-128 per round; the loop is for completeness.
  while (!secp256k1_ec_seckey_verify(Secp(), k.data())) {
    k = Sha256(std::string_view(reinterpret_cast<const char*>(k.data()), k.size()));
  }
  return PrivateKey(k);
}

std::string PrivateKey::PublicKey() const {
  secp256k1_pubkey pk;
  MESH_CHECK(secp256k1_ec_pubkey_create(Secp(), &pk, key_.data()) == 1);
  uint8_t out[33];
  size_t len = sizeof(out);
  MESH_CHECK(secp256k1_ec_pubkey_serialize(Secp(), out, &len, &pk, SECP256K1_EC_COMPRESSED) == 1);
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::string PrivateKey::Sign(std::string_view message) const {
  const Hash256 digest = Sha256(message);
  secp256k1_ecdsa_signature sig;
  // Null nonce function = secp256k1_nonce_function_rfc6979, no extra entropy.
  MESH_CHECK(secp256k1_ecdsa_sign(Secp(), &sig, digest.data(), key_.data(), nullptr, nullptr) ==
             1);
  // The library already signs low-S; normalising keeps that explicit.
  secp256k1_ecdsa_signature_normalize(Secp(), &sig, &sig);
  uint8_t out[64];
  MESH_CHECK(secp256k1_ecdsa_signature_serialize_compact(Secp(), out, &sig) == 1);
  return std::string(reinterpret_cast<const char*>(out), sizeof(out));
}

absl::Status VerifySignature(std::string_view pubkey33, std::string_view message,
                             std::string_view sig64) {
  MESH_ASSIGN_OR_RETURN(const secp256k1_pubkey pk, ParsePublicKey(pubkey33));
  MESH_ASSIGN_OR_RETURN(const secp256k1_ecdsa_signature sig, ParseSignature(sig64));
  // Cosmos rejects s > n/2 (malleated signatures): check explicitly rather
  // than relying only on secp256k1_ecdsa_verify doing the same.
  if (secp256k1_ecdsa_signature_normalize(Secp(), nullptr, &sig) == 1) {
    return absl::PermissionDeniedError("signature has high S (s > n/2)");
  }
  const Hash256 digest = Sha256(message);
  if (secp256k1_ecdsa_verify(Secp(), &sig, digest.data(), &pk) != 1) {
    return absl::PermissionDeniedError("signature does not verify");
  }
  return absl::OkStatus();
}

std::string AddressBytes(std::string_view pubkey33) {
  const Hash256 sha = Sha256(pubkey33);
  const Hash160 rmd = Ripemd160(std::string_view(reinterpret_cast<const char*>(sha.data()), 32));
  return std::string(reinterpret_cast<const char*>(rmd.data()), rmd.size());
}

std::string AccountAddressOf(std::string_view prefix, std::string_view pubkey33) {
  return Bech32OrDie(prefix, AddressBytes(pubkey33));
}

std::string ValoperAddressOf(std::string_view prefix, std::string_view pubkey33) {
  return Bech32OrDie(std::string(prefix) + "valoper", AddressBytes(pubkey33));
}

absl::StatusOr<std::string> AddressToBech32(std::string_view hrp, std::string_view addr_bytes) {
  return Bech32Encode(hrp, addr_bytes);
}

absl::StatusOr<std::string> AddressFromBech32(std::string_view expected_hrp,
                                              std::string_view addr) {
  MESH_ASSIGN_OR_RETURN(Bech32Decoded d, Bech32Decode(addr));
  std::string want(expected_hrp);
  for (char& c : want) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  if (d.hrp != want) {
    return absl::InvalidArgumentError(
        absl::StrCat("address prefix is '", d.hrp, "', expected '", want, "'"));
  }
  if (d.data.empty() || d.data.size() > 255) {
    return absl::InvalidArgumentError(
        absl::StrCat("address must have 1..255 bytes, got ", d.data.size()));
  }
  return std::move(d.data);
}

}  // namespace mesh
