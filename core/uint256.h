// U256: unsigned 256-bit integer for the few places the protocol needs more
// than 128 bits (MulDiv intermediates; the reference's Uint256 reward points).
//
// Checked operations return OutOfRange on overflow/underflow and
// InvalidArgument on division by zero. Value type; deterministic.
#ifndef MESHSEC_CORE_UINT256_H_
#define MESHSEC_CORE_UINT256_H_

#include <compare>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "core/amount.h"

namespace mesh {

class U256 {
 public:
  constexpr U256() = default;
  constexpr U256(u128 hi, u128 lo) : hi_(hi), lo_(lo) {}
  static constexpr U256 FromU128(u128 v) { return U256(0, v); }
  static constexpr U256 Max() { return U256(~u128{0}, ~u128{0}); }

  constexpr u128 hi() const { return hi_; }
  constexpr u128 lo() const { return lo_; }
  constexpr bool IsZero() const { return hi_ == 0 && lo_ == 0; }
  constexpr bool FitsU128() const { return hi_ == 0; }

  absl::StatusOr<U256> Add(const U256& o) const;
  absl::StatusOr<U256> Sub(const U256& o) const;
  absl::StatusOr<U256> Mul(const U256& o) const;
  // Quotient and remainder (floor). InvalidArgument on division by zero.
  absl::StatusOr<U256> Div(const U256& o) const;
  absl::StatusOr<U256> Rem(const U256& o) const;

  // Full 128x128 -> 256 product (never overflows).
  static U256 MulU128(u128 a, u128 b);
  // Division of a 256-bit value by a 128-bit value; quotient and remainder.
  // InvalidArgument on d == 0.
  static absl::Status DivModU128(const U256& n, u128 d, U256* q, u128* r);

  std::string ToString() const;  // base 10
  static absl::StatusOr<U256> Parse(std::string_view s);  // base 10, canonical

  friend constexpr bool operator==(const U256& a, const U256& b) = default;
  friend constexpr std::strong_ordering operator<=>(const U256& a, const U256& b) {
    if (a.hi_ != b.hi_) return a.hi_ <=> b.hi_;
    return a.lo_ <=> b.lo_;
  }

 private:
  u128 hi_ = 0;
  u128 lo_ = 0;
};

}  // namespace mesh

#endif  // MESHSEC_CORE_UINT256_H_
