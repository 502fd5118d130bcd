#include "core/uint256.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <string>

#include "absl/status/status.h"

namespace mesh {
namespace {

// 32-bit little-endian limbs: long division needs a double-width type for
// its digit arithmetic, and 64 bits is the widest native one.
using Limbs = std::array<uint32_t, 8>;

Limbs ToLimbs(const U256& v) {
  Limbs out{};
  for (int i = 0; i < 4; ++i) {
    out[i] = static_cast<uint32_t>(v.lo() >> (32 * i));
    out[i + 4] = static_cast<uint32_t>(v.hi() >> (32 * i));
  }
  return out;
}

U256 FromLimbs(const Limbs& l) {
  u128 lo = 0;
  u128 hi = 0;
  for (int i = 3; i >= 0; --i) {
    lo = (lo << 32) | l[i];
    hi = (hi << 32) | l[i + 4];
  }
  return U256(hi, lo);
}

// Number of significant limbs (0 for zero).
int Length(const Limbs& l) {
  int n = 8;
  while (n > 0 && l[n - 1] == 0) --n;
  return n;
}

// q = u / v, r = u % v for a single-limb divisor.
void DivBySmall(const Limbs& u, int m, uint32_t v, Limbs* q, Limbs* r) {
  uint64_t rem = 0;
  for (int j = m - 1; j >= 0; --j) {
    const uint64_t cur = (rem << 32) | u[j];
    (*q)[j] = static_cast<uint32_t>(cur / v);
    rem = cur % v;
  }
  (*r)[0] = static_cast<uint32_t>(rem);
}

// Shifts `in` (n limbs) left by s < 32 bits into `out` (n limbs, plus the
// carried-out limb in out[n] when `extend`).
void ShiftLeft(const uint32_t* in, int n, int s, uint32_t* out, bool extend) {
  const auto carry = [&](int i) -> uint32_t {
    return s == 0 ? 0 : static_cast<uint32_t>(in[i] >> (32 - s));
  };
  if (extend) out[n] = carry(n - 1);
  for (int i = n - 1; i > 0; --i) out[i] = (in[i] << s) | carry(i - 1);
  out[0] = in[0] << s;
}

// Estimates the quotient digit for position j (Knuth, TAOCP vol. 2, 4.3.1,
// algorithm D, step D3); the estimate is at most one too large afterwards.
uint64_t EstimateDigit(const uint32_t* un, const uint32_t* vn, int j, int n) {
  constexpr uint64_t kBase = uint64_t{1} << 32;
  const uint64_t num = (uint64_t{un[j + n]} << 32) | un[j + n - 1];
  uint64_t qhat = num / vn[n - 1];
  uint64_t rhat = num % vn[n - 1];
  while (qhat >= kBase ||
         qhat * vn[n - 2] > ((rhat << 32) | un[j + n - 2])) {
    --qhat;
    rhat += vn[n - 1];
    if (rhat >= kBase) break;
  }
  return qhat;
}

// un[j..j+n] -= qhat * vn; adds vn back (and returns qhat - 1) when the
// estimate was one too large (Knuth steps D4-D6).
uint32_t MulSubDigit(uint32_t* un, const uint32_t* vn, int j, int n,
                     uint64_t qhat) {
  int64_t borrow = 0;
  int64_t t = 0;
  for (int i = 0; i < n; ++i) {
    const uint64_t p = qhat * vn[i];
    t = static_cast<int64_t>(un[i + j]) - borrow -
        static_cast<int64_t>(p & 0xFFFFFFFFu);
    un[i + j] = static_cast<uint32_t>(t);
    borrow = static_cast<int64_t>(p >> 32) - (t >> 32);
  }
  t = static_cast<int64_t>(un[j + n]) - borrow;
  un[j + n] = static_cast<uint32_t>(t);
  if (t >= 0) return static_cast<uint32_t>(qhat);
  uint64_t carry = 0;
  for (int i = 0; i < n; ++i) {
    const uint64_t s = uint64_t{un[i + j]} + vn[i] + carry;
    un[i + j] = static_cast<uint32_t>(s);
    carry = s >> 32;
  }
  un[j + n] = static_cast<uint32_t>(un[j + n] + carry);
  return static_cast<uint32_t>(qhat - 1);
}

// Long division of u (m limbs) by v (n limbs, v[n-1] != 0, m >= n >= 2).
void DivLong(const Limbs& u, int m, const Limbs& v, int n, Limbs* q,
             Limbs* r) {
  const int s = std::countl_zero(v[n - 1]);
  uint32_t vn[8] = {};
  uint32_t un[9] = {};
  ShiftLeft(v.data(), n, s, vn, /*extend=*/false);
  ShiftLeft(u.data(), m, s, un, /*extend=*/true);
  for (int j = m - n; j >= 0; --j) {
    (*q)[j] = MulSubDigit(un, vn, j, n, EstimateDigit(un, vn, j, n));
  }
  for (int i = 0; i < n; ++i) {
    const uint32_t next =
        (s == 0) ? 0 : static_cast<uint32_t>(uint64_t{un[i + 1]} << (32 - s));
    (*r)[i] = (un[i] >> s) | next;
  }
}

// Floor quotient and remainder; `v` must be non-zero.
void DivModImpl(const U256& num, const U256& den, U256* quo, U256* rem) {
  if (num < den) {
    *quo = U256();
    *rem = num;
    return;
  }
  const Limbs u = ToLimbs(num);
  const Limbs v = ToLimbs(den);
  const int m = Length(u);
  const int n = Length(v);
  Limbs q{};
  Limbs r{};
  if (n == 1) {
    DivBySmall(u, m, v[0], &q, &r);
  } else {
    DivLong(u, m, v, n, &q, &r);
  }
  *quo = FromLimbs(q);
  *rem = FromLimbs(r);
}

absl::Status DivByZero() {
  return absl::InvalidArgumentError("U256: division by zero");
}

}  // namespace

absl::StatusOr<U256> U256::Add(const U256& o) const {
  const u128 lo = lo_ + o.lo_;
  const u128 carry = lo < lo_ ? 1 : 0;
  u128 hi = 0;
  if (__builtin_add_overflow(hi_, o.hi_, &hi) ||
      __builtin_add_overflow(hi, carry, &hi)) {
    return absl::OutOfRangeError("U256: addition overflow");
  }
  return U256(hi, lo);
}

absl::StatusOr<U256> U256::Sub(const U256& o) const {
  if (*this < o) return absl::OutOfRangeError("U256: subtraction underflow");
  const u128 borrow = lo_ < o.lo_ ? 1 : 0;
  return U256(hi_ - o.hi_ - borrow, lo_ - o.lo_);
}

U256 U256::MulU128(u128 a, u128 b) {
  constexpr u128 kMask = (u128{1} << 64) - 1;
  const u128 a0 = a & kMask, a1 = a >> 64;
  const u128 b0 = b & kMask, b1 = b >> 64;
  const u128 p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
  // Middle column: three values below 2^64 each, so no overflow in u128.
  const u128 mid = (p00 >> 64) + (p01 & kMask) + (p10 & kMask);
  const u128 lo = (p00 & kMask) | (mid << 64);
  const u128 hi = p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64);
  return U256(hi, lo);
}

absl::StatusOr<U256> U256::Mul(const U256& o) const {
  if (hi_ != 0 && o.hi_ != 0) {
    return absl::OutOfRangeError("U256: multiplication overflow");
  }
  const U256 low = MulU128(lo_, o.lo_);
  // At most one cross term is non-zero; it must fit in the high half.
  const U256 cross = MulU128(hi_, o.lo_);
  const U256 cross2 = MulU128(lo_, o.hi_);
  if (!cross.FitsU128() || !cross2.FitsU128()) {
    return absl::OutOfRangeError("U256: multiplication overflow");
  }
  u128 hi = 0;
  if (__builtin_add_overflow(low.hi(), cross.lo(), &hi) ||
      __builtin_add_overflow(hi, cross2.lo(), &hi)) {
    return absl::OutOfRangeError("U256: multiplication overflow");
  }
  return U256(hi, low.lo());
}

absl::StatusOr<U256> U256::Div(const U256& o) const {
  if (o.IsZero()) return DivByZero();
  U256 q, r;
  DivModImpl(*this, o, &q, &r);
  return q;
}

absl::StatusOr<U256> U256::Rem(const U256& o) const {
  if (o.IsZero()) return DivByZero();
  U256 q, r;
  DivModImpl(*this, o, &q, &r);
  return r;
}

absl::Status U256::DivModU128(const U256& n, u128 d, U256* q, u128* r) {
  if (d == 0) return DivByZero();
  if (n.hi() == 0) {  // one 128-bit division (a share valuation's first step, mostly)
    *q = U256::FromU128(n.lo() / d);
    *r = n.lo() % d;
    return absl::OkStatus();
  }
  U256 rem;
  DivModImpl(n, U256::FromU128(d), q, &rem);
  *r = rem.lo();
  return absl::OkStatus();
}

std::string U256::ToString() const {
  constexpr u128 kChunk = 10000000000000000000ULL;  // 10^19
  std::string out;
  U256 v = *this;
  do {
    U256 q, r;
    DivModImpl(v, U256::FromU128(kChunk), &q, &r);
    v = q;
    std::string digits = U128ToDecimalString(r.lo());
    if (!v.IsZero()) digits.insert(0, 19 - digits.size(), '0');
    out.insert(0, digits);
  } while (!v.IsZero());
  return out;
}

absl::StatusOr<U256> U256::Parse(std::string_view s) {
  if (s.empty() || !std::all_of(s.begin(), s.end(), [](char c) {
        return c >= '0' && c <= '9';
      })) {
    return absl::InvalidArgumentError("U256: not a canonical base-10 integer");
  }
  if (s.size() > 1 && s[0] == '0') {
    return absl::InvalidArgumentError("U256: leading zero");
  }
  U256 v;
  for (char c : s) {
    auto times10 = v.Mul(U256::FromU128(10));
    if (!times10.ok()) return absl::OutOfRangeError("U256: value too large");
    auto next = times10->Add(U256::FromU128(static_cast<u128>(c - '0')));
    if (!next.ok()) return absl::OutOfRangeError("U256: value too large");
    v = *next;
  }
  return v;
}

}  // namespace mesh
