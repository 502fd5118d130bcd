#include "core/dec.h"

#include <limits>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "core/status.h"
#include "gtest/gtest.h"

namespace mesh {
namespace {

constexpr i128 kMaxRaw = static_cast<i128>(~u128{0} >> 1);
constexpr i128 kMinRaw = -kMaxRaw - 1;
// 170141183460469231731: the largest integer a Dec holds (above 2^64).
constexpr i128 kMaxInt = kMaxRaw / Dec::kOne;
const char kMaxString[] = "170141183460469231731.687303715884105727";
const char kMinString[] = "-170141183460469231731.687303715884105728";

template <typename T>
T Unwrap(absl::StatusOr<T> v) {
  MESH_CHECK_OK(v.status());
  return *std::move(v);
}

Dec D(std::string_view s) { return Unwrap(Dec::Parse(s)); }
Dec I(i128 v) { return Unwrap(Dec::FromInt(v)); }
Amount A(u128 v) { return Amount(v); }
std::string S(absl::StatusOr<Dec> d) { return Unwrap(std::move(d)).ToString(); }

template <typename T>
absl::StatusCode Code(const absl::StatusOr<T>& v) {
  return v.status().code();
}

// ---- neighbours.md §1.2 worked examples -----------------------------------

TEST(DecLegacyTest, RoundIntIsHalfEvenOnTheSlashMeterExamples) {
  // 0.05 x 10 = 0.5 -> 0; x 30 = 1.5 -> 2; x 50 = 2.5 -> 2; x 70 = 3.5 -> 4.
  const Dec f = D("0.05");
  EXPECT_EQ(S(f.MulInt(10)), "0.5");
  EXPECT_EQ(Unwrap(f.MulInt(10)).RoundInt(), 0);
  EXPECT_EQ(Unwrap(f.MulInt(30)).RoundInt(), 2);
  EXPECT_EQ(Unwrap(f.MulInt(50)).RoundInt(), 2);
  EXPECT_EQ(Unwrap(f.MulInt(70)).RoundInt(), 4);
  EXPECT_EQ(Unwrap(f.MulInt(1000)).RoundInt(), 50);  // §2.5: 1,000 -> 50
  // Same through Dec x Dec Mul (the meter multiplies two Decs).
  EXPECT_EQ(Unwrap(f.Mul(I(70))).RoundInt(), 4);
  EXPECT_EQ(Unwrap(f.Mul(I(50))).RoundInt(), 2);
}

TEST(DecLegacyTest, RoundIntIsSymmetricForNegatives) {
  EXPECT_EQ(D("-0.5").RoundInt(), 0);
  EXPECT_EQ(D("-1.5").RoundInt(), -2);
  EXPECT_EQ(D("-2.5").RoundInt(), -2);
  EXPECT_EQ(D("-2.500000000000000001").RoundInt(), -3);
  EXPECT_EQ(D("2.499999999999999999").RoundInt(), 2);
  EXPECT_EQ(D("2.500000000000000001").RoundInt(), 3);
}

TEST(DecLegacyTest, TruncateAndCeilInt) {
  EXPECT_EQ(D("2.7").TruncateInt(), 2);
  EXPECT_EQ(D("-2.7").TruncateInt(), -2);
  EXPECT_EQ(D("2.1").CeilInt(), 3);
  EXPECT_EQ(D("-2.7").CeilInt(), -2);
  EXPECT_EQ(D("3").CeilInt(), 3);
  EXPECT_EQ(U128ToDecimalString(static_cast<u128>(kMaxInt)),
            "170141183460469231731");
  EXPECT_EQ(Dec::FromRaw(kMaxRaw).TruncateInt(), kMaxInt);
  EXPECT_EQ(Dec::FromRaw(kMaxRaw).CeilInt(), kMaxInt + 1);
  EXPECT_EQ(Dec::FromRaw(kMaxRaw).RoundInt(), kMaxInt + 1);  // .687...
  EXPECT_EQ(Dec::FromRaw(kMinRaw).RoundInt(), -kMaxInt - 1);
  EXPECT_EQ(Dec::FromRaw(kMinRaw).CeilInt(), -kMaxInt);
}

TEST(DecLegacyTest, SharesExampleIsBitExact) {
  // §1.3: T = 950,000 after a 5 % slash, S = 1,000,000; delegate 100,000.
  const Dec s = I(1000000);
  const Dec shares = Unwrap(Unwrap(s.MulInt(100000)).QuoInt(950000));
  EXPECT_EQ(shares.ToString(), "105263.157894736842105263");
  // The QuoTruncate form gives the same digits.
  EXPECT_EQ(S(Unwrap(s.MulInt(100000)).QuoTruncate(I(950000))),
            "105263.157894736842105263");
  const Dec s_after = Unwrap(s.Add(shares));
  EXPECT_EQ(s_after.ToString(), "1105263.157894736842105263");
  // Undelegating those shares: TruncateInt(shares x 1,050,000 / S').
  const Dec tokens = Unwrap(Unwrap(shares.MulInt(1050000)).Quo(s_after));
  EXPECT_EQ(tokens.ToString(), "100000");
  EXPECT_EQ(tokens.TruncateInt(), 100000);
  EXPECT_EQ(S(s_after.Sub(shares)), "1000000");
}

TEST(DecLegacyTest, DustExample) {
  // T = 9, S = 10: 3 shares are worth trunc(3 x 9 / 10 = 2.7) = 2 tokens.
  const Dec tokens = Unwrap(Unwrap(I(3).MulInt(9)).Quo(I(10)));
  EXPECT_EQ(tokens.ToString(), "2.7");
  EXPECT_EQ(tokens.TruncateInt(), 2);
}

TEST(DecLegacyTest, SlashAmountIsTruncated) {
  // §1.7: TruncateInt(factor x power x 10^6) for 0.05 and power 10.
  EXPECT_EQ(Unwrap(D("0.05").MulInt(10 * 1000000)).TruncateInt(), 500000);
  // Downtime 0.0001 of 1 power (10^6 tokens) = 100; of 3 tokens = 0.
  EXPECT_EQ(Unwrap(D("0.0001").MulInt(1000000)).TruncateInt(), 100);
  EXPECT_EQ(Unwrap(D("0.0001").MulInt(3)).TruncateInt(), 0);
}

TEST(DecLegacyTest, MulRoundings) {
  // 3 ulp x 0.5 = 1.5 ulp; 5 ulp x 0.5 = 2.5 ulp.
  const Dec half = D("0.5");
  EXPECT_EQ(Unwrap(Dec::FromRaw(3).Mul(half)).raw(), 2);
  EXPECT_EQ(Unwrap(Dec::FromRaw(5).Mul(half)).raw(), 2);
  EXPECT_EQ(Unwrap(Dec::FromRaw(7).Mul(half)).raw(), 4);
  EXPECT_EQ(Unwrap(Dec::FromRaw(3).MulTruncate(half)).raw(), 1);
  EXPECT_EQ(Unwrap(Dec::FromRaw(3).MulRoundUp(half)).raw(), 2);
  EXPECT_EQ(Unwrap(Dec::FromRaw(4).MulRoundUp(half)).raw(), 2);
  // 1 ulp x 0.1 = 0.1 ulp: nearest and truncation give 0, ceiling 1.
  EXPECT_EQ(Unwrap(Dec::FromRaw(1).Mul(D("0.1"))).raw(), 0);
  EXPECT_EQ(Unwrap(Dec::FromRaw(1).MulRoundUp(D("0.1"))).raw(), 1);
  // Negative: half-even on the magnitude, truncation toward zero, ceiling.
  EXPECT_EQ(Unwrap(Dec::FromRaw(-3).Mul(half)).raw(), -2);
  EXPECT_EQ(Unwrap(Dec::FromRaw(-5).Mul(half)).raw(), -2);
  EXPECT_EQ(Unwrap(Dec::FromRaw(-3).MulTruncate(half)).raw(), -1);
  EXPECT_EQ(Unwrap(Dec::FromRaw(-3).MulRoundUp(half)).raw(), -1);
  EXPECT_EQ(Unwrap(Dec::FromRaw(3).MulRoundUp(D("-0.5"))).raw(), -1);
  EXPECT_EQ(S(D("-1.5").Mul(D("-2"))), "3");
  EXPECT_EQ(S(D("1.5").Mul(D("1.5"))), "2.25");
}

TEST(DecLegacyTest, QuoRoundings) {
  EXPECT_EQ(S(I(1).Quo(I(3))), "0.333333333333333333");
  EXPECT_EQ(S(I(2).Quo(I(3))), "0.666666666666666667");
  EXPECT_EQ(S(I(-2).Quo(I(3))), "-0.666666666666666667");
  EXPECT_EQ(S(I(2).QuoTruncate(I(3))), "0.666666666666666666");
  EXPECT_EQ(S(I(-2).QuoTruncate(I(3))), "-0.666666666666666666");
  EXPECT_EQ(S(I(1).QuoRoundUp(I(3))), "0.333333333333333334");
  EXPECT_EQ(S(I(-1).QuoRoundUp(I(-3))), "0.333333333333333334");
  EXPECT_EQ(S(I(6).QuoRoundUp(I(3))), "2");
  EXPECT_EQ(S(I(1).QuoInt(3)), "0.333333333333333333");
  EXPECT_EQ(S(I(2).QuoInt(3)), "0.666666666666666666");
  EXPECT_EQ(S(I(-2).QuoInt(3)), "-0.666666666666666666");
}

TEST(DecLegacyTest, QuoRoundsTwiceExactlyLikeLegacyDec) {
  // 1 ulp / (2 - 10^-18): exact quotient 0.50000000000000000025 ulp. LegacyDec
  // truncates at 36 digits (0.5 ulp exactly), then a half-even tie -> 0.
  // A single correct rounding would give 1 ulp.
  const Dec d = Dec::FromRaw(2 * Dec::kOne - 1);
  EXPECT_EQ(Unwrap(Dec::FromRaw(1).Quo(d)).raw(), 0);
  EXPECT_EQ(Unwrap(Dec::FromRaw(-1).Quo(d)).raw(), 0);
  EXPECT_EQ(Unwrap(Dec::FromRaw(1).QuoRoundUp(d)).raw(), 1);
  EXPECT_EQ(Unwrap(Dec::FromRaw(1).QuoTruncate(d)).raw(), 0);
  // 3 ulp / d = 1.50000000000000000075 ulp -> tie at 36 digits -> 2 (even).
  EXPECT_EQ(Unwrap(Dec::FromRaw(3).Quo(d)).raw(), 2);
  // 5 ulp / d = 2.50000000000000000125: the 36th digit survives -> 3.
  EXPECT_EQ(Unwrap(Dec::FromRaw(5).Quo(d)).raw(), 3);
  // 1 ulp / (2 - 3 x 10^-18) = 0.50000000000000000075 ulp: the first step
  // truncates (not rounds) at 36 digits, leaving a tie -> 0.
  const Dec d3 = Dec::FromRaw(2 * Dec::kOne - 3);
  EXPECT_EQ(Unwrap(Dec::FromRaw(1).Quo(d3)).raw(), 0);
  EXPECT_EQ(Unwrap(Dec::FromRaw(1).QuoRoundUp(d3)).raw(), 1);
}

TEST(DecLegacyTest, QuoRoundUpOfNegativeQuotientIsTheCeiling) {
  // Deviation note (docs/rounding.md): recent SDK versions add one ulp to a
  // truncated negative quotient of magnitude >= 1 ulp; the engine uses the
  // ceiling for every sign. The protocol only divides non-negative values.
  EXPECT_EQ(S(I(-1).QuoRoundUp(I(3))), "-0.333333333333333333");
  EXPECT_EQ(S(I(1).QuoRoundUp(I(-3))), "-0.333333333333333333");
  EXPECT_EQ(Unwrap(Dec::FromRaw(-1).QuoRoundUp(I(3))).raw(), 0);
}

// ---- mesh-provider.md §0.4 / mesh-consumer-ibc.md §0.2 --------------------

TEST(DecMeshTest, FromRatioFloors) {
  EXPECT_EQ(S(Dec::FromRatio(A(1), A(3))), "0.333333333333333333");
  EXPECT_EQ(S(Dec::FromRatio(A(2), A(3))), "0.666666666666666666");
  EXPECT_EQ(S(Dec::FromRatio(A(201), A(200))), "1.005");
  EXPECT_EQ(S(Dec::FromRatio(A(0), A(7))), "0");
  EXPECT_EQ(S(Dec::Percent(5)), "0.05");
  EXPECT_EQ(S(Dec::Percent(100)), "1");
  EXPECT_EQ(Code(Dec::FromRatio(A(1), A(0))),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Code(Dec::FromRatio(Amount::Max(), A(1))),
            absl::StatusCode::kOutOfRange);
  // The largest integer that still fits.
  EXPECT_EQ(S(Dec::FromRatio(A(static_cast<u128>(kMaxInt)), A(1))),
            "170141183460469231731");
  EXPECT_EQ(Code(Dec::FromRatio(A(static_cast<u128>(kMaxInt) + 1), A(1))),
            absl::StatusCode::kOutOfRange);
}

TEST(DecMeshTest, InvTruncates) {
  EXPECT_EQ(S(D("0.6").Inv()), "1.666666666666666666");
  EXPECT_EQ(S(D("0.5").Inv()), "2");
  EXPECT_EQ(S(D("0.4").Inv()), "2.5");
  EXPECT_EQ(S(D("0.9").Inv()), "1.111111111111111111");
  EXPECT_EQ(S(D("0.3").Inv()), "3.333333333333333333");
  EXPECT_EQ(S(Dec::FromRaw(1).Inv()), "1000000000000000000");
  EXPECT_EQ(Code(Dec::Zero().Inv()), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Code(D("-0.5").Inv()), absl::StatusCode::kInvalidArgument);
}

TEST(DecMeshTest, MulFloorAndMulCeil) {
  // §1.2 path dependence: 5 at 10 % floors to 0 (twice), 10 at 10 % to 1.
  EXPECT_EQ(Unwrap(MulFloor(A(5), D("0.1"))), A(0));
  EXPECT_EQ(Unwrap(MulFloor(A(10), D("0.1"))), A(1));
  EXPECT_EQ(Unwrap(MulCeil(A(5), D("0.1"))), A(1));
  EXPECT_EQ(Unwrap(MulCeil(A(10), D("0.1"))), A(1));
  // §4.2: slash 10 over a total of 30 -> eff 0.333...333 -> 30 loses 9.
  const Dec eff = Unwrap(Dec::FromRatio(A(10), A(30)));
  EXPECT_EQ(Unwrap(MulFloor(A(30), eff)), A(9));
  // §4.2: 201 over 200 -> eff 1.005 -> each 100-stake loses 100.
  EXPECT_EQ(Unwrap(MulFloor(A(100), D("1.005"))), A(100));
  // §4.4 case B: k = mul_ceil(claimed, inv(R)); claimed 10, R = 0.3 -> 34.
  EXPECT_EQ(Unwrap(MulCeil(A(10), Unwrap(D("0.3").Inv()))), A(34));
  EXPECT_EQ(Unwrap(MulFloor(Amount::Max(), Dec::One())), Amount::Max());
  EXPECT_EQ(Code(MulFloor(Amount::Max(), D("1.000000000000000001"))),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(Code(MulFloor(A(1), D("-0.1"))),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Code(MulCeil(A(1), D("-0.1"))),
            absl::StatusCode::kInvalidArgument);
}

// Converter normalisation: mul_floor(mul_floor(amount, P), A).
Amount Normalize(u128 amount, std::string_view price, std::string_view adj) {
  return Unwrap(MulFloor(Unwrap(MulFloor(A(amount), D(price))), D(adj)));
}
// Converter inversion: mul_floor(mul_floor(amount, inv(P)), inv(A)).
Amount Invert(u128 amount, std::string_view price, std::string_view adj) {
  const Dec ip = Unwrap(D(price).Inv());
  const Dec ia = Unwrap(D(adj).Inv());
  return Unwrap(MulFloor(Unwrap(MulFloor(A(amount), ip)), ia));
}

TEST(DecMeshTest, ConverterNormalizeExamples) {
  EXPECT_EQ(Normalize(9, "0.5", "0.9"), A(3));  // single step would give 4
  EXPECT_EQ(Normalize(1000, "0.5", "0.6"), A(300));
  EXPECT_EQ(Normalize(4000, "0.5", "0.6"), A(1200));
  EXPECT_EQ(Normalize(2000, "0.5", "0.6"), A(600));
  EXPECT_EQ(Normalize(1000, "0.4", "0.9"), A(360));
  EXPECT_EQ(Normalize(100, "18", "0.6"), A(1080));
  EXPECT_EQ(Normalize(1000, "0", "0.6"), A(0));  // P = 0 passes through
}

TEST(DecMeshTest, ConverterInvertExamples) {
  EXPECT_EQ(Invert(300, "0.5", "0.6"), A(999));
  EXPECT_EQ(Invert(10, "0.5", "0.6"), A(33));
  EXPECT_EQ(Invert(360, "0.4", "0.9"), A(999));
  EXPECT_EQ(Invert(36, "0.4", "0.9"), A(99));
}

TEST(DecMeshTest, DivByDec) {
  EXPECT_EQ(Unwrap(DivByDec(A(10), D("0.3"), Rounding::kDown)), A(33));
  EXPECT_EQ(Unwrap(DivByDec(A(10), D("0.3"), Rounding::kUp)), A(34));
  EXPECT_EQ(Unwrap(DivByDec(A(10), D("0.4"), Rounding::kHalfEven)), A(25));
  EXPECT_EQ(Unwrap(DivByDec(A(5), D("2"), Rounding::kHalfEven)), A(2));
  EXPECT_EQ(Unwrap(DivByDec(A(7), D("2"), Rounding::kHalfEven)), A(4));
  EXPECT_EQ(Code(DivByDec(A(1), Dec::Zero(), Rounding::kDown)),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Code(DivByDec(A(1), D("-1"), Rounding::kDown)),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Code(DivByDec(Amount::Max(), D("0.5"), Rounding::kDown)),
            absl::StatusCode::kOutOfRange);
}

TEST(DecMeshTest, AmountConversions) {
  EXPECT_EQ(Unwrap(D("2.7").TruncateAmount()), A(2));
  EXPECT_EQ(Unwrap(D("2.1").CeilAmount()), A(3));
  EXPECT_EQ(Unwrap(D("0.000000000000000001").CeilAmount()), A(1));
  EXPECT_EQ(Unwrap(D("0").CeilAmount()), A(0));
  EXPECT_EQ(Unwrap(Dec::FromRaw(kMaxRaw).TruncateAmount()),
            A(static_cast<u128>(kMaxInt)));
  EXPECT_EQ(Unwrap(Dec::FromRaw(kMaxRaw).CeilAmount()),
            A(static_cast<u128>(kMaxInt) + 1));
  EXPECT_EQ(Code(D("-0.5").TruncateAmount()),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Code(D("-1").CeilAmount()), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(S(Dec::FromAmount(A(42))), "42");
  EXPECT_EQ(S(Dec::FromAmount(A(static_cast<u128>(kMaxInt)))),
            "170141183460469231731");
  EXPECT_EQ(Code(Dec::FromAmount(A(static_cast<u128>(kMaxInt) + 1))),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(Code(Dec::FromAmount(Amount::Max())),
            absl::StatusCode::kOutOfRange);
}

// ---- range and errors ------------------------------------------------------

TEST(DecRangeTest, ExactOpsOverflowIsOutOfRange) {
  const Dec max = Dec::FromRaw(kMaxRaw);
  const Dec min = Dec::FromRaw(kMinRaw);
  const Dec ulp = Dec::FromRaw(1);
  EXPECT_EQ(Code(max.Add(ulp)), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(Code(min.Sub(ulp)), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(Unwrap(min.Add(max)).raw(), -1);
  EXPECT_EQ(Code(min.Neg()), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(Unwrap(max.Neg()).raw(), kMinRaw + 1);
  EXPECT_EQ(Unwrap(Dec::Zero().Neg()), Dec::Zero());
  EXPECT_EQ(Code(max.MulInt(2)), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(Code(min.MulInt(-1)), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(Unwrap(ulp.MulInt(kMinRaw)), min);
  EXPECT_EQ(Code(Dec::FromInt(std::numeric_limits<int64_t>::max() * i128{100})),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(S(Dec::FromInt(-kMaxInt)), "-170141183460469231731");
  EXPECT_EQ(S(Dec::FromInt(kMaxInt)), "170141183460469231731");
  EXPECT_EQ(Code(Dec::FromInt(kMaxInt + 1)), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(Code(Dec::FromInt(-kMaxInt - 1)), absl::StatusCode::kOutOfRange);
}

TEST(DecRangeTest, RoundedOpsOverflowIsOutOfRange) {
  const Dec max = Dec::FromRaw(kMaxRaw);
  const Dec min = Dec::FromRaw(kMinRaw);
  EXPECT_EQ(Unwrap(max.Mul(Dec::One())), max);
  EXPECT_EQ(Unwrap(min.Mul(Dec::One())), min);
  EXPECT_EQ(Unwrap(max.Quo(Dec::One())), max);
  EXPECT_EQ(Unwrap(min.QuoTruncate(Dec::One())), min);
  EXPECT_EQ(Code(min.Mul(D("-1"))), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(Code(max.Mul(D("1.000000000000000001"))),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(Code(max.MulRoundUp(max)), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(Code(max.MulTruncate(max)), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(Code(max.Quo(Dec::FromRaw(1))), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(Code(max.QuoTruncate(D("0.5"))), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(Code(max.QuoRoundUp(D("-0.5"))), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(Code(min.QuoInt(-1)), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(Unwrap(max.QuoInt(-1)).raw(), -kMaxRaw);
  // max x (1 + 1 ulp) is above max even truncated.
  EXPECT_EQ(Code(max.MulTruncate(D("1.000000000000000001"))),
            absl::StatusCode::kOutOfRange);
}

TEST(DecRangeTest, DivisionByZeroIsInvalidArgument) {
  const Dec one = Dec::One();
  EXPECT_EQ(Code(one.Quo(Dec::Zero())), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Code(one.QuoTruncate(Dec::Zero())),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Code(one.QuoRoundUp(Dec::Zero())),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Code(one.QuoInt(0)), absl::StatusCode::kInvalidArgument);
}

// ---- strings ---------------------------------------------------------------

TEST(DecStringTest, ToStringIsCanonical) {
  EXPECT_EQ(Dec::Zero().ToString(), "0");
  EXPECT_EQ(Dec::One().ToString(), "1");
  EXPECT_EQ(Dec::FromRaw(Dec::kOne / 20).ToString(), "0.05");
  EXPECT_EQ(Dec::FromRaw(-5 * Dec::kOne / 2).ToString(), "-2.5");
  EXPECT_EQ(Dec::FromRaw(1).ToString(), "0.000000000000000001");
  EXPECT_EQ(Dec::FromRaw(-1).ToString(), "-0.000000000000000001");
  EXPECT_EQ(Dec::FromRaw(10 * Dec::kOne).ToString(), "10");
  EXPECT_EQ(Dec::FromRaw(kMaxRaw).ToString(), kMaxString);
  EXPECT_EQ(Dec::FromRaw(kMinRaw).ToString(), kMinString);
}

TEST(DecStringTest, ParseAcceptsDigitsAndUpTo18Decimals) {
  EXPECT_EQ(D("0.05").raw(), Dec::kOne / 20);
  EXPECT_EQ(D("-2.5").raw(), -5 * Dec::kOne / 2);
  EXPECT_EQ(D("0.123456789012345678").raw(), 123456789012345678);
  EXPECT_EQ(D(kMaxString).raw(), kMaxRaw);
  EXPECT_EQ(D(kMinString).raw(), kMinRaw);
  // Accepted but not canonical (as LegacyDec and cosmwasm Decimal accept).
  EXPECT_EQ(D("0.100000000000000000").ToString(), "0.1");
  EXPECT_EQ(D("1.500").ToString(), "1.5");
  EXPECT_EQ(D("007").ToString(), "7");
  EXPECT_EQ(D("-0").ToString(), "0");
}

TEST(DecStringTest, ParseRejectsMalformedInput) {
  for (const char* s :
       {"", "+1", "+1.5", "1e5", "1E5", ".5", "1.", " 1", "1 ", "-", "-.5",
        "--1", "1.2.3", "1..2", "1,5", "0x1", "1.-5", "1.+5", "- 1", "NaN",
        "inf", "0.1234567890123456789", "1.0000000000000000000"}) {
    EXPECT_EQ(Code(Dec::Parse(s)), absl::StatusCode::kInvalidArgument)
        << "\"" << s << "\"";
  }
}

TEST(DecStringTest, ParseWireFollowsTheReferenceDecimal) {
  // mesh-consumer-ibc.md §0.1: accepted forms.
  EXPECT_EQ(D("1").raw(), Unwrap(Dec::ParseWire("1")).raw());
  EXPECT_EQ(S(Dec::ParseWire("1.23")), "1.23");
  EXPECT_EQ(S(Dec::ParseWire("000012")), "12");
  EXPECT_EQ(S(Dec::ParseWire("1.123000000")), "1.123");
  EXPECT_EQ(S(Dec::ParseWire("+1.5")), "1.5");
  EXPECT_EQ(S(Dec::ParseWire("0.100000000000000000")), "0.1");
  // Rejected: empty parts, more than 18 digits, a sign, exponents.
  for (const char* s : {"", ".23", "1.", "-1", "-0", "+-1", "++1", "+",
                        "1e5", "0.1234567890123456789", " 1", "1.+5"}) {
    EXPECT_EQ(Code(Dec::ParseWire(s)), absl::StatusCode::kInvalidArgument)
        << "\"" << s << "\"";
  }
  EXPECT_EQ(Code(Dec::ParseWire("+170141183460469231732")),
            absl::StatusCode::kOutOfRange);
}

TEST(DecStringTest, ParseOverflowIsOutOfRange) {
  EXPECT_EQ(Code(Dec::Parse("170141183460469231731.687303715884105728")),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(Code(Dec::Parse("-170141183460469231731.687303715884105729")),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(Code(Dec::Parse("170141183460469231732")),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(Code(Dec::Parse("340282366920938463463374607431768211456")),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(Code(Dec::Parse(std::string(100, '9'))),
            absl::StatusCode::kOutOfRange);
}

}  // namespace
}  // namespace mesh
