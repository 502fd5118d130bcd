#include "client/hd.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <secp256k1.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/crypto.h"

namespace mesh::client {
namespace {

std::array<uint8_t, 64> HmacSha512(std::string_view key, std::string_view data) {
  std::array<uint8_t, 64> out{};
  unsigned int len = 0;
  HMAC(EVP_sha512(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(), &len);
  return out;
}

const secp256k1_context* Ctx() {
  static const secp256k1_context* ctx = secp256k1_context_create(SECP256K1_CONTEXT_SIGN);
  return ctx;
}

std::string_view View(const std::array<uint8_t, 32>& a) {
  return std::string_view(reinterpret_cast<const char*>(a.data()), a.size());
}

void PutU32(std::string& out, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<char>((v >> s) & 0xff));
}

std::string Serialize(const ExtendedKey& k, uint32_t version, std::string_view key33) {
  std::string p;
  PutU32(p, version);
  p.push_back(static_cast<char>(k.depth));
  PutU32(p, k.parent_fingerprint);
  PutU32(p, k.child_number);
  p.append(View(k.chain_code));
  p.append(key33);
  return Base58CheckEncode(p);
}

}  // namespace

std::string ExtendedKey::PublicKey() const {
  secp256k1_pubkey pub;
  if (secp256k1_ec_pubkey_create(Ctx(), &pub, key.data()) != 1) return "";
  unsigned char out[33];
  size_t len = sizeof(out);
  secp256k1_ec_pubkey_serialize(Ctx(), out, &len, &pub, SECP256K1_EC_COMPRESSED);
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::string ExtendedKey::ToXprv() const {
  return Serialize(*this, 0x0488ADE4u, std::string(1, '\0') + std::string(View(key)));
}

std::string ExtendedKey::ToXpub() const { return Serialize(*this, 0x0488B21Eu, PublicKey()); }

absl::StatusOr<ExtendedKey> MasterKey(std::string_view seed) {
  if (seed.size() < 16 || seed.size() > 64) {
    return absl::InvalidArgumentError(absl::StrCat("seed must be 16..64 bytes, got ", seed.size()));
  }
  const std::array<uint8_t, 64> i = HmacSha512("Bitcoin seed", seed);
  ExtendedKey k;
  std::memcpy(k.key.data(), i.data(), 32);
  std::memcpy(k.chain_code.data(), i.data() + 32, 32);
  if (secp256k1_ec_seckey_verify(Ctx(), k.key.data()) != 1) {
    return absl::InvalidArgumentError("seed gives an invalid master key");
  }
  return k;
}

absl::StatusOr<ExtendedKey> DeriveChild(const ExtendedKey& parent, uint32_t index) {
  std::string data;
  if (index >= kHardened) {
    data.push_back('\0');
    data.append(View(parent.key));
  } else {
    data = parent.PublicKey();
  }
  PutU32(data, index);
  const std::array<uint8_t, 64> i = HmacSha512(View(parent.chain_code), data);
  ExtendedKey child;
  child.key = parent.key;
  if (secp256k1_ec_seckey_tweak_add(Ctx(), child.key.data(), i.data()) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("child ", index, " is not a valid key (use the next index)"));
  }
  std::memcpy(child.chain_code.data(), i.data() + 32, 32);
  child.depth = static_cast<uint8_t>(parent.depth + 1);
  const Hash160 id = Ripemd160(std::string_view(
      reinterpret_cast<const char*>(Sha256(parent.PublicKey()).data()), 32));
  child.parent_fingerprint = (uint32_t{id[0]} << 24) | (uint32_t{id[1]} << 16) |
                             (uint32_t{id[2]} << 8) | uint32_t{id[3]};
  child.child_number = index;
  return child;
}

absl::StatusOr<std::vector<uint32_t>> ParsePath(std::string_view path) {
  std::vector<std::string> parts = absl::StrSplit(std::string(path), '/');
  if (parts.empty() || parts[0] != "m") {
    return absl::InvalidArgumentError(absl::StrCat("HD path must start with m/: ", std::string(path)));
  }
  std::vector<uint32_t> out;
  for (size_t p = 1; p < parts.size(); ++p) {
    std::string_view s = parts[p];
    bool hardened = false;
    if (!s.empty() && (s.back() == '\'' || s.back() == 'h' || s.back() == 'H')) {
      hardened = true;
      s.remove_suffix(1);
    }
    uint32_t v = 0;
    if (s.empty() || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
        !absl::SimpleAtoi(absl::string_view(s.data(), s.size()), &v) || v >= kHardened) {
      return absl::InvalidArgumentError(absl::StrCat("bad HD path component \"", parts[p], "\""));
    }
    out.push_back(hardened ? v | kHardened : v);
  }
  return out;
}

std::string FormatPath(const std::vector<uint32_t>& path) {
  std::string s = "m";
  for (uint32_t i : path) {
    absl::StrAppend(&s, "/", i & ~kHardened, i >= kHardened ? "'" : "");
  }
  return s;
}

std::string CosmosPath(uint32_t account, uint32_t index) {
  return absl::StrCat("m/44'/", kCosmosCoinType, "'/", account, "'/0/", index);
}

absl::StatusOr<ExtendedKey> DerivePath(std::string_view seed, std::string_view path) {
  absl::StatusOr<std::vector<uint32_t>> p = ParsePath(path);
  if (!p.ok()) return p.status();
  absl::StatusOr<ExtendedKey> k = MasterKey(seed);
  for (uint32_t i : *p) {
    if (!k.ok()) break;
    k = DeriveChild(*k, i);
  }
  return k;
}

std::string Base58Encode(std::string_view bytes) {
  static constexpr char kAlphabet[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
  size_t zeros = 0;
  while (zeros < bytes.size() && bytes[zeros] == '\0') ++zeros;
  std::vector<uint8_t> digits;  // base 58, little endian
  for (size_t i = zeros; i < bytes.size(); ++i) {
    int carry = static_cast<uint8_t>(bytes[i]);
    for (uint8_t& d : digits) {
      carry += 256 * d;
      d = static_cast<uint8_t>(carry % 58);
      carry /= 58;
    }
    while (carry > 0) {
      digits.push_back(static_cast<uint8_t>(carry % 58));
      carry /= 58;
    }
  }
  std::string out(zeros, '1');
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) out.push_back(kAlphabet[*it]);
  return out;
}

std::string Base58CheckEncode(std::string_view payload) {
  const Hash256 h1 = Sha256(payload);
  const Hash256 h2 = Sha256(std::string_view(reinterpret_cast<const char*>(h1.data()), 32));
  std::string p(payload);
  p.append(reinterpret_cast<const char*>(h2.data()), 4);
  return Base58Encode(p);
}

}  // namespace mesh::client
