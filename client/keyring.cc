#include "client/keyring.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <sstream>
#include <system_error>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "client/bip39.h"
#include "client/hd.h"
#include "core/crypto.h"
#include "core/json.h"
#include "core/status.h"

namespace mesh::client {
namespace {

namespace fs = std::filesystem;

constexpr uint64_t kScryptN = 1u << 15;
constexpr uint64_t kScryptR = 8;
constexpr uint64_t kScryptP = 1;
constexpr size_t kSaltSize = 16;
constexpr size_t kNonceSize = 12;
constexpr size_t kTagSize = 16;

std::string Bytes(const std::array<uint8_t, 32>& a) {
  return std::string(reinterpret_cast<const char*>(a.data()), a.size());
}

absl::StatusOr<std::string> RandomBytes(size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    return absl::InternalError("the OS random generator failed");
  }
  return out;
}

absl::StatusOr<std::string> ScryptKey(const std::string& pass, const std::string& salt) {
  std::string key(32, '\0');
  if (EVP_PBE_scrypt(pass.data(), pass.size(), reinterpret_cast<const unsigned char*>(salt.data()),
                     salt.size(), kScryptN, kScryptR, kScryptP, 64u << 20,
                     reinterpret_cast<unsigned char*>(key.data()), key.size()) != 1) {
    return absl::InternalError("scrypt failed");
  }
  return key;
}

// AES-256-GCM: ciphertext || 16-byte tag.
absl::StatusOr<std::string> Seal(const std::string& key, const std::string& nonce,
                                 std::string_view aad, std::string_view plain) {
  EVP_CIPHER_CTX* c = EVP_CIPHER_CTX_new();
  std::string out(plain.size() + kTagSize, '\0');
  int len = 0, total = 0;
  bool ok = c != nullptr &&
            EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
            EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(nonce.size()), nullptr) == 1 &&
            EVP_EncryptInit_ex(c, nullptr, nullptr, reinterpret_cast<const unsigned char*>(key.data()),
                               reinterpret_cast<const unsigned char*>(nonce.data())) == 1 &&
            EVP_EncryptUpdate(c, nullptr, &len, reinterpret_cast<const unsigned char*>(aad.data()),
                              static_cast<int>(aad.size())) == 1 &&
            EVP_EncryptUpdate(c, reinterpret_cast<unsigned char*>(out.data()), &len,
                              reinterpret_cast<const unsigned char*>(plain.data()),
                              static_cast<int>(plain.size())) == 1;
  total = len;
  ok = ok && EVP_EncryptFinal_ex(c, reinterpret_cast<unsigned char*>(out.data()) + total, &len) == 1;
  total += len;
  ok = ok && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, kTagSize, out.data() + total) == 1;
  EVP_CIPHER_CTX_free(c);
  if (!ok) return absl::InternalError("AES-256-GCM encryption failed");
  out.resize(static_cast<size_t>(total) + kTagSize);
  return out;
}

absl::StatusOr<std::string> Open(const std::string& key, const std::string& nonce,
                                 std::string_view aad, std::string_view sealed) {
  if (sealed.size() < kTagSize) return absl::InvalidArgumentError("ciphertext too short");
  const size_t n = sealed.size() - kTagSize;
  std::string tag(sealed.substr(n));
  std::string out(n, '\0');
  EVP_CIPHER_CTX* c = EVP_CIPHER_CTX_new();
  int len = 0;
  bool ok = c != nullptr &&
            EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
            EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(nonce.size()), nullptr) == 1 &&
            EVP_DecryptInit_ex(c, nullptr, nullptr, reinterpret_cast<const unsigned char*>(key.data()),
                               reinterpret_cast<const unsigned char*>(nonce.data())) == 1 &&
            EVP_DecryptUpdate(c, nullptr, &len, reinterpret_cast<const unsigned char*>(aad.data()),
                              static_cast<int>(aad.size())) == 1 &&
            EVP_DecryptUpdate(c, reinterpret_cast<unsigned char*>(out.data()), &len,
                              reinterpret_cast<const unsigned char*>(sealed.data()),
                              static_cast<int>(n)) == 1 &&
            EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, kTagSize, tag.data()) == 1;
  const bool auth = ok && EVP_DecryptFinal_ex(c, reinterpret_cast<unsigned char*>(out.data()) + len,
                                              &len) == 1;
  EVP_CIPHER_CTX_free(c);
  if (!ok) return absl::InternalError("AES-256-GCM decryption failed");
  if (!auth) return absl::PermissionDeniedError("wrong keyring passphrase (or a corrupted key file)");
  return out;
}

absl::StatusOr<std::string> ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return absl::InternalError("cannot read " + p.string());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Creates `p` with mode 0600; AlreadyExists if it exists.
absl::Status WriteNewFile(const fs::path& p, const std::string& text) {
  const int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return absl::AlreadyExistsError("exists");
    return absl::InternalError(absl::StrCat("cannot create ", p.string(), ": ", std::strerror(errno)));
  }
  ::fchmod(fd, 0600);  // whatever the umask
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t w = ::write(fd, text.data() + done, text.size() - done);
    if (w <= 0) {
      ::close(fd);
      ::unlink(p.c_str());
      return absl::InternalError("cannot write " + p.string());
    }
    done += static_cast<size_t>(w);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) return absl::InternalError("cannot write " + p.string());
  return absl::OkStatus();
}

absl::StatusOr<std::string> HexField(const Json& j, std::string_view key) {
  const Json* v = j.Find(key);
  if (v == nullptr || !v->AsString().ok()) {
    return absl::InvalidArgumentError(absl::StrCat("key file: missing ", std::string(key)));
  }
  return FromHex(*v->AsString());
}

absl::StatusOr<KeyInfo> InfoOf(const Json& j) {
  KeyInfo k;
  const Json* name = j.Find("name");
  const Json* path = j.Find("hd_path");
  if (name == nullptr || !name->AsString().ok() || path == nullptr || !path->AsString().ok()) {
    return absl::InvalidArgumentError("key file: missing name or hd_path");
  }
  k.name = *name->AsString();
  k.hd_path = *path->AsString();
  MESH_ASSIGN_OR_RETURN(k.pubkey, HexField(j, "pubkey"));
  if (k.pubkey.size() != 33) return absl::InvalidArgumentError("key file: bad pubkey");
  const Hash256 h = Sha256(k.pubkey);
  const Hash160 a = Ripemd160(std::string_view(reinterpret_cast<const char*>(h.data()), 32));
  k.address.assign(reinterpret_cast<const char*>(a.data()), a.size());
  return k;
}

}  // namespace

absl::StatusOr<KeyringBackend> ParseKeyringBackend(std::string_view name) {
  if (name == "test") return KeyringBackend::kTest;
  if (name == "file") return KeyringBackend::kFile;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown keyring backend \"", std::string(name), "\" (test or file)"));
}

absl::StatusOr<std::string> KeyInfo::Bech32(std::string_view prefix) const {
  return AddressToBech32(prefix, address);
}

std::string KeyInfo::PubKeyJson() const {
  Json j = Json::Object();
  j.Add("@type", Json::Str("/cosmos.crypto.secp256k1.PubKey"));
  j.Add("key", Json::Str(absl::Base64Escape(absl::string_view(pubkey))));
  return j.Write();
}

absl::Status ValidateKeyName(std::string_view name) {
  const bool chars_ok = std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '_' || c == '-';
  });
  if (name.empty() || name.size() > 64 || !chars_ok || name[0] == '.' || name[0] == '-') {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid key name \"", std::string(name), "\": 1..64 of [A-Za-z0-9._-], not starting with . or -"));
  }
  return absl::OkStatus();
}

Keyring::Keyring(fs::path home, KeyringBackend backend, PassphraseFn passphrase)
    : dir_(std::move(home) / (backend == KeyringBackend::kTest ? "keyring-test" : "keyring-file")),
      backend_(backend),
      passphrase_(std::move(passphrase)) {}

fs::path Keyring::FileOf(std::string_view name) const {
  return dir_ / (std::string(name) + ".json");
}

absl::StatusOr<KeyInfo> Keyring::Add(std::string_view name, std::string_view mnemonic,
                                     std::string_view hd_path, std::string_view bip39_passphrase) {
  MESH_RETURN_IF_ERROR(ValidateKeyName(name));
  if (fs::exists(FileOf(name))) {
    return absl::AlreadyExistsError(absl::StrCat("key \"", std::string(name), "\" already exists"));
  }
  MESH_ASSIGN_OR_RETURN(auto seed, MnemonicToSeed(mnemonic, bip39_passphrase));
  MESH_ASSIGN_OR_RETURN(
      ExtendedKey key,
      DerivePath(std::string_view(reinterpret_cast<const char*>(seed.data()), seed.size()), hd_path));
  MESH_ASSIGN_OR_RETURN(std::vector<uint32_t> parsed, ParsePath(hd_path));
  return Store(name, key.key, FormatPath(parsed));
}

absl::StatusOr<KeyInfo> Keyring::AddPrivateKey(std::string_view name, std::string_view key32) {
  MESH_RETURN_IF_ERROR(ValidateKeyName(name));
  if (fs::exists(FileOf(name))) {
    return absl::AlreadyExistsError(absl::StrCat("key \"", std::string(name), "\" already exists"));
  }
  if (key32.size() != 32) return absl::InvalidArgumentError("a private key is 32 bytes");
  absl::StatusOr<mesh::PrivateKey> pk = mesh::PrivateKey::FromBytes(key32);
  if (!pk.ok()) return absl::InvalidArgumentError(absl::StrCat("invalid private key: ", pk.status().message()));
  return Store(name, pk->bytes(), "");
}

absl::StatusOr<KeyInfo> Keyring::Store(std::string_view name, const std::array<uint8_t, 32>& priv,
                                       const std::string& hd_path) {
  MESH_ASSIGN_OR_RETURN(mesh::PrivateKey pk,
                        mesh::PrivateKey::FromBytes(Bytes(priv)));
  Json j = Json::Object();
  j.Add("name", Json::Str(name));
  j.Add("type", Json::Str("local"));
  j.Add("algo", Json::Str("secp256k1"));
  j.Add("hd_path", Json::Str(hd_path));
  j.Add("pubkey", Json::Str(ToHex(pk.PublicKey())));
  if (backend_ == KeyringBackend::kTest) {
    j.Add("privkey", Json::Str(ToHex(Bytes(priv))));
  } else {
    if (!passphrase_) return absl::InvalidArgumentError("the file backend needs a passphrase");
    MESH_ASSIGN_OR_RETURN(std::string pass, passphrase_());
    if (pass.size() < kMinKeyringPassphrase) {
      return absl::InvalidArgumentError(
          absl::StrCat("keyring passphrase must be at least ", kMinKeyringPassphrase, " characters"));
    }
    MESH_ASSIGN_OR_RETURN(std::string salt, RandomBytes(kSaltSize));
    MESH_ASSIGN_OR_RETURN(std::string nonce, RandomBytes(kNonceSize));
    MESH_ASSIGN_OR_RETURN(std::string aes_key, ScryptKey(pass, salt));
    MESH_ASSIGN_OR_RETURN(std::string sealed, Seal(aes_key, nonce, name, Bytes(priv)));
    Json c = Json::Object();
    c.Add("kdf", Json::Str("scrypt"));
    c.Add("n", Json::U64(kScryptN));
    c.Add("r", Json::U64(kScryptR));
    c.Add("p", Json::U64(kScryptP));
    c.Add("salt", Json::Str(ToHex(salt)));
    c.Add("cipher", Json::Str("aes-256-gcm"));
    c.Add("nonce", Json::Str(ToHex(nonce)));
    c.Add("ciphertext", Json::Str(ToHex(sealed)));
    j.Add("crypto", std::move(c));
  }
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) return absl::InternalError("cannot create " + dir_.string() + ": " + ec.message());
  fs::permissions(dir_, fs::perms::owner_all, fs::perm_options::replace, ec);
  absl::Status w = WriteNewFile(FileOf(name), j.Write() + "\n");
  if (absl::IsAlreadyExists(w)) {
    return absl::AlreadyExistsError(absl::StrCat("key \"", std::string(name), "\" already exists"));
  }
  MESH_RETURN_IF_ERROR(w);
  return InfoOf(j);
}

absl::StatusOr<KeyInfo> Keyring::Show(std::string_view name) const {
  MESH_RETURN_IF_ERROR(ValidateKeyName(name));
  if (!fs::exists(FileOf(name))) {
    return absl::NotFoundError(absl::StrCat("key \"", std::string(name), "\" not found"));
  }
  MESH_ASSIGN_OR_RETURN(std::string text, ReadFile(FileOf(name)));
  MESH_ASSIGN_OR_RETURN(Json j, Json::Parse(text));
  return InfoOf(j);
}

absl::StatusOr<std::vector<KeyInfo>> Keyring::List() const {
  std::vector<std::string> names;
  std::error_code ec;
  if (fs::exists(dir_)) {
    for (const auto& e : fs::directory_iterator(dir_, ec)) {
      if (e.path().extension() == ".json") names.push_back(e.path().stem().string());
    }
  }
  if (ec) return absl::InternalError("cannot list " + dir_.string() + ": " + ec.message());
  std::sort(names.begin(), names.end());
  std::vector<KeyInfo> out;
  for (const std::string& n : names) {
    if (!ValidateKeyName(n).ok()) continue;
    MESH_ASSIGN_OR_RETURN(KeyInfo k, Show(n));
    out.push_back(std::move(k));
  }
  return out;
}

absl::Status Keyring::Delete(std::string_view name) {
  MESH_RETURN_IF_ERROR(ValidateKeyName(name));
  std::error_code ec;
  if (!fs::remove(FileOf(name), ec)) {
    if (ec) return absl::InternalError("cannot delete " + FileOf(name).string() + ": " + ec.message());
    return absl::NotFoundError(absl::StrCat("key \"", std::string(name), "\" not found"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::array<uint8_t, 32>> Keyring::PrivateKey(std::string_view name) const {
  MESH_ASSIGN_OR_RETURN(KeyInfo info, Show(name));
  MESH_ASSIGN_OR_RETURN(std::string text, ReadFile(FileOf(name)));
  MESH_ASSIGN_OR_RETURN(Json j, Json::Parse(text));
  std::string priv;
  if (backend_ == KeyringBackend::kTest) {
    MESH_ASSIGN_OR_RETURN(priv, HexField(j, "privkey"));
  } else {
    const Json* c = j.Find("crypto");
    if (c == nullptr) return absl::InvalidArgumentError("key file: no crypto section");
    if (!passphrase_) return absl::InvalidArgumentError("the file backend needs a passphrase");
    MESH_ASSIGN_OR_RETURN(std::string pass, passphrase_());
    MESH_ASSIGN_OR_RETURN(std::string salt, HexField(*c, "salt"));
    MESH_ASSIGN_OR_RETURN(std::string nonce, HexField(*c, "nonce"));
    MESH_ASSIGN_OR_RETURN(std::string sealed, HexField(*c, "ciphertext"));
    MESH_ASSIGN_OR_RETURN(std::string aes_key, ScryptKey(pass, salt));
    MESH_ASSIGN_OR_RETURN(priv, Open(aes_key, nonce, name, sealed));
  }
  MESH_ASSIGN_OR_RETURN(mesh::PrivateKey pk, mesh::PrivateKey::FromBytes(priv));
  if (pk.PublicKey() != info.pubkey) {
    return absl::InvalidArgumentError("key file: private key does not match its public key");
  }
  return pk.bytes();
}

}  // namespace mesh::client
