// Exchange-rate arithmetic (neighbours.md §1.3), bit-exact with the SDK's
// LegacyDec formulas but with 256-bit intermediates, so large token and share
// counts never overflow where the SDK's big integers would not.
#include "core/uint256.h"
#include "staking/internal.h"

namespace mesh::staking::internal {
namespace {

constexpr u128 kE18 = static_cast<u128>(Dec::kOne);
constexpr u128 kE36 = kE18 * kE18;
constexpr u128 kHalfE18 = kE18 / 2;
constexpr u128 kMaxRaw = (~u128{0}) >> 1;  // largest non-negative Dec raw

// a / b as a Dec raw value, where `a` is a value in units of 10^-18 times an
// integer (so the result keeps 18 decimals). half_even = LegacyDec Quo
// (truncate at 36 digits, then half-even to 18); otherwise QuoTruncate.
absl::StatusOr<Dec> QuoWide(const U256& a, u128 b, bool half_even) {
  if (b == 0) return absl::InvalidArgumentError("staking: division by zero shares");
  U256 q;
  u128 r = 0;
  MESH_RETURN_IF_ERROR(U256::DivModU128(a, b, &q, &r));
  if (!q.FitsU128()) return absl::OutOfRangeError("staking: token amount out of range");
  U256 frac_q;
  u128 frac_r = 0;
  u128 frac = 0;
  if (half_even) {
    MESH_RETURN_IF_ERROR(U256::DivModU128(U256::MulU128(r, kE36), b, &frac_q, &frac_r));
    u128 f = frac_q.lo();  // < 10^36
    u128 hi = f / kE18, lo = f % kE18;
    // Q*10^18 is even, so the parity of the kept digits is the parity of hi.
    frac = hi + ((lo > kHalfE18 || (lo == kHalfE18 && (hi & 1))) ? 1 : 0);
  } else {
    MESH_RETURN_IF_ERROR(U256::DivModU128(U256::MulU128(r, kE18), b, &frac_q, &frac_r));
    frac = frac_q.lo();
  }
  u128 whole = q.lo();
  if (whole > (kMaxRaw - frac) / kE18) {
    return absl::OutOfRangeError("staking: token amount out of range");
  }
  return Dec::FromRaw(static_cast<i128>(whole * kE18 + frac));
}

}  // namespace

absl::StatusOr<Dec> SharesFromTokens(const Validator& v, Amount amt) {
  if (v.tokens.IsZero()) {
    return absl::FailedPreconditionError("insufficient shares: validator " +
                                         v.operator_address.value() + " has no tokens");
  }
  // DelegatorShares.MulInt(amt).QuoInt(Tokens): exact product, truncation.
  MESH_ASSIGN_OR_RETURN(u128 raw, MulDivU128(static_cast<u128>(v.delegator_shares.raw()), amt.raw(),
                                             v.tokens.raw(), Rounding::kDown));
  if (raw > kMaxRaw) return absl::OutOfRangeError("staking: shares out of range");
  return Dec::FromRaw(static_cast<i128>(raw));
}

absl::StatusOr<Dec> TokensFromShares(const ShareRate& rate, Dec s) {
  if (rate.delegator_shares.IsZero()) return Dec::Zero();
  if (s.IsNegative()) return absl::InvalidArgumentError("staking: negative shares");
  U256 a = U256::MulU128(static_cast<u128>(s.raw()), rate.tokens.raw());
  return QuoWide(a, static_cast<u128>(rate.delegator_shares.raw()), /*half_even=*/true);
}

absl::StatusOr<Amount> TokenAmountFromShares(const ShareRate& rate, Dec s) {
  if (rate.delegator_shares.IsZero()) return Amount::Zero();
  if (s.IsNegative()) return absl::InvalidArgumentError("staking: negative shares");
  const u128 b = static_cast<u128>(rate.delegator_shares.raw());
  const U256 a = U256::MulU128(static_cast<u128>(s.raw()), rate.tokens.raw());
  U256 q;
  u128 r = 0;
  MESH_RETURN_IF_ERROR(U256::DivModU128(a, b, &q, &r));
  // Near the end of Dec's range the exact path decides (its range errors).
  if (!q.FitsU128() || q.lo() >= kMaxRaw / kE18 - 1) {
    MESH_ASSIGN_OR_RETURN(Dec tokens, TokensFromShares(rate, s));
    return tokens.TruncateAmount();
  }
  // TokensFromShares keeps f = floor(r * 10^36 / b) and rounds it half-even
  // to 18 decimals; the integer part gains one exactly when that rounding
  // reaches 10^18: f >= 10^36 - 10^18 / 2 (a tie rounds up, as 10^18 - 1 is
  // odd), that is r * 10^36 >= (10^36 - 10^18 / 2) * b.
  const bool carry = !(U256::MulU128(r, kE36) < U256::MulU128(b, kE36 - kHalfE18));
  return Amount(q.lo() + (carry ? 1 : 0));
}

absl::StatusOr<Dec> TokensFromSharesTruncated(const Validator& v, Dec s) {
  if (v.delegator_shares.IsZero()) return Dec::Zero();
  if (s.IsNegative()) return absl::InvalidArgumentError("staking: negative shares");
  U256 a = U256::MulU128(static_cast<u128>(s.raw()), v.tokens.raw());
  return QuoWide(a, static_cast<u128>(v.delegator_shares.raw()), /*half_even=*/false);
}

absl::StatusOr<Dec> AddTokensFromDel(Validator& v, Amount amount) {
  if (v.tokens.IsZero() && v.delegator_shares.IsPositive()) {
    return absl::FailedPreconditionError("invalid delegator share exchange rate: validator " +
                                         v.operator_address.value() + " has no tokens");
  }
  Dec shares;
  if (v.delegator_shares.IsZero()) {
    MESH_ASSIGN_OR_RETURN(shares, Dec::FromAmount(amount));  // first delegation: 1:1
  } else {
    MESH_ASSIGN_OR_RETURN(shares, SharesFromTokens(v, amount));
  }
  MESH_ASSIGN_OR_RETURN(Amount tokens, v.tokens.Add(amount));
  MESH_ASSIGN_OR_RETURN(Dec total, v.delegator_shares.Add(shares));
  v.tokens = tokens;
  v.delegator_shares = total;
  return shares;
}

absl::StatusOr<Amount> RemoveDelShares(Validator& v, Dec s) {
  MESH_ASSIGN_OR_RETURN(Dec remaining, v.delegator_shares.Sub(s));
  if (remaining.IsNegative() || s.IsNegative()) {
    return absl::InternalError("staking: removing more shares than the validator has");
  }
  Amount issued;
  if (remaining.IsZero()) {
    issued = v.tokens;  // the last holder takes the dust
  } else {
    MESH_ASSIGN_OR_RETURN(Dec tokens_dec, TokensFromShares(v, s));
    MESH_ASSIGN_OR_RETURN(issued, tokens_dec.TruncateAmount());
  }
  MESH_ASSIGN_OR_RETURN(v.tokens, v.tokens.Sub(issued));
  v.delegator_shares = remaining;
  return issued;
}

}  // namespace mesh::staking::internal
