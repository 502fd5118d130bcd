#include "client/bip39.h"

#include <set>
#include <string>

#include "core/crypto.h"
#include "gtest/gtest.h"

namespace mesh::client {
namespace {

constexpr char kAbandon[] =
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";

std::string SeedHex(std::string_view m, std::string_view pass) {
  auto seed = MnemonicToSeed(m, pass);
  EXPECT_TRUE(seed.ok()) << seed.status();
  return seed.ok() ? ToHex(*seed) : "";
}

TEST(Bip39Test, WordListIsTheStandardEnglishList) {
  // SHA-256 of english.txt as published with the BIP-39 standard.
  EXPECT_EQ(ToHex(Sha256(Bip39EnglishListText())),
            "2f5eed53a4727b4bf8880d8f3f199efc90e58503646d9ff8eff3a2ed3b24dbda");
  ASSERT_EQ(Bip39EnglishWords().size(), 2048u);
  EXPECT_EQ(Bip39EnglishWords().front(), "abandon");
  EXPECT_EQ(Bip39EnglishWords().back(), "zoo");
}

// Official BIP-39 test vectors (passphrase "TREZOR").
TEST(Bip39Test, OfficialVectors) {
  auto m = EntropyToMnemonic(std::string(16, '\0'));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(*m, kAbandon);
  EXPECT_EQ(SeedHex(kAbandon, "TREZOR"),
            "c55257c360c07c72029aebc1b53c05ed0362ada38ead3e3e9efa3708e53495531f09a6987599d18264c1e1"
            "c92f2cf141630c7a3c4ab7c81b2f001698e7463b04");
  const std::string legal =
      "legal winner thank year wave sausage worth useful legal winner thank year wave sausage "
      "worth useful legal winner thank year wave sausage worth title";
  m = EntropyToMnemonic(std::string(32, '\x7f'));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(*m, legal);
  EXPECT_EQ(SeedHex(legal, "TREZOR"),
            "bc09fca1804f7e69da93c2f2028eb238c227f2e9dda30cd63699232578480a4021b146ad717fbb7e451ce9"
            "eb835f43620bf5c514db0f8add49f5d121449d3e87");
  m = EntropyToMnemonic(std::string(16, '\xff'));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(*m, "zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo wrong");
}

TEST(Bip39Test, EntropyRoundTripAndNormalisation) {
  auto e = MnemonicToEntropy("  Abandon abandon\tabandon abandon abandon abandon abandon abandon\n"
                             "abandon abandon abandon ABOUT ");
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(*e, std::string(16, '\0'));
  EXPECT_EQ(*NormalizeMnemonic("ABANDON abandon abandon abandon abandon abandon abandon abandon "
                               "abandon abandon abandon about"),
            kAbandon);
}

TEST(Bip39Test, RejectsBadMnemonics) {
  // Wrong checksum: "abandon" x 12.
  auto bad = MnemonicToEntropy(
      "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("checksum"), std::string_view::npos);
  EXPECT_FALSE(MnemonicToSeed("abandon abandon abandon").ok());  // word count
  EXPECT_FALSE(MnemonicToEntropy("abandon abandon abandon abandon abandon abandon abandon abandon "
                                 "abandon abandon abandon bitcoinz")
                   .ok());
  EXPECT_FALSE(EntropyToMnemonic(std::string(15, '\0')).ok());
}

// Passphrases are NFKD-normalised: composed and decomposed forms give the
// same seed (or, in a build without ICU, both are refused).
TEST(Bip39Test, PassphraseIsNormalised) {
  auto composed = MnemonicToSeed(kAbandon, "caf\xc3\xa9");      // U+00E9
  auto decomposed = MnemonicToSeed(kAbandon, "cafe\xcc\x81");   // e + U+0301
  ASSERT_EQ(composed.ok(), decomposed.ok());
  if (composed.ok()) {
    EXPECT_EQ(*composed, *decomposed);
    EXPECT_NE(*composed, *MnemonicToSeed(kAbandon, "cafe"));
  } else {
    EXPECT_TRUE(absl::IsInvalidArgument(composed.status()));
  }
}

TEST(Bip39Test, GeneratedMnemonicsAreValidAndDistinct) {
  std::set<std::string> seen;
  for (int words : {12, 24}) {
    for (int i = 0; i < 4; ++i) {
      auto m = GenerateMnemonic(words);
      ASSERT_TRUE(m.ok());
      EXPECT_EQ(std::count(m->begin(), m->end(), ' '), words - 1);
      EXPECT_TRUE(MnemonicToEntropy(*m).ok());
      EXPECT_TRUE(seen.insert(*m).second);
    }
  }
  EXPECT_FALSE(GenerateMnemonic(13).ok());
}

}  // namespace
}  // namespace mesh::client
