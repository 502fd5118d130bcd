#include "core/dec.h"

#include <algorithm>
#include <string>

#include "absl/status/status.h"
#include "core/uint256.h"

namespace mesh {
namespace {

constexpr u128 kOneU = static_cast<u128>(Dec::kOne);
constexpr u128 kOneSquared = kOneU * kOneU;  // 10^36 < 2^120
constexpr u128 kMaxPositive = ~u128{0} >> 1;  // 2^127 - 1
constexpr u128 kMaxNegative = kMaxPositive + 1;  // |i128 min| = 2^127

// |v| without overflow (|i128 min| = 2^127 fits in u128).
constexpr u128 Magnitude(i128 v) {
  return v < 0 ? u128{0} - static_cast<u128>(v) : static_cast<u128>(v);
}

absl::Status Overflow(const char* op) {
  return absl::OutOfRangeError(std::string("Dec: result out of range in ") +
                               op);
}

absl::Status DivByZero(const char* op) {
  return absl::InvalidArgumentError(std::string("Dec: division by zero in ") +
                                    op);
}

// Builds the Dec with magnitude `m` and sign `negative`, or OutOfRange.
absl::StatusOr<Dec> FromMagnitude(const U256& m, bool negative,
                                  const char* op) {
  if (!m.FitsU128()) return Overflow(op);
  const u128 v = m.lo();
  if (v > (negative ? kMaxNegative : kMaxPositive)) return Overflow(op);
  // Conversion of an out-of-range unsigned value to i128 is modular (C++20),
  // which is exactly two's-complement negation here.
  return Dec::FromRaw(negative ? static_cast<i128>(u128{0} - v)
                               : static_cast<i128>(v));
}

// Magnitude rounding of n / d: kDown truncates, kUp adds one on a non-zero
// remainder, kHalfEven rounds to nearest with ties to even.
U256 DivMagnitude(const U256& n, u128 d, Rounding r) {
  U256 q;
  u128 rem = 0;
  // d != 0 at every call site, so this cannot fail.
  U256::DivModU128(n, d, &q, &rem).IgnoreError();
  bool up = false;
  if (r == Rounding::kUp) {
    up = rem != 0;
  } else if (r == Rounding::kHalfEven) {
    const u128 other = d - rem;
    up = rem > other || (rem == other && (q.lo() & 1) == 1);
  }
  if (!up) return q;
  // q < 2^256 - 1 because n < 2^256 and d >= 2 whenever rem != 0.
  return *q.Add(U256::FromU128(1));
}

// Rounding of a magnitude that yields ceiling (toward +infinity) for a value
// of the given sign.
bool IsDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return c >= '0' && c <= '9';
  });
}

absl::Status ParseError(std::string_view s, const char* why) {
  return absl::InvalidArgumentError("Dec: cannot parse \"" + std::string(s) +
                                    "\": " + why);
}

// Accumulates base-10 `digits` into `out`; false on overflow of 2^128-1.
bool AccumulateDigits(std::string_view digits, u128* out) {
  for (char c : digits) {
    if (__builtin_mul_overflow(*out, u128{10}, out) ||
        __builtin_add_overflow(*out, static_cast<u128>(c - '0'), out)) {
      return false;
    }
  }
  return true;
}

constexpr Rounding CeilingFor(bool negative) {
  return negative ? Rounding::kDown : Rounding::kUp;
}

// raw_a * raw_b / 10^18 with the given magnitude rounding.
absl::StatusOr<Dec> MulImpl(i128 a, i128 b, Rounding r, bool ceiling,
                            const char* op) {
  const bool negative = (a < 0) != (b < 0);
  const U256 p = U256::MulU128(Magnitude(a), Magnitude(b));
  return FromMagnitude(DivMagnitude(p, kOneU, ceiling ? CeilingFor(negative) : r),
                       negative, op);
}

// raw_a * 10^18 / raw_b with the given magnitude rounding.
absl::StatusOr<Dec> QuoImpl(i128 a, i128 b, Rounding r, bool ceiling,
                            const char* op) {
  if (b == 0) return DivByZero(op);
  const bool negative = (a < 0) != (b < 0);
  const U256 n = U256::MulU128(Magnitude(a), kOneU);
  return FromMagnitude(
      DivMagnitude(n, Magnitude(b), ceiling ? CeilingFor(negative) : r),
      negative, op);
}

}  // namespace

absl::StatusOr<Dec> Dec::FromInt(i128 v) { return Dec(kOne).MulInt(v); }

absl::StatusOr<Dec> Dec::FromAmount(Amount a) {
  return FromMagnitude(U256::MulU128(a.raw(), kOneU), false, "FromAmount");
}

absl::StatusOr<Dec> Dec::FromRatio(Amount n, Amount d) {
  if (d.IsZero()) return DivByZero("FromRatio");
  return FromMagnitude(
      DivMagnitude(U256::MulU128(n.raw(), kOneU), d.raw(), Rounding::kDown),
      false, "FromRatio");
}

absl::StatusOr<Dec> Dec::Percent(uint64_t p) {
  return FromRatio(Amount(p), Amount(100));
}

absl::StatusOr<Dec> Dec::Add(Dec o) const {
  i128 out = 0;
  if (__builtin_add_overflow(raw_, o.raw_, &out)) return Overflow("Add");
  return Dec(out);
}

absl::StatusOr<Dec> Dec::Sub(Dec o) const {
  i128 out = 0;
  if (__builtin_sub_overflow(raw_, o.raw_, &out)) return Overflow("Sub");
  return Dec(out);
}

absl::StatusOr<Dec> Dec::MulInt(i128 i) const {
  const bool negative = (raw_ < 0) != (i < 0);
  return FromMagnitude(U256::MulU128(Magnitude(raw_), Magnitude(i)), negative,
                       "MulInt");
}

absl::StatusOr<Dec> Dec::Neg() const {
  return FromMagnitude(U256::FromU128(Magnitude(raw_)), raw_ > 0, "Neg");
}

absl::StatusOr<Dec> Dec::Mul(Dec o) const {
  return MulImpl(raw_, o.raw_, Rounding::kHalfEven, false, "Mul");
}

absl::StatusOr<Dec> Dec::MulTruncate(Dec o) const {
  return MulImpl(raw_, o.raw_, Rounding::kDown, false, "MulTruncate");
}

absl::StatusOr<Dec> Dec::MulRoundUp(Dec o) const {
  return MulImpl(raw_, o.raw_, Rounding::kUp, true, "MulRoundUp");
}

absl::StatusOr<Dec> Dec::Quo(Dec o) const {
  if (o.raw_ == 0) return DivByZero("Quo");
  // LegacyDec: truncate at 36 fractional digits, then round half-even at 18.
  const bool negative = (raw_ < 0) != (o.raw_ < 0);
  const U256 n = U256::MulU128(Magnitude(raw_), kOneSquared);
  const U256 q36 = DivMagnitude(n, Magnitude(o.raw_), Rounding::kDown);
  return FromMagnitude(DivMagnitude(q36, kOneU, Rounding::kHalfEven), negative,
                       "Quo");
}

absl::StatusOr<Dec> Dec::QuoTruncate(Dec o) const {
  return QuoImpl(raw_, o.raw_, Rounding::kDown, false, "QuoTruncate");
}

absl::StatusOr<Dec> Dec::QuoRoundUp(Dec o) const {
  return QuoImpl(raw_, o.raw_, Rounding::kUp, true, "QuoRoundUp");
}

absl::StatusOr<Dec> Dec::QuoInt(i128 i) const {
  if (i == 0) return DivByZero("QuoInt");
  if (i == -1) return Neg();  // i128 min / -1 overflows
  return Dec(raw_ / i);
}

i128 Dec::TruncateInt() const { return raw_ / kOne; }

i128 Dec::RoundInt() const {
  const i128 q = raw_ / kOne;
  const u128 rem = Magnitude(raw_ % kOne);
  const u128 half = kOneU / 2;
  const bool up = rem > half || (rem == half && (q & 1) != 0);
  if (!up) return q;
  return raw_ < 0 ? q - 1 : q + 1;
}

i128 Dec::CeilInt() const {
  const i128 q = raw_ / kOne;
  return (raw_ % kOne > 0) ? q + 1 : q;
}

absl::StatusOr<Amount> Dec::TruncateAmount() const {
  if (raw_ < 0) {
    return absl::InvalidArgumentError("Dec: negative value " + ToString() +
                                      " has no Amount");
  }
  return Amount(static_cast<u128>(TruncateInt()));
}

absl::StatusOr<Amount> Dec::CeilAmount() const {
  if (raw_ < 0) {
    return absl::InvalidArgumentError("Dec: negative value " + ToString() +
                                      " has no Amount");
  }
  return Amount(static_cast<u128>(CeilInt()));
}

absl::StatusOr<Dec> Dec::Inv() const {
  if (raw_ <= 0) {
    return absl::InvalidArgumentError("Dec: Inv of non-positive value " +
                                      ToString());
  }
  return Dec(static_cast<i128>(kOneSquared / static_cast<u128>(raw_)));
}

std::string Dec::ToString() const {
  const u128 m = Magnitude(raw_);
  std::string out = raw_ < 0 ? "-" : "";
  out += U128ToDecimalString(m / kOneU);
  u128 frac = m % kOneU;
  if (frac == 0) return out;
  std::string digits = U128ToDecimalString(frac);
  digits.insert(0, 18 - digits.size(), '0');
  digits.erase(digits.find_last_not_of('0') + 1);
  return out + "." + digits;
}

absl::StatusOr<Dec> Dec::ParseWire(std::string_view s) {
  std::string_view body = s;
  if (!body.empty() && body[0] == '+') body.remove_prefix(1);
  if (!body.empty() && body[0] == '-') {
    return ParseError(s, "Decimal is unsigned");
  }
  absl::StatusOr<Dec> d = Parse(body);
  if (!d.ok() && d.status().code() == absl::StatusCode::kInvalidArgument) {
    return ParseError(s, "not a Decimal");
  }
  return d;
}

absl::StatusOr<Dec> Dec::Parse(std::string_view s) {
  std::string_view body = s;
  const bool negative = !body.empty() && body[0] == '-';
  if (negative) body.remove_prefix(1);
  const size_t dot = body.find('.');
  const std::string_view whole_digits = body.substr(0, dot);
  const std::string_view frac_digits =
      dot == std::string_view::npos ? std::string_view() : body.substr(dot + 1);
  if (!IsDigits(whole_digits)) return ParseError(s, "expected digits");
  if (dot != std::string_view::npos && !IsDigits(frac_digits)) {
    return ParseError(s, "expected digits after '.'");
  }
  if (frac_digits.size() > 18) {
    return ParseError(s, "more than 18 fractional digits");
  }
  u128 whole = 0;
  u128 frac = 0;
  if (!AccumulateDigits(whole_digits, &whole)) return Overflow("Parse");
  AccumulateDigits(frac_digits, &frac);  // at most 18 digits: cannot overflow
  for (size_t i = frac_digits.size(); i < 18; ++i) frac *= 10;
  absl::StatusOr<U256> m = U256::MulU128(whole, kOneU).Add(U256::FromU128(frac));
  if (!m.ok()) return Overflow("Parse");
  return FromMagnitude(*m, negative, "Parse");
}

namespace {

absl::StatusOr<Amount> MulByDec(Amount a, Dec d, Rounding r, const char* op) {
  if (d.IsNegative()) {
    return absl::InvalidArgumentError(std::string(op) + ": negative factor " +
                                      d.ToString());
  }
  return MulDiv(a, Amount(static_cast<u128>(d.raw())), Amount(kOneU), r);
}

}  // namespace

absl::StatusOr<Amount> MulFloor(Amount a, Dec d) {
  return MulByDec(a, d, Rounding::kDown, "MulFloor");
}

absl::StatusOr<Amount> MulCeil(Amount a, Dec d) {
  return MulByDec(a, d, Rounding::kUp, "MulCeil");
}

absl::StatusOr<Amount> DivByDec(Amount a, Dec d, Rounding r) {
  if (!d.IsPositive()) {
    return absl::InvalidArgumentError("DivByDec: non-positive divisor " +
                                      d.ToString());
  }
  return MulDiv(a, Amount(kOneU), Amount(static_cast<u128>(d.raw())), r);
}

}  // namespace mesh
