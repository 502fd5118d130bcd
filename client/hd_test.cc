#include "client/hd.h"

#include <string>

#include "absl/strings/escaping.h"
#include "client/bip39.h"
#include "client/keyring.h"
#include "core/crypto.h"
#include "gtest/gtest.h"

namespace mesh::client {
namespace {

std::string Seed(std::string_view hex) { return *FromHex(hex); }

// BIP-32 test vector 1 (seed 000102...0f).
TEST(HdTest, Bip32Vector1) {
  const std::string seed = Seed("000102030405060708090a0b0c0d0e0f");
  struct Step {
    std::string path, xprv, xpub;
  };
  const Step steps[] = {
      {"m",
       "xprv9s21ZrQH143K3QTDL4LXw2F7HEK3wJUD2nW2nRk4stbPy6cq3jPPqjiChkVvvNKmPGJxWUtg6LnF5kejMRNNU3TGtRBeJgk33yuGBxrMPHi",
       "xpub661MyMwAqRbcFtXgS5sYJABqqG9YLmC4Q1Rdap9gSE8NqtwybGhePY2gZ29ESFjqJoCu1Rupje8YtGqsefD265TMg7usUDFdp6W1EGMcet8"},
      {"m/0'",
       "xprv9uHRZZhk6KAJC1avXpDAp4MDc3sQKNxDiPvvkX8Br5ngLNv1TxvUxt4cV1rGL5hj6KCesnDYUhd7oWgT11eZG7XnxHrnYeSvkzY7d2bhkJ7",
       "xpub68Gmy5EdvgibQVfPdqkBBCHxA5htiqg55crXYuXoQRKfDBFA1WEjWgP6LHhwBZeNK1VTsfTFUHCdrfp1bgwQ9xv5ski8PX9rL2dZXvgGDnw"},
      {"m/0'/1",
       "xprv9wTYmMFdV23N2TdNG573QoEsfRrWKQgWeibmLntzniatZvR9BmLnvSxqu53Kw1UmYPxLgboyZQaXwTCg8MSY3H2EU4pWcQDnRnrVA1xe8fs",
       "xpub6ASuArnXKPbfEwhqN6e3mwBcDTgzisQN1wXN9BJcM47sSikHjJf3UFHKkNAWbWMiGj7Wf5uMash7SyYq527Hqck2AxYysAA7xmALppuCkwQ"},
      {"m/0H/1/2H/2/1000000000",
       "xprvA41z7zogVVwxVSgdKUHDy1SKmdb533PjDz7J6N6mV6uS3ze1ai8FHa8kmHScGpWmj4WggLyQjgPie1rFSruoUihUZREPSL39UNdE3BBDu76",
       "xpub6H1LXWLaKsWFhvm6RVpEL9P4KfRZSW7abD2ttkWP3SSQvnyA8FSVqNTEcYFgJS2UaFcxupHiYkro49S8yGasTvXEYBVPamhGW6cFJodrTHy"},
  };
  for (const Step& s : steps) {
    auto k = DerivePath(seed, s.path);
    ASSERT_TRUE(k.ok()) << s.path << ": " << k.status();
    EXPECT_EQ(k->ToXprv(), s.xprv) << s.path;
    EXPECT_EQ(k->ToXpub(), s.xpub) << s.path;
  }
}

TEST(HdTest, PathParsing) {
  auto p = ParsePath("m/44'/118'/0'/0/7");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(FormatPath(*p), "m/44'/118'/0'/0/7");
  EXPECT_EQ(CosmosPath(2, 7), "m/44'/118'/2'/0/7");
  EXPECT_EQ(FormatPath(*ParsePath("m/1h/2H/3")), "m/1'/2'/3");
  EXPECT_TRUE(ParsePath("m").ok());
  for (const char* bad : {"", "44'/118'", "m/", "m/x", "m/2147483648", "m/-1", "m/1''"}) {
    EXPECT_FALSE(ParsePath(bad).ok()) << bad;
  }
}

TEST(HdTest, Base58) {
  EXPECT_EQ(Base58Encode(std::string("\0\0\x01", 3)), "112");
  EXPECT_EQ(Base58Encode("hello world"), "StV1DL6CwTryKyV");
}

// The Cosmos address every wallet (cosmjs, the SDK's keyring, Keplr) derives
// for this mnemonic at m/44'/118'/0'/0/0.
TEST(HdTest, CosmosAddressOfTheAbandonMnemonic) {
  auto seed = MnemonicToSeed(
      "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about");
  ASSERT_TRUE(seed.ok());
  auto k = DerivePath(std::string_view(reinterpret_cast<const char*>(seed->data()), 64),
                      CosmosPath(0, 0));
  ASSERT_TRUE(k.ok());
  KeyInfo info;
  info.pubkey = k->PublicKey();
  const Hash256 h = Sha256(info.pubkey);
  const Hash160 a = Ripemd160(std::string_view(reinterpret_cast<const char*>(h.data()), 32));
  info.address.assign(reinterpret_cast<const char*>(a.data()), a.size());
  EXPECT_EQ(*info.Bech32("cosmos"), "cosmos19rl4cm2hmr8afy4kldpxz3fka4jguq0auqdal4");
}

}  // namespace
}  // namespace mesh::client
