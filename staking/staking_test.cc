// Shares, delegation, unbonding, redelegation, set selection, jail/unjail
// (neighbours.md §1.3-§1.6, §1.9-§1.10).
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "core/codec.h"
#include "core/crypto.h"
#include "core/uint256.h"
#include "staking/internal.h"
#include "staking/test_util.h"

namespace mesh::staking::testing {
namespace {

using absl::StatusCode;
constexpr u128 kE18Test = static_cast<u128>(Dec::kOne);
using Kind = ValidatorEvent::Kind;

constexpr u128 kMillion = 1000000;

TEST_F(StakingTest, FirstDelegationIsOneToOneAndValidatorStartsUnbonded) {
  ValidatorAddress v = CreateVal("a", 1000);
  Validator got = Val(v);
  EXPECT_EQ(got.status, BondStatus::kUnbonded);
  EXPECT_EQ(got.tokens, A(1000));
  EXPECT_EQ(got.delegator_shares, D("1000"));
  EXPECT_EQ(SharesOf("op/a", v), D("1000"));
  EXPECT_EQ(PoolBalance(kNotBondedPool), A(1000));
  EXPECT_EQ(Balance("op/a"), A(0));
  ExpectInvariants();
}

// neighbours.md §1.3 worked example, bit-exact.
TEST_F(StakingTest, WorkedExampleSharesAfterSlash) {
  ValidatorAddress v = CreateVal("a", kMillion);
  EndBlock();
  ASSERT_EQ(Val(v).status, BondStatus::kBonded);
  // 5 % at the current height: 50,000 burned, no entries scanned.
  EXPECT_EQ(Must(Staking::Slash(ctx(), v, block_.height, 1, D("0.05"))), A(50000));
  EXPECT_EQ(Val(v).tokens, A(950000));
  Dec shares = DelegateFunded("alice", v, 100000);
  EXPECT_EQ(shares, D("105263.157894736842105263"));
  EXPECT_EQ(Val(v).tokens, A(1050000));
  EXPECT_EQ(Val(v).delegator_shares, D("1105263.157894736842105263"));
  Amount back = Must(Staking::InstantUndelegate(ctx(), AccountAddress("alice"), v, shares));
  EXPECT_EQ(back, A(100000));
  EXPECT_EQ(Val(v).tokens, A(950000));
  EXPECT_EQ(Val(v).delegator_shares, D("1000000"));
  EXPECT_EQ(Balance("alice"), A(100000));
  ExpectInvariants();
}

// neighbours.md §1.3 dust example: T = 9, S = 10; A unbonds 3 shares -> 2.
TEST_F(StakingTest, DustExampleLastHoldersGainTheDust) {
  Params p;
  p.power_reduction = 1;
  Init(p);
  ValidatorAddress v = CreateVal("b", 7);  // B: 7 shares
  DelegateFunded("a", v, 3);               // A: 3 shares
  EndBlock();
  EXPECT_EQ(Must(Staking::Slash(ctx(), v, block_.height, 10, D("0.1"))), A(1));
  EXPECT_EQ(Val(v).tokens, A(9));
  Amount got = Must(Staking::InstantUndelegate(ctx(), AccountAddress("a"), v, D("3")));
  EXPECT_EQ(got, A(2));  // trunc(3 x 9 / 10 = 2.7)
  EXPECT_EQ(Val(v).tokens, A(7));
  EXPECT_EQ(Val(v).delegator_shares, D("7"));
  EXPECT_EQ(Must(Staking::DelegationTokens(ctx(), AccountAddress("op/b"), v)), A(7));
  ExpectInvariants();
}

TEST_F(StakingTest, LastHolderTakesAllRemainingTokens) {
  Params p;
  p.power_reduction = 1;
  Init(p);
  ValidatorAddress v = CreateVal("b", 7);
  DelegateFunded("a", v, 3);
  EndBlock();
  Must(Staking::Slash(ctx(), v, block_.height, 10, D("0.1")));
  Must(Staking::InstantUndelegate(ctx(), AccountAddress("a"), v, D("3")));
  // B is the last holder: 7 shares -> all 7 tokens (6.3 at the old rate).
  EXPECT_EQ(Must(Staking::InstantUndelegate(ctx(), AccountAddress("op/b"), v, D("7"))), A(7));
  EXPECT_EQ(Val(v).tokens, A(0));
  EXPECT_TRUE(Val(v).jailed);  // self-delegation fell below min_self_delegation
}

TEST(SharesMath, ValidateUnbondAmountExampleFromMeshModule) {
  // mesh-chain-module.md §1.5: 35,217,391 tokens of 36,000,000 tokens / 46
  // shares -> 44.999999611111111111 shares (truncated).
  Validator v;
  v.tokens = Amount(36000000);
  v.delegator_shares = Must(Dec::Parse("46"));
  Dec s = Must(internal::SharesFromTokens(v, Amount(35217391)));
  EXPECT_EQ(s, Must(Dec::Parse("44.999999611111111111")));
}

TEST(SharesMath, TokensFromSharesIsHalfEvenQuoAndTruncatedVariantTruncates) {
  Validator v;
  v.tokens = Amount(1);
  v.delegator_shares = Must(Dec::Parse("2"));
  // 1e-18 x 1 / 2 = 0.5e-18: half-even -> 0; 3e-18 / 2 = 1.5e-18 -> 2e-18.
  EXPECT_EQ(Must(internal::TokensFromShares(v, Dec::FromRaw(1))), Dec::Zero());
  EXPECT_EQ(Must(internal::TokensFromShares(v, Dec::FromRaw(3))), Dec::FromRaw(2));
  EXPECT_EQ(Must(internal::TokensFromSharesTruncated(v, Dec::FromRaw(3))), Dec::FromRaw(1));
  // 1/3 of one token.
  v.delegator_shares = Must(Dec::Parse("3"));
  EXPECT_EQ(Must(internal::TokensFromShares(v, Dec::One())),
            Must(Dec::Parse("0.333333333333333333")));
  // 2/3: 0.666...|666 rounds up at the 18th digit; truncated does not.
  EXPECT_EQ(Must(internal::TokensFromShares(v, Must(Dec::Parse("2")))),
            Must(Dec::Parse("0.666666666666666667")));
  EXPECT_EQ(Must(internal::TokensFromSharesTruncated(v, Must(Dec::Parse("2")))),
            Must(Dec::Parse("0.666666666666666666")));
}

// TokenAmountFromShares (a delegation's tokens, as every query shows them)
// equals TruncateInt(TokensFromShares) on random rates, on both sides of
// every carry boundary (where the half-even fraction rounds up into the
// integer part) and near the end of Dec's range, errors included.
TEST(SharesMath, TokenAmountFromSharesIsTheTruncatedHalfEvenValue) {
  uint64_t state = 0x9e3779b97f4a7c15ull;  // splitmix64, fixed seed
  auto next = [&state] {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  };
  auto below = [&](u128 bound) {  // uniform enough in [0, bound)
    const u128 x = (static_cast<u128>(next()) << 64) | next();
    return bound == 0 ? u128{0} : x % bound;
  };
  auto same = [](const ShareRate& rate, Dec s) {
    absl::StatusOr<Amount> fast = internal::TokenAmountFromShares(rate, s);
    absl::StatusOr<Amount> exact = [&]() -> absl::StatusOr<Amount> {
      MESH_ASSIGN_OR_RETURN(Dec d, internal::TokensFromShares(rate, s));
      return d.TruncateAmount();
    }();
    EXPECT_EQ(fast.status().code(), exact.status().code()) << s.ToString();
    if (fast.ok() && exact.ok()) EXPECT_EQ(*fast, *exact) << s.ToString();
    return fast;
  };
  const u128 max_raw = (~u128{0}) >> 1;
  // Random rates and shares at several magnitudes.
  for (int i = 0; i < 20000; ++i) {
    const u128 scale = u128{1} << (i % 5 * 12);  // up to 2^48: no u128 wraps below
    ShareRate rate{Amount(below(scale * 1000000 + 1) + 1), Dec::FromRaw(static_cast<i128>(
                                                              below(scale * kE18Test + 1) + 1))};
    same(rate, Dec::FromRaw(static_cast<i128>(below(scale * kE18Test + 1))));
  }
  // The carry boundary: tokens 1, shares a = q * b + r, r just below, at and
  // above the least remainder that carries.
  int carried = 0, not_carried = 0;
  const u128 e36 = kE18Test * kE18Test;
  for (int i = 0; i < 5000; ++i) {
    // A third of the b a multiple of 2 * 10^18 (a round number of shares):
    // there the least carrying remainder is an exact tie, which rounds up. A
    // third over 10^36, where the boundary moves by b / 10^36 >= 1 per unit.
    const u128 b = i % 3 == 0   ? below(u128{1} << (40 + i % 60)) + 2
                   : i % 3 == 1 ? (below(u128{1} << 40) + 1) * 2 * kE18Test
                                : (u128{1} << 120) + below((u128{1} << 125) - (u128{1} << 120));
    const u128 q = i % 3 == 2 ? below(3) : below(1000);
    U256 threshold;
    u128 rem = 0;
    ASSERT_TRUE(U256::DivModU128(U256::MulU128(b, e36 - kE18Test / 2), e36, &threshold, &rem).ok());
    const u128 least = threshold.lo() + (rem > 0 ? 1 : 0);
    for (u128 r : {least - 1, least, least + 1}) {
      if (r >= b || q > (max_raw - r) / b) continue;
      const ShareRate rate{Amount(1), Dec::FromRaw(static_cast<i128>(b))};
      absl::StatusOr<Amount> got = same(rate, Dec::FromRaw(static_cast<i128>(q * b + r)));
      ASSERT_TRUE(got.ok());
      if (r >= least) {
        EXPECT_EQ(*got, Amount(q + 1));
        ++carried;
      } else {
        EXPECT_EQ(*got, Amount(q));
        ++not_carried;
      }
    }
  }
  EXPECT_GT(carried, 1000);
  EXPECT_GT(not_carried, 1000);
  // Near and past the end of Dec's range: the same values and errors.
  for (int i = 0; i < 2000; ++i) {
    const u128 whole = max_raw / kE18Test - 3 + below(6);
    const ShareRate rate{Amount(whole), Dec::FromRaw(static_cast<i128>(below(kE18Test) + 1))};
    same(rate, Dec::FromRaw(static_cast<i128>(rate.delegator_shares.raw() + below(3))));
  }
  // Zero shares in the validator, and negative shares.
  EXPECT_EQ(Must(internal::TokenAmountFromShares(ShareRate{Amount(5), Dec::Zero()}, Dec::One())),
            Amount::Zero());
  EXPECT_FALSE(
      internal::TokenAmountFromShares(ShareRate{Amount(5), Dec::One()}, Dec::FromRaw(-1)).ok());
}

TEST(SharesMath, WideIntermediatesDoNotOverflow) {
  // s x T = 5e19 x 1e20 overflows a 128-bit Dec product; the result fits.
  Validator v;
  v.tokens = Must(Amount::Parse("100000000000000000000"));
  v.delegator_shares = Must(Dec::Parse("100000000000000000000"));
  EXPECT_EQ(Must(internal::TokensFromShares(v, Must(Dec::Parse("50000000000000000000")))),
            Must(Dec::Parse("50000000000000000000")));
  EXPECT_EQ(Must(internal::SharesFromTokens(v, Must(Amount::Parse("50000000000000000000")))),
            Must(Dec::Parse("50000000000000000000")));
}

TEST_F(StakingTest, DelegateRejections) {
  ValidatorAddress v = CreateVal("a", kMillion);
  EXPECT_EQ(StatusOf(Staking::Delegate(ctx(), AccountAddress("x"), v, A(0))).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(StatusOf(Staking::Delegate(ctx(), AccountAddress("x"), ValidatorAddress("nope"), A(1)))
                .code(),
            StatusCode::kNotFound);
  EXPECT_EQ(StatusOf(Staking::Delegate(ctx(), AccountAddress("x"), v, A(1))).code(),
            StatusCode::kFailedPrecondition);  // insufficient funds
  // Slashed to zero tokens with shares left: invalid exchange rate (§1.3).
  EndBlock();
  Must(Staking::Slash(ctx(), v, block_.height, 1, Dec::One()));
  EXPECT_EQ(Val(v).tokens, A(0));
  Fund("x", 10);
  EXPECT_EQ(StatusOf(Staking::Delegate(ctx(), AccountAddress("x"), v, A(10))).code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(Balance("x"), A(10));
  ExpectInvariants();
}

TEST_F(StakingTest, CreateValidatorRejections) {
  Fund("op", 100);
  EXPECT_EQ(
      Staking::CreateValidator(ctx(), ValidatorAddress("v"), AccountAddress("op"), A(10), D("1.1"))
          .code(),
      StatusCode::kInvalidArgument);
  EXPECT_EQ(
      Staking::CreateValidator(ctx(), ValidatorAddress("v"), AccountAddress("op"), A(0), D("0.1"))
          .code(),
      StatusCode::kInvalidArgument);
  EXPECT_EQ(Staking::CreateValidator(ctx(), ValidatorAddress("v"), AccountAddress("op"), A(1000),
                                     D("0.1"))
                .code(),
            StatusCode::kFailedPrecondition);  // insufficient funds: nothing written
  EXPECT_FALSE(Must(Staking::GetValidator(ctx(), ValidatorAddress("v"))).has_value());
  Must(Staking::CreateValidator(ctx(), ValidatorAddress("v"), AccountAddress("op"), A(10),
                                D("0.1")));
  EXPECT_EQ(
      Staking::CreateValidator(ctx(), ValidatorAddress("v"), AccountAddress("op"), A(10), D("0.1"))
          .code(),
      StatusCode::kFailedPrecondition);
  ExpectInvariants();
}

TEST_F(StakingTest, CreateValidatorStoresTheConsensusKey) {
  const std::string key = Ed25519PrivateKey::FromSeed("cons-x").PublicKey();
  Fund("op/x", 100);
  Fund("op/y", 100);
  Fund("op/z", 100);
  Must(Staking::CreateValidator(ctx(), ValidatorAddress("val/x"), AccountAddress("op/x"), A(10),
                                D("0.1"), A(1), key));
  EXPECT_EQ(Val(ValidatorAddress("val/x")).consensus_pubkey, key);
  // The key survives the record codec.
  Encoder e;
  Val(ValidatorAddress("val/x")).Encode(e);
  Decoder d(e.data());
  EXPECT_EQ(Must(Validator::Decode(d)).consensus_pubkey, key);
  // Not 32 bytes: InvalidArgument, nothing written.
  EXPECT_EQ(Staking::CreateValidator(ctx(), ValidatorAddress("val/y"), AccountAddress("op/y"),
                                     A(10), D("0.1"), A(1), key.substr(1))
                .code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Staking::CreateValidator(ctx(), ValidatorAddress("val/y"), AccountAddress("op/y"),
                                     A(10), D("0.1"), A(1), std::string())
                .code(),
            StatusCode::kInvalidArgument);
  // A key already used by another validator: FailedPrecondition.
  EXPECT_EQ(Staking::CreateValidator(ctx(), ValidatorAddress("val/y"), AccountAddress("op/y"),
                                     A(10), D("0.1"), A(1), key)
                .code(),
            StatusCode::kFailedPrecondition);
  EXPECT_FALSE(Must(Staking::GetValidator(ctx(), ValidatorAddress("val/y"))).has_value());
  EXPECT_EQ(Balance("op/y"), A(100));
  // Without a key: the deterministic default, the ed25519 key of
  // SHA-256("consensus/" + operator address).
  Must(Staking::CreateValidator(ctx(), ValidatorAddress("val/z"), AccountAddress("op/z"), A(10),
                                D("0.1")));
  const std::string dflt = Val(ValidatorAddress("val/z")).consensus_pubkey;
  EXPECT_EQ(dflt, DefaultConsensusPubkey(ValidatorAddress("val/z")));
  EXPECT_EQ(dflt, Ed25519PrivateKey::FromSeed("consensus/val/z").PublicKey());
  EXPECT_NE(dflt, DefaultConsensusPubkey(ValidatorAddress("val/x")));
  ExpectInvariants();
}

TEST_F(StakingTest, RemovedValidatorReleasesItsConsensusKey) {
  const std::string key = Ed25519PrivateKey::FromSeed("cons-r").PublicKey();
  Fund("op/r", 10);
  Fund("op/s", 10);
  const ValidatorAddress r("val/r");
  Must(Staking::CreateValidator(ctx(), r, AccountAddress("op/r"), A(10), D("0"), A(1), key));
  // The only delegation leaves an Unbonded validator: it is deleted.
  Must(Staking::Undelegate(ctx(), AccountAddress("op/r"), r, A(10)).status());
  EXPECT_FALSE(Must(Staking::GetValidator(ctx(), r)).has_value());
  Must(Staking::CreateValidator(ctx(), ValidatorAddress("val/s"), AccountAddress("op/s"), A(10),
                                D("0"), A(1), key));
  ExpectInvariants();
}

TEST_F(StakingTest, EndBlockUpdatesCarryConsensusKeysAndPowers) {
  auto key_of = [](const char* seed) { return Ed25519PrivateKey::FromSeed(seed).PublicKey(); };
  Fund("op/a", 10 * kMillion);
  Fund("op/b", 5 * kMillion);
  const ValidatorAddress a("val/a"), b("val/b");
  Must(Staking::CreateValidator(ctx(), a, AccountAddress("op/a"), A(10 * kMillion), D("0"), A(1),
                                key_of("ka")));
  EndBlock();
  Must(Staking::CreateValidator(ctx(), b, AccountAddress("op/b"), A(5 * kMillion), D("0"), A(1),
                                key_of("kb")));
  // A new bonded validator: its key and power.
  auto updates = EndBlock();
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].validator, b);
  EXPECT_EQ(updates[0].consensus_pubkey, key_of("kb"));
  EXPECT_EQ(updates[0].power, 5u);
  // A power change.
  DelegateFunded("d", a, 3 * kMillion);
  updates = EndBlock();
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].validator, a);
  EXPECT_EQ(updates[0].consensus_pubkey, key_of("ka"));
  EXPECT_EQ(updates[0].power, 13u);
  // A removal: power 0 with the key of the removed validator.
  Must(Staking::Jail(ctx(), b));
  updates = EndBlock();
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].validator, b);
  EXPECT_EQ(updates[0].consensus_pubkey, key_of("kb"));
  EXPECT_EQ(updates[0].power, 0u);
  EXPECT_TRUE(EndBlock().empty());
  ExpectInvariants();
}

TEST_F(StakingTest, UndelegateFromBondedMovesToNotBondedAndMaturesAtEndBlock) {
  ValidatorAddress v = CreateVal("a", 10 * kMillion);
  DelegateFunded("d", v, 3 * kMillion);
  EndBlock();
  EXPECT_EQ(PoolBalance(kBondedPool), A(13 * kMillion));
  Amount tokens;
  uint64_t completion =
      Must(Staking::Undelegate(ctx(), AccountAddress("d"), v, A(kMillion), &tokens));
  EXPECT_EQ(tokens, A(kMillion));
  EXPECT_EQ(completion, block_.time_ns + params_.unbonding_time_s * kNanosPerSecond);
  EXPECT_EQ(PoolBalance(kBondedPool), A(12 * kMillion));
  EXPECT_EQ(PoolBalance(kNotBondedPool), A(kMillion));
  auto ubd = Must(Staking::GetUnbondingDelegation(ctx(), AccountAddress("d"), v));
  ASSERT_TRUE(ubd.has_value());
  ASSERT_EQ(ubd->entries.size(), 1u);
  EXPECT_EQ(ubd->entries[0].creation_height, block_.height);
  EXPECT_EQ(ubd->entries[0].balance, A(kMillion));
  ExpectInvariants();
  EndBlock(params_.unbonding_time_s - 10);  // one block before maturity
  EndBlock();
  EXPECT_EQ(Balance("d"), A(0));
  block_.time_ns = completion;  // exactly at completion: matures
  EndBlock();
  EXPECT_EQ(Balance("d"), A(kMillion));
  EXPECT_FALSE(Must(Staking::GetUnbondingDelegation(ctx(), AccountAddress("d"), v)).has_value());
  ExpectInvariants();
}

TEST_F(StakingTest, UndelegateMoreThanDelegatedIsInvalid) {
  ValidatorAddress v = CreateVal("a", kMillion);
  DelegateFunded("d", v, 100);
  EXPECT_EQ(StatusOf(Staking::Undelegate(ctx(), AccountAddress("d"), v, A(101))).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(StatusOf(Staking::Undelegate(ctx(), AccountAddress("e"), v, A(1))).code(),
            StatusCode::kNotFound);
  // Everything always works.
  Must(Staking::Undelegate(ctx(), AccountAddress("d"), v, A(100)));
  EXPECT_FALSE(Must(Staking::GetDelegation(ctx(), AccountAddress("d"), v)).has_value());
  ExpectInvariants();
}

TEST_F(StakingTest, MaxEntriesAndSameHeightMerge) {
  ValidatorAddress v = CreateVal("a", kMillion);
  DelegateFunded("d", v, 1000);
  AccountAddress d("d");
  // Two undelegations in one block merge into one entry.
  Must(Staking::Undelegate(ctx(), d, v, A(10)));
  Must(Staking::Undelegate(ctx(), d, v, A(5)));
  auto ubd = Must(Staking::GetUnbondingDelegation(ctx(), d, v));
  ASSERT_EQ(ubd->entries.size(), 1u);
  EXPECT_EQ(ubd->entries[0].balance, A(15));
  EXPECT_EQ(ubd->entries[0].initial_balance, A(15));
  for (int i = 1; i < 7; ++i) {
    NextBlock();
    Must(Staking::Undelegate(ctx(), d, v, A(10)));
  }
  EXPECT_EQ(Must(Staking::GetUnbondingDelegation(ctx(), d, v))->entries.size(), 7u);
  Dec before = SharesOf("d", v);
  // The 8th fails, even though it could merge with this block's entry, and
  // atomically: no shares burned (SDK #4551).
  EXPECT_EQ(StatusOf(Staking::Undelegate(ctx(), d, v, A(10))).code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(SharesOf("d", v), before);
  NextBlock();
  EXPECT_EQ(StatusOf(Staking::Undelegate(ctx(), d, v, A(10))).code(),
            StatusCode::kFailedPrecondition);
  ExpectInvariants();
}

TEST_F(StakingTest, OperatorBelowMinSelfDelegationIsJailed) {
  Fund("op", 1000);
  ValidatorAddress v("val");
  Must(Staking::CreateValidator(ctx(), v, AccountAddress("op"), A(1000), Dec::Zero(), A(600)));
  Drain();
  Must(Staking::Undelegate(ctx(), AccountAddress("op"), v, A(300)));  // 700 left: fine
  EXPECT_FALSE(Val(v).jailed);
  Must(Staking::Undelegate(ctx(), AccountAddress("op"), v, A(200)));  // 500 < 600
  EXPECT_TRUE(Val(v).jailed);
  auto events = Drain();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, Kind::kJailed);
  ExpectInvariants();
}

TEST_F(StakingTest, UnbondedValidatorIsDeletedWhenLastDelegationLeaves) {
  ValidatorAddress v = CreateVal("a", 100);  // power 0 with default reduction: never bonds
  EndBlock();
  EXPECT_EQ(Val(v).status, BondStatus::kUnbonded);
  Must(Staking::Undelegate(ctx(), AccountAddress("op/a"), v, A(100)));
  EXPECT_FALSE(Must(Staking::GetValidator(ctx(), v)).has_value());
  ExpectInvariants();
  // The unbonding entry outlives the validator and still pays out.
  EndBlock(params_.unbonding_time_s);
  EndBlock();
  EXPECT_EQ(Balance("op/a"), A(100));
  ExpectInvariants();
}

TEST_F(StakingTest, UnbondingValidatorIsDeletedAtMaturity) {
  ValidatorAddress v = CreateVal("a", kMillion);
  EndBlock();
  Must(Staking::Jail(ctx(), v));
  EndBlock();
  Validator got = Val(v);
  EXPECT_EQ(got.status, BondStatus::kUnbonding);
  Must(Staking::Undelegate(ctx(), AccountAddress("op/a"), v, A(kMillion)));
  EXPECT_TRUE(Must(Staking::GetValidator(ctx(), v)).has_value());  // kept while unbonding
  uint64_t ubd_done = block_.time_ns + params_.unbonding_time_s * kNanosPerSecond;
  block_.time_ns = got.unbonding_time_ns;
  EndBlock();
  EXPECT_FALSE(Must(Staking::GetValidator(ctx(), v)).has_value());
  // The undelegation always takes the full unbonding time (§1.5 NOTE).
  EXPECT_EQ(Balance("op/a"), A(0));
  block_.time_ns = ubd_done;
  EndBlock();
  EXPECT_EQ(Balance("op/a"), A(kMillion));
  ExpectInvariants();
}

TEST_F(StakingTest, RedelegationRulesInOrder) {
  ValidatorAddress a = CreateVal("a", 10 * kMillion);
  ValidatorAddress b = CreateVal("b", 10 * kMillion);
  ValidatorAddress c = CreateVal("c", 10 * kMillion);
  EndBlock();
  DelegateFunded("d", a, 1000);
  AccountAddress d("d");
  EXPECT_EQ(StatusOf(Staking::BeginRedelegate(ctx(), d, a, a, A(10))).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(StatusOf(Staking::BeginRedelegate(ctx(), d, a, ValidatorAddress("x"), A(10))).code(),
            StatusCode::kNotFound);
  EXPECT_EQ(StatusOf(Staking::BeginRedelegate(ctx(), d, ValidatorAddress("x"), a, A(10))).code(),
            StatusCode::kNotFound);
  uint64_t completion = Must(Staking::BeginRedelegate(ctx(), d, a, b, A(100)));
  EXPECT_EQ(completion, block_.time_ns + params_.unbonding_time_s * kNanosPerSecond);
  EXPECT_EQ(SharesOf("d", b), D("100"));
  // Transitive: b -> c while a -> b is immature.
  EXPECT_EQ(StatusOf(Staking::BeginRedelegate(ctx(), d, b, c, A(50))).code(),
            StatusCode::kFailedPrecondition);
  // Max entries per (d, a, b): 7 entries, then rejected.
  for (int i = 1; i < 7; ++i) {
    NextBlock();
    Must(Staking::BeginRedelegate(ctx(), d, a, b, A(10)));
  }
  EXPECT_EQ(Must(Staking::DelegatorRedelegations(ctx(), d))[0].entries.size(), 7u);
  EXPECT_EQ(StatusOf(Staking::BeginRedelegate(ctx(), d, a, b, A(10))).code(),
            StatusCode::kFailedPrecondition);
  // Another triplet is independent.
  Must(Staking::BeginRedelegate(ctx(), d, a, c, A(10)));
  ExpectInvariants();
  // After maturity the entries are gone and b -> c is allowed.
  block_.time_ns += params_.unbonding_time_s * kNanosPerSecond;
  EndBlock();
  EXPECT_TRUE(Must(Staking::DelegatorRedelegations(ctx(), d)).empty());
  Must(Staking::BeginRedelegate(ctx(), d, b, c, A(50)));
  ExpectInvariants();
}

TEST_F(StakingTest, TinyRedelegationIsRejected) {
  Params p;
  p.power_reduction = 1;
  Init(p);
  ValidatorAddress v = CreateVal("b", 4);
  ValidatorAddress w = CreateVal("w", 10);
  DelegateFunded("a", v, 3);
  EndBlock();
  Must(Staking::Slash(ctx(), v, block_.height, 7, D("0.15")));  // T = 6, S = 7
  ASSERT_EQ(Val(v).tokens, A(6));
  // 1 token -> 1.166666666666666666 shares, worth 0.999999999999999999|43
  // (half-even keeps ...999), truncated to 0 tokens. (With T = 9, S = 10 the
  // same request rounds up to exactly 1 token.)
  Dec before = SharesOf("a", v);
  EXPECT_EQ(StatusOf(Staking::BeginRedelegate(ctx(), AccountAddress("a"), v, w, A(1))).code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(SharesOf("a", v), before);
  ExpectInvariants();
}

TEST_F(StakingTest, RedelegationCompletionFollowsSourceStatus) {
  Params p;
  p.max_validators = 1;
  Init(p);
  ValidatorAddress big = CreateVal("big", 10 * kMillion);
  ValidatorAddress mid = CreateVal("mid", 5 * kMillion);
  ValidatorAddress dst = CreateVal("dst", 1 * kMillion);
  DelegateFunded("d", mid, 1000);
  DelegateFunded("e", big, 1000);
  AccountAddress d("d"), e("e");
  // mid is Unbonded: completes at once, no record; tokens stay not-bonded.
  EXPECT_EQ(Must(Staking::BeginRedelegate(ctx(), d, mid, dst, A(100))), 0u);
  EXPECT_TRUE(Must(Staking::DelegatorRedelegations(ctx(), d)).empty());
  EndBlock();  // big bonded
  Must(Staking::Jail(ctx(), big));
  EndBlock();  // big Unbonding, mid bonded
  Validator bv = Val(big);
  ASSERT_EQ(bv.status, BondStatus::kUnbonding);
  ASSERT_EQ(Val(mid).status, BondStatus::kBonded);
  // Unbonding source: the entry inherits the validator's unbonding time/height.
  EXPECT_EQ(Must(Staking::BeginRedelegate(ctx(), e, big, mid, A(100))), bv.unbonding_time_ns);
  auto reds = Must(Staking::DelegatorRedelegations(ctx(), e));
  ASSERT_EQ(reds.size(), 1u);
  EXPECT_EQ(reds[0].entries[0].creation_height, bv.unbonding_height);
  // Tokens moved not-bonded -> bonded (dst mid is bonded).
  ExpectInvariants();
  // Bonded source -> unbonded dst: bonded -> not-bonded pool.
  Amount nb = PoolBalance(kNotBondedPool);
  DelegateFunded("f", mid, 500);
  Must(Staking::BeginRedelegate(ctx(), AccountAddress("f"), mid, dst, A(500)));
  EXPECT_EQ(PoolBalance(kNotBondedPool), Must(nb.Add(A(500))));
  ExpectInvariants();
}

TEST_F(StakingTest, ActiveSetSelectionByPowerThenAddress) {
  Params p;
  p.max_validators = 2;
  Init(p);
  ValidatorAddress c = CreateVal("c", 10 * kMillion);
  ValidatorAddress a = CreateVal("a", 10 * kMillion + 999999);  // same power 10
  ValidatorAddress b = CreateVal("b", 5 * kMillion);
  ValidatorAddress z = CreateVal("z", 999999);  // power 0: never bonds
  Drain();
  auto updates = EndBlock();
  ASSERT_EQ(updates.size(), 2u);
  EXPECT_EQ(updates[0].validator, a);  // tie at power 10: lower address first
  EXPECT_EQ(updates[0].power, 10u);
  EXPECT_EQ(updates[1].validator, c);
  EXPECT_EQ(Val(b).status, BondStatus::kUnbonded);
  EXPECT_EQ(Val(z).status, BondStatus::kUnbonded);
  auto events = Drain();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kind, Kind::kBonded);
  EXPECT_EQ(events[0].validator, a);
  // No change: no updates.
  EXPECT_TRUE(EndBlock().empty());
  // Power change of a bonded validator: one update.
  DelegateFunded("d", c, 2 * kMillion);
  updates = EndBlock();
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].validator, c);
  EXPECT_EQ(updates[0].power, 12u);
  // Jail a: b enters, a leaves with power 0.
  Must(Staking::Jail(ctx(), a));
  Drain();
  updates = EndBlock();
  ASSERT_EQ(updates.size(), 2u);
  EXPECT_EQ(updates[0].validator, b);
  EXPECT_EQ(updates[0].power, 5u);
  EXPECT_EQ(updates[1].validator, a);
  EXPECT_EQ(updates[1].power, 0u);
  EXPECT_EQ(Val(a).status, BondStatus::kUnbonding);
  events = Drain();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kind, Kind::kBonded);
  EXPECT_EQ(events[0].validator, b);
  EXPECT_EQ(events[1].kind, Kind::kBeginUnbonding);
  EXPECT_EQ(events[1].validator, a);
  auto bonded = Must(Staking::BondedValidators(ctx()));
  ASSERT_EQ(bonded.size(), 2u);
  EXPECT_EQ(bonded[0].operator_address, c);
  ExpectInvariants();
}

// The power index keeps its entry count (0x3B) through creation, power
// changes, jailing, unjailing and removal (ExpectInvariants compares it
// with the entries); the active-set scan stops after that many entries, so
// an entry beyond them is not walked (on RocksDB: the index's deleted keys);
// a store without the count (written before it) is counted by the next end
// block, with the same selection.
TEST_F(StakingTest, PowerIndexCountIsKeptAndBoundsTheActiveSetScan) {
  Init(Params{});
  const std::string count_key(1, '\x3B');
  const auto count = [&] {
    auto raw = store_.Get(count_key);
    EXPECT_TRUE(raw.ok());
    if (!raw->has_value()) return std::optional<uint64_t>();
    Decoder d(**raw);
    return std::optional<uint64_t>(d.U64().value());
  };
  ValidatorAddress a = CreateVal("a", 10 * kMillion);
  ValidatorAddress b = CreateVal("b", 5 * kMillion);
  EXPECT_EQ(count(), std::nullopt);  // counted by the first end block
  ASSERT_EQ(EndBlock().size(), 2u);
  EXPECT_EQ(count(), 2u);
  ValidatorAddress c = CreateVal("c", 7 * kMillion);
  DelegateFunded("d", a, 2 * kMillion);  // a's entry moves: still one
  EXPECT_EQ(count(), 3u);
  ExpectInvariants();
  Must(Staking::Jail(ctx(), b));
  EXPECT_EQ(count(), 2u);
  ExpectInvariants();
  EndBlock();
  // An entry the count does not cover (below every validator) is never
  // reached: a validator named only there does not join the set.
  ASSERT_TRUE(store_.Put(std::string(1, '\x22') + Encoder().U64(~uint64_t{0} - 1)
                             .Str("ghost").Take(), "").ok());
  std::vector<ValidatorAddress> bonded;
  for (const Validator& v : Must(Staking::BondedValidators(ctx()))) {
    bonded.push_back(v.operator_address);
  }
  EXPECT_EQ(bonded, (std::vector<ValidatorAddress>{a, c}));
  EXPECT_TRUE(EndBlock().empty());  // the ghost entry is not looked at
  ASSERT_TRUE(store_.Delete(std::string(1, '\x22') + Encoder().U64(~uint64_t{0} - 1)
                                .Str("ghost").Take()).ok());
  // A store without the count: the end block counts the entries again.
  ASSERT_TRUE(store_.Delete(count_key).ok());
  Must(Staking::Unjail(ctx(), b));
  EXPECT_EQ(count(), std::nullopt);  // an absent count stays absent
  ASSERT_EQ(EndBlock().size(), 1u);  // b returns
  EXPECT_EQ(count(), 3u);
  ExpectInvariants();
}

TEST_F(StakingTest, UnjailRules) {
  ValidatorAddress v = CreateVal("a", 2 * kMillion);
  EndBlock();
  EXPECT_EQ(Staking::Unjail(ctx(), v).code(), StatusCode::kFailedPrecondition);  // not jailed
  EXPECT_EQ(Staking::Unjail(ctx(), ValidatorAddress("x")).code(), StatusCode::kNotFound);
  Must(Staking::HandleDowntime(ctx(), v, block_.height - 1, 2));
  Validator got = Val(v);
  EXPECT_TRUE(got.jailed);
  EXPECT_EQ(got.jailed_until_ns, block_.time_ns + 600 * kNanosPerSecond);
  EXPECT_EQ(got.tokens, A(1980000));  // 1 % of power 2 = 20,000
  EXPECT_EQ(Staking::Jail(ctx(), v).code(), StatusCode::kFailedPrecondition);
  EndBlock(599);
  EXPECT_EQ(Staking::Unjail(ctx(), v).code(), StatusCode::kFailedPrecondition);  // too early
  NextBlock(1);
  Drain();
  Must(Staking::Unjail(ctx(), v));
  EXPECT_FALSE(Val(v).jailed);
  auto events = Drain();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, Kind::kUnjailed);
  auto updates = EndBlock();  // back in the set
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(Val(v).status, BondStatus::kBonded);
  ExpectInvariants();
}

TEST_F(StakingTest, UnjailNeedsSelfDelegationAtLeastMin) {
  Fund("op", 2000);
  ValidatorAddress v("val");
  Must(Staking::CreateValidator(ctx(), v, AccountAddress("op"), A(2000), Dec::Zero(), A(1000)));
  DelegateFunded("d", v, 5000);
  Must(Staking::Undelegate(ctx(), AccountAddress("op"), v, A(1500)));  // jails (500 < 1000)
  ASSERT_TRUE(Val(v).jailed);
  EXPECT_EQ(Staking::Unjail(ctx(), v).code(), StatusCode::kFailedPrecondition);
  Must(Staking::Undelegate(ctx(), AccountAddress("op"), v, A(500)));  // no self-delegation
  EXPECT_EQ(Staking::Unjail(ctx(), v).code(), StatusCode::kFailedPrecondition);
  Fund("op", 1000);
  Must(Staking::Delegate(ctx(), AccountAddress("op"), v, A(1000)));
  Must(Staking::Unjail(ctx(), v));
  ExpectInvariants();
}

TEST_F(StakingTest, EditValidatorSetsCommissionAndRecordsModified) {
  ValidatorAddress v = CreateVal("a", 10 * kMillion);
  EndBlock();
  Drain();
  Must(Staking::EditValidator(ctx(), v, D("0.25")));
  EXPECT_EQ(Val(v).commission_rate, D("0.25"));
  auto events = Drain();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, Kind::kModified);
  EXPECT_EQ(events[0].validator, v);
  EXPECT_EQ(Staking::EditValidator(ctx(), v, D("1.5")).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Staking::EditValidator(ctx(), ValidatorAddress("nobody"), D("0.1")).code(),
            StatusCode::kNotFound);
  EXPECT_EQ(Val(v).commission_rate, D("0.25"));  // refused edits change nothing
  EXPECT_TRUE(Drain().empty());
  ExpectInvariants();
}

// Issue 9: a validator's description (moniker, identity, website,
// details) is set at creation and by an edit; an edit changes only the
// fields it gives; a field over its length is refused and changes nothing.
TEST_F(StakingTest, ValidatorDescriptionIsSetAtCreationAndByEdits) {
  Fund("op/d", 10 * kMillion);
  const ValidatorAddress v("val/d");
  Must(Staking::CreateValidator(ctx(), v, AccountAddress("op/d"), A(10 * kMillion), D("0.1"),
                                A(1), std::nullopt,
                                Description{"dee", "keybase:dee", "https://dee.example", ""}));
  EXPECT_EQ(Val(v).description, (Description{"dee", "keybase:dee", "https://dee.example", ""}));
  EndBlock();
  Drain();
  Must(Staking::EditValidator(ctx(), v, ValidatorEdit{.moniker = "dee2", .details = "hello"}));
  EXPECT_EQ(Val(v).description, (Description{"dee2", "keybase:dee", "https://dee.example",
                                              "hello"}));
  EXPECT_EQ(Val(v).commission_rate, D("0.1"));  // not given: kept
  auto events = Drain();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, Kind::kModified);
  absl::Status too_long =
      Staking::EditValidator(ctx(), v, ValidatorEdit{.commission_rate = D("0.2"),
                                                     .moniker = std::string(71, 'x')});
  EXPECT_EQ(too_long.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(too_long.message(), "invalid moniker length; got: 71, max: 70");
  EXPECT_EQ(Staking::EditValidator(ctx(), v, ValidatorEdit{}).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Val(v).description.moniker, "dee2");
  EXPECT_EQ(Val(v).commission_rate, D("0.1"));
  EXPECT_TRUE(Drain().empty());
  Fund("op/e", kMillion);
  EXPECT_EQ(Staking::CreateValidator(ctx(), ValidatorAddress("val/e"), AccountAddress("op/e"),
                                     A(kMillion), D("0"), A(1), std::nullopt,
                                     Description{"", "", std::string(141, 'w'), ""})
                .code(),
            StatusCode::kInvalidArgument);
  ExpectInvariants();
}

// A validator record written before descriptions existed (it ends after the
// consensus key) decodes with an empty description; a new one round-trips.
TEST(ValidatorCodecTest, DescriptionIsOptionalAtTheEndOfTheRecord) {
  Validator v;
  v.operator_address = ValidatorAddress("val/x");
  v.operator_account = AccountAddress("op/x");
  v.tokens = Amount(5);
  v.consensus_pubkey = std::string(32, 'k');
  Encoder old;
  old.Str(v.operator_address.value()).Str(v.operator_account.value());
  old.U8(static_cast<uint8_t>(v.status)).Amt(v.tokens).Decimal(v.delegator_shares);
  old.Bool(false).Bool(false).U64(0).U64(0).U64(0).Decimal(v.commission_rate);
  old.Amt(v.min_self_delegation).Bytes(v.consensus_pubkey);
  Decoder d_old(old.data());
  Validator back = Validator::Decode(d_old).value();
  EXPECT_EQ(back.description, Description{});
  EXPECT_EQ(back.consensus_pubkey, v.consensus_pubkey);
  v.description = {"m", "i", "w", "d"};
  Encoder e;
  v.Encode(e);
  Decoder d(e.data());
  EXPECT_EQ(Validator::Decode(d).value().description, v.description);
  EXPECT_TRUE(d.AtEnd());
}

// The share rate read from the record's head is the one the whole record
// decodes to, and values a delegation as the whole validator does; a
// truncated head is DataLoss, like the full decode.
TEST_F(StakingTest, ShareRateIsTheHeadOfTheValidatorRecord) {
  ValidatorAddress v = CreateVal("a", 10 * kMillion);
  Fund("d", kMillion);
  Must(Staking::Delegate(ctx(), AccountAddress("d"), v, A(333333)));
  EndBlock();
  EndBlock();
  // 5 % of power 10 (10^7): 9833333 tokens for 10333333 shares.
  Must(Staking::HandleDoubleSign(ctx(), v, block_.height - 1, 10));
  const Validator full = Val(v);
  const ShareRate rate = Must(Staking::GetShareRate(ctx(), v));
  EXPECT_EQ(rate.tokens, full.tokens);
  EXPECT_EQ(rate.delegator_shares, full.delegator_shares);
  EXPECT_NE(full.tokens.ToString(), full.delegator_shares.TruncateAmount()->ToString());
  const Delegation d = Must(Staking::GetDelegation(ctx(), AccountAddress("d"), v)).value();
  EXPECT_EQ(Must(Staking::DelegationTokens(rate, d)),
            Must(Staking::DelegationTokens(ctx(), AccountAddress("d"), v)));
  EXPECT_EQ(Must(Staking::DelegationTokens(rate, d)), A(317203));  // 333333 × 9833333 / 10333333 = 317203.98
  EXPECT_EQ(Staking::GetShareRate(ctx(), ValidatorAddress("val/none")).status().code(),
            StatusCode::kNotFound);

  Validator w = full;
  w.description = {"moniker", "identity", "website", "details"};
  Encoder e;
  w.Encode(e);
  for (size_t cut = 0; cut <= e.data().size(); ++cut) {
    const std::string head = e.data().substr(0, cut);
    Decoder dh(head);
    Decoder df(head);
    absl::StatusOr<ShareRate> r = Validator::DecodeShareRate(dh);
    absl::StatusOr<Validator> f = Validator::Decode(df);
    if (f.ok()) {
      ASSERT_TRUE(r.ok()) << cut;
      EXPECT_EQ(r->tokens, f->tokens);
      EXPECT_EQ(r->delegator_shares, f->delegator_shares);
    } else if (!r.ok()) {
      EXPECT_EQ(r.status().code(), StatusCode::kDataLoss) << cut;
    }
  }
}

TEST_F(StakingTest, DoubleSignSlashesJailsTombstonesOnce) {
  ValidatorAddress v = CreateVal("a", 10 * kMillion);
  EndBlock();
  EndBlock();
  Drain();
  Amount supply = Supply();
  Must(Staking::HandleDoubleSign(ctx(), v, block_.height - 1, 10));
  Validator got = Val(v);
  EXPECT_EQ(got.tokens, A(9500000));
  EXPECT_TRUE(got.jailed);
  EXPECT_TRUE(got.tombstoned);
  EXPECT_EQ(got.jailed_until_ns, 253402300799ULL * kNanosPerSecond);
  EXPECT_EQ(Supply(), Must(supply.Sub(A(500000))));
  auto events = Drain();
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0].kind, Kind::kModified);
  EXPECT_EQ(events[1].kind, Kind::kSlashed);
  EXPECT_EQ(events[1].amount, A(500000));
  EXPECT_EQ(events[1].infraction_height, static_cast<int64_t>(block_.height - 1));
  EXPECT_EQ(events[1].power, 10u);
  EXPECT_TRUE(events[1].double_sign);
  EXPECT_EQ(events[1].fraction, D("0.05"));
  EXPECT_EQ(events[2].kind, Kind::kJailed);
  EXPECT_EQ(events[3].kind, Kind::kTombstoned);
  // Later evidence is ignored (tombstone cap).
  Must(Staking::HandleDoubleSign(ctx(), v, block_.height - 1, 10));
  EXPECT_EQ(Val(v).tokens, A(9500000));
  EXPECT_TRUE(Drain().empty());
  // Never unjailed, even after the jail time.
  block_.time_ns = 253402300800ULL * kNanosPerSecond;
  EXPECT_EQ(Staking::Unjail(ctx(), v).code(), StatusCode::kFailedPrecondition);
  ExpectInvariants();
}

TEST_F(StakingTest, TombstonedAddressCannotBeReused) {
  ValidatorAddress v = CreateVal("a", kMillion);
  EndBlock();
  Must(Staking::HandleDoubleSign(ctx(), v, block_.height - 1, 1));
  EndBlock();  // leaves the set
  Validator got = Val(v);
  Must(Staking::Undelegate(ctx(), AccountAddress("op/a"), v, got.tokens));
  block_.time_ns = got.unbonding_time_ns;
  EndBlock();
  EXPECT_FALSE(Must(Staking::GetValidator(ctx(), v)).has_value());
  Fund("op/a", 10);
  EXPECT_EQ(Staking::CreateValidator(ctx(), v, AccountAddress("op/a"), A(10), Dec::Zero()).code(),
            StatusCode::kFailedPrecondition);
}

// Issue 9: an infraction at a past height is slashed with the power the
// validator had then. 1,000,000 in the set from h2, 1,000,000 more delegated
// at h5 (in the set from h6): 10 % for downtime at h2 burns 100,000, not
// 200,000.
TEST_F(StakingTest, PastInfractionIsSlashedWithThePowerAtThatHeight) {
  Params p;
  p.slash_fraction_downtime = D("0.1");
  Init(p);
  ValidatorAddress v = CreateVal("a", kMillion);  // h1
  EXPECT_EQ(Must(Staking::PowerAtHeight(ctx(), v, 1)), 0u);
  EndBlock();  // bonded at the end of h1: signs from h2
  EndBlock();
  EndBlock();
  EndBlock();
  ASSERT_EQ(block_.height, 5u);
  DelegateFunded("alice", v, kMillion);
  // The current block still began with the old power.
  EXPECT_EQ(Must(Staking::PowerAtHeight(ctx(), v, 5)), 1u);
  EndBlock();
  EXPECT_EQ(Must(Staking::PowerAtHeight(ctx(), v, 1)), 0u);
  EXPECT_EQ(Must(Staking::PowerAtHeight(ctx(), v, 2)), 1u);
  EXPECT_EQ(Must(Staking::PowerAtHeight(ctx(), v, 5)), 1u);
  EXPECT_EQ(Must(Staking::PowerAtHeight(ctx(), v, 6)), 2u);
  EXPECT_EQ(Val(v).ConsensusPower(p.power_reduction), 2u);
  const Amount supply = Supply();
  Must(Staking::HandleDowntime(ctx(), v, 2, Must(Staking::PowerAtHeight(ctx(), v, 2))));
  EXPECT_EQ(Val(v).tokens, A(1900000));
  EXPECT_EQ(Supply(), Must(supply.Sub(A(100000))));
  // Jailed, it leaves the set at the end of h6: power 0 from h7 on, while
  // the history of h2..h6 is kept for later evidence.
  EndBlock();
  EXPECT_EQ(Must(Staking::PowerAtHeight(ctx(), v, 6)), 2u);
  EXPECT_EQ(Must(Staking::PowerAtHeight(ctx(), v, 7)), 0u);
  EXPECT_EQ(Must(Staking::PowerAtHeight(ctx(), v, 2)), 1u);
  // The last height with power at or before a given one.
  EndBlock();
  EXPECT_EQ(Must(Staking::LastHeightWithPower(ctx(), v, 9)), std::optional<uint64_t>(6));
  EXPECT_EQ(Must(Staking::LastHeightWithPower(ctx(), v, 7)), std::optional<uint64_t>(6));
  EXPECT_EQ(Must(Staking::LastHeightWithPower(ctx(), v, 6)), std::optional<uint64_t>(6));
  EXPECT_EQ(Must(Staking::LastHeightWithPower(ctx(), v, 3)), std::optional<uint64_t>(3));
  EXPECT_EQ(Must(Staking::LastHeightWithPower(ctx(), v, 1)), std::nullopt);
  EXPECT_EQ(Must(Staking::LastHeightWithPower(ctx(), ValidatorAddress("x"), 9)), std::nullopt);
  ExpectInvariants();
}

// A superseded power record is kept for one unbonding period after the
// change that superseded it, then pruned; the latest record stays.
TEST_F(StakingTest, PowerHistoryIsPrunedAfterTheUnbondingPeriod) {
  Params p;
  p.power_reduction = 1;
  p.unbonding_time_s = 100;
  Init(p);
  ValidatorAddress v = CreateVal("a", 10);  // h1
  EndBlock(5);                              // h2: power 10
  DelegateFunded("b", v, 5);                // at t(h2): 15 from h3
  EndBlock(5);                              // h3
  EndBlock(90);                             // h4 at t(h2) + 95
  EXPECT_EQ(Must(Staking::PowerAtHeight(ctx(), v, 2)), 10u);
  EndBlock(5);  // EndBlock(h4) at t(h2) + 95: kept; h5 at t(h2) + 100
  EXPECT_EQ(Must(Staking::PowerAtHeight(ctx(), v, 2)), 10u);
  EndBlock(5);  // EndBlock(h5) at t(h2) + 100: pruned
  EXPECT_EQ(Must(Staking::PowerAtHeight(ctx(), v, 2)), 0u);
  EXPECT_EQ(Must(Staking::PowerAtHeight(ctx(), v, 3)), 15u);
  EXPECT_EQ(Must(Staking::PowerAtHeight(ctx(), v, 100)), 15u);
  ExpectInvariants();
}

// A removed validator's history is dropped one unbonding period later.
TEST_F(StakingTest, RemovedValidatorPowerHistoryIsPruned) {
  Params p;
  p.power_reduction = 1;
  p.unbonding_time_s = 100;
  Init(p);
  ValidatorAddress v = CreateVal("a", 10);
  EndBlock();
  Must(Staking::Jail(ctx(), v));
  EndBlock();  // unbonding: power 0
  Validator got = Val(v);
  EXPECT_EQ(Must(Staking::PowerAtHeight(ctx(), v, 2)), 10u);
  Must(Staking::Undelegate(ctx(), AccountAddress("op/a"), v, A(10)));
  block_.time_ns = got.unbonding_time_ns;
  EndBlock();  // removed; the record of h2 (superseded at h2) pruned too
  EXPECT_FALSE(Must(Staking::GetValidator(ctx(), v)).has_value());
  EXPECT_EQ(Must(Staking::PowerAtHeight(ctx(), v, 2)), 0u);
  EXPECT_EQ(Must(Staking::PowerAtHeight(ctx(), v, 3)), 0u);
  block_.time_ns += 100 * kNanosPerSecond;
  EndBlock();
  EXPECT_EQ(Must(Staking::PowerAtHeight(ctx(), v, 2)), 0u);
  const std::string prefix(1, static_cast<char>(internal::kPowerHistoryPrefix));
  auto it = store_.ScanPrefix(prefix);
  EXPECT_FALSE(it->Valid());  // nothing left
  const std::string queue(1, static_cast<char>(internal::kPowerPruneQueuePrefix));
  auto q = store_.ScanPrefix(queue);
  EXPECT_FALSE(q->Valid());
}

// Issue 9: a tombstoned validator is jailed too and never rejoins the set,
// even with new stake and after the jail time.
TEST_F(StakingTest, TombstonedValidatorIsJailedAndNeverRejoins) {
  ValidatorAddress v = CreateVal("a", kMillion);
  ValidatorAddress w = CreateVal("b", kMillion);
  EndBlock();
  Drain();
  Must(Staking::Tombstone(ctx(), v));
  Validator got = Val(v);
  EXPECT_TRUE(got.jailed);
  EXPECT_TRUE(got.tombstoned);
  EXPECT_EQ(got.jailed_until_ns, 253402300799ULL * kNanosPerSecond);
  auto events = Drain();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kind, Kind::kJailed);
  EXPECT_EQ(events[1].kind, Kind::kTombstoned);
  EXPECT_EQ(Staking::Tombstone(ctx(), v).code(), StatusCode::kFailedPrecondition);
  auto updates = EndBlock();
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].validator, v);
  EXPECT_EQ(updates[0].power, 0u);
  DelegateFunded("whale", v, 100 * kMillion);
  EXPECT_TRUE(EndBlock(3600).empty());
  EXPECT_EQ(Staking::Unjail(ctx(), v).code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(EndBlock().empty());
  EXPECT_EQ(Val(v).status, BondStatus::kUnbonding);
  auto bonded = Must(Staking::BondedValidators(ctx()));
  ASSERT_EQ(bonded.size(), 1u);
  EXPECT_EQ(bonded[0].operator_address, w);
  ExpectInvariants();
}

TEST_F(StakingTest, DowntimeWhileJailedDoesNotStack) {
  ValidatorAddress v = CreateVal("a", kMillion);
  EndBlock();
  Must(Staking::HandleDowntime(ctx(), v, block_.height - 1, 1));
  Must(Staking::HandleDowntime(ctx(), v, block_.height - 1, 1));
  EXPECT_EQ(Val(v).tokens, A(990000));
  ExpectInvariants();
}

TEST_F(StakingTest, EventsLiveInStateAndVanishWithADiscardedOverlay) {
  ValidatorAddress v = CreateVal("a", kMillion);
  {
    Overlay overlay(&store_);
    Context c = ctx().WithStore(&overlay);
    Must(Staking::EndBlock(c));
    EXPECT_EQ(Must(Staking::DrainEvents(c)).size(), 1u);
  }  // discarded
  NextBlock();
  EXPECT_TRUE(Drain().empty());
  EXPECT_EQ(Val(v).status, BondStatus::kUnbonded);
  EndBlock();
  auto events = Drain();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, Kind::kBonded);
  EXPECT_TRUE(Drain().empty());
}

TEST_F(StakingTest, InvalidParamsRejected) {
  Params p;
  p.max_entries = 0;
  EXPECT_EQ(Staking::InitGenesis(ctx(), p).code(), StatusCode::kInvalidArgument);
  p = Params{};
  p.slash_fraction_downtime = D("1.5");
  EXPECT_EQ(Staking::InitGenesis(ctx(), p).code(), StatusCode::kInvalidArgument);
  p = Params{};
  p.slash_fraction_downtime = D("0.0001");  // the Hub value
  Must(Staking::InitGenesis(ctx(), p));
  EXPECT_EQ(Must(Staking::GetParams(ctx())).slash_fraction_downtime, D("0.0001"));
}

TEST_F(StakingTest, ValidateUnbondAmountAndQueries) {
  ValidatorAddress v = CreateVal("a", kMillion);
  ValidatorAddress w = CreateVal("b", kMillion);
  DelegateFunded("d", v, 300);
  DelegateFunded("d", w, 200);
  EXPECT_EQ(Must(Staking::ValidateUnbondAmount(ctx(), AccountAddress("d"), v, A(100))), D("100"));
  EXPECT_EQ(StatusOf(Staking::ValidateUnbondAmount(ctx(), AccountAddress("d"), v, A(301))).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Must(Staking::DelegatorDelegations(ctx(), AccountAddress("d"))).size(), 2u);
  EXPECT_EQ(Must(Staking::ValidatorDelegations(ctx(), v)).size(), 2u);
  EXPECT_EQ(Must(Staking::AllValidators(ctx())).size(), 2u);
  EXPECT_EQ(Must(Staking::DelegationTokens(ctx(), AccountAddress("d"), w)), A(200));
}

// The by-validator index is in the order of the delegators' AddressOrderKey
// (address bytes, not bech32 text): VisitValidatorDelegators starts at a key
// (inclusive, either way), walks down with `reverse` and stops when told.
TEST_F(StakingTest, ValidatorDelegatorsAreVisitedInAddressOrderFromAKey) {
  ValidatorAddress v = CreateVal("a", 1000);
  std::vector<std::string> keys = {AddressOrderKey("op/a")};
  for (int i = 0; i < 12; ++i) {
    const std::string del = ModuleAddress("mesh", "delegator-" + std::to_string(i)).value();
    DelegateFunded(del, v, 10);
    keys.push_back(AddressOrderKey(del));
  }
  // Encoded (length first) order: the 21-byte address keys, then "op/a".
  std::sort(keys.begin(), keys.end(), [](const std::string& x, const std::string& y) {
    return Encoder().Str(x).Take() < Encoder().Str(y).Take();
  });
  auto walk = [&](std::string_view from, bool reverse, size_t stop_after) {
    std::vector<std::string> got;
    EXPECT_TRUE(Staking::VisitValidatorDelegators(
                    ctx(), v, from, reverse,
                    [&](std::string_view key, const AccountAddress& del) -> absl::StatusOr<bool> {
                      EXPECT_EQ(key, AddressOrderKey(del.value()));
                      got.emplace_back(key);
                      return got.size() < stop_after;
                    })
                    .ok());
    return got;
  };
  EXPECT_EQ(walk("", false, 100), keys);
  EXPECT_EQ(walk("", true, 100), std::vector<std::string>(keys.rbegin(), keys.rend()));
  EXPECT_EQ(walk(keys[4], false, 3), std::vector<std::string>(keys.begin() + 4, keys.begin() + 7));
  EXPECT_EQ(walk(keys[4], true, 100),
            std::vector<std::string>(keys.rend() - 5, keys.rend()));  // 4, 3, 2, 1, 0
  // ValidatorDelegations lists them in the same order.
  std::vector<std::string> listed;
  for (const Delegation& d : Must(Staking::ValidatorDelegations(ctx(), v))) {
    listed.push_back(AddressOrderKey(d.delegator.value()));
  }
  EXPECT_EQ(listed, keys);
  // An index entry of the earlier layout (no order key) is refused, not misread.
  ASSERT_TRUE(ctx().store().Put(Encoder(internal::kDelegationByValPrefix)
                                    .Str(v.value())
                                    .Str("op/old")
                                    .Take(), "")
                  .ok());
  EXPECT_EQ(Staking::ValidatorDelegations(ctx(), v).status().code(),
            StatusCode::kFailedPrecondition);
}

// A delegation's by-validator entry holds its shares (written with the
// record), so a validator's delegations are read from the index alone: the
// entry follows every change of the record and leaves with it. An entry
// without shares (an earlier layout) is refused on read and on open.
TEST_F(StakingTest, DelegationIndexEntriesCarryTheShares) {
  ValidatorAddress v = CreateVal("a", 1000);
  const AccountAddress d1(ModuleAddress("mesh", "delegator-1").value());
  const AccountAddress d2(ModuleAddress("mesh", "delegator-2").value());
  DelegateFunded(d1.value(), v, 100);
  DelegateFunded(d2.value(), v, 40);
  auto indexed = [&] {
    std::map<std::string, Dec> out;
    EXPECT_TRUE(Staking::VisitValidatorDelegations(
                    ctx(), v, "", false,
                    [&](std::string_view, std::string_view del,
                        Dec shares) -> absl::StatusOr<bool> {
                      out[std::string(del)] = shares;
                      return true;
                    })
                    .ok());
    return out;
  };
  auto recorded = [&] {
    std::map<std::string, Dec> out;
    for (const AccountAddress& del : {AccountAddress("op/a"), d1, d2}) {
      std::optional<Delegation> d = Must(Staking::GetDelegation(ctx(), del, v));
      if (d.has_value()) out[del.value()] = d->shares;
    }
    return out;
  };
  EXPECT_EQ(indexed(), recorded());
  EXPECT_EQ(indexed().size(), 3u);
  DelegateFunded(d1.value(), v, 25);  // more shares
  ASSERT_TRUE(Staking::Undelegate(ctx(), d2, v, A(15)).ok());  // fewer
  EXPECT_EQ(indexed(), recorded());
  EXPECT_EQ(indexed()[d1.value()], Must(Dec::FromAmount(A(125))));
  ASSERT_TRUE(Staking::Undelegate(ctx(), d2, v, A(25)).ok());  // all: the entry leaves
  EXPECT_EQ(indexed(), recorded());
  EXPECT_EQ(indexed().count(d2.value()), 0u);
  // ValidatorDelegations, from the index, lists what the records hold.
  for (const Delegation& d : Must(Staking::ValidatorDelegations(ctx(), v))) {
    EXPECT_EQ(d.shares, recorded()[d.delegator.value()]);
    EXPECT_EQ(d.validator, v);
  }
  EXPECT_TRUE(Staking::CheckStoredLayout(ctx()).ok());
  // The first entry of the index (the one the check on open reads) without
  // its shares.
  AccountAddress first("");
  ASSERT_TRUE(Staking::VisitValidatorDelegators(
                  ctx(), v, "", false,
                  [&](std::string_view, const AccountAddress& del) -> absl::StatusOr<bool> {
                    first = del;
                    return false;
                  })
                  .ok());
  ASSERT_TRUE(ctx().store().Put(internal::DelegationByValKey(v, first), "").ok());
  EXPECT_EQ(Staking::ValidatorDelegations(ctx(), v).status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(Staking::CheckStoredLayout(ctx()).code(), StatusCode::kFailedPrecondition);
}


}  // namespace
}  // namespace mesh::staking::testing
