// Dec: a signed fixed-point decimal with exactly 18 fractional digits.
//
// Representation: raw = value * 10^18 in a signed 128-bit integer, so
// |value| < 1.7e20. Any result outside that range is absl::OutOfRangeError
// (never a wrap). Division by zero is absl::InvalidArgumentError.
//
// Semantics follow the Cosmos SDK's LegacyDec (shared/reference/neighbours.md
// §1.2) and the mesh reference's `Decimal` helpers (mesh-provider.md §0.4).
// Every multiply/divide names how it rounds; see docs/rounding.md.
//
// Canonical string form (ToString): optional '-', integer digits, and when the
// fraction is non-zero a '.' followed by the fraction with trailing zeros
// dropped ("1", "0.05", "-2.5"). Parse accepts an optional '-', digits, and an
// optional '.' with 1..18 digits; more than 18 fractional digits, exponents,
// '+', spaces or empty parts are InvalidArgument.
//
// Value type; thread-compatible; deterministic.
#ifndef MESHSEC_CORE_DEC_H_
#define MESHSEC_CORE_DEC_H_

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "core/amount.h"

namespace mesh {

class Dec {
 public:
  static constexpr i128 kOne = static_cast<i128>(1000000000000000000LL);  // 10^18

  constexpr Dec() = default;
  static constexpr Dec FromRaw(i128 raw) { return Dec(raw); }
  static constexpr Dec Zero() { return Dec(0); }
  static constexpr Dec One() { return Dec(kOne); }
  // Exact conversions; OutOfRange if the integer does not fit.
  static absl::StatusOr<Dec> FromInt(i128 v);
  static absl::StatusOr<Dec> FromAmount(Amount a);
  // floor(n * 10^18 / d) for non-negative n, d (reference `from_ratio`).
  // InvalidArgument if d == 0.
  static absl::StatusOr<Dec> FromRatio(Amount n, Amount d);
  // Percent / permille helpers for tests and params: FromRatio(n, 100) etc.
  static absl::StatusOr<Dec> Percent(uint64_t p);

  constexpr i128 raw() const { return raw_; }
  constexpr bool IsZero() const { return raw_ == 0; }
  constexpr bool IsNegative() const { return raw_ < 0; }
  constexpr bool IsPositive() const { return raw_ > 0; }

  // Exact.
  absl::StatusOr<Dec> Add(Dec o) const;
  absl::StatusOr<Dec> Sub(Dec o) const;
  absl::StatusOr<Dec> MulInt(i128 i) const;
  absl::StatusOr<Dec> Neg() const;

  // this * o, dropping 18 digits by: half-even on the magnitude (LegacyDec
  // `Mul`), toward zero (`MulTruncate`), or toward +infinity (`MulRoundUp`;
  // the SDK's chopPrecisionAndRoundUp truncates negative values, which is
  // also the ceiling).
  absl::StatusOr<Dec> Mul(Dec o) const;
  absl::StatusOr<Dec> MulTruncate(Dec o) const;
  absl::StatusOr<Dec> MulRoundUp(Dec o) const;

  // LegacyDec `Quo`: trunc(a * 10^36 / b), then drop 18 digits half-even
  // (a double rounding, reproduced exactly).
  absl::StatusOr<Dec> Quo(Dec o) const;
  // trunc(a * 10^18 / b).
  absl::StatusOr<Dec> QuoTruncate(Dec o) const;
  // a * 10^18 / b rounded toward +infinity: +1 ulp on a non-zero remainder
  // when the quotient is positive, truncation when it is negative.
  absl::StatusOr<Dec> QuoRoundUp(Dec o) const;
  // trunc(raw / i) (LegacyDec `QuoInt`).
  absl::StatusOr<Dec> QuoInt(i128 i) const;

  // Integer part toward zero / half-even (LegacyDec TruncateInt / RoundInt).
  i128 TruncateInt() const;
  i128 RoundInt() const;
  // Ceiling to an integer.
  i128 CeilInt() const;
  // Non-negative integer part as an Amount; InvalidArgument if negative.
  absl::StatusOr<Amount> TruncateAmount() const;
  absl::StatusOr<Amount> CeilAmount() const;

  // Reference `Decimal::inv`: floor(10^36 / raw). InvalidArgument if zero or
  // negative.
  absl::StatusOr<Dec> Inv() const;

  std::string ToString() const;
  static absl::StatusOr<Dec> Parse(std::string_view s);
  // Parses the reference's JSON `Decimal` string (mesh-consumer-ibc.md §0.1),
  // which is unsigned: an optional leading '+', digits, and an optional '.'
  // with 1..18 digits ("+1.5", "000012", "1.123000000"). '-' is
  // InvalidArgument, so the result is never negative.
  static absl::StatusOr<Dec> ParseWire(std::string_view s);

  friend constexpr bool operator==(Dec a, Dec b) = default;
  friend constexpr std::strong_ordering operator<=>(Dec a, Dec b) {
    return a.raw_ <=> b.raw_;
  }

 private:
  constexpr explicit Dec(i128 raw) : raw_(raw) {}
  i128 raw_ = 0;
};

// Amount x Dec through one 256-bit MulDiv. `d` must be non-negative
// (InvalidArgument otherwise); OutOfRange if the result exceeds 2^128-1.
//   MulFloor: floor(a * d)   -- reference `mul_floor`; "what we pay out".
//   MulCeil:  ceil(a * d)    -- reference `mul_ceil`;  "what the user owes".
absl::StatusOr<Amount> MulFloor(Amount a, Dec d);
absl::StatusOr<Amount> MulCeil(Amount a, Dec d);
// a / d with the named rounding (used to invert a price). InvalidArgument if
// d <= 0.
absl::StatusOr<Amount> DivByDec(Amount a, Dec d, Rounding r);

}  // namespace mesh

#endif  // MESHSEC_CORE_DEC_H_
