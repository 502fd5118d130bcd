#include "core/codec.h"

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "core/amount_log.h"
#include "core/kv.h"
#include "core/record.h"
#include "gtest/gtest.h"
#include "rapidcheck/gtest.h"

namespace mesh {
namespace {

std::string Hex(std::string_view s) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (char c : s) {
    out.push_back(kDigits[static_cast<uint8_t>(c) >> 4]);
    out.push_back(kDigits[static_cast<uint8_t>(c) & 0xf]);
  }
  return out;
}

std::string B(std::initializer_list<int> bytes) {
  std::string s;
  for (int b : bytes) s.push_back(static_cast<char>(b));
  return s;
}

TEST(EncoderTest, FixedWidthFieldsAreBigEndian) {
  EXPECT_EQ(Hex(Encoder().U8(0xab).data()), "ab");
  EXPECT_EQ(Hex(Encoder().U32(0x01020304).data()), "01020304");
  EXPECT_EQ(Hex(Encoder().U64(0x0102030405060708ULL).data()), "0102030405060708");
  EXPECT_EQ(Hex(Encoder().Bool(true).Bool(false).data()), "0100");
  EXPECT_EQ(Hex(Encoder().Amt(Amount(1)).data()), "00000000000000000000000000000001");
  EXPECT_EQ(Hex(Encoder().Amt(Amount::Max()).data()), std::string(32, 'f'));
  EXPECT_EQ(Hex(Encoder().Big(U256(1, 2)).data()),
            "00000000000000000000000000000001"
            "00000000000000000000000000000002");
}

TEST(EncoderTest, SignedFieldsFlipTheSignBit) {
  EXPECT_EQ(Hex(Encoder().I64(0).data()), "8000000000000000");
  EXPECT_EQ(Hex(Encoder().I64(-1).data()), "7fffffffffffffff");
  EXPECT_EQ(Hex(Encoder().I64(std::numeric_limits<int64_t>::min()).data()), "0000000000000000");
  EXPECT_EQ(Hex(Encoder().I64(std::numeric_limits<int64_t>::max()).data()), "ffffffffffffffff");
  EXPECT_EQ(Hex(Encoder().Decimal(Dec::Zero()).data()), "80000000000000000000000000000000");
  // 10^18 = 0x0de0b6b3a7640000.
  EXPECT_EQ(Hex(Encoder().Decimal(Dec::One()).data()), "80000000000000000de0b6b3a7640000");
  EXPECT_EQ(Hex(Encoder().Decimal(Dec::FromRaw(-1)).data()), "7fffffffffffffffffffffffffffffff");
}

TEST(EncoderTest, BytesAreLengthPrefixedAndRawIsNot) {
  EXPECT_EQ(Hex(Encoder().Bytes("ab").data()), "000000026162");
  EXPECT_EQ(Hex(Encoder().Str("").data()), "00000000");
  EXPECT_EQ(Hex(Encoder().Raw("ab").data()), "6162");
  EXPECT_EQ(Hex(Encoder(0x21).U8(7).data()), "2107");
  EXPECT_EQ(Encoder().Bytes(B({0x00, 0xff})).data(), B({0, 0, 0, 2, 0x00, 0xff}));
}

TEST(EncoderTest, KeyPrefixOfFieldsIsBytePrefix) {
  std::string user = Encoder(0x50).Str("alice").data();
  std::string full = Encoder(0x50).Str("alice").U64(3).data();
  EXPECT_EQ(full.substr(0, user.size()), user);
  // The length prefix keeps "al" from being a prefix of "alice".
  std::string al = Encoder(0x50).Str("al").data();
  EXPECT_NE(full.substr(0, al.size()), al);
}

TEST(DecoderTest, RoundTripsEveryField) {
  Encoder e(0x10);
  e.U32(7).U64(1ULL << 40).I64(-5).Bool(true).Amt(Amount(u128{1} << 100));
  e.Decimal(Dec::FromRaw(-123456789)).Big(U256(3, 4)).Bytes(B({0, 0xff})).Str("hi").Raw("tail");
  Decoder d(e.data());
  EXPECT_EQ(*d.U8(), 0x10);
  EXPECT_EQ(*d.U32(), 7u);
  EXPECT_EQ(*d.U64(), 1ULL << 40);
  EXPECT_EQ(*d.I64(), -5);
  EXPECT_EQ(*d.Bool(), true);
  EXPECT_EQ(*d.Amt(), Amount(u128{1} << 100));
  EXPECT_EQ(*d.Decimal(), Dec::FromRaw(-123456789));
  EXPECT_EQ(*d.Big(), U256(3, 4));
  EXPECT_EQ(*d.Bytes(), B({0, 0xff}));
  EXPECT_EQ(*d.Str(), "hi");
  EXPECT_FALSE(d.AtEnd());
  EXPECT_EQ(d.Rest(), "tail");
  EXPECT_TRUE(d.AtEnd());
  EXPECT_TRUE(d.Finish().ok());
}

TEST(DecoderTest, TruncatedInputIsDataLoss) {
  std::string full = Encoder().U64(1).data();
  for (size_t n = 0; n < full.size(); ++n) {
    Decoder d(std::string_view(full).substr(0, n));
    EXPECT_EQ(d.U64().status().code(), absl::StatusCode::kDataLoss) << n;
  }
  EXPECT_EQ(Decoder("").U8().status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(Decoder("abc").U32().status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(Decoder("1234567").I64().status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(Decoder(std::string(15, 'x')).Amt().status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(Decoder(std::string(15, 'x')).Decimal().status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(Decoder(std::string(31, 'x')).Big().status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(Decoder("").Bool().status().code(), absl::StatusCode::kDataLoss);
  // A length prefix promising more bytes than remain.
  EXPECT_EQ(Decoder(B({0, 0, 0, 3, 'a', 'b'})).Bytes().status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(Decoder(B({0, 0, 0})).Bytes().status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(Decoder(B({0xff, 0xff, 0xff, 0xff})).Str().status().code(),
            absl::StatusCode::kDataLoss);
}

TEST(DecoderTest, MalformedBoolIsDataLoss) {
  EXPECT_EQ(*Decoder(B({0})).Bool(), false);
  EXPECT_EQ(*Decoder(B({1})).Bool(), true);
  EXPECT_EQ(Decoder(B({2})).Bool().status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(Decoder(B({0xff})).Bool().status().code(), absl::StatusCode::kDataLoss);
}

TEST(DecoderTest, FinishRejectsTrailingBytes) {
  std::string bytes = Encoder().U32(1).U8(0).Take();
  Decoder d(bytes);
  ASSERT_TRUE(d.U32().ok());
  EXPECT_EQ(d.Finish().code(), absl::StatusCode::kDataLoss);
  ASSERT_TRUE(d.U8().ok());
  EXPECT_TRUE(d.Finish().ok());
}

TEST(PrefixEndTest, IncrementsLastNonFfByte) {
  EXPECT_EQ(PrefixEnd("abc"), "abd");
  EXPECT_EQ(PrefixEnd(B({'a', 0xff})), "b");
  EXPECT_EQ(PrefixEnd(B({'a', 0xfe, 0xff, 0xff})), B({'a', 0xff}));
  EXPECT_EQ(PrefixEnd(B({0x00})), B({0x01}));
  EXPECT_EQ(PrefixEnd(B({0x7f})), B({0x80}));
  EXPECT_EQ(PrefixEnd(B({0xff, 0xff})), "");
  EXPECT_EQ(PrefixEnd(""), "");
}

// Byte order of encodings equals numeric order of values.
RC_GTEST_PROP(CodecOrderProperty, I64OrderPreserving, (int64_t a, int64_t b)) {
  std::string ea = Encoder().I64(a).Take(), eb = Encoder().I64(b).Take();
  RC_ASSERT((a < b) == (ea < eb));
  RC_ASSERT(*Decoder(ea).I64() == a);
}

RC_GTEST_PROP(CodecOrderProperty, DecOrderPreserving,
              (uint64_t ahi, uint64_t alo, uint64_t bhi, uint64_t blo)) {
  Dec a = Dec::FromRaw(static_cast<i128>((u128{ahi} << 64) | alo));
  Dec b = Dec::FromRaw(static_cast<i128>((u128{bhi} << 64) | blo));
  std::string ea = Encoder().Decimal(a).Take(), eb = Encoder().Decimal(b).Take();
  RC_ASSERT((a < b) == (ea < eb));
  RC_ASSERT(*Decoder(ea).Decimal() == a);
}

RC_GTEST_PROP(CodecOrderProperty, AmountOrderPreserving,
              (uint64_t ahi, uint64_t alo, uint64_t bhi, uint64_t blo)) {
  Amount a((u128{ahi} << 64) | alo), b((u128{bhi} << 64) | blo);
  std::string ea = Encoder().Amt(a).Take(), eb = Encoder().Amt(b).Take();
  RC_ASSERT((a < b) == (ea < eb));
  RC_ASSERT(*Decoder(ea).Amt() == a);
}

RC_GTEST_PROP(CodecOrderProperty, BytesRoundTripAndPrefixEnd, (std::string s)) {
  std::string bytes = Encoder().Bytes(s).Take();
  Decoder d(bytes);
  RC_ASSERT(*d.Bytes() == s);
  RC_ASSERT(d.Finish().ok());
  // Every extension of s sorts below PrefixEnd(s) (when it exists).
  std::string end = PrefixEnd(s);
  if (!end.empty()) {
    RC_ASSERT(s < end);
    RC_ASSERT(s + "\xff\xff" < end);
  }
}

struct Point {
  int64_t x = 0;
  std::string label;
  void Encode(Encoder& e) const { e.I64(x).Str(label); }
  static absl::StatusOr<Point> Decode(Decoder& d) {
    Point p;
    MESH_ASSIGN_OR_RETURN(p.x, d.I64());
    MESH_ASSIGN_OR_RETURN(p.label, d.Str());
    return p;
  }
};

TEST(RecordTest, RoundTripFallbackAndTrailingBytes) {
  MemStore store;
  ASSERT_TRUE(PutRecord(store, "p", Point{-3, "pt"}).ok());
  auto got = GetRecord<Point>(store, "p");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->x, -3);
  EXPECT_EQ((*got)->label, "pt");
  EXPECT_FALSE(GetRecord<Point>(store, "q")->has_value());
  EXPECT_EQ(GetRecordOr<Point>(store, "q", Point{9, "f"})->x, 9);
  ASSERT_TRUE(store.Put("bad", EncodeRecord(Point{1, "x"}) + "!").ok());
  EXPECT_EQ(GetRecord<Point>(store, "bad").status().code(), absl::StatusCode::kDataLoss);
  ASSERT_TRUE(store.Put("short", "\x80").ok());
  EXPECT_EQ(GetRecord<Point>(store, "short").status().code(), absl::StatusCode::kDataLoss);
}

// EncodeRecord reuses its thread's buffer: each record's bytes are those a
// fresh encoder writes, in a string of their exact size, whatever the
// records before it (longer, shorter, or past kRecordBufferKept, whose
// buffer is not kept).
TEST(RecordTest, EncodeRecordWritesAFreshEncodersBytesAtTheirSize) {
  for (size_t size : {size_t{0}, size_t{300}, size_t{3}, kRecordBufferKept * 2, size_t{40},
                      size_t{15}, kRecordBufferKept, size_t{1}}) {
    const Point p{static_cast<int64_t>(size) - 7,
                  std::string(size, static_cast<char>('a' + size % 26))};
    Encoder fresh;
    p.Encode(fresh);
    const std::string bytes = EncodeRecord(p);
    EXPECT_EQ(bytes, fresh.data()) << size;
    EXPECT_EQ(bytes.size(), 8 + 4 + size);
    if (bytes.size() > 15) {
      EXPECT_EQ(bytes.capacity(), bytes.size()) << size;
    }
    EXPECT_EQ(DecodeRecord<Point>(bytes)->label, p.label) << size;
  }
}

TEST(RecordTest, ForEachU64KeyedScansFromAndStops) {
  MemStore store;
  const std::string prefix = Encoder(0x42).Str("p").Take();
  for (uint64_t n : {3, 7, 9, 300}) {
    ASSERT_TRUE(store.Put(Encoder().Raw(prefix).U64(n).Take(), std::to_string(n)).ok());
  }
  ASSERT_TRUE(store.Put(Encoder(0x42).Str("q").U64(5).Take(), "other prefix").ok());
  std::vector<uint64_t> seen;
  auto collect = [&](uint64_t n, std::string_view v) -> absl::StatusOr<bool> {
    EXPECT_EQ(v, std::to_string(n));
    seen.push_back(n);
    return n < 9;
  };
  ASSERT_TRUE(ForEachU64Keyed(store, prefix, 4, collect).ok());
  EXPECT_EQ(seen, (std::vector<uint64_t>{7, 9}));  // from 4 up; stops after 9
  seen.clear();
  ASSERT_TRUE(ForEachU64Keyed(store, prefix, 10, collect).ok());
  EXPECT_EQ(seen, (std::vector<uint64_t>{300}));
  ASSERT_TRUE(store.Put(prefix + "short", "x").ok());
  EXPECT_EQ(ForEachU64Keyed(store, prefix, 301, collect).code(), absl::StatusCode::kDataLoss);
}

TEST(AmountLogTest, AddsMergesSumsAndForgets) {
  MemStore store;
  const std::string prefix = Encoder(0x43).Str("owner").Take();
  AmountLogRange range;
  auto count = [&] {
    size_t n = 0;
    for (auto it = store.ScanPrefix(prefix); it->Valid(); it->Next()) ++n;
    return n;
  };
  ASSERT_TRUE(AmountLogAdd(store, prefix, range, 10, 100, Amount(5)).ok());
  ASSERT_TRUE(AmountLogAdd(store, prefix, range, 10, 101, Amount(7)).ok());  // same position
  ASSERT_TRUE(AmountLogAdd(store, prefix, range, 12, 120, Amount(1)).ok());
  EXPECT_EQ(range, (AmountLogRange{10, 12, 101}));
  EXPECT_EQ(count(), 2u);
  EXPECT_EQ(*AmountLogSumSince(store, prefix, range, 10), Amount(13));
  EXPECT_EQ(*AmountLogSumSince(store, prefix, range, 11), Amount(1));
  EXPECT_EQ(*AmountLogSumSince(store, prefix, range, 13), Amount(0));
  // Two entries: forgotten only once the first is `grace` past due.
  ASSERT_TRUE(AmountLogForget(store, prefix, range, 110, 20).ok());
  EXPECT_EQ(count(), 2u);
  ASSERT_TRUE(AmountLogForget(store, prefix, range, 117, 15).ok());
  EXPECT_EQ(count(), 1u);
  EXPECT_EQ(range, (AmountLogRange{12, 12, 120}));
  // A single one at once.
  ASSERT_TRUE(AmountLogForget(store, prefix, range, 121, 1000).ok());
  EXPECT_EQ(count(), 0u);
  EXPECT_TRUE(range.empty());
  // The range as a record's trailing fields: absent when empty.
  Encoder e;
  range.EncodeTrailing(e);
  EXPECT_TRUE(e.data().empty());
  const AmountLogRange full{3, 9, 77};
  full.EncodeTrailing(e);
  Decoder d(e.data());
  AmountLogRange back;
  ASSERT_TRUE(back.DecodeTrailing(d).ok());
  EXPECT_EQ(back, full);
}

}  // namespace
}  // namespace mesh
