// Fixed-point and checked 128-bit arithmetic against the native u128
// multiply (BM_NativeU128Mul, the baseline of this group).
#include <cstdint>
#include <string>

#include "benchmark/benchmark.h"
#include "core/amount.h"
#include "core/dec.h"
#include "staking/internal.h"
#include "staking/staking.h"

namespace mesh {
namespace {

// Operands vary with the iteration so that nothing folds to a constant.
constexpr u128 kTokens = 123456789012345678ULL;  // 1.2e17 base units
constexpr i128 kRate = 987654321098765432LL;     // 0.987654321098765432

void BM_NativeU128Mul(benchmark::State& state) {
  u128 a = kTokens;
  u128 i = 0;
  for (auto _ : state) {
    u128 r = (a + i) * (a - i);
    benchmark::DoNotOptimize(r);
    ++i;
  }
}
BENCHMARK(BM_NativeU128Mul);

void BM_AmountMulChecked(benchmark::State& state) {
  u128 i = 0;
  for (auto _ : state) {
    auto r = Amount(kTokens + i).Mul(Amount(kTokens - i));
    benchmark::DoNotOptimize(r);
    ++i;
  }
}
BENCHMARK(BM_AmountMulChecked);

void BM_MulDivFloor(benchmark::State& state) {
  u128 i = 0;
  for (auto _ : state) {
    auto r =
        MulDiv(Amount(kTokens + i), Amount(kTokens - i), Amount(1000000007 + i), Rounding::kDown);
    benchmark::DoNotOptimize(r);
    ++i;
  }
}
BENCHMARK(BM_MulDivFloor);

void BM_DecMul(benchmark::State& state) {
  i128 i = 0;
  Dec b = Dec::FromRaw(kRate);
  for (auto _ : state) {
    auto r = Dec::FromRaw(Dec::kOne * 12345 + i).Mul(b);
    benchmark::DoNotOptimize(r);
    ++i;
  }
}
BENCHMARK(BM_DecMul);

void BM_DecQuo(benchmark::State& state) {
  i128 i = 0;
  Dec b = Dec::FromRaw(kRate);
  for (auto _ : state) {
    auto r = Dec::FromRaw(Dec::kOne * 12345 + i).Quo(b);
    benchmark::DoNotOptimize(r);
    ++i;
  }
}
BENCHMARK(BM_DecQuo);

// Amount x Dec, the form every payout and slash takes.
void BM_AmountMulFloorDec(benchmark::State& state) {
  u128 i = 0;
  Dec rate = Dec::FromRaw(kRate);
  for (auto _ : state) {
    auto r = MulFloor(Amount(kTokens + i), rate);
    benchmark::DoNotOptimize(r);
    ++i;
  }
}
BENCHMARK(BM_AmountMulFloorDec);

// An amount's decimal string, as every query answer writes amounts and
// shares: a 25-digit value (a delegation's shares, 18 decimals, in base
// units: above 2^64, so one 128-bit division) and an 18-digit one (tokens).
void BM_AmountToString(benchmark::State& state) {
  const u128 base = state.range(0) != 0 ? u128{kTokens} * 10000000 : u128{kTokens};
  u128 i = 0;
  for (auto _ : state) {
    std::string s = Amount(base + i).ToString();
    benchmark::DoNotOptimize(s);
    ++i;
  }
}
BENCHMARK(BM_AmountToString)->ArgName("above_2_64")->Arg(0)->Arg(1);

// A delegation's tokens from its shares, as every delegation answer values
// them (a ValidatorDelegations page: ten): exact:1 rounds the LegacyDec
// quotient half-even to 18 decimals and truncates it
// (internal::TokensFromShares, two 256-by-128-bit divisions), exact:0 is
// Staking::DelegationTokens (the same value: one division and a comparison,
// SharesMath.TokenAmountFromSharesIsTheTruncatedHalfEvenValue).
void BM_DelegationTokens(benchmark::State& state) {
  // A validator of ~10^6 tokens (in base units, 10^12) and shares a little
  // under them, as after a slash; delegations of ~1000 tokens.
  const staking::ShareRate rate{Amount(u128{1000000123456789}),
                                Dec::FromRaw(static_cast<i128>(u128{1000000000000000000} *
                                                               u128{1000000987654321}))};
  const bool exact = state.range(0) != 0;
  u128 i = 0;
  for (auto _ : state) {
    const Dec shares = Dec::FromRaw(static_cast<i128>(u128{1000000000000000000} * 1000000000 + i));
    if (exact) {
      absl::StatusOr<Dec> d = staking::internal::TokensFromShares(rate, shares);
      absl::StatusOr<Amount> a = d->TruncateAmount();
      benchmark::DoNotOptimize(a);
    } else {
      absl::StatusOr<Amount> a = staking::Staking::DelegationTokens(rate, shares);
      benchmark::DoNotOptimize(a);
    }
    i += 7919;
  }
}
BENCHMARK(BM_DelegationTokens)->ArgName("exact")->Arg(1)->Arg(0);

}  // namespace
}  // namespace mesh
