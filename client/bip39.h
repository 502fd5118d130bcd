// BIP-39 mnemonics (English word list only).
//
// A mnemonic is 12, 15, 18, 21 or 24 words from the 2048-word English list
// (client/bip39_english.txt, compiled in); its last word carries a checksum:
// the first ENT/32 bits of SHA-256(entropy). Seeds are
// PBKDF2-HMAC-SHA512(mnemonic, "mnemonic" + passphrase, 2048 rounds, 64
// bytes), both strings in Unicode NFKD. The English words are ASCII, so the
// normalised mnemonic is the words joined by single spaces; a passphrase is
// normalised with ICU when meshctl was built with it, otherwise a non-ASCII
// passphrase is refused (InvalidArgument) rather than hashed un-normalised.
// All functions are thread-safe.
#ifndef MESHSEC_CLIENT_BIP39_H_
#define MESHSEC_CLIENT_BIP39_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace mesh::client {

// The 2048 English words, in list order.
const std::vector<std::string_view>& Bip39EnglishWords();
// The word list file as compiled in (one word per line, '\n' after each).
std::string_view Bip39EnglishListText();

// Mnemonic for 16, 20, 24, 28 or 32 bytes of entropy; InvalidArgument
// otherwise.
absl::StatusOr<std::string> EntropyToMnemonic(std::string_view entropy);

// Entropy of a mnemonic. Accepts any whitespace between words and upper
// case letters. InvalidArgument for a word count other than 12/15/18/21/24,
// a word not in the list, or a wrong checksum.
absl::StatusOr<std::string> MnemonicToEntropy(std::string_view mnemonic);

// The canonical form of a valid mnemonic: lower case, single spaces.
absl::StatusOr<std::string> NormalizeMnemonic(std::string_view mnemonic);

// A new mnemonic of `words` words (12, 15, 18, 21 or 24) from the OS random
// generator (OpenSSL RAND_bytes). Internal error if the generator fails.
absl::StatusOr<std::string> GenerateMnemonic(int words = 24);

// The 64-byte seed of a valid mnemonic (checksum checked first).
absl::StatusOr<std::array<uint8_t, 64>> MnemonicToSeed(std::string_view mnemonic,
                                                       std::string_view passphrase = "");

}  // namespace mesh::client

#endif  // MESHSEC_CLIENT_BIP39_H_
