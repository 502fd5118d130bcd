#include "client/bip39.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cctype>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/crypto.h"

#if MESH_CLIENT_ICU
#include <unicode/normalizer2.h>
#include <unicode/unistr.h>
#endif

namespace mesh::client {

// Defined in the source generated from client/bip39_english.txt.
extern const char kBip39EnglishText[];

namespace {

constexpr int kRounds = 2048;

bool IsValidWordCount(size_t n) { return n >= 12 && n <= 24 && n % 3 == 0; }

absl::StatusOr<std::string> NfkdPassphrase(std::string_view s) {
  const bool ascii = std::all_of(s.begin(), s.end(),
                                 [](char c) { return static_cast<unsigned char>(c) < 0x80; });
  if (ascii) return std::string(s);
#if MESH_CLIENT_ICU
  UErrorCode err = U_ZERO_ERROR;
  const icu::Normalizer2* nfkd = icu::Normalizer2::getNFKDInstance(err);
  if (U_FAILURE(err)) return absl::InternalError("ICU: no NFKD normaliser");
  icu::UnicodeString in = icu::UnicodeString::fromUTF8(icu::StringPiece(s.data(), s.size()));
  icu::UnicodeString out = nfkd->normalize(in, err);
  if (U_FAILURE(err)) return absl::InvalidArgumentError("passphrase is not valid UTF-8");
  std::string utf8;
  out.toUTF8String(utf8);
  return utf8;
#else
  return absl::InvalidArgumentError(
      "non-ASCII passphrase: this build has no Unicode NFKD normalisation (ICU)");
#endif
}

}  // namespace

std::string_view Bip39EnglishListText() { return kBip39EnglishText; }

const std::vector<std::string_view>& Bip39EnglishWords() {
  static const auto* words = [] {
    auto* v = new std::vector<std::string_view>();
    std::string_view text(kBip39EnglishText);
    for (size_t nl = text.find('\n'); nl != std::string_view::npos; nl = text.find('\n')) {
      if (nl > 0) v->push_back(text.substr(0, nl));
      text.remove_prefix(nl + 1);
    }
    if (!text.empty()) v->push_back(text);
    return v;
  }();
  return *words;
}

absl::StatusOr<std::string> EntropyToMnemonic(std::string_view entropy) {
  const size_t n = entropy.size();
  if (n < 16 || n > 32 || n % 4 != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("entropy must be 16, 20, 24, 28 or 32 bytes, got ", n));
  }
  const Hash256 h = Sha256(entropy);
  const size_t cs_bits = n * 8 / 32;
  auto bit = [&](size_t i) -> int {
    const uint8_t byte = i < n * 8 ? static_cast<uint8_t>(entropy[i / 8]) : h[(i - n * 8) / 8];
    return (byte >> (7 - i % 8)) & 1;
  };
  const size_t words = (n * 8 + cs_bits) / 11;
  std::vector<std::string> out;
  for (size_t w = 0; w < words; ++w) {
    int idx = 0;
    for (size_t b = 0; b < 11; ++b) idx = (idx << 1) | bit(w * 11 + b);
    out.emplace_back(Bip39EnglishWords()[static_cast<size_t>(idx)]);
  }
  return absl::StrJoin(out, " ");
}

absl::StatusOr<std::string> MnemonicToEntropy(std::string_view mnemonic) {
  std::vector<std::string> words =
      absl::StrSplit(absl::AsciiStrToLower(std::string(mnemonic)), absl::ByAnyChar(" \t\r\n"), absl::SkipEmpty());
  if (!IsValidWordCount(words.size())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "mnemonic must have 12, 15, 18, 21 or 24 words, got ", words.size()));
  }
  const auto& list = Bip39EnglishWords();
  std::vector<int> bits;
  bits.reserve(words.size() * 11);
  for (size_t w = 0; w < words.size(); ++w) {
    auto it = std::lower_bound(list.begin(), list.end(), words[w]);
    if (it == list.end() || *it != words[w]) {
      return absl::InvalidArgumentError(
          absl::StrCat("mnemonic word ", w + 1, " (\"", words[w], "\") is not a BIP-39 English word"));
    }
    const int idx = static_cast<int>(it - list.begin());
    for (int b = 10; b >= 0; --b) bits.push_back((idx >> b) & 1);
  }
  const size_t cs_bits = bits.size() / 33;
  const size_t ent_bits = bits.size() - cs_bits;
  std::string entropy(ent_bits / 8, '\0');
  for (size_t i = 0; i < ent_bits; ++i) {
    entropy[i / 8] = static_cast<char>(static_cast<uint8_t>(entropy[i / 8]) | (bits[i] << (7 - i % 8)));
  }
  const Hash256 h = Sha256(entropy);
  for (size_t i = 0; i < cs_bits; ++i) {
    if (((h[i / 8] >> (7 - i % 8)) & 1) != bits[ent_bits + i]) {
      return absl::InvalidArgumentError("invalid mnemonic: checksum mismatch");
    }
  }
  return entropy;
}

absl::StatusOr<std::string> NormalizeMnemonic(std::string_view mnemonic) {
  absl::StatusOr<std::string> entropy = MnemonicToEntropy(mnemonic);
  if (!entropy.ok()) return entropy.status();
  return EntropyToMnemonic(*entropy);
}

absl::StatusOr<std::string> GenerateMnemonic(int words) {
  if (words < 12 || words > 24 || words % 3 != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("mnemonic length must be 12, 15, 18, 21 or 24 words, got ", words));
  }
  std::string entropy(static_cast<size_t>(words / 3 * 4), '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(entropy.data()),
                 static_cast<int>(entropy.size())) != 1) {
    return absl::InternalError("the OS random generator failed");
  }
  return EntropyToMnemonic(entropy);
}

absl::StatusOr<std::array<uint8_t, 64>> MnemonicToSeed(std::string_view mnemonic,
                                                       std::string_view passphrase) {
  absl::StatusOr<std::string> canonical = NormalizeMnemonic(mnemonic);
  if (!canonical.ok()) return canonical.status();
  absl::StatusOr<std::string> pass = NfkdPassphrase(passphrase);
  if (!pass.ok()) return pass.status();
  const std::string salt = "mnemonic" + *pass;
  std::array<uint8_t, 64> seed{};
  if (PKCS5_PBKDF2_HMAC(canonical->data(), static_cast<int>(canonical->size()),
                        reinterpret_cast<const unsigned char*>(salt.data()),
                        static_cast<int>(salt.size()), kRounds, EVP_sha512(),
                        static_cast<int>(seed.size()), seed.data()) != 1) {
    return absl::InternalError("PBKDF2-HMAC-SHA512 failed");
  }
  return seed;
}

}  // namespace mesh::client
