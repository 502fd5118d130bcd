#include "core/crypto.h"

#include <cctype>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace mesh {
namespace {

std::string Hex(std::string_view hex) {
  absl::StatusOr<std::string> b = FromHex(hex);
  EXPECT_TRUE(b.ok()) << b.status();
  return b.ok() ? *b : std::string();
}

std::string Str(const Hash256& h) { return std::string(h.begin(), h.end()); }

// secp256k1 group order n, big-endian.
constexpr char kOrderHex[] = "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141";
// Compressed generator G = public key of private key 1.
constexpr char kGHex[] = "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798";

// n - s for a 32-byte big-endian s (0 < s < n).
std::string NegateModOrder(const std::string& s) {
  const std::string n = Hex(kOrderHex);
  std::string out(32, '\0');
  int borrow = 0;
  for (int i = 31; i >= 0; --i) {
    int d = static_cast<uint8_t>(n[i]) - static_cast<uint8_t>(s[i]) - borrow;
    borrow = d < 0 ? 1 : 0;
    out[i] = static_cast<char>(d + 256 * borrow);
  }
  EXPECT_EQ(borrow, 0);
  return out;
}

// ---------------------------------------------------------------- hashes

struct HashVector {
  std::string input;
  const char* sha256;
  const char* ripemd160;
};

std::vector<HashVector> HashVectors() {
  return {
      // FIPS 180-2 / RIPEMD-160 reference page vectors.
      {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
       "9c1185a5c5e9fc54612808977ee8f548b2258d31"},
      {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
       "8eb208f7e05d987a9b044a8e98c6b087f15a0bfc"},
      {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",  // 448 bits
       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
       "12a053384a9c0c88e405a06c27dcf49ada62eb2b"},
      {"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnop"
       "qrlmnopqrsmnopqrstnopqrstu",  // 896 bits
       "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1",
       "6f3fa39b6b503c384f919a49a7aa5c2c08bdfb45"},
      {std::string(1000000, 'a'),
       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
       "52783243c1697bdbe16d37f97f68f08325dc1528"},
      {"message digest", "f7846f55cf23e14eebeab5b4e1550cad5b509e3348fbc4efa3a1413d393cb650",
       "5d0689ef49d2fae572b881b123a85ffa21595f36"},
      {"abcdefghijklmnopqrstuvwxyz",
       "71c480df93d6ae2f1efad1447c66c9525e316218cf51fc8d9ed832f2daf18b73",
       "f71c27109c692c1b56bbdceb5b9d2865b3708dbc"},
      {"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
       "db4bfcbd4da0cd85a60c3c37d3fbd8805c77f15fc6b1fdfe614ee0a7c8fdb4c0",
       "b0e20b6e3116640286ed3a87a5713079b21f5189"},
      {"12345678901234567890123456789012345678901234567890123456789012345678901234567890",
       "f371bc4a311f2b009eef952dd83ca80e2b60026c8e935592d0f9c308453c813e",
       "9b752e45573d4b39f4dbd3323cab82bf63326bfb"},
      // Padding boundaries (one/two final blocks), 'x' repeated; values from
      // Python hashlib.
      {std::string(55, 'x'), "d5e285683cd4efc02d021a5c62014694958901005d6f71e89e0989fac77e4072",
       "c35538a4ab9792cab98479aa3ae2cc435c699b64"},
      {std::string(56, 'x'), "04c26261370ee7541549d16dee320c723e3fd14671e66a099afe0a377c16888e",
       "af13b5ead9b74a9a6b97c4a612ddfd0baf61ff11"},
      {std::string(63, 'x'), "75220b47218278e656f2013bb8f0c455a25eaf01e86c64924e9d48d89776d6f2",
       "9a195cb1828886c55c6dfe9e042399833dfbcd00"},
      {std::string(64, 'x'), "7ce100971f64e7001e8fe5a51973ecdfe1ced42befe7ee8d5fd6219506b5393c",
       "bab3f04cc25d952a882718636600f5b22307ac41"},
      {std::string(65, 'x'), "9537c5fdf120482f7d58d25e9ed583f52c02b4e304ea814db1633ad565aed7e9",
       "8421cbafb84e777fbd88c89863cee557103515d5"},
      {std::string(119, 'x'), "000b48d4edf0fa7bee3c6236ecd2785baa5db4eeb8bb54341b029e0d9fa5fb0c",
       "96e1ae9b6b79fa79e7eb3097e35b64399176d7e0"},
      {std::string(120, 'x'), "13f05a0b594787f5ecd315edc96141bd3243203d1b7d4f0836f37308b276ba98",
       "78dbb5007c86a1da8bdeb77419000efbdf277e9c"},
  };
}

TEST(HashTest, Sha256StandardVectors) {
  for (const HashVector& v : HashVectors()) {
    EXPECT_EQ(ToHex(Sha256(v.input)), v.sha256) << "length " << v.input.size();
  }
}

TEST(HashTest, Sha256HasherMatchesOneShotForAnySplit) {
  for (const HashVector& v : HashVectors()) {
    Sha256Hasher whole;
    EXPECT_EQ(ToHex(whole.Update(v.input).Finish()), v.sha256);
  }
  // Pieces of every size around the internal 4 KiB buffer, fed one by one.
  std::string data;
  for (int i = 0; i < 20000; ++i) data.push_back(static_cast<char>(i * 7 + i / 251));
  for (size_t piece : {1u, 3u, 64u, 4095u, 4096u, 4097u, 9000u}) {
    Sha256Hasher h;
    for (size_t at = 0; at < data.size(); at += piece) {
      h.Update(std::string_view(data).substr(at, piece));
    }
    EXPECT_EQ(h.Finish(), Sha256(data)) << "piece " << piece;
  }
  Sha256Hasher ints;
  ints.U8(0xab).U32(0x01020304).U64(0x1122334455667788ULL);
  EXPECT_EQ(ints.Finish(), Sha256(std::string("\xab\x01\x02\x03\x04\x11\x22\x33\x44\x55\x66\x77\x88", 13)));
  EXPECT_EQ(Sha256Hasher().Finish(), Sha256(""));
}

TEST(HashTest, Ripemd160StandardVectors) {
  for (const HashVector& v : HashVectors()) {
    EXPECT_EQ(ToHex(Ripemd160(v.input)), v.ripemd160) << "length " << v.input.size();
  }
}

TEST(HashTest, HashesSeeEveryByteIncludingNul) {
  const std::string with_nul("a\0b", 3);
  EXPECT_NE(Sha256(with_nul), Sha256("a"));
  EXPECT_NE(Ripemd160(with_nul), Ripemd160("a"));
}

// ---------------------------------------------------------------- hex

TEST(HexTest, RoundTripAndCase) {
  const std::string bytes("\x00\x01\x7f\x80\xab\xff", 6);
  EXPECT_EQ(ToHex(bytes), "00017f80abff");
  EXPECT_EQ(*FromHex("00017f80abff"), bytes);
  EXPECT_EQ(*FromHex("00017F80ABFF"), bytes);
  EXPECT_EQ(*FromHex(""), "");
  EXPECT_EQ(ToHex(std::string()), "");
}

TEST(HexTest, MalformedIsInvalidArgument) {
  for (const char* bad : {"0", "abc", "0g", "g0", " 0", "0x00", "zz"}) {
    EXPECT_EQ(FromHex(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

// ---------------------------------------------------------------- keys

TEST(KeyTest, PrivateKeyOneHasGeneratorAsPublicKey) {
  std::string one(32, '\0');
  one[31] = 1;
  absl::StatusOr<PrivateKey> k = PrivateKey::FromBytes(one);
  ASSERT_TRUE(k.ok()) << k.status();
  EXPECT_EQ(ToHex(k->PublicKey()), kGHex);
}

TEST(KeyTest, FromBytesRejectsOutOfRangeSecrets) {
  const std::string n = Hex(kOrderHex);
  std::string n_minus_1 = n;
  n_minus_1[31] = static_cast<char>(n_minus_1[31] - 1);
  EXPECT_TRUE(PrivateKey::FromBytes(n_minus_1).ok());
  for (const std::string& bad : {std::string(32, '\0'), n, std::string(32, '\xff'),
                                 std::string(31, '\x01'), std::string(33, '\x01'), std::string()}) {
    EXPECT_EQ(PrivateKey::FromBytes(bad).status().code(), absl::StatusCode::kInvalidArgument)
        << ToHex(bad);
  }
}

TEST(KeyTest, FromSeedIsSha256OfSeedAndDeterministic) {
  const PrivateKey a = PrivateKey::FromSeed("alice");
  EXPECT_EQ(a.bytes(), Sha256("alice"));
  EXPECT_EQ(a.PublicKey(), PrivateKey::FromSeed("alice").PublicKey());
  EXPECT_NE(a.PublicKey(), PrivateKey::FromSeed("bob").PublicKey());
  const std::string pub = a.PublicKey();
  ASSERT_EQ(pub.size(), 33u);
  EXPECT_TRUE(pub[0] == 0x02 || pub[0] == 0x03);
}

// ---------------------------------------------------------------- signatures

TEST(SignatureTest, Rfc6979KnownVector) {
  // Private key 1, message "Satoshi Nakamoto": the widely published RFC 6979
  // secp256k1/SHA-256 vector (low-S).
  std::string one(32, '\0');
  one[31] = 1;
  const PrivateKey k = *PrivateKey::FromBytes(one);
  EXPECT_EQ(ToHex(k.Sign("Satoshi Nakamoto")),
            "934b1ea10a4b3c1757e2b0c017d0b6143ce3c9a7e6a4a49860d7a6ab210ee3d8"
            "2442ce9d2b916064108014783e923ec36b49743e2ffa1c4496f01a512aafd9e5");
}

TEST(SignatureTest, SignVerifyAndDeterminism) {
  const PrivateKey k = PrivateKey::FromSeed("validator-1");
  const std::string sig = k.Sign("hello mesh");
  ASSERT_EQ(sig.size(), 64u);
  EXPECT_EQ(sig, k.Sign("hello mesh"));
  EXPECT_NE(sig, k.Sign("hello mesh!"));
  EXPECT_TRUE(VerifySignature(k.PublicKey(), "hello mesh", sig).ok());
}

TEST(SignatureTest, SignaturesAreLowS) {
  // s must be <= n/2 = 7fffffff...5d576e7357a4501ddfe92f46681b20a0.
  const std::string half = Hex("7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0");
  for (int i = 0; i < 64; ++i) {
    const PrivateKey k = PrivateKey::FromSeed("low-s-" + std::to_string(i));
    const std::string sig = k.Sign("message " + std::to_string(i));
    EXPECT_LE(sig.substr(32), half) << i;
  }
}

TEST(SignatureTest, TamperedMessageOrSignatureOrKeyIsPermissionDenied) {
  const PrivateKey k = PrivateKey::FromSeed("validator-1");
  const std::string pub = k.PublicKey();
  const std::string sig = k.Sign("transfer 100");
  EXPECT_EQ(VerifySignature(pub, "transfer 101", sig).code(), absl::StatusCode::kPermissionDenied);
  for (size_t i : {size_t{0}, size_t{31}, size_t{32}, size_t{63}}) {
    std::string bad = sig;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    EXPECT_EQ(VerifySignature(pub, "transfer 100", bad).code(),
              absl::StatusCode::kPermissionDenied)
        << "byte " << i;
  }
  const std::string other = PrivateKey::FromSeed("validator-2").PublicKey();
  EXPECT_EQ(VerifySignature(other, "transfer 100", sig).code(),
            absl::StatusCode::kPermissionDenied);
}

TEST(SignatureTest, HighSVariantIsRejected) {
  const PrivateKey k = PrivateKey::FromSeed("validator-1");
  const std::string sig = k.Sign("vote");
  const std::string high = sig.substr(0, 32) + NegateModOrder(sig.substr(32));
  ASSERT_NE(high, sig);
  // (r, n - s) is a mathematically valid ECDSA signature; Cosmos rejects it.
  const absl::Status st = VerifySignature(k.PublicKey(), "vote", high);
  EXPECT_EQ(st.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(st.message().find("high S"), std::string_view::npos) << st;
}

TEST(SignatureTest, MalformedInputsAreInvalidArgument) {
  const PrivateKey k = PrivateKey::FromSeed("validator-1");
  const std::string pub = k.PublicKey();
  const std::string sig = k.Sign("m");
  auto code = [](const absl::Status& s) { return s.code(); };
  constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;
  // Signature length.
  EXPECT_EQ(code(VerifySignature(pub, "m", sig.substr(0, 63))), kInvalid);
  EXPECT_EQ(code(VerifySignature(pub, "m", sig + "x")), kInvalid);
  EXPECT_EQ(code(VerifySignature(pub, "m", "")), kInvalid);
  // r or s not below n.
  EXPECT_EQ(code(VerifySignature(pub, "m", Hex(kOrderHex) + sig.substr(32))), kInvalid);
  EXPECT_EQ(code(VerifySignature(pub, "m", sig.substr(0, 32) + Hex(kOrderHex))), kInvalid);
  EXPECT_EQ(code(VerifySignature(pub, "m", std::string(64, '\xff'))), kInvalid);
  // Public key: length, prefix, uncompressed form, x >= p, x not on curve.
  EXPECT_EQ(code(VerifySignature(pub.substr(0, 32), "m", sig)), kInvalid);
  EXPECT_EQ(code(VerifySignature(pub + "x", "m", sig)), kInvalid);
  EXPECT_EQ(code(VerifySignature("", "m", sig)), kInvalid);
  std::string wrong_prefix = pub;
  wrong_prefix[0] = 0x04;
  EXPECT_EQ(code(VerifySignature(wrong_prefix, "m", sig)), kInvalid);
  const std::string uncompressed_g =
      Hex("0479be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
          "483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8");
  EXPECT_EQ(code(VerifySignature(uncompressed_g, "m", sig)), kInvalid);
  EXPECT_EQ(code(VerifySignature("\x02" + std::string(32, '\xff'), "m", sig)), kInvalid);
  EXPECT_EQ(code(VerifySignature(Hex("02" + std::string(63, '0') + "5"), "m", sig)), kInvalid);
}

TEST(SignatureTest, ZeroSignatureParsesButDoesNotVerify) {
  const PrivateKey k = PrivateKey::FromSeed("validator-1");
  EXPECT_EQ(VerifySignature(k.PublicKey(), "m", std::string(64, '\0')).code(),
            absl::StatusCode::kPermissionDenied);
}

// A key parsed once verifies as VerifySignature does, status for status:
// good, tampered, high-S and malformed signatures; malformed keys fail to
// parse with VerifySignature's own error.
TEST(SignatureTest, ParsedPublicKeyVerifiesAsVerifySignature) {
  const PrivateKey k = PrivateKey::FromSeed("validator-1");
  const std::string pub = k.PublicKey();
  absl::StatusOr<ParsedPublicKey> parsed = ParsedPublicKey::Parse(pub);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  const std::string sig = k.Sign("vote");
  const std::string high = sig.substr(0, 32) + NegateModOrder(sig.substr(32));
  for (const std::string& s : {sig, high, sig.substr(0, 63), std::string(64, '\0'),
                               PrivateKey::FromSeed("other").Sign("vote")}) {
    for (const char* m : {"vote", "veto"}) {
      EXPECT_EQ(parsed->Verify(m, s), VerifySignature(pub, m, s));
    }
  }
  EXPECT_TRUE(parsed->Verify("vote", sig).ok());
  for (const std::string& bad : {pub.substr(0, 32), pub + "x", std::string(),
                                 "\x02" + std::string(32, '\xff')}) {
    absl::StatusOr<ParsedPublicKey> p = ParsedPublicKey::Parse(bad);
    ASSERT_FALSE(p.ok());
    EXPECT_EQ(p.status(), VerifySignature(bad, "vote", sig));
  }
}

// ---------------------------------------------------------------- ed25519

struct Ed25519Vector {
  const char* secret;
  const char* pub;
  const char* message;
  const char* signature;
};

// RFC 8032 section 7.1, TEST 1, TEST 2 and TEST 3.
constexpr Ed25519Vector kRfc8032[] = {
    {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
     "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"},
    {"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
     "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
    {"c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
     "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"},
};

TEST(Ed25519Test, Rfc8032Vectors) {
  for (const Ed25519Vector& v : kRfc8032) {
    absl::StatusOr<Ed25519PrivateKey> k = Ed25519PrivateKey::FromBytes(Hex(v.secret));
    ASSERT_TRUE(k.ok()) << k.status();
    EXPECT_EQ(ToHex(k->PublicKey()), v.pub) << v.secret;
    const std::string msg = Hex(v.message);
    EXPECT_EQ(ToHex(k->Sign(msg)), v.signature) << v.secret;
    EXPECT_TRUE(VerifyEd25519(Hex(v.pub), msg, Hex(v.signature)).ok()) << v.secret;
  }
}

TEST(Ed25519Test, ModifiedSignatureMessageOrKeyIsPermissionDenied) {
  const Ed25519Vector& v = kRfc8032[2];
  const std::string pub = Hex(v.pub);
  const std::string msg = Hex(v.message);
  const std::string sig = Hex(v.signature);
  for (size_t i : {size_t{0}, size_t{31}, size_t{32}, size_t{63}}) {
    std::string bad = sig;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    EXPECT_EQ(VerifyEd25519(pub, msg, bad).code(), absl::StatusCode::kPermissionDenied)
        << "byte " << i;
  }
  EXPECT_EQ(VerifyEd25519(pub, msg + "x", sig).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(VerifyEd25519(Hex(kRfc8032[1].pub), msg, sig).code(),
            absl::StatusCode::kPermissionDenied);
}

TEST(Ed25519Test, WrongSizesAreInvalidArgument) {
  const Ed25519Vector& v = kRfc8032[0];
  const std::string pub = Hex(v.pub);
  const std::string sig = Hex(v.signature);
  constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;
  EXPECT_EQ(VerifyEd25519(pub.substr(0, 31), "", sig).code(), kInvalid);
  EXPECT_EQ(VerifyEd25519(pub + "x", "", sig).code(), kInvalid);
  EXPECT_EQ(VerifyEd25519(pub, "", sig.substr(0, 63)).code(), kInvalid);
  EXPECT_EQ(VerifyEd25519(pub, "", sig + "x").code(), kInvalid);
  EXPECT_EQ(Ed25519PrivateKey::FromBytes(std::string(31, 'k')).status().code(), kInvalid);
  EXPECT_EQ(Ed25519PrivateKey::FromBytes(std::string(33, 'k')).status().code(), kInvalid);
}

TEST(Ed25519Test, FromSeedIsSha256OfSeedAndSignsVerifiably) {
  const Ed25519PrivateKey a = Ed25519PrivateKey::FromSeed("consensus/val-1");
  EXPECT_EQ(a.bytes(), Sha256("consensus/val-1"));
  const std::string pub = a.PublicKey();
  ASSERT_EQ(pub.size(), kEd25519PublicKeySize);
  EXPECT_EQ(pub, Ed25519PrivateKey::FromSeed("consensus/val-1").PublicKey());
  EXPECT_NE(pub, Ed25519PrivateKey::FromSeed("consensus/val-2").PublicKey());
  const std::string sig = a.Sign("block 7");
  ASSERT_EQ(sig.size(), kEd25519SignatureSize);
  EXPECT_EQ(sig, a.Sign("block 7"));  // deterministic
  EXPECT_TRUE(VerifyEd25519(pub, "block 7", sig).ok());
  EXPECT_EQ(VerifyEd25519(pub, "block 8", sig).code(), absl::StatusCode::kPermissionDenied);
}

// ---------------------------------------------------------------- bech32

TEST(Bech32Test, Bip173ValidChecksums) {
  for (const std::string& s : std::vector<std::string>{
           "A12UEL5L",
           "a12uel5l",
           "an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1tt5tgs",
           "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
           "11" + std::string(82, 'q') + "c8247j",
           "split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w",
           "?1ezyfcl",
       }) {
    absl::StatusOr<Bech32DecodedValues> d = Bech32DecodeValues(s);
    ASSERT_TRUE(d.ok()) << s << ": " << d.status();
    // Re-encoding gives the lower-case form back.
    std::string lower = s;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    EXPECT_EQ(*Bech32EncodeValues(d->hrp, d->values5), lower);
    // Flipping one data character breaks the checksum.
    std::string broken = lower;
    char& last = broken.back();
    last = last == 'q' ? 'p' : 'q';
    EXPECT_FALSE(Bech32DecodeValues(broken).ok()) << broken;
  }
}

TEST(Bech32Test, Bip173ValidVectorDecodedContents) {
  absl::StatusOr<Bech32DecodedValues> d =
      Bech32DecodeValues("abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->hrp, "abcdef");
  ASSERT_EQ(d->values5.size(), 32u);
  for (size_t i = 0; i < 32; ++i) EXPECT_EQ(d->values5[i], i);
  d = Bech32DecodeValues("A12UEL5L");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->hrp, "a");
  EXPECT_TRUE(d->values5.empty());
}

TEST(Bech32Test, Bip173InvalidVectors) {
  const std::vector<std::string> invalid = {
      std::string("\x20") + "1nwldj5",  // hrp character out of range
      std::string("\x7f") + "1axkwrx",  // hrp character out of range
      std::string("\x80") + "1eym55h",  // hrp character out of range
      // overall max length exceeded (91 characters)
      "an84characterslonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1569pvx",
      "pzry9x0s0muk",                   // no separator
      "1pzry9x0s0muk",                  // empty hrp
      "x1b4n0q5v",                      // invalid data character 'b'
      "li1dgmt3",                       // too short checksum
      std::string("de1lg7wt") + "\xff",  // invalid character in checksum
      "A1G7SGD8",                       // checksum computed with upper-case hrp
      "10a06t8",                        // empty hrp
      "1qzzfhee",                       // empty hrp
  };
  for (const std::string& s : invalid) {
    EXPECT_EQ(Bech32DecodeValues(s).status().code(), absl::StatusCode::kInvalidArgument)
        << ToHex(s);
    EXPECT_EQ(Bech32Decode(s).status().code(), absl::StatusCode::kInvalidArgument) << ToHex(s);
  }
}

TEST(Bech32Test, MixedCaseIsRejected) {
  EXPECT_TRUE(Bech32DecodeValues("A12UEL5L").ok());
  EXPECT_EQ(Bech32DecodeValues("A12uEL5L").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Bech32DecodeValues("a12UEL5L").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(Bech32Test, Bip173SegwitVectorMatchesHash160OfGenerator) {
  // BIP-173 example: P2WPKH of the compressed generator point.
  absl::StatusOr<Bech32DecodedValues> d =
      Bech32DecodeValues("BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->hrp, "bc");
  ASSERT_FALSE(d->values5.empty());
  EXPECT_EQ(d->values5[0], 0);  // witness version
  const std::vector<uint8_t> program5(d->values5.begin() + 1, d->values5.end());
  absl::StatusOr<std::vector<uint8_t>> program = ConvertBits(program5, 5, 8, false);
  ASSERT_TRUE(program.ok()) << program.status();
  const std::string program_bytes(program->begin(), program->end());
  EXPECT_EQ(ToHex(program_bytes), "751e76e8199196d454941c45d1b3a323f1433bd6");
  EXPECT_EQ(AddressBytes(Hex(kGHex)), program_bytes);
}

TEST(Bech32Test, ByteRoundTripAllLengths) {
  for (size_t n = 0; n <= 49; ++n) {  // 49 bytes is the most "mesh" allows
    std::string data;
    for (size_t i = 0; i < n; ++i) data.push_back(static_cast<char>(i * 37 + n));
    absl::StatusOr<std::string> enc = Bech32Encode("mesh", data);
    ASSERT_TRUE(enc.ok()) << n << ": " << enc.status();
    absl::StatusOr<Bech32Decoded> dec = Bech32Decode(*enc);
    ASSERT_TRUE(dec.ok()) << *enc << ": " << dec.status();
    EXPECT_EQ(dec->hrp, "mesh");
    EXPECT_EQ(dec->data, data);
  }
}

// AddressFromBech32 decodes without allocating (Bech32DecodeRaw). Against a
// plain model of BIP-173 (lower-cased copy, expanded checksum input,
// ConvertBits), on valid addresses and every single-character mutation, case
// change and truncation of them: the same bytes, or the same error.
absl::StatusOr<std::string> ModelAddressFromBech32(std::string_view hrp_want, std::string s) {
  const std::string charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
  if (s.size() > 90) return absl::InvalidArgumentError("length");
  bool lo = false, up = false;
  for (char& c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 33 || u > 126) return absl::InvalidArgumentError("char");
    lo |= std::islower(u) != 0;
    up |= std::isupper(u) != 0;
    c = static_cast<char>(std::tolower(u));
  }
  if (lo && up) return absl::InvalidArgumentError("mixed");
  const size_t sep = s.rfind('1');
  if (sep == std::string::npos || sep == 0 || sep > 83 || s.size() - sep - 1 < 6) {
    return absl::InvalidArgumentError("shape");
  }
  std::vector<uint8_t> in;
  for (char c : s.substr(0, sep)) in.push_back(static_cast<uint8_t>(c) >> 5);
  in.push_back(0);
  for (char c : s.substr(0, sep)) in.push_back(static_cast<uint8_t>(c) & 31);
  std::vector<uint8_t> values;
  for (char c : s.substr(sep + 1)) {
    const size_t v = charset.find(c);
    if (v == std::string::npos) return absl::InvalidArgumentError("data char");
    values.push_back(static_cast<uint8_t>(v));
    in.push_back(static_cast<uint8_t>(v));
  }
  uint32_t chk = 1;
  const uint32_t gen[5] = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3};
  for (uint8_t v : in) {
    const uint32_t top = chk >> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (int i = 0; i < 5; ++i) chk ^= ((top >> i) & 1) ? gen[i] : 0;
  }
  if (chk != 1) return absl::InvalidArgumentError("checksum");
  values.resize(values.size() - 6);
  absl::StatusOr<std::vector<uint8_t>> bytes = ConvertBits(values, 5, 8, false);
  if (!bytes.ok()) return bytes.status();
  std::string want(hrp_want);
  for (char& c : want) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (s.substr(0, sep) != want) return absl::InvalidArgumentError("prefix");
  if (bytes->empty() || bytes->size() > 255) return absl::InvalidArgumentError("size");
  return std::string(bytes->begin(), bytes->end());
}

TEST(Bech32Test, AddressFromBech32MatchesAPlainModel) {
  std::vector<std::string> inputs;
  for (const std::string hrp : {"mesh", "meshvaloper", "a"}) {
    for (size_t n : {0, 1, 20, 32, 49}) {
      std::string data;
      for (size_t i = 0; i < n; ++i) data.push_back(static_cast<char>(i * 91 + n));
      absl::StatusOr<std::string> enc = Bech32Encode(hrp, data);
      if (!enc.ok()) continue;
      const std::string a = *enc;
      inputs.push_back(a);
      std::string upper = a;
      for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      inputs.push_back(upper);
      for (size_t i = 0; i < a.size(); ++i) {
        for (char c : {'q', 'p', 'Q', '1', 'b', '~', ' '}) {
          std::string m = a;
          m[i] = c;
          inputs.push_back(m);
        }
        inputs.push_back(a.substr(0, i));
        inputs.push_back(a.substr(0, i) + a.substr(i + 1));
      }
    }
  }
  int valid = 0;
  for (const std::string& s : inputs) {
    for (std::string_view hrp : {"mesh", "MESH", "meshvaloper", "a", "b"}) {
      absl::StatusOr<std::string> got = AddressFromBech32(hrp, s);
      absl::StatusOr<std::string> want = ModelAddressFromBech32(hrp, s);
      ASSERT_EQ(got.ok(), want.ok()) << s << " under " << hrp << ": " << got.status() << " / "
                                     << want.status();
      if (got.ok()) {
        EXPECT_EQ(*got, *want) << s;
        ++valid;
      } else {
        EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument) << s;
      }
    }
  }
  EXPECT_GT(valid, 20);  // valid cases were covered, not only failures
}

TEST(Bech32Test, EncodeLimits) {
  // "mesh" + "1" + 6 checksum leaves 79 data characters: 49 bytes -> 79 values.
  EXPECT_TRUE(Bech32Encode("mesh", std::string(49, 'a')).ok());
  EXPECT_EQ(Bech32Encode("mesh", std::string(50, 'a')).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Bech32Encode("", "x").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Bech32Encode("Cosmos", "x").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Bech32Encode("cos mos", "x").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Bech32Encode(std::string(84, 'a'), "").status().code(),
            absl::StatusCode::kInvalidArgument);
  // 83-character hrp with empty data is exactly 90 characters.
  absl::StatusOr<std::string> max = Bech32Encode(std::string(83, 'a'), "");
  ASSERT_TRUE(max.ok()) << max.status();
  EXPECT_EQ(max->size(), 90u);
  EXPECT_EQ(Bech32EncodeValues("a", {32}).status().code(), absl::StatusCode::kInvalidArgument);
}

// The Cosmos SDK's module account addresses (authtypes.NewModuleAddress):
// the well-known cosmoshub addresses of the fee collector and gov modules.
TEST(Bech32Test, ModuleAddressIsSha256PrefixOfTheName) {
  const Hash256 gov_hash = Sha256("gov");
  EXPECT_EQ(ModuleAddressBytes("gov"),
            std::string(reinterpret_cast<const char*>(gov_hash.data()), 20));
  absl::StatusOr<std::string> fee = ModuleAddress("cosmos", "fee_collector");
  ASSERT_TRUE(fee.ok()) << fee.status();
  EXPECT_EQ(*fee, "cosmos17xpfvakm2amg962yls6f84z3kell8c5lserqta");
  absl::StatusOr<std::string> gov = ModuleAddress("cosmos", "gov");
  ASSERT_TRUE(gov.ok()) << gov.status();
  EXPECT_EQ(*gov, "cosmos10d07y265gmmuvt4z0w9aw880jnsr700j6zn9kn");
  EXPECT_EQ(ModuleAddress("Cosmos", "gov").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(Bech32Test, DecodeRejectsBadPadding) {
  // 8 bytes = 64 bits -> 13 values with 1 padding bit. Set it: non-zero padding.
  absl::StatusOr<std::vector<uint8_t>> v = ConvertBits(std::vector<uint8_t>(8, 0xff), 8, 5, true);
  ASSERT_TRUE(v.ok());
  ASSERT_EQ(v->size(), 13u);
  EXPECT_EQ(v->back() & 1, 0);
  std::vector<uint8_t> bad = *v;
  bad.back() |= 1;
  EXPECT_EQ(Bech32Decode(*Bech32EncodeValues("mesh", bad)).status().code(),
            absl::StatusCode::kInvalidArgument);
  // A whole extra zero group (5 bits of padding) is rejected too.
  std::vector<uint8_t> extra = *v;
  extra.push_back(0);
  EXPECT_EQ(Bech32Decode(*Bech32EncodeValues("mesh", extra)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Bech32Decode(*Bech32EncodeValues("mesh", *v)).ok());
}

TEST(Bech32Test, ConvertBitsRejectsOversizedValues) {
  EXPECT_EQ(ConvertBits({32}, 5, 8, true).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ConvertBits({0xff}, 8, 5, true)->size(), 2u);
  EXPECT_EQ(*ConvertBits({0xff}, 8, 5, true), (std::vector<uint8_t>{31, 28}));
}

// ---------------------------------------------------------------- addresses

TEST(AddressTest, CosmosGovModuleAddress) {
  // Cosmos SDK module account address = SHA-256(name)[:20]; the gov module
  // account of the Cosmos Hub is the well-known cosmos10d07y265gmmuvt4z0w9aw880jnsr700j6zn9kn.
  const Hash256 h = Sha256("gov");
  const std::string addr(h.begin(), h.begin() + 20);
  EXPECT_EQ(*AddressToBech32("cosmos", addr), "cosmos10d07y265gmmuvt4z0w9aw880jnsr700j6zn9kn");
  EXPECT_EQ(*AddressFromBech32("cosmos", "cosmos10d07y265gmmuvt4z0w9aw880jnsr700j6zn9kn"), addr);
}

TEST(AddressTest, AccountAndValoperShareAddressBytes) {
  const std::string pub = PrivateKey::FromSeed("validator-1").PublicKey();
  const std::string acc = AccountAddressOf("osmo", pub);
  const std::string val = ValoperAddressOf("osmo", pub);
  EXPECT_EQ(acc.rfind("osmo1", 0), 0u) << acc;
  EXPECT_EQ(val.rfind("osmovaloper1", 0), 0u) << val;
  EXPECT_EQ(acc.size(), 4 + 1 + 32 + 6u);
  const std::string bytes = AddressBytes(pub);
  ASSERT_EQ(bytes.size(), 20u);
  const Hash256 sha = Sha256(pub);
  const Hash160 rmd = Ripemd160(Str(sha));
  EXPECT_EQ(bytes, std::string(rmd.begin(), rmd.end()));
  EXPECT_EQ(*AddressFromBech32("osmo", acc), bytes);
  EXPECT_EQ(*AddressFromBech32("osmovaloper", val), bytes);
}

TEST(AddressTest, GeneratorKeyAddress) {
  // Hash160 of G is the BIP-173 witness program above; its bech32 under
  // "cosmos" follows from the BIP-173-verified encoder.
  const std::string acc = AccountAddressOf("cosmos", Hex(kGHex));
  EXPECT_EQ(*AddressFromBech32("cosmos", acc), Hex("751e76e8199196d454941c45d1b3a323f1433bd6"));
}

TEST(AddressTest, FromBech32RejectsWrongPrefixAndBadPayload) {
  const std::string pub = PrivateKey::FromSeed("validator-1").PublicKey();
  const std::string acc = AccountAddressOf("cosmos", pub);
  const std::string val = ValoperAddressOf("cosmos", pub);
  constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;
  EXPECT_EQ(AddressFromBech32("cosmosvaloper", acc).status().code(), kInvalid);
  EXPECT_EQ(AddressFromBech32("cosmos", val).status().code(), kInvalid);
  EXPECT_EQ(AddressFromBech32("osmo", acc).status().code(), kInvalid);
  EXPECT_EQ(AddressFromBech32("cosmos", *Bech32Encode("cosmos", "")).status().code(), kInvalid);
  std::string tampered = acc;
  tampered[10] = tampered[10] == 'q' ? 'p' : 'q';
  EXPECT_EQ(AddressFromBech32("cosmos", tampered).status().code(), kInvalid);
  // Upper-case form is the same address.
  std::string upper = acc;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(*AddressFromBech32("cosmos", upper), AddressBytes(pub));
}

}  // namespace
}  // namespace mesh
