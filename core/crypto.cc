// SHA-256, RIPEMD-160 and Ed25519 through OpenSSL 3, hex, secp256k1 ECDSA
// through libsecp256k1, and Cosmos address derivation.
#include "core/crypto.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <secp256k1.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/status.h"

namespace mesh {
namespace {

// ---------------------------------------------------------------------------
// Hashes: OpenSSL 3 one-shot EVP_Digest. Both digests are in the default
// provider (RIPEMD-160 since OpenSSL 3.0.7), fetched once per process.

const EVP_MD* FetchedMd(const char* name) {
  EVP_MD* md = EVP_MD_fetch(nullptr, name, nullptr);
  MESH_CHECK(md != nullptr);  // missing provider: a broken installation
  return md;
}

template <size_t N>
std::array<uint8_t, N> Digest(const EVP_MD* md, std::string_view data) {
  std::array<uint8_t, N> out;
  unsigned int len = 0;
  MESH_CHECK(EVP_Digest(data.data(), data.size(), out.data(), &len, md, nullptr) == 1);
  MESH_CHECK(len == N);
  return out;
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

// ---------------------------------------------------------------------------
// Ed25519

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

PkeyPtr Ed25519Private(const std::array<uint8_t, 32>& key) {
  PkeyPtr p(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, key.data(), key.size()));
  MESH_CHECK(p != nullptr);  // any 32 bytes are a valid Ed25519 private key
  return p;
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
  static const EVP_MD* const md = FetchedMd("SHA256");
  return Digest<32>(md, data);
}

Sha256Hasher::Sha256Hasher() : ctx_(EVP_MD_CTX_new()) {
  static const EVP_MD* const md = FetchedMd("SHA256");
  MESH_CHECK(ctx_ != nullptr);
  MESH_CHECK(EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_), md, nullptr) == 1);
}

Sha256Hasher::~Sha256Hasher() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_)); }

void Sha256Hasher::Flush() {
  if (used_ == 0) return;
  MESH_CHECK(EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), buf_, used_) == 1);
  used_ = 0;
}

Sha256Hasher& Sha256Hasher::Update(std::string_view data) {
  MESH_CHECK(!finished_);
  if (used_ + data.size() <= kBufferBytes) {
    std::memcpy(buf_ + used_, data.data(), data.size());
    used_ += data.size();
    return *this;
  }
  Flush();
  if (data.size() >= kBufferBytes) {
    MESH_CHECK(EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), data.data(), data.size()) == 1);
  } else {
    std::memcpy(buf_, data.data(), data.size());
    used_ = data.size();
  }
  return *this;
}

Sha256Hasher& Sha256Hasher::U8(uint8_t v) {
  const char c = static_cast<char>(v);
  return Update(std::string_view(&c, 1));
}

Sha256Hasher& Sha256Hasher::U32(uint32_t v) {
  char b[4];
  for (int i = 0; i < 4; ++i) b[i] = static_cast<char>(v >> (24 - 8 * i));
  return Update(std::string_view(b, 4));
}

Sha256Hasher& Sha256Hasher::U64(uint64_t v) {
  char b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<char>(v >> (56 - 8 * i));
  return Update(std::string_view(b, 8));
}

Hash256 Sha256Hasher::Finish() {
  MESH_CHECK(!finished_);
  Flush();
  finished_ = true;
  Hash256 out;
  unsigned int len = 0;
  MESH_CHECK(EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(ctx_), out.data(), &len) == 1);
  MESH_CHECK(len == out.size());
  return out;
}

Hash160 Ripemd160(std::string_view data) {
  static const EVP_MD* const md = FetchedMd("RIPEMD160");
  return Digest<20>(md, data);
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

// REQUIRES: `k` passed secp256k1_ec_seckey_verify (FromBytes, FromSeed).
PrivateKey::PrivateKey(const std::array<uint8_t, 32>& k) : key_(k) {
  secp256k1_pubkey pk;
  MESH_CHECK(secp256k1_ec_pubkey_create(Secp(), &pk, key_.data()) == 1);
  size_t len = public_key_.size();
  MESH_CHECK(secp256k1_ec_pubkey_serialize(Secp(), public_key_.data(), &len, &pk,
                                           SECP256K1_EC_COMPRESSED) == 1 &&
             len == public_key_.size());
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

namespace {

absl::Status VerifyParsed(const secp256k1_pubkey& pk, std::string_view message,
                          std::string_view sig64) {
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

}  // namespace

absl::Status VerifySignature(std::string_view pubkey33, std::string_view message,
                             std::string_view sig64) {
  MESH_ASSIGN_OR_RETURN(const secp256k1_pubkey pk, ParsePublicKey(pubkey33));
  return VerifyParsed(pk, message, sig64);
}

absl::StatusOr<ParsedPublicKey> ParsedPublicKey::Parse(std::string_view pubkey33) {
  MESH_ASSIGN_OR_RETURN(const secp256k1_pubkey pk, ParsePublicKey(pubkey33));
  static_assert(sizeof(pk.data) == sizeof(ParsedPublicKey::point_));
  ParsedPublicKey out;
  std::memcpy(out.point_.data(), pk.data, sizeof(pk.data));
  return out;
}

absl::Status ParsedPublicKey::Verify(std::string_view message, std::string_view sig64) const {
  secp256k1_pubkey pk;
  std::memcpy(pk.data, point_.data(), sizeof(pk.data));
  return VerifyParsed(pk, message, sig64);
}

absl::StatusOr<Ed25519PrivateKey> Ed25519PrivateKey::FromBytes(std::string_view bytes32) {
  if (bytes32.size() != 32) {
    return absl::InvalidArgumentError(
        absl::StrCat("ed25519 private key must be 32 bytes, got ", bytes32.size()));
  }
  std::array<uint8_t, 32> k;
  std::memcpy(k.data(), bytes32.data(), 32);
  return Ed25519PrivateKey(k);
}

Ed25519PrivateKey Ed25519PrivateKey::FromSeed(std::string_view seed) {
  return Ed25519PrivateKey(Sha256(seed));
}

std::string Ed25519PrivateKey::PublicKey() const {
  PkeyPtr p = Ed25519Private(key_);
  std::string out(kEd25519PublicKeySize, '\0');
  size_t len = out.size();
  MESH_CHECK(EVP_PKEY_get_raw_public_key(p.get(), reinterpret_cast<uint8_t*>(out.data()),
                                         &len) == 1 &&
             len == kEd25519PublicKeySize);
  return out;
}

std::string Ed25519PrivateKey::Sign(std::string_view message) const {
  PkeyPtr p = Ed25519Private(key_);
  MdCtxPtr ctx(EVP_MD_CTX_new());
  MESH_CHECK(ctx != nullptr);
  // Ed25519 hashes internally: no digest (NULL md) and one-shot DigestSign.
  MESH_CHECK(EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, p.get()) == 1);
  std::string sig(kEd25519SignatureSize, '\0');
  size_t len = sig.size();
  MESH_CHECK(EVP_DigestSign(ctx.get(), reinterpret_cast<uint8_t*>(sig.data()), &len,
                            reinterpret_cast<const uint8_t*>(message.data()),
                            message.size()) == 1 &&
             len == kEd25519SignatureSize);
  return sig;
}

absl::Status VerifyEd25519(std::string_view pubkey32, std::string_view message,
                           std::string_view sig64) {
  if (pubkey32.size() != kEd25519PublicKeySize) {
    return absl::InvalidArgumentError(
        absl::StrCat("ed25519 public key must be 32 bytes, got ", pubkey32.size()));
  }
  if (sig64.size() != kEd25519SignatureSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("ed25519 signature must be 64 bytes, got ", sig64.size()));
  }
  PkeyPtr p(EVP_PKEY_new_raw_public_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const uint8_t*>(pubkey32.data()),
      pubkey32.size()));
  if (p == nullptr) {
    ERR_clear_error();
    return absl::InvalidArgumentError("ed25519 public key rejected");
  }
  MdCtxPtr ctx(EVP_MD_CTX_new());
  MESH_CHECK(ctx != nullptr);
  MESH_CHECK(EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, p.get()) == 1);
  const int ok = EVP_DigestVerify(ctx.get(), reinterpret_cast<const uint8_t*>(sig64.data()),
                                  sig64.size(),
                                  reinterpret_cast<const uint8_t*>(message.data()),
                                  message.size());
  ERR_clear_error();  // a failed verification leaves entries on the thread's queue
  if (ok != 1) return absl::PermissionDeniedError("ed25519 signature does not verify");
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

std::string ModuleAddressBytes(std::string_view name) {
  const Hash256 h = Sha256(name);
  return std::string(reinterpret_cast<const char*>(h.data()), 20);
}

absl::StatusOr<std::string> ModuleAddress(std::string_view hrp, std::string_view name) {
  return AddressToBech32(hrp, ModuleAddressBytes(name));
}

absl::StatusOr<std::string> AddressFromBech32(std::string_view expected_hrp,
                                              std::string_view addr) {
  // Bech32Decode allocates only the result (a short hrp fits in the string).
  MESH_ASSIGN_OR_RETURN(Bech32Decoded d, Bech32Decode(addr));
  const absl::string_view want(expected_hrp.data(), expected_hrp.size());
  if (!absl::EqualsIgnoreCase(d.hrp, want)) {
    return absl::InvalidArgumentError(absl::StrCat("address prefix is '", d.hrp, "', expected '",
                                                   absl::AsciiStrToLower(want), "'"));
  }
  if (d.data.empty() || d.data.size() > 255) {
    return absl::InvalidArgumentError(
        absl::StrCat("address must have 1..255 bytes, got ", d.data.size()));
  }
  return std::move(d.data);
}

}  // namespace mesh
