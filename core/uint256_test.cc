#include "core/uint256.h"

#include <string>
#include <utility>

#include "absl/status/status.h"
#include "core/status.h"
#include "gtest/gtest.h"

namespace mesh {
namespace {

constexpr u128 kMax128 = ~u128{0};
const char kMaxString[] =
    "115792089237316195423570985008687907853269984665640564039457584007913129"
    "639935";

template <typename T>
T Unwrap(absl::StatusOr<T> v) {
  MESH_CHECK_OK(v.status());
  return *std::move(v);
}

U256 P(std::string_view s) { return Unwrap(U256::Parse(s)); }
U256 U(u128 v) { return U256::FromU128(v); }

TEST(U256Test, AddCarriesIntoTheHighHalf) {
  EXPECT_EQ(Unwrap(U(kMax128).Add(U(1))), U256(1, 0));
  EXPECT_EQ(Unwrap(U256(1, kMax128).Add(U(1))), U256(2, 0));
  EXPECT_EQ(Unwrap(U256(3, 4).Add(U256(5, 6))), U256(8, 10));
}

TEST(U256Test, AddOverflowIsOutOfRange) {
  EXPECT_EQ(U256::Max().Add(U(1)).status().code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(U256(kMax128, 0).Add(U256(1, 0)).status().code(),
            absl::StatusCode::kOutOfRange);
  // Carry from the low half into a full high half.
  EXPECT_EQ(U256(kMax128, kMax128).Add(U(1)).status().code(),
            absl::StatusCode::kOutOfRange);
}

TEST(U256Test, SubBorrowsAndUnderflowIsOutOfRange) {
  EXPECT_EQ(Unwrap(U256(1, 0).Sub(U(1))), U(kMax128));
  EXPECT_EQ(Unwrap(U256(5, 5).Sub(U256(5, 5))), U256());
  EXPECT_EQ(U(0).Sub(U(1)).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(U256(1, 0).Sub(U256(1, 1)).status().code(),
            absl::StatusCode::kOutOfRange);
}

TEST(U256Test, MulU128IsTheFullProduct) {
  // (2^128 - 1)^2 = 2^256 - 2^129 + 1: hi = 2^128 - 2, lo = 1.
  EXPECT_EQ(U256::MulU128(kMax128, kMax128), U256(kMax128 - 1, 1));
  EXPECT_EQ(U256::MulU128(u128{1} << 64, u128{1} << 64), U256(1, 0));
  EXPECT_EQ(U256::MulU128(0, kMax128), U256());
  EXPECT_EQ(U256::MulU128(6, 7), U(42));
}

TEST(U256Test, MulIsChecked) {
  EXPECT_EQ(Unwrap(U(kMax128).Mul(U(kMax128))), U256(kMax128 - 1, 1));
  EXPECT_EQ(Unwrap(U256(1, 0).Mul(U(kMax128))), U256(kMax128, 0));
  EXPECT_EQ(Unwrap(U256(2, 3).Mul(U(5))), U256(10, 15));
  EXPECT_EQ(Unwrap(U(5).Mul(U256(2, 3))), U256(10, 15));
  EXPECT_EQ(U256(1, 0).Mul(U256(1, 0)).status().code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(U256::Max().Mul(U(2)).status().code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(Unwrap(U256::Max().Mul(U(1))), U256::Max());
  // (2^255 - 1) * 2 = 2^256 - 2 fits; * 3 does not.
  EXPECT_EQ(Unwrap(U256(kMax128 >> 1, kMax128).Mul(U(2))),
            U256(kMax128, kMax128 - 1));
  // (2^129 - 1) * (2^128 - 1): the cross term fits in 128 bits, but adding
  // the carry of the low product to it overflows.
  EXPECT_EQ(U256(1, kMax128).Mul(U(kMax128)).status().code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(U256(kMax128 >> 1, kMax128).Mul(U(3)).status().code(),
            absl::StatusCode::kOutOfRange);
}

TEST(U256Test, DivAndRem) {
  // 2^255 + 12345 divided by 10^30 + 7 (values from Python).
  const U256 a = Unwrap(U256(u128{1} << 127, 0).Add(U(12345)));
  const U256 d = P("1000000000000000000000000000007");
  EXPECT_EQ(Unwrap(a.Div(d)).ToString(),
            "57896044618658097711785492503938681614304385648");
  EXPECT_EQ(Unwrap(a.Rem(d)).ToString(), "837783572201221232656434132777");
  // A divisor wider than 128 bits: 2^150 + 3.
  const U256 wide = Unwrap(U256(u128{1} << 22, 0).Add(U(3)));
  EXPECT_EQ(Unwrap(a.Div(wide)).ToString(),
            "40564819207303340847894502572031");
  EXPECT_EQ(Unwrap(a.Rem(wide)).ToString(),
            "1427247692705838186600664059426951452875042876");
  EXPECT_EQ(Unwrap(U(7).Div(U(9))), U(0));
  EXPECT_EQ(Unwrap(U(7).Rem(U(9))), U(7));
  EXPECT_EQ(Unwrap(U256::Max().Div(U256::Max())), U(1));
  EXPECT_EQ(Unwrap(U256::Max().Div(U(1))), U256::Max());
}

TEST(U256Test, DivModU128) {
  U256 q;
  u128 r = 0;
  // (2^128-1)^2 / (2^64 + 7).
  ASSERT_TRUE(U256::DivModU128(U256(kMax128 - 1, 1), (u128{1} << 64) + 7, &q,
                               &r)
                  .ok());
  EXPECT_EQ(q.ToString(),
            "6277101735386680761453812854761097172725730163906005958327");
  EXPECT_EQ(r, u128{2304});
}

TEST(U256Test, DivisionByZeroIsInvalidArgument) {
  U256 q;
  u128 r = 0;
  EXPECT_EQ(U(1).Div(U(0)).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(U(1).Rem(U(0)).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(U256::DivModU128(U(1), 0, &q, &r).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(U256Test, ToStringAndParseRoundTrip) {
  EXPECT_EQ(U256().ToString(), "0");
  EXPECT_EQ(U(42).ToString(), "42");
  EXPECT_EQ(U256(1, 0).ToString(), "340282366920938463463374607431768211456");
  EXPECT_EQ(U256::Max().ToString(), kMaxString);
  // A chunk boundary with inner zeros: 10^19 and 10^38.
  EXPECT_EQ(U(10000000000000000000ULL).ToString(), "10000000000000000000");
  EXPECT_EQ(P("100000000000000000000000000000000000000").ToString(),
            "100000000000000000000000000000000000000");
  EXPECT_EQ(P(kMaxString), U256::Max());
  EXPECT_EQ(P("340282366920938463463374607431768211456"), U256(1, 0));
  EXPECT_EQ(P("0"), U256());
}

TEST(U256Test, ParseRejections) {
  for (const char* s : {"", "+1", "-1", "01", " 1", "1 ", "1e5", "1.0", "x"}) {
    EXPECT_EQ(U256::Parse(s).status().code(),
              absl::StatusCode::kInvalidArgument)
        << "\"" << s << "\"";
  }
  // 2^256 and a 79-digit number.
  EXPECT_EQ(U256::Parse("1157920892373161954235709850086879078532699846656405"
                        "64039457584007913129639936")
                .status()
                .code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(U256::Parse(std::string(79, '9')).status().code(),
            absl::StatusCode::kOutOfRange);
}

TEST(U256Test, Ordering) {
  EXPECT_LT(U256(0, kMax128), U256(1, 0));
  EXPECT_LT(U256(1, 0), U256(1, 1));
  EXPECT_TRUE(U256(1, 0) > U(5));
  EXPECT_TRUE(U(kMax128).FitsU128());
  EXPECT_FALSE(U256(1, 0).FitsU128());
}

}  // namespace
}  // namespace mesh
