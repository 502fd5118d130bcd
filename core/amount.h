// Amount: an unsigned 128-bit token quantity with checked arithmetic.
//
// Every operation that could overflow or underflow returns an error
// (absl::OutOfRangeError) instead of wrapping. Division by zero is
// absl::InvalidArgumentError. Value type; thread-compatible; deterministic.
//
// Canonical string form: base-10 digits, no sign, no leading zeros (except
// "0"), no separators. Parse accepts exactly that form.
#ifndef MESHSEC_CORE_AMOUNT_H_
#define MESHSEC_CORE_AMOUNT_H_

#include <compare>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace mesh {

using u128 = unsigned __int128;
using i128 = __int128;

class Amount {
 public:
  constexpr Amount() = default;
  constexpr explicit Amount(u128 v) : v_(v) {}
  static constexpr Amount Zero() { return Amount(); }
  static constexpr Amount Max() { return Amount(~u128{0}); }

  constexpr u128 raw() const { return v_; }
  constexpr bool IsZero() const { return v_ == 0; }

  // Checked arithmetic: OutOfRange on overflow/underflow.
  absl::StatusOr<Amount> Add(Amount o) const;
  absl::StatusOr<Amount> Sub(Amount o) const;
  absl::StatusOr<Amount> Mul(Amount o) const;
  // Integer division rounding toward zero (= floor); InvalidArgument on 0.
  absl::StatusOr<Amount> DivFloor(Amount o) const;
  // Integer division rounding up; InvalidArgument on 0.
  absl::StatusOr<Amount> DivCeil(Amount o) const;
  // Saturating subtraction: max(this - o, 0). Named so callers show intent.
  constexpr Amount SaturatingSub(Amount o) const {
    return Amount(v_ > o.v_ ? v_ - o.v_ : 0);
  }

  std::string ToString() const;
  // Parses the canonical form. InvalidArgument on anything else, OutOfRange
  // when the value exceeds 2^128-1.
  static absl::StatusOr<Amount> Parse(std::string_view s);
  // Parses the reference's JSON Uint128 string (mesh-consumer-ibc.md §0.1:
  // Rust's unsigned parser): an optional leading '+', then one or more
  // digits, leading zeros allowed ("+5", "007"). Same errors as Parse.
  static absl::StatusOr<Amount> ParseWire(std::string_view s);

  friend constexpr bool operator==(Amount a, Amount b) = default;
  friend constexpr std::strong_ordering operator<=>(Amount a, Amount b) {
    return a.v_ <=> b.v_;
  }

 private:
  u128 v_ = 0;
};

constexpr Amount Min(Amount a, Amount b) { return a < b ? a : b; }
constexpr Amount Max(Amount a, Amount b) { return a < b ? b : a; }

// Names the rounding of a division whose exact result is not an integer.
enum class Rounding {
  kDown,  // toward zero (= floor for non-negative values). "What we pay out."
  kUp,    // toward +infinity (ceiling). "What the user owes."
  kHalfEven,  // to nearest, ties to the even neighbour (banker's).
};

// floor/ceil/half-even of (a * b / c) computed with a 256-bit intermediate.
// InvalidArgument if c == 0; OutOfRange if the result exceeds 2^128-1.
absl::StatusOr<Amount> MulDiv(Amount a, Amount b, Amount c, Rounding r);
absl::StatusOr<u128> MulDivU128(u128 a, u128 b, u128 c, Rounding r);

// Apportions `total` over entries in proportion to `weights`: each entry
// gets floor(total * weight / Σ weights), capped at caps[i]; the units left
// by the floors and the caps then go, one entry at a time in entry order, to
// the entries that still have room. The parts sum to exactly
// min(total, Σ caps) (with Σ weights = 0 only the second pass hands out).
// Used wherever both ends of a link must cut the same total (slashes,
// burns): the largest-part rounding is named here once.
absl::StatusOr<std::vector<Amount>> SplitByWeight(const std::vector<Amount>& weights,
                                                  const std::vector<Amount>& caps,
                                                  Amount total);

// Takes `total` from entry `first` up to caps[first], and what it cannot
// cover from the other entries by SplitByWeight over their caps (as
// weights and caps). With no `first`, all of it from the others. The parts
// sum to min(total, Σ caps). Used where one holder's share of a total was
// attributed to the wrong holder on the other end of a link: the total must
// still move exactly.
absl::StatusOr<std::vector<Amount>> SplitOneFirst(const std::vector<Amount>& caps,
                                                  std::optional<size_t> first, Amount total);

// Base-10 digits of `v` (no sign, no leading zeros; "0" for zero).
std::string U128ToDecimalString(u128 v);
// The same digits written at the end of `buf` (2^128 − 1 has 39), as a
// view into it: for a caller that copies them on, with no string between.
inline constexpr size_t kU128DecimalChars = 40;
std::string_view U128ToDecimalChars(u128 v, std::span<char, kU128DecimalChars> buf);

}  // namespace mesh

#endif  // MESHSEC_CORE_AMOUNT_H_
