// F1 fee distribution: each validator has a current period accumulating
// rewards and, per ended period, the cumulative reward per token since it was
// created. A delegation remembers the period it started in and its stake
// then; its reward is stake x (cumulative(end) - cumulative(start)), with the
// stake reduced by every slash in between. Cost per withdrawal is
// O(slashes since the delegation started), independent of the delegators;
// the current-rewards record names the period of the validator's last slash
// event, so a withdrawal with none since its start reads no slash events.
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/record.h"
#include "staking/bank.h"
#include "staking/internal.h"

namespace mesh::staking {
namespace internal {
namespace {

// Rewards per denom, 18 decimals.
struct DecCoins {
  std::map<std::string, Dec> by_denom;
  void Encode(Encoder& e) const {
    e.U32(static_cast<uint32_t>(by_denom.size()));
    for (const auto& [denom, amount] : by_denom) e.Str(denom).Decimal(amount);
  }
  static absl::StatusOr<DecCoins> Decode(Decoder& d) {
    DecCoins out;
    MESH_ASSIGN_OR_RETURN(uint32_t n, d.U32());
    for (uint32_t i = 0; i < n; ++i) {
      MESH_ASSIGN_OR_RETURN(std::string denom, d.Str());
      MESH_ASSIGN_OR_RETURN(Dec amount, d.Decimal());
      out.by_denom[denom] = amount;
    }
    return out;
  }
  absl::Status Add(const std::string& denom, Dec amount) {
    MESH_ASSIGN_OR_RETURN(by_denom[denom], by_denom[denom].Add(amount));
    return absl::OkStatus();
  }
  // Whether it holds nothing to share (every denom at zero).
  bool IsZero() const {
    for (const auto& [denom, amount] : by_denom) {
      if (!amount.IsZero()) return false;
    }
    return true;
  }
};

struct CurrentRewards {
  uint64_t period = 1;
  DecCoins rewards;
  // The period of the validator's last slash event (0: none). nullopt in a
  // record written before the field existed (docs/state-layout.md, 0x31):
  // IncrementPeriod then finds it from the slash events and writes it.
  std::optional<uint64_t> last_slash_period;
  void Encode(Encoder& e) const {
    e.U64(period);
    rewards.Encode(e);
    if (last_slash_period.has_value()) e.U64(*last_slash_period);
  }
  static absl::StatusOr<CurrentRewards> Decode(Decoder& d) {
    CurrentRewards out;
    MESH_ASSIGN_OR_RETURN(out.period, d.U64());
    MESH_ASSIGN_OR_RETURN(out.rewards, DecCoins::Decode(d));
    if (!d.AtEnd()) {
      MESH_ASSIGN_OR_RETURN(uint64_t last, d.U64());
      out.last_slash_period = last;
    }
    return out;
  }
};

struct HistoricalRewards {
  DecCoins cumulative;  // reward per token from period 0 to this period
  uint32_t refs = 0;    // delegations, slash events and the next period
  void Encode(Encoder& e) const {
    cumulative.Encode(e);
    e.U32(refs);
  }
  static absl::StatusOr<HistoricalRewards> Decode(Decoder& d) {
    HistoricalRewards out;
    MESH_ASSIGN_OR_RETURN(out.cumulative, DecCoins::Decode(d));
    MESH_ASSIGN_OR_RETURN(out.refs, d.U32());
    return out;
  }
};

struct StartingInfo {
  uint64_t previous_period = 0;
  Dec stake;  // tokens of the delegation when it (re)started, truncated
  uint64_t height = 0;
  void Encode(Encoder& e) const { e.U64(previous_period).Decimal(stake).U64(height); }
  static absl::StatusOr<StartingInfo> Decode(Decoder& d) {
    StartingInfo out;
    MESH_ASSIGN_OR_RETURN(out.previous_period, d.U64());
    MESH_ASSIGN_OR_RETURN(out.stake, d.Decimal());
    MESH_ASSIGN_OR_RETURN(out.height, d.U64());
    return out;
  }
};

struct SlashEventRecord {
  Dec fraction;
  void Encode(Encoder& e) const { e.Decimal(fraction); }
  static absl::StatusOr<SlashEventRecord> Decode(Decoder& d) {
    SlashEventRecord out;
    MESH_ASSIGN_OR_RETURN(out.fraction, d.Decimal());
    return out;
  }
};

std::string ValPrefix(uint8_t table, const ValidatorAddress& val) {
  return Encoder(table).Str(val.value()).Take();
}
std::string CurrentKey(const ValidatorAddress& val) {
  return ValPrefix(kCurrentRewardsPrefix, val);
}
std::string HistKey(const ValidatorAddress& val, uint64_t period) {
  return Encoder(kHistoricalRewardsPrefix).Str(val.value()).U64(period).Take();
}
}  // namespace

std::string StartingInfoKey(const ValidatorAddress& val, const AccountAddress& del) {
  return Encoder(kStartingInfoPrefix).Str(val.value()).Str(del.value()).Take();
}

namespace {

std::string SlashKey(const ValidatorAddress& val, uint64_t period) {
  return Encoder(kSlashEventPrefix).Str(val.value()).U64(period).Take();
}
std::string CommissionKey(const ValidatorAddress& val) { return ValPrefix(kCommissionPrefix, val); }

template <typename T>
absl::StatusOr<T> MustGet(const Context& ctx, const std::string& key, const char* what) {
  MESH_ASSIGN_OR_RETURN(std::optional<T> v, GetRecord<T>(ctx.store(), key));
  if (!v.has_value()) return absl::InternalError(std::string("staking: missing ") + what);
  return *std::move(v);
}

absl::Status AddRef(const Context& ctx, const ValidatorAddress& val, uint64_t period) {
  std::string key = HistKey(val, period);
  MESH_ASSIGN_OR_RETURN(auto h, MustGet<HistoricalRewards>(ctx, key, "historical rewards"));
  ++h.refs;
  return PutRecord(ctx.store(), key, h);
}

// Deletes the record when its last reference goes (F1 pruning).
absl::Status DropRef(const Context& ctx, const ValidatorAddress& val, uint64_t period) {
  std::string key = HistKey(val, period);
  MESH_ASSIGN_OR_RETURN(auto h, MustGet<HistoricalRewards>(ctx, key, "historical rewards"));
  if (h.refs == 0) return absl::InternalError("staking: historical rewards refcount underflow");
  if (--h.refs == 0) return ctx.store().Delete(key);
  return PutRecord(ctx.store(), key, h);
}

// The period of the validator's last recorded slash event, 0 if none (one
// reverse step over its slash events; only for a record without the field).
absl::StatusOr<uint64_t> ScanLastSlashPeriod(const Context& ctx, const ValidatorAddress& val) {
  const std::string prefix = ValPrefix(kSlashEventPrefix, val);
  auto it = ctx.store().ScanPrefix(prefix, /*reverse=*/true);
  if (!it->Valid()) {
    MESH_RETURN_IF_ERROR(it->status());
    return uint64_t{0};
  }
  Decoder k(it->key().substr(prefix.size()));
  return k.U64();
}

struct EndedPeriod {
  uint64_t period = 0;       // the period just ended
  uint64_t last_slash = 0;   // the validator's last slash-event period, 0 if none
};

// Ends the current period: cumulative(P) = cumulative(P-1) + rewards/tokens
// (truncated). With zero tokens the period's rewards are left in the
// distribution pool as dust. Returns the ended period P; `slashing` records
// P as the validator's last slash-event period (the caller writes the event).
absl::StatusOr<EndedPeriod> IncrementPeriod(const Context& ctx, const Validator& v,
                                            bool slashing = false) {
  const ValidatorAddress& val = v.operator_address;
  MESH_ASSIGN_OR_RETURN(auto cur, MustGet<CurrentRewards>(ctx, CurrentKey(val), "rewards"));
  // A period without rewards is left open (docs/compatibility.md, S-1): its
  // cumulative would be the previous period's, so whoever starts now starts
  // at that one, and the rewards it pays are the same. A delegation's change
  // writes no period of its own unless rewards came since the last one; a
  // slash always ends the period (its event is keyed by it).
  if (!slashing && cur.last_slash_period.has_value() && cur.rewards.IsZero()) {
    return EndedPeriod{cur.period - 1, *cur.last_slash_period};
  }
  if (slashing) {
    cur.last_slash_period = cur.period;
  } else if (!cur.last_slash_period.has_value()) {
    MESH_ASSIGN_OR_RETURN(cur.last_slash_period, ScanLastSlashPeriod(ctx, val));
  }
  MESH_ASSIGN_OR_RETURN(auto prev, MustGet<HistoricalRewards>(ctx, HistKey(val, cur.period - 1),
                                                              "historical rewards"));
  DecCoins cumulative = prev.cumulative;
  if (!v.tokens.IsZero()) {
    for (const auto& [denom, amount] : cur.rewards.by_denom) {
      // QuoTruncate(rewards, tokens): raw / tokens, since tokens are integral.
      Dec ratio = Dec::FromRaw(static_cast<i128>(static_cast<u128>(amount.raw()) / v.tokens.raw()));
      MESH_RETURN_IF_ERROR(cumulative.Add(denom, ratio));
    }
  }
  MESH_RETURN_IF_ERROR(DropRef(ctx, val, cur.period - 1));
  MESH_RETURN_IF_ERROR(
      PutRecord(ctx.store(), HistKey(val, cur.period), HistoricalRewards{cumulative, 1}));
  MESH_RETURN_IF_ERROR(PutRecord(ctx.store(), CurrentKey(val),
                                 CurrentRewards{cur.period + 1, {}, cur.last_slash_period}));
  return EndedPeriod{cur.period, *cur.last_slash_period};
}

// stake x (cumulative(end) - cumulative(start)), truncated per denom.
absl::Status AddRewardsBetween(const Context& ctx, const ValidatorAddress& val, uint64_t start,
                               uint64_t end, Dec stake, DecCoins& out) {
  MESH_ASSIGN_OR_RETURN(auto s, MustGet<HistoricalRewards>(ctx, HistKey(val, start), "start"));
  MESH_ASSIGN_OR_RETURN(auto e, MustGet<HistoricalRewards>(ctx, HistKey(val, end), "end"));
  for (const auto& [denom, cum_end] : e.cumulative.by_denom) {
    auto it = s.cumulative.by_denom.find(denom);
    Dec cum_start = it == s.cumulative.by_denom.end() ? Dec::Zero() : it->second;
    MESH_ASSIGN_OR_RETURN(Dec diff, cum_end.Sub(cum_start));
    if (diff.IsNegative()) return absl::InternalError("staking: negative reward ratio");
    MESH_ASSIGN_OR_RETURN(Dec r, diff.MulTruncate(stake));
    MESH_RETURN_IF_ERROR(out.Add(denom, r));
  }
  return absl::OkStatus();
}

// `ending` is the period just ended; the validator's slash events lie at or
// before `last_slash`, so none is read when it is not after the start.
absl::StatusOr<DecCoins> CalculateRewards(const Context& ctx, const Validator& v,
                                          const Delegation& d, const StartingInfo& start,
                                          const EndedPeriod& ending_period) {
  const ValidatorAddress& val = v.operator_address;
  const uint64_t ending = ending_period.period;
  DecCoins rewards;
  Dec stake = start.stake;
  uint64_t period = start.previous_period;
  std::vector<KeyValue> slashes;
  if (ending_period.last_slash > period) {
    MESH_ASSIGN_OR_RETURN(slashes, CollectRange(ctx.store(), SlashKey(val, period + 1),
                                                SlashKey(val, ending + 1)));
  }
  for (const KeyValue& kv : slashes) {
    Decoder k(std::string_view(kv.key).substr(ValPrefix(kSlashEventPrefix, val).size()));
    MESH_ASSIGN_OR_RETURN(uint64_t slash_period, k.U64());
    MESH_ASSIGN_OR_RETURN(auto ev, DecodeRecord<SlashEventRecord>(kv.value));
    MESH_RETURN_IF_ERROR(AddRewardsBetween(ctx, val, period, slash_period, stake, rewards));
    MESH_ASSIGN_OR_RETURN(Dec keep, Dec::One().Sub(ev.fraction));
    MESH_ASSIGN_OR_RETURN(stake, stake.MulTruncate(keep));  // never over-pay
    period = slash_period;
  }
  // Rounding can leave the tracked stake a hair above the delegation's
  // current value; the current value wins (the SDK does the same).
  MESH_ASSIGN_OR_RETURN(Dec current, TokensFromShares(v, d.shares));
  if (stake > current) stake = current;
  MESH_RETURN_IF_ERROR(AddRewardsBetween(ctx, val, period, ending, stake, rewards));
  return rewards;
}

// Pays the integer part of each denom from the distribution pool.
absl::StatusOr<std::vector<std::pair<Denom, Amount>>> PayOut(const Context& ctx,
                                                             const AccountAddress& to,
                                                             const DecCoins& coins) {
  std::vector<std::pair<Denom, Amount>> paid;
  for (const auto& [denom, amount] : coins.by_denom) {
    MESH_ASSIGN_OR_RETURN(Amount whole, amount.TruncateAmount());
    if (whole.IsZero()) continue;
    MESH_RETURN_IF_ERROR(Bank::Send(ctx, kDistributionPool, to, Denom(denom), whole));
    paid.emplace_back(Denom(denom), whole);
  }
  return paid;
}

absl::StatusOr<std::vector<std::pair<Denom, Amount>>> WithdrawInternal(const Context& ctx,
                                                                       const Validator& v,
                                                                       const Delegation& d) {
  std::string key = StartingInfoKey(v.operator_address, d.delegator);
  MESH_ASSIGN_OR_RETURN(auto start, MustGet<StartingInfo>(ctx, key, "delegator starting info"));
  MESH_ASSIGN_OR_RETURN(EndedPeriod ending, IncrementPeriod(ctx, v));
  MESH_ASSIGN_OR_RETURN(DecCoins rewards, CalculateRewards(ctx, v, d, start, ending));
  MESH_RETURN_IF_ERROR(DropRef(ctx, v.operator_address, start.previous_period));
  MESH_RETURN_IF_ERROR(ctx.store().Delete(key));
  return PayOut(ctx, d.delegator, rewards);
}

// Credits `commission` to the validator; whole tokens go to the operator at
// once, the fraction waits in state for the next allocation.
absl::Status CreditCommission(const Context& ctx, const Validator& v, const Denom& denom,
                              Dec commission) {
  std::string key = CommissionKey(v.operator_address);
  MESH_ASSIGN_OR_RETURN(DecCoins acc, GetRecordOr<DecCoins>(ctx.store(), key, DecCoins{}));
  MESH_RETURN_IF_ERROR(acc.Add(denom.value(), commission));
  MESH_ASSIGN_OR_RETURN(Amount whole, acc.by_denom[denom.value()].TruncateAmount());
  MESH_ASSIGN_OR_RETURN(Dec whole_dec, Dec::FromAmount(whole));
  MESH_ASSIGN_OR_RETURN(acc.by_denom[denom.value()], acc.by_denom[denom.value()].Sub(whole_dec));
  MESH_RETURN_IF_ERROR(Bank::Send(ctx, kDistributionPool, v.operator_account, denom, whole));
  return PutRecord(ctx.store(), key, acc);
}

absl::Status AllocateToValidator(const Context& ctx, const Validator& v, const Denom& denom,
                                 Dec reward) {
  MESH_ASSIGN_OR_RETURN(Dec commission, reward.Mul(v.commission_rate));  // half-even
  MESH_ASSIGN_OR_RETURN(Dec shared, reward.Sub(commission));
  MESH_RETURN_IF_ERROR(CreditCommission(ctx, v, denom, commission));
  std::string key = CurrentKey(v.operator_address);
  MESH_ASSIGN_OR_RETURN(auto cur, MustGet<CurrentRewards>(ctx, key, "rewards"));
  MESH_RETURN_IF_ERROR(cur.rewards.Add(denom.value(), shared));
  return PutRecord(ctx.store(), key, cur);
}

}  // namespace

absl::Status InitValidatorRewards(const Context& ctx, const ValidatorAddress& val) {
  MESH_RETURN_IF_ERROR(PutRecord(ctx.store(), HistKey(val, 0), HistoricalRewards{{}, 1}));
  return PutRecord(ctx.store(), CurrentKey(val), CurrentRewards{1, {}, uint64_t{0}});
}

absl::Status OnDelegationCreating(const Context& ctx, const Validator& v) {
  return IncrementPeriod(ctx, v).status();
}

absl::Status OnDelegationModifying(const Context& ctx, const Validator& v, const Delegation& d,
                                   std::vector<std::pair<Denom, Amount>>* paid) {
  MESH_ASSIGN_OR_RETURN(auto out, WithdrawInternal(ctx, v, d));
  if (paid != nullptr) *paid = std::move(out);
  return absl::OkStatus();
}

absl::Status OnDelegationModified(const Context& ctx, const Validator& v, const Delegation& d) {
  MESH_ASSIGN_OR_RETURN(auto cur,
                        MustGet<CurrentRewards>(ctx, CurrentKey(v.operator_address), "rewards"));
  uint64_t previous = cur.period - 1;
  MESH_RETURN_IF_ERROR(AddRef(ctx, v.operator_address, previous));
  MESH_ASSIGN_OR_RETURN(Dec stake, TokensFromSharesTruncated(v, d.shares));
  return PutRecord(ctx.store(), StartingInfoKey(v.operator_address, d.delegator),
                   StartingInfo{previous, stake, ctx.height()});
}

absl::Status OnDelegationRemoved(const Context& ctx, const ValidatorAddress& val,
                                 const AccountAddress& del) {
  return ctx.store().Delete(StartingInfoKey(val, del));
}

absl::Status OnValidatorSlashed(const Context& ctx, const Validator& v, Dec fraction) {
  MESH_ASSIGN_OR_RETURN(EndedPeriod ended, IncrementPeriod(ctx, v, /*slashing=*/true));
  const uint64_t period = ended.period;
  MESH_RETURN_IF_ERROR(AddRef(ctx, v.operator_address, period));
  return PutRecord(ctx.store(), SlashKey(v.operator_address, period), SlashEventRecord{fraction});
}

absl::Status RemoveValidatorRewards(const Context& ctx, const ValidatorAddress& val) {
  for (uint8_t table : {kHistoricalRewardsPrefix, kStartingInfoPrefix, kSlashEventPrefix}) {
    MESH_ASSIGN_OR_RETURN(auto kvs, CollectPrefix(ctx.store(), ValPrefix(table, val)));
    for (const KeyValue& kv : kvs) MESH_RETURN_IF_ERROR(ctx.store().Delete(kv.key));
  }
  MESH_RETURN_IF_ERROR(ctx.store().Delete(CommissionKey(val)));
  return ctx.store().Delete(CurrentKey(val));
}

}  // namespace internal

using internal::Atomically;

absl::Status Staking::AllocateRewards(const Context& ctx, const AccountAddress& from,
                                      const Denom& denom, Amount amount) {
  if (amount.IsZero()) return absl::OkStatus();
  return Atomically(ctx, [&](const Context& c) -> absl::Status {
    MESH_RETURN_IF_ERROR(Bank::Send(c, from, kDistributionPool, denom, amount));
    MESH_ASSIGN_OR_RETURN(Params p, GetParams(c));
    MESH_ASSIGN_OR_RETURN(std::vector<Validator> bonded, BondedValidators(c));
    u128 total = 0;
    for (const Validator& v : bonded) total += v.ConsensusPower(p.power_reduction);
    if (total == 0) return absl::OkStatus();  // nobody to pay: stays in the pool
    MESH_ASSIGN_OR_RETURN(Dec whole, Dec::FromAmount(amount));
    for (const Validator& v : bonded) {
      uint64_t power = v.ConsensusPower(p.power_reduction);
      if (power == 0) continue;
      // amount x power / total, truncated at 18 decimals (pay out: down).
      MESH_ASSIGN_OR_RETURN(
          u128 raw, MulDivU128(static_cast<u128>(whole.raw()), power, total, Rounding::kDown));
      MESH_RETURN_IF_ERROR(
          internal::AllocateToValidator(c, v, denom, Dec::FromRaw(static_cast<i128>(raw))));
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<std::pair<Denom, Amount>>> Staking::WithdrawRewards(
    const Context& ctx, const AccountAddress& delegator, const ValidatorAddress& val) {
  return Atomically(ctx,
                    [&](const Context& c) -> absl::StatusOr<std::vector<std::pair<Denom, Amount>>> {
                      MESH_ASSIGN_OR_RETURN(Validator v, internal::MustGetValidator(c, val));
                      MESH_ASSIGN_OR_RETURN(std::optional<Delegation> d,
                                            internal::FindDelegation(c, delegator, val));
                      if (!d.has_value()) {
                        return absl::NotFoundError("no delegation from " + delegator.value() +
                                                   " to " + val.value());
                      }
                      MESH_ASSIGN_OR_RETURN(auto paid, internal::WithdrawInternal(c, v, *d));
                      MESH_RETURN_IF_ERROR(internal::OnDelegationModified(c, v, *d));
                      return paid;
                    });
}

}  // namespace mesh::staking
