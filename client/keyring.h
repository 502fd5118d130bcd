// The meshctl keyring: one JSON file per key under <home>/keyring-<backend>/
// (directory 0700, files 0600, written with O_EXCL so a name is never
// overwritten).
//
//   test: the private key is stored in clear (hex). For tests and devnets.
//   file: the private key is encrypted with AES-256-GCM under a key derived
//         from a passphrase by scrypt (N=2^15, r=8, p=1, 16-byte random salt,
//         12-byte random nonce; the key name is the associated data).
//
// Key names: 1..64 characters of [A-Za-z0-9._-], not starting with '.' or
// '-'. Mnemonics are never stored. Errors: InvalidArgument (bad name,
// mnemonic, path or passphrase), AlreadyExists, NotFound, PermissionDenied
// (wrong passphrase), Internal (I/O). Thread-compatible.
#ifndef MESHSEC_CLIENT_KEYRING_H_
#define MESHSEC_CLIENT_KEYRING_H_

#include <array>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace mesh::client {

enum class KeyringBackend { kTest, kFile };
absl::StatusOr<KeyringBackend> ParseKeyringBackend(std::string_view name);

struct KeyInfo {
  std::string name;
  std::string hd_path;       // "m/44'/118'/0'/0/0"
  std::string pubkey;        // 33-byte compressed secp256k1
  std::string address;       // 20 bytes: RIPEMD-160(SHA-256(pubkey))

  // bech32 account address with `prefix`.
  absl::StatusOr<std::string> Bech32(std::string_view prefix) const;
  // {"@type":"/cosmos.crypto.secp256k1.PubKey","key":"<base64>"}
  std::string PubKeyJson() const;
};

// Supplies the keyring passphrase of the file backend when it is needed.
using PassphraseFn = std::function<absl::StatusOr<std::string>()>;

inline constexpr size_t kMinKeyringPassphrase = 8;

class Keyring {
 public:
  Keyring(std::filesystem::path home, KeyringBackend backend, PassphraseFn passphrase = {});

  // Derives the key at `hd_path` from `mnemonic` (+ optional BIP-39
  // passphrase) and stores it under `name`.
  absl::StatusOr<KeyInfo> Add(std::string_view name, std::string_view mnemonic,
                              std::string_view hd_path, std::string_view bip39_passphrase = "");
  // Stores a raw 32-byte secp256k1 private key under `name` (no mnemonic,
  // empty hd_path): for devnet keys (config/keys.json) and other wallets'
  // exports. InvalidArgument for a key out of range.
  absl::StatusOr<KeyInfo> AddPrivateKey(std::string_view name, std::string_view key32);
  absl::StatusOr<KeyInfo> Show(std::string_view name) const;
  // All keys, by name.
  absl::StatusOr<std::vector<KeyInfo>> List() const;
  absl::Status Delete(std::string_view name);
  // The private key of `name` (asks for the passphrase with the file backend).
  absl::StatusOr<std::array<uint8_t, 32>> PrivateKey(std::string_view name) const;

  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path FileOf(std::string_view name) const;

 private:
  absl::StatusOr<KeyInfo> Store(std::string_view name, const std::array<uint8_t, 32>& priv,
                                const std::string& hd_path);

  std::filesystem::path dir_;
  KeyringBackend backend_;
  PassphraseFn passphrase_;
};

absl::Status ValidateKeyName(std::string_view name);

}  // namespace mesh::client

#endif  // MESHSEC_CLIENT_KEYRING_H_
