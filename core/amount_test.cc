#include "core/amount.h"

#include <string>
#include <utility>
#include <vector>
#include <algorithm>

#include "absl/status/status.h"
#include "core/status.h"
#include "gtest/gtest.h"

namespace mesh {
namespace {

constexpr u128 kMax = ~u128{0};
const char kMaxString[] = "340282366920938463463374607431768211455";

Amount A(u128 v) { return Amount(v); }

template <typename T>
T Unwrap(absl::StatusOr<T> v) {
  MESH_CHECK_OK(v.status());
  return *std::move(v);
}

TEST(AmountTest, AddIsCheckedAtTheTop) {
  EXPECT_EQ(Unwrap(A(2).Add(A(3))), A(5));
  EXPECT_EQ(Unwrap(A(kMax - 1).Add(A(1))), Amount::Max());
  EXPECT_EQ(A(kMax).Add(A(1)).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(A(kMax).Add(A(kMax)).status().code(),
            absl::StatusCode::kOutOfRange);
}

TEST(AmountTest, SubIsCheckedAtZero) {
  EXPECT_EQ(Unwrap(A(5).Sub(A(3))), A(2));
  EXPECT_EQ(Unwrap(A(5).Sub(A(5))), Amount::Zero());
  EXPECT_EQ(A(3).Sub(A(5)).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(A(0).Sub(A(1)).status().code(), absl::StatusCode::kOutOfRange);
}

TEST(AmountTest, SaturatingSubClampsAtZero) {
  EXPECT_EQ(A(5).SaturatingSub(A(3)), A(2));
  EXPECT_EQ(A(3).SaturatingSub(A(5)), A(0));
  EXPECT_EQ(A(3).SaturatingSub(A(3)), A(0));
}

TEST(AmountTest, MulIsCheckedAtTheTop) {
  EXPECT_EQ(Unwrap(A(6).Mul(A(7))), A(42));
  EXPECT_EQ(Unwrap(A(kMax).Mul(A(1))), Amount::Max());
  EXPECT_EQ(Unwrap(A(kMax).Mul(A(0))), Amount::Zero());
  const u128 two64 = u128{1} << 64;
  // 2^64 * (2^64 - 1) = 2^128 - 2^64 fits; 2^64 * 2^64 does not.
  EXPECT_EQ(Unwrap(A(two64).Mul(A(two64 - 1))), A(kMax - two64 + 1));
  EXPECT_EQ(A(two64).Mul(A(two64)).status().code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(A(kMax).Mul(A(2)).status().code(), absl::StatusCode::kOutOfRange);
}

TEST(AmountTest, DivFloorAndCeil) {
  EXPECT_EQ(Unwrap(A(7).DivFloor(A(2))), A(3));
  EXPECT_EQ(Unwrap(A(7).DivCeil(A(2))), A(4));
  EXPECT_EQ(Unwrap(A(8).DivFloor(A(2))), A(4));
  EXPECT_EQ(Unwrap(A(8).DivCeil(A(2))), A(4));
  EXPECT_EQ(Unwrap(A(0).DivCeil(A(3))), A(0));
  EXPECT_EQ(Unwrap(A(kMax).DivCeil(A(1))), Amount::Max());
  EXPECT_EQ(Unwrap(A(kMax).DivCeil(A(2))), A((kMax >> 1) + 1));
}

TEST(AmountTest, DivisionByZeroIsInvalidArgument) {
  EXPECT_EQ(A(1).DivFloor(A(0)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(A(1).DivCeil(A(0)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(MulDiv(A(1), A(1), A(0), Rounding::kDown).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(MulDivU128(0, 0, 0, Rounding::kUp).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(AmountTest, ToStringIsCanonical) {
  EXPECT_EQ(A(0).ToString(), "0");
  EXPECT_EQ(A(7).ToString(), "7");
  EXPECT_EQ(A(1000).ToString(), "1000");
  EXPECT_EQ(A(10000000000000000000ULL).ToString(), "10000000000000000000");
  EXPECT_EQ(Amount::Max().ToString(), kMaxString);
  EXPECT_EQ(U128ToDecimalString(u128{1} << 64), "18446744073709551616");
}

// Digits of `v` one division by 10 at a time: the plain definition the
// chunked U128ToDecimalString must agree with.
std::string DigitByDigit(u128 v) {
  std::string out;
  do {
    out.insert(out.begin(), static_cast<char>('0' + static_cast<int>(v % 10)));
    v /= 10;
  } while (v != 0);
  return out;
}

TEST(AmountTest, DecimalStringAgreesDigitByDigitAcrossChunkBorders) {
  std::vector<u128> values = {0, 9, 10, ~uint64_t{0}, u128{~uint64_t{0}} + 1, ~u128{0}};
  u128 p = 1;
  for (int i = 0; i <= 38; ++i, p *= 10) {  // every power of ten, and its neighbours
    values.push_back(p - 1);
    values.push_back(p);
    values.push_back(p + 1);
  }
  u128 x = 0x9e3779b97f4a7c15ULL;
  for (int i = 0; i < 2000; ++i) {  // a fixed pseudo-random walk over all widths
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    values.push_back(x >> (i % 128));
  }
  for (u128 v : values) {
    EXPECT_EQ(U128ToDecimalString(v), DigitByDigit(v));
    char buf[kU128DecimalChars];
    EXPECT_EQ(U128ToDecimalChars(v, buf), DigitByDigit(v));
  }
  EXPECT_EQ(U128ToDecimalString(u128{10000000000000000000ULL} * 10000000000000000000ULL),
            "100000000000000000000000000000000000000");
}

TEST(AmountTest, ParseAcceptsCanonicalForm) {
  EXPECT_EQ(Unwrap(Amount::Parse("0")), A(0));
  EXPECT_EQ(Unwrap(Amount::Parse("1000")), A(1000));
  EXPECT_EQ(Unwrap(Amount::Parse(kMaxString)), Amount::Max());
  EXPECT_EQ(Unwrap(Amount::Parse("18446744073709551616")), A(u128{1} << 64));
}

TEST(AmountTest, ParseRejectsNonCanonicalForms) {
  for (const char* s : {"", "+1", "-1", "01", "00", " 1", "1 ", "1e5", "1.0",
                        "1,000", "0x10", "1_000", "abc"}) {
    EXPECT_EQ(Amount::Parse(s).status().code(),
              absl::StatusCode::kInvalidArgument)
        << "\"" << s << "\"";
  }
}

TEST(AmountTest, ParseRejectsOverflowAsOutOfRange) {
  // 2^128 and 10^39.
  EXPECT_EQ(Amount::Parse("340282366920938463463374607431768211456")
                .status()
                .code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(Amount::Parse("1000000000000000000000000000000000000000")
                .status()
                .code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(Amount::Parse(std::string(200, '9')).status().code(),
            absl::StatusCode::kOutOfRange);
}

TEST(AmountTest, ParseWireAcceptsPlusAndLeadingZeros) {
  EXPECT_EQ(Unwrap(Amount::ParseWire("+5")), A(5));
  EXPECT_EQ(Unwrap(Amount::ParseWire("007")), A(7));
  EXPECT_EQ(Unwrap(Amount::ParseWire("000")), A(0));
  EXPECT_EQ(Unwrap(Amount::ParseWire("+0")), A(0));
  EXPECT_EQ(Unwrap(Amount::ParseWire("1000")), A(1000));
  EXPECT_EQ(Unwrap(Amount::ParseWire("0000340282366920938463463374607431768211455")),
            Amount::Max());
  for (const char* s : {"", "+", "++1", "-1", "+-1", " 1", "1e5", "1.0"}) {
    EXPECT_EQ(Amount::ParseWire(s).status().code(),
              absl::StatusCode::kInvalidArgument)
        << "\"" << s << "\"";
  }
  EXPECT_EQ(Amount::ParseWire("+340282366920938463463374607431768211456")
                .status()
                .code(),
            absl::StatusCode::kOutOfRange);
}

TEST(AmountTest, OrderingAndMinMax) {
  EXPECT_LT(A(1), A(2));
  EXPECT_EQ(Min(A(1), A(2)), A(1));
  EXPECT_EQ(Max(A(1), A(2)), A(2));
  EXPECT_TRUE(A(0).IsZero());
  EXPECT_FALSE(A(1).IsZero());
}

TEST(MulDivTest, RoundsAsNamed) {
  // 7 * 3 / 2 = 10.5
  EXPECT_EQ(Unwrap(MulDiv(A(7), A(3), A(2), Rounding::kDown)), A(10));
  EXPECT_EQ(Unwrap(MulDiv(A(7), A(3), A(2), Rounding::kUp)), A(11));
  EXPECT_EQ(Unwrap(MulDiv(A(7), A(3), A(2), Rounding::kHalfEven)), A(10));
  // 11.5 -> 12 (ties to even); 11.4 -> 11; 11.6 -> 12.
  EXPECT_EQ(Unwrap(MulDiv(A(23), A(1), A(2), Rounding::kHalfEven)), A(12));
  EXPECT_EQ(Unwrap(MulDiv(A(114), A(1), A(10), Rounding::kHalfEven)), A(11));
  EXPECT_EQ(Unwrap(MulDiv(A(116), A(1), A(10), Rounding::kHalfEven)), A(12));
  // Exact results never move.
  for (Rounding r : {Rounding::kDown, Rounding::kUp, Rounding::kHalfEven}) {
    EXPECT_EQ(Unwrap(MulDiv(A(6), A(5), A(3), r)), A(10));
  }
}

TEST(MulDivTest, UsesA256BitIntermediate) {
  // Max * Max / Max = Max although Max * Max needs 256 bits.
  EXPECT_EQ(Unwrap(MulDiv(Amount::Max(), Amount::Max(), Amount::Max(),
                          Rounding::kDown)),
            Amount::Max());
  // (2^128-1)^2 / 2^127 = 2^129 - 4 + 2^-127 -> does not fit.
  EXPECT_EQ(MulDiv(Amount::Max(), Amount::Max(), A(u128{1} << 127),
                   Rounding::kDown)
                .status()
                .code(),
            absl::StatusCode::kOutOfRange);
  // Max * 2 / 3 = 226854911280625642308916404954512140970 exactly.
  EXPECT_EQ(Unwrap(MulDiv(Amount::Max(), A(2), A(3), Rounding::kUp))
                .ToString(),
            "226854911280625642308916404954512140970");
  // Max * 2 / 7 = 97223533405982418132392744980505203272 + 6/7.
  EXPECT_EQ(Unwrap(MulDiv(Amount::Max(), A(2), A(7), Rounding::kDown))
                .ToString(),
            "97223533405982418132392744980505203272");
  EXPECT_EQ(Unwrap(MulDiv(Amount::Max(), A(2), A(7), Rounding::kUp))
                .ToString(),
            "97223533405982418132392744980505203273");
  EXPECT_EQ(Unwrap(MulDiv(Amount::Max(), A(2), A(7), Rounding::kHalfEven))
                .ToString(),
            "97223533405982418132392744980505203273");
}

TEST(MulDivTest, RoundingPastTheTopIsOutOfRange) {
  // (2^43 - 1) * (2^86 + 2^43 + 1) = 2^129 - 1 = 2 * Max + 1: the floor
  // quotient by 2 is exactly Max with remainder 1.
  const Amount a = A((u128{1} << 43) - 1);
  const Amount b = A((u128{1} << 86) + (u128{1} << 43) + 1);
  EXPECT_EQ(Unwrap(MulDiv(a, b, A(2), Rounding::kDown)), Amount::Max());
  EXPECT_EQ(MulDiv(a, b, A(2), Rounding::kUp).status().code(),
            absl::StatusCode::kOutOfRange);
  // A tie with an odd quotient (Max) rounds up, so it overflows too.
  EXPECT_EQ(MulDiv(a, b, A(2), Rounding::kHalfEven).status().code(),
            absl::StatusCode::kOutOfRange);
  // Max * Max / (Max - 1) = Max + 1 + 1/(Max - 1): out of range even floored.
  EXPECT_EQ(MulDiv(Amount::Max(), Amount::Max(), A(kMax - 1), Rounding::kDown)
                .status()
                .code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(Unwrap(MulDiv(Amount::Max(), A(3), A(3), Rounding::kUp)),
            Amount::Max());
}

std::vector<Amount> Split(std::vector<uint64_t> w, std::vector<uint64_t> c, uint64_t total) {
  std::vector<Amount> ws, cs;
  for (uint64_t x : w) ws.push_back(Amount(x));
  for (uint64_t x : c) cs.push_back(Amount(x));
  absl::StatusOr<std::vector<Amount>> r = SplitByWeight(ws, cs, Amount(total));
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : std::vector<Amount>{};
}

TEST(SplitByWeightTest, FloorsThenHandsTheRemainderOutInEntryOrder) {
  // 100 over 1:1:1 -> 33 each, the 1 left goes to the first entry.
  EXPECT_EQ(Split({1, 1, 1}, {100, 100, 100}, 100),
            (std::vector<Amount>{Amount(34), Amount(33), Amount(33)}));
  // 99 over 15:14 (a burn over two validators): 51 + 47 = 98, +1 to the first.
  EXPECT_EQ(Split({15, 14}, {1000, 1000}, 99), (std::vector<Amount>{Amount(52), Amount(47)}));
}

TEST(SplitByWeightTest, CapsAreRespectedAndTheSumIsExact) {
  // The first entry is capped at 10; its excess goes to the others.
  EXPECT_EQ(Split({50, 50}, {10, 1000}, 100), (std::vector<Amount>{Amount(10), Amount(90)}));
  // More than the caps: every entry full, sum = Σ caps.
  EXPECT_EQ(Split({1, 2}, {5, 7}, 100), (std::vector<Amount>{Amount(5), Amount(7)}));
  // Zero weights: only the second pass hands out, in entry order.
  EXPECT_EQ(Split({0, 0}, {3, 3}, 4), (std::vector<Amount>{Amount(3), Amount(1)}));
  EXPECT_EQ(Split({}, {}, 4), (std::vector<Amount>{}));
}

TEST(SplitByWeightTest, SumIsMinOfTotalAndCapsOverManyInputs) {
  uint64_t x = 12345;
  for (int round = 0; round < 500; ++round) {
    std::vector<uint64_t> w, c;
    uint64_t caps = 0;
    for (int i = 0; i < 1 + round % 7; ++i) {
      x = x * 6364136223846793005ULL + 1442695040888963407ULL;
      w.push_back((x >> 33) % 1000);
      c.push_back((x >> 13) % 1000);
      caps += c.back();
    }
    const uint64_t total = (x >> 40) % 3000;
    std::vector<Amount> parts = Split(w, c, total);
    uint64_t sum = 0;
    for (size_t i = 0; i < parts.size(); ++i) {
      EXPECT_LE(parts[i], Amount(c[i]));
      sum += static_cast<uint64_t>(parts[i].raw());
    }
    EXPECT_EQ(sum, std::min(total, caps));
  }
}

TEST(SplitByWeightTest, MismatchedLengthsAreAnError) {
  EXPECT_FALSE(SplitByWeight({Amount(1)}, {}, Amount(1)).ok());
}

TEST(SplitOneFirstTest, TheFirstEntryGivesFirstThenTheOthersByWeight) {
  using V = std::vector<Amount>;
  // 130 from entry 0 (holds 100), the 30 left over 200 : 100 -> 20 + 10.
  EXPECT_EQ(SplitOneFirst(V{Amount(100), Amount(200), Amount(100)}, 0, Amount(130)).value(),
            (V{Amount(100), Amount(20), Amount(10)}));
  // Entry 1 covers it all.
  EXPECT_EQ(SplitOneFirst(V{Amount(100), Amount(200)}, 1, Amount(50)).value(),
            (V{Amount(0), Amount(50)}));
  // No first entry: all by weight; more than the caps: every cap full.
  EXPECT_EQ(SplitOneFirst(V{Amount(1), Amount(3)}, std::nullopt, Amount(2)).value(),
            (V{Amount(1), Amount(1)}));
  EXPECT_EQ(SplitOneFirst(V{Amount(1), Amount(3)}, 0, Amount(9)).value(),
            (V{Amount(1), Amount(3)}));
  EXPECT_FALSE(SplitOneFirst(V{Amount(1)}, 1, Amount(1)).ok());
}

}  // namespace
}  // namespace mesh
