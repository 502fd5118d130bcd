#include "client/keyring.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "client/hd.h"
#include "core/crypto.h"
#include "gtest/gtest.h"

namespace mesh::client {
namespace {

namespace fs = std::filesystem;

constexpr char kAbandon[] =
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
constexpr char kAbandonAddress[] = "cosmos19rl4cm2hmr8afy4kldpxz3fka4jguq0auqdal4";

class KeyringTest : public ::testing::Test {
 protected:
  void SetUp() override {
    home_ = fs::temp_directory_path() /
            ("meshctl_keyring_test_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(home_);
  }
  void TearDown() override { fs::remove_all(home_); }

  static unsigned Mode(const fs::path& p) {
    struct stat st {};
    EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
    return st.st_mode & 0777;
  }
  static std::string Slurp(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  fs::path home_;
};

TEST_F(KeyringTest, AddShowListDeleteRoundTrip) {
  Keyring kr(home_, KeyringBackend::kTest);
  auto a = kr.Add("alice", kAbandon, CosmosPath(0, 0));
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(*a->Bech32("cosmos"), kAbandonAddress);
  EXPECT_EQ(a->hd_path, "m/44'/118'/0'/0/0");
  auto b = kr.Add("bob", kAbandon, CosmosPath(0, 1));
  ASSERT_TRUE(b.ok());
  EXPECT_NE(b->address, a->address);

  auto shown = kr.Show("alice");
  ASSERT_TRUE(shown.ok());
  EXPECT_EQ(shown->pubkey, a->pubkey);
  EXPECT_EQ(*shown->Bech32("mesh"), *AddressToBech32("mesh", a->address));
  EXPECT_NE(shown->PubKeyJson().find("/cosmos.crypto.secp256k1.PubKey"), std::string::npos);

  auto list = kr.List();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].name, "alice");
  EXPECT_EQ((*list)[1].name, "bob");

  // The stored private key signs for the stored public key.
  auto priv = kr.PrivateKey("alice");
  ASSERT_TRUE(priv.ok()) << priv.status();
  auto pk = PrivateKey::FromBytes(std::string_view(reinterpret_cast<const char*>(priv->data()), 32));
  ASSERT_TRUE(pk.ok());
  EXPECT_EQ(pk->PublicKey(), a->pubkey);

  ASSERT_TRUE(kr.Delete("alice").ok());
  EXPECT_TRUE(absl::IsNotFound(kr.Show("alice").status()));
  EXPECT_TRUE(absl::IsNotFound(kr.Delete("alice")));
  EXPECT_EQ(kr.List()->size(), 1u);
}

TEST_F(KeyringTest, RawPrivateKeyImport) {
  const PrivateKey pk = PrivateKey::FromSeed("chaina/alice");
  const std::string raw(reinterpret_cast<const char*>(pk.bytes().data()), 32);
  for (KeyringBackend b : {KeyringBackend::kTest, KeyringBackend::kFile}) {
    Keyring kr(home_, b, [] { return absl::StatusOr<std::string>("a good passphrase"); });
    absl::StatusOr<KeyInfo> k = kr.AddPrivateKey("alice", raw);
    ASSERT_TRUE(k.ok()) << k.status();
    EXPECT_EQ(k->hd_path, "");
    EXPECT_EQ(k->pubkey, pk.PublicKey());
    const Hash256 h = Sha256(pk.PublicKey());
    const Hash160 a = Ripemd160(std::string_view(reinterpret_cast<const char*>(h.data()), 32));
    EXPECT_EQ(k->address, std::string(reinterpret_cast<const char*>(a.data()), 20));
    absl::StatusOr<std::array<uint8_t, 32>> back = kr.PrivateKey("alice");
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(*back, pk.bytes());
    EXPECT_TRUE(absl::IsAlreadyExists(kr.AddPrivateKey("alice", raw).status()));
    EXPECT_TRUE(absl::IsInvalidArgument(kr.AddPrivateKey("short", raw.substr(1)).status()));
    EXPECT_TRUE(absl::IsInvalidArgument(kr.AddPrivateKey("zero", std::string(32, '\0')).status()));
    EXPECT_TRUE(absl::IsInvalidArgument(kr.AddPrivateKey("-bad", raw).status()));
  }
}

TEST_F(KeyringTest, FilesArePrivate) {
  Keyring kr(home_, KeyringBackend::kTest);
  ::umask(022);
  ASSERT_TRUE(kr.Add("alice", kAbandon, CosmosPath(0, 0)).ok());
  EXPECT_EQ(Mode(kr.dir()), 0700u);
  EXPECT_EQ(Mode(kr.FileOf("alice")), 0600u);
  // The mnemonic is never stored.
  EXPECT_EQ(Slurp(kr.FileOf("alice")).find("abandon"), std::string::npos);
}

TEST_F(KeyringTest, DuplicateNameRefused) {
  Keyring kr(home_, KeyringBackend::kTest);
  ASSERT_TRUE(kr.Add("alice", kAbandon, CosmosPath(0, 0)).ok());
  const std::string before = Slurp(kr.FileOf("alice"));
  auto again = kr.Add("alice", kAbandon, CosmosPath(0, 5));
  EXPECT_TRUE(absl::IsAlreadyExists(again.status())) << again.status();
  EXPECT_EQ(Slurp(kr.FileOf("alice")), before);
}

TEST_F(KeyringTest, BadInputRejected) {
  Keyring kr(home_, KeyringBackend::kTest);
  auto bad_checksum = kr.Add(
      "x", "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon",
      CosmosPath(0, 0));
  EXPECT_TRUE(absl::IsInvalidArgument(bad_checksum.status()));
  EXPECT_FALSE(fs::exists(kr.FileOf("x")));
  for (const char* name : {"", "../evil", "a/b", ".hidden", "-x", "sp ace"}) {
    EXPECT_TRUE(absl::IsInvalidArgument(kr.Add(name, kAbandon, CosmosPath(0, 0)).status())) << name;
  }
  EXPECT_FALSE(kr.Add("y", kAbandon, "m/44'/118'/x").ok());
  EXPECT_TRUE(absl::IsNotFound(kr.Show("nobody").status()));
}

TEST_F(KeyringTest, FileBackendEncryptsWithThePassphrase) {
  std::string pass = "correct horse battery";
  Keyring kr(home_, KeyringBackend::kFile, [&]() -> absl::StatusOr<std::string> { return pass; });
  auto a = kr.Add("alice", kAbandon, CosmosPath(0, 0));
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(*a->Bech32("cosmos"), kAbandonAddress);
  EXPECT_EQ(Mode(kr.FileOf("alice")), 0600u);
  const std::string file = Slurp(kr.FileOf("alice"));
  EXPECT_EQ(file.find("privkey"), std::string::npos);
  EXPECT_NE(file.find("aes-256-gcm"), std::string::npos);

  // Show and list need no passphrase; the private key does.
  ASSERT_TRUE(kr.Show("alice").ok());
  auto priv = kr.PrivateKey("alice");
  ASSERT_TRUE(priv.ok()) << priv.status();
  EXPECT_EQ(file.find(ToHex(*priv)), std::string::npos);  // not in clear
  pass = "wrong passphrase";
  EXPECT_TRUE(absl::IsPermissionDenied(kr.PrivateKey("alice").status()));
  pass = "short";
  EXPECT_TRUE(absl::IsInvalidArgument(kr.Add("bob", kAbandon, CosmosPath(0, 1)).status()));
  // The test backend does not see the file backend's keys.
  Keyring test_kr(home_, KeyringBackend::kTest);
  EXPECT_TRUE(absl::IsNotFound(test_kr.Show("alice").status()));
}

}  // namespace
}  // namespace mesh::client
