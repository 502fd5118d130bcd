#include "core/amount.h"

#include <algorithm>
#include <string>

#include "absl/status/status.h"
#include "core/uint256.h"

namespace mesh {
namespace {

absl::Status Overflow(const char* op) {
  return absl::OutOfRangeError(std::string("Amount: overflow in ") + op);
}

// Applies `r` to a floor quotient `q` with remainder `rem` of a division by
// `d` (rem < d). OutOfRange if rounding up leaves 256 bits (never in
// practice: callers check the 128-bit range afterwards).
absl::StatusOr<U256> RoundQuotient(const U256& q, u128 rem, u128 d,
                                   Rounding r) {
  bool up = false;
  switch (r) {
    case Rounding::kDown:
      break;
    case Rounding::kUp:
      up = rem != 0;
      break;
    case Rounding::kHalfEven: {
      const u128 other = d - rem;  // distance to the next multiple
      up = rem > other || (rem == other && (q.lo() & 1) == 1);
      break;
    }
  }
  if (!up) return q;
  return q.Add(U256::FromU128(1));
}

}  // namespace

absl::StatusOr<Amount> Amount::Add(Amount o) const {
  u128 out = 0;
  if (__builtin_add_overflow(v_, o.v_, &out)) return Overflow("Add");
  return Amount(out);
}

absl::StatusOr<Amount> Amount::Sub(Amount o) const {
  if (o.v_ > v_) {
    return absl::OutOfRangeError("Amount: underflow in Sub (" + ToString() +
                                 " - " + o.ToString() + ")");
  }
  return Amount(v_ - o.v_);
}

absl::StatusOr<Amount> Amount::Mul(Amount o) const {
  const U256 p = U256::MulU128(v_, o.v_);
  if (!p.FitsU128()) return Overflow("Mul");
  return Amount(p.lo());
}

absl::StatusOr<Amount> Amount::DivFloor(Amount o) const {
  if (o.v_ == 0) return absl::InvalidArgumentError("Amount: division by zero");
  return Amount(v_ / o.v_);
}

absl::StatusOr<Amount> Amount::DivCeil(Amount o) const {
  if (o.v_ == 0) return absl::InvalidArgumentError("Amount: division by zero");
  // Cannot overflow: the quotient is at most v_ and is < v_ when o > 1.
  return Amount(v_ / o.v_ + (v_ % o.v_ != 0 ? 1 : 0));
}

std::string Amount::ToString() const { return U128ToDecimalString(v_); }

absl::StatusOr<Amount> Amount::Parse(std::string_view s) {
  if (s.empty() || !std::all_of(s.begin(), s.end(), [](char c) {
        return c >= '0' && c <= '9';
      })) {
    return absl::InvalidArgumentError("Amount: not a base-10 integer: \"" +
                                      std::string(s) + "\"");
  }
  if (s.size() > 1 && s[0] == '0') {
    return absl::InvalidArgumentError("Amount: leading zero in \"" +
                                      std::string(s) + "\"");
  }
  u128 v = 0;
  for (char c : s) {
    if (__builtin_mul_overflow(v, u128{10}, &v) ||
        __builtin_add_overflow(v, static_cast<u128>(c - '0'), &v)) {
      return absl::OutOfRangeError("Amount: exceeds 2^128-1: \"" +
                                   std::string(s) + "\"");
    }
  }
  return Amount(v);
}

absl::StatusOr<Amount> Amount::ParseWire(std::string_view s) {
  std::string_view digits = s;
  if (!digits.empty() && digits[0] == '+') digits.remove_prefix(1);
  // Leading zeros are accepted here; strip them (keeping one digit) to reach
  // the canonical form. Parse rejects everything else, including "" and "+".
  while (digits.size() > 1 && digits[0] == '0') digits.remove_prefix(1);
  absl::StatusOr<Amount> v = Parse(digits);
  if (!v.ok() && v.status().code() == absl::StatusCode::kInvalidArgument) {
    return absl::InvalidArgumentError("Amount: not a Uint128 string: \"" +
                                      std::string(s) + "\"");
  }
  return v;
}

absl::StatusOr<u128> MulDivU128(u128 a, u128 b, u128 c, Rounding r) {
  if (c == 0) return absl::InvalidArgumentError("MulDiv: division by zero");
  U256 q;
  u128 rem = 0;
  const absl::Status st = U256::DivModU128(U256::MulU128(a, b), c, &q, &rem);
  if (!st.ok()) return st;
  absl::StatusOr<U256> rounded = RoundQuotient(q, rem, c, r);
  if (!rounded.ok() || !rounded->FitsU128()) {
    return absl::OutOfRangeError("MulDiv: result exceeds 2^128-1");
  }
  return rounded->lo();
}

absl::StatusOr<Amount> MulDiv(Amount a, Amount b, Amount c, Rounding r) {
  absl::StatusOr<u128> v = MulDivU128(a.raw(), b.raw(), c.raw(), r);
  if (!v.ok()) return v.status();
  return Amount(*v);
}

namespace {

// "00".."99": two digits per 64-bit division.
constexpr char kDigitPairs[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

// Writes the two digits of `r` (< 100) before `p` and returns where they start.
char* PutPair(char* p, uint64_t r) {
  p -= 2;
  p[0] = kDigitPairs[2 * r];
  p[1] = kDigitPairs[2 * r + 1];
  return p;
}

// Writes `x` (< 10^19) as exactly 19 digits, zero-padded, ending at `end`.
char* Put19Digits(char* end, uint64_t x) {
  char* p = end;
  for (int i = 0; i < 9; ++i) {
    const uint64_t q = x / 100;
    p = PutPair(p, x - q * 100);
    x = q;
  }
  *--p = static_cast<char>('0' + x);
  return p;
}

// Writes `x`'s digits (no leading zero; "0" for 0) ending at `end`.
char* PutDigits(char* end, uint64_t x) {
  char* p = end;
  while (x >= 100) {
    const uint64_t q = x / 100;
    p = PutPair(p, x - q * 100);
    x = q;
  }
  if (x >= 10) return PutPair(p, x);
  *--p = static_cast<char>('0' + x);
  return p;
}

}  // namespace

// In chunks of 19 digits: at most two 128-bit divisions (a library call
// each, the remainder taken by multiplication), then 64-bit ones, two digits
// at a time, which the compiler turns into multiplications.
std::string_view U128ToDecimalChars(u128 v, std::span<char, kU128DecimalChars> buf) {
  constexpr uint64_t kChunk = 10000000000000000000ULL;  // 10^19
  char* const end = buf.data() + buf.size();
  char* p = end;
  while (v > ~uint64_t{0}) {
    const u128 q = v / kChunk;
    p = Put19Digits(p, static_cast<uint64_t>(v - q * kChunk));
    v = q;
  }
  p = PutDigits(p, static_cast<uint64_t>(v));
  return std::string_view(p, static_cast<size_t>(end - p));
}

std::string U128ToDecimalString(u128 v) {
  char buf[kU128DecimalChars];
  return std::string(U128ToDecimalChars(v, buf));
}

absl::StatusOr<std::vector<Amount>> SplitByWeight(const std::vector<Amount>& weights,
                                                  const std::vector<Amount>& caps,
                                                  Amount total) {
  if (weights.size() != caps.size()) {
    return absl::InvalidArgumentError("SplitByWeight: weights and caps differ in length");
  }
  Amount weight_sum;
  for (const Amount& w : weights) {
    absl::StatusOr<Amount> next = weight_sum.Add(w);
    if (!next.ok()) return next.status();
    weight_sum = *next;
  }
  std::vector<Amount> parts(weights.size());
  Amount left = total;
  for (size_t i = 0; i < weights.size() && !weight_sum.IsZero(); ++i) {
    absl::StatusOr<Amount> share = MulDiv(total, weights[i], weight_sum, Rounding::kDown);
    if (!share.ok()) return share.status();
    parts[i] = Min(*share, caps[i]);
    left = left.SaturatingSub(parts[i]);
  }
  for (size_t i = 0; i < parts.size() && !left.IsZero(); ++i) {
    const Amount extra = Min(left, caps[i].SaturatingSub(parts[i]));
    parts[i] = Amount(parts[i].raw() + extra.raw());  // <= caps[i]: cannot overflow
    left = left.SaturatingSub(extra);
  }
  return parts;
}

absl::StatusOr<std::vector<Amount>> SplitOneFirst(const std::vector<Amount>& caps,
                                                  std::optional<size_t> first, Amount total) {
  if (first.has_value() && *first >= caps.size()) {
    return absl::InvalidArgumentError("SplitOneFirst: first entry out of range");
  }
  std::vector<Amount> others = caps;
  Amount own;
  if (first.has_value()) {
    own = Min(total, caps[*first]);
    others[*first] = Amount();
  }
  absl::StatusOr<std::vector<Amount>> parts =
      SplitByWeight(others, others, total.SaturatingSub(own));
  if (!parts.ok()) return parts.status();
  if (first.has_value()) (*parts)[*first] = own;
  return parts;
}

}  // namespace mesh
