#include "mesh/provider/slash_throttle.h"

#include <algorithm>
#include <climits>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/record.h"
#include "core/status.h"
#include "mesh/provider/external_internal.h"
#include "mesh/provider/tables.h"
#include "staking/staking.h"

namespace mesh::provider {
namespace {

std::string StateKey() { return tables::Key(tables::kThrottle); }
std::string SeqKey() { return tables::Key(tables::kThrottleSeq); }
std::string CountKey(const ConsumerId& c) { return tables::Key(tables::kThrottleQueued, c.value()); }
std::string ValCountKey(const ConsumerId& c, const ValidatorAddress& v) {
  return tables::Key(tables::kThrottleQueuedByVal, c.value(), v.value());
}

absl::StatusOr<uint64_t> ReadCount(const Context& ctx, const std::string& key) {
  return tables::CounterOrZero(ctx.store(), key);
}

absl::Status AddToCount(const Context& ctx, const std::string& key, int delta) {
  return tables::StepCounter(ctx.store(), key, delta > 0).status();
}

// One waiting slash in the (consumer, validator) record of table 0x6D,
// with the weight total of its users when it was queued (P-45).
struct WeightedQueued {
  uint64_t seq = 0;
  Amount amount;
  Amount weight_total;
  uint64_t infraction_height = 0;
  uint64_t update_height = 0;
};

// The (consumer, validator) record of table 0x6D: slashes waiting, the sum
// of their amounts, then (absent in records written before it) those queued
// with a weight total, oldest first. A slash counted but not listed was
// queued before the list: only its amount is known (the coarse reserve).
struct ValQueued {
  uint64_t count = 0;
  Amount amount;
  std::vector<WeightedQueued> weighted;
};

absl::StatusOr<ValQueued> ReadValQueued(const Context& ctx, const ConsumerId& c,
                                        const ValidatorAddress& v) {
  MESH_ASSIGN_OR_RETURN(std::optional<std::string> raw, ctx.store().Get(ValCountKey(c, v)));
  ValQueued q;
  if (!raw.has_value()) return q;
  Decoder d(*raw);
  MESH_ASSIGN_OR_RETURN(q.count, d.U64());
  MESH_ASSIGN_OR_RETURN(q.amount, d.Amt());
  if (!d.AtEnd()) {
    MESH_ASSIGN_OR_RETURN(uint64_t n, d.U64());
    if (n > q.count) return absl::DataLossError("table 0x6D: more weighted slashes than waiting");
    for (uint64_t i = 0; i < n; ++i) {
      WeightedQueued w;
      MESH_ASSIGN_OR_RETURN(w.seq, d.U64());
      MESH_ASSIGN_OR_RETURN(w.amount, d.Amt());
      MESH_ASSIGN_OR_RETURN(w.weight_total, d.Amt());
      MESH_ASSIGN_OR_RETURN(w.infraction_height, d.U64());
      MESH_ASSIGN_OR_RETURN(w.update_height, d.U64());
      q.weighted.push_back(w);
    }
  }
  MESH_RETURN_IF_ERROR(d.Finish());
  return q;
}

std::string EncodeValQueued(const ValQueued& q) {
  Encoder e;
  e.U64(q.count).Amt(q.amount).U64(static_cast<uint64_t>(q.weighted.size()));
  for (const WeightedQueued& w : q.weighted) {
    e.U64(w.seq).Amt(w.amount).Amt(w.weight_total).U64(w.infraction_height).U64(w.update_height);
  }
  return e.Take();
}

// Adds (`weight_total` set: the slash queued as `seq`) or removes (nullopt:
// the slash `seq` leaves the queue; counts saturate at 0) `slash` in the
// consumer's queued count and in the (consumer, validator) record.
absl::Status AddQueued(const Context& ctx, const ConsumerId& c, const RemoteSlash& slash,
                       uint64_t seq, std::optional<Amount> weight_total) {
  const int delta = weight_total.has_value() ? +1 : -1;
  MESH_RETURN_IF_ERROR(AddToCount(ctx, CountKey(c), delta));
  MESH_ASSIGN_OR_RETURN(ValQueued q, ReadValQueued(ctx, c, slash.validator));
  if (weight_total.has_value()) {
    ++q.count;
    MESH_ASSIGN_OR_RETURN(q.amount, q.amount.Add(slash.amount));
    q.weighted.push_back(WeightedQueued{seq, slash.amount, *weight_total,
                                        slash.infraction_height, slash.update_height});
  } else {
    q.count = q.count > 0 ? q.count - 1 : 0;
    q.amount = q.amount.SaturatingSub(slash.amount);
    std::erase_if(q.weighted, [&](const WeightedQueued& w) { return w.seq == seq; });
  }
  const std::string key = ValCountKey(c, slash.validator);
  if (q.count == 0) return ctx.store().Delete(key);
  return ctx.store().Put(key, EncodeValQueued(q));
}

std::string EncodeQueued(const ConsumerId& c, const RemoteSlash& s) {
  Encoder e;
  e.Str(c.value()).Str(s.validator.value()).U64(s.infraction_height).U64(s.infraction_time);
  e.U64(s.power).Amt(s.amount).Str(s.slash_ratio).U64(s.update_height);
  e.U64(s.received_at_ns);
  return e.Take();
}

absl::StatusOr<QueuedSlash> DecodeQueued(uint64_t seq, std::string_view bytes) {
  Decoder d(bytes);
  QueuedSlash q;
  q.seq = seq;
  MESH_ASSIGN_OR_RETURN(std::string c, d.Str());
  q.consumer = ConsumerId(std::move(c));
  MESH_ASSIGN_OR_RETURN(std::string v, d.Str());
  q.slash.validator = ValidatorAddress(std::move(v));
  MESH_ASSIGN_OR_RETURN(q.slash.infraction_height, d.U64());
  MESH_ASSIGN_OR_RETURN(q.slash.infraction_time, d.U64());
  MESH_ASSIGN_OR_RETURN(q.slash.power, d.U64());
  MESH_ASSIGN_OR_RETURN(q.slash.amount, d.Amt());
  MESH_ASSIGN_OR_RETURN(q.slash.slash_ratio, d.Str());
  MESH_ASSIGN_OR_RETURN(q.slash.update_height, d.U64());
  if (!d.AtEnd()) {  // absent in entries queued before it: 0 (= now)
    MESH_ASSIGN_OR_RETURN(q.slash.received_at_ns, d.U64());
  }
  MESH_RETURN_IF_ERROR(d.Finish());
  return q;
}

absl::Status Save(const Context& ctx, const ThrottleState& s) {
  return PutRecord(ctx.store(), StateKey(), s);
}

absl::StatusOr<int64_t> CurrentAllowance(const Context& ctx, const ThrottleState& s) {
  MESH_ASSIGN_OR_RETURN(uint64_t total, SlashThrottle::TotalPower(ctx));
  return meter::Allowance(s.params.replenish_fraction, total);
}

// The state, started (meter full) if this is its first use.
absl::StatusOr<ThrottleState> Started(const Context& ctx) {
  MESH_ASSIGN_OR_RETURN(ThrottleState s, SlashThrottle::State(ctx));
  if (!s.started) {
    MESH_ASSIGN_OR_RETURN(int64_t allowance, CurrentAllowance(ctx, s));
    meter::Start(s, allowance, ctx.time_seconds());
  }
  return s;
}

// The oldest queued slash, if any.
absl::StatusOr<std::optional<QueuedSlash>> Head(const Context& ctx) {
  const std::string prefix = tables::Key(tables::kThrottleQueue);
  auto it = ctx.store().ScanPrefix(prefix);
  if (!it->Valid()) {
    MESH_RETURN_IF_ERROR(it->status());
    return std::optional<QueuedSlash>();
  }
  Decoder k(it->key().substr(prefix.size()));
  MESH_ASSIGN_OR_RETURN(uint64_t seq, k.U64());
  MESH_ASSIGN_OR_RETURN(QueuedSlash q, DecodeQueued(seq, it->value()));
  return std::optional<QueuedSlash>(std::move(q));
}

// Handles one slash: meter −= cost, then the external staking handler. A
// consumer link that is gone or closed takes nothing (and costs nothing).
absl::Status Handle(const Context& ctx, ThrottleState& s, const ConsumerId& c,
                    const RemoteSlash& slash) {
  absl::StatusOr<ExternalConfig> cfg = ExternalStaking::Config(ctx, c);
  if (absl::IsNotFound(cfg.status())) return absl::OkStatus();
  MESH_RETURN_IF_ERROR(cfg.status());
  if (cfg->closed) return absl::OkStatus();
  MESH_ASSIGN_OR_RETURN(int64_t cost, SlashThrottle::Cost(ctx, c, slash));
  s.meter -= cost;
  // Judged Active at its infraction height when it arrived (Submit).
  return ExternalStaking::HandleRemoteSlash(ctx, c, slash);
}

}  // namespace

void ThrottleState::Encode(Encoder& e) const {
  e.Decimal(params.replenish_fraction).U64(params.replenish_period_s).U32(params.max_per_block);
  e.Bool(started).I64(meter).U64(candidate_s);
  e.U32(params.max_queued_per_consumer);
}

absl::StatusOr<ThrottleState> ThrottleState::Decode(Decoder& d) {
  ThrottleState s;
  MESH_ASSIGN_OR_RETURN(s.params.replenish_fraction, d.Decimal());
  MESH_ASSIGN_OR_RETURN(s.params.replenish_period_s, d.U64());
  MESH_ASSIGN_OR_RETURN(s.params.max_per_block, d.U32());
  MESH_ASSIGN_OR_RETURN(s.started, d.Bool());
  MESH_ASSIGN_OR_RETURN(s.meter, d.I64());
  MESH_ASSIGN_OR_RETURN(s.candidate_s, d.U64());
  if (!d.AtEnd()) {
    MESH_ASSIGN_OR_RETURN(s.params.max_queued_per_consumer, d.U32());
  }
  return s;
}

namespace meter {

int64_t Allowance(Dec fraction, uint64_t total_power) {
  absl::StatusOr<Dec> product = fraction.MulInt(static_cast<i128>(total_power));
  // fraction ≤ 1 and total < 2^64 cannot overflow 18-place i128 Dec... but
  // keep a defined answer: the whole power.
  const i128 rounded =
      product.ok() ? product->RoundInt() : static_cast<i128>(total_power);
  if (rounded <= 0) return 1;
  return static_cast<int64_t>(std::min<i128>(rounded, INT64_MAX));
}

void Start(ThrottleState& s, int64_t allowance, uint64_t now_s) {
  s.started = true;
  s.meter = allowance;
  s.candidate_s = now_s + s.params.replenish_period_s;
}

void Replenish(ThrottleState& s, int64_t allowance, uint64_t now_s) {
  if (now_s >= s.candidate_s) {
    s.meter = std::min(s.meter + allowance, allowance);
    s.candidate_s = now_s + s.params.replenish_period_s;
  }
  if (s.meter >= allowance) {
    s.meter = allowance;
    s.candidate_s = now_s + s.params.replenish_period_s;
  }
}

}  // namespace meter

absl::Status SlashThrottle::SetParams(const Context& ctx, const ThrottleParams& params) {
  if (params.replenish_fraction.IsNegative() || Dec::One() < params.replenish_fraction) {
    return absl::InvalidArgumentError("slash meter replenish fraction must lie in [0, 1]");
  }
  if (params.replenish_period_s == 0) {
    return absl::InvalidArgumentError("slash meter replenish period must be positive");
  }
  if (params.max_per_block == 0) {
    return absl::InvalidArgumentError("slash throttle max_per_block must be positive");
  }
  if (params.max_queued_per_consumer == 0) {
    return absl::InvalidArgumentError("slash throttle max_queued_per_consumer must be positive");
  }
  MESH_ASSIGN_OR_RETURN(ThrottleState s, State(ctx));
  s.params = params;
  return Save(ctx, s);
}

absl::StatusOr<ThrottleState> SlashThrottle::State(const Context& ctx) {
  return GetRecordOr<ThrottleState>(ctx.store(), StateKey(), ThrottleState{});
}

absl::StatusOr<uint64_t> SlashThrottle::TotalPower(const Context& ctx) {
  MESH_ASSIGN_OR_RETURN(staking::Params p, staking::Staking::GetParams(ctx));
  MESH_ASSIGN_OR_RETURN(std::vector<staking::Validator> bonded,
                        staking::Staking::BondedValidators(ctx));
  uint64_t total = 0;
  for (const staking::Validator& v : bonded) {
    const uint64_t power = v.ConsensusPower(p.power_reduction);
    total = power > UINT64_MAX - total ? UINT64_MAX : total + power;
  }
  return total;
}

absl::StatusOr<int64_t> SlashThrottle::Cost(const Context& ctx, const ConsumerId& consumer,
                                            const RemoteSlash& slash) {
  MESH_ASSIGN_OR_RETURN(staking::Params p, staking::Staking::GetParams(ctx));
  MESH_ASSIGN_OR_RETURN(Distribution d, ext_internal::LoadDist(ctx, consumer, slash.validator));
  MESH_ASSIGN_OR_RETURN(Amount power, d.total_stake.DivFloor(Amount(p.power_reduction)));
  return static_cast<int64_t>(std::min<u128>(power.raw(), INT64_MAX));
}

absl::StatusOr<bool> SlashThrottle::Submit(const Context& ctx, const ConsumerId& consumer,
                                           const RemoteSlash& slash) {
  // Judged now, against the history before the rest of its packet: a slash
  // to defer or drop goes its way at once and costs nothing.
  MESH_ASSIGN_OR_RETURN(bool applies, ExternalStaking::ReportedSlashApplies(ctx, consumer, slash));
  if (!applies) {
    MESH_RETURN_IF_ERROR(ExternalStaking::ApplyReportedSlash(ctx, consumer, slash));
    return false;
  }
  MESH_ASSIGN_OR_RETURN(ThrottleState s, Started(ctx));
  MESH_ASSIGN_OR_RETURN(std::optional<QueuedSlash> waiting, Head(ctx));
  if (!waiting.has_value() && s.meter >= 0) {
    MESH_RETURN_IF_ERROR(Handle(ctx, s, consumer, slash));
    MESH_RETURN_IF_ERROR(Save(ctx, s));
    return true;
  }
  MESH_ASSIGN_OR_RETURN(uint64_t queued, QueuedFor(ctx, consumer));
  if (queued >= s.params.max_queued_per_consumer) {
    return absl::ResourceExhaustedError(
        absl::StrCat(kErrThrottleQueueFull, " (", queued, " waiting)"));
  }
  MESH_ASSIGN_OR_RETURN(uint64_t seq, ext_internal::NextCounter(ctx, SeqKey(), 1));
  // Once, as the slash's handling computes it: the reserve of each user's
  // stake on the validator reads it (P-45).
  MESH_ASSIGN_OR_RETURN(Amount weight_total,
                        ExternalStaking::SlashWeightTotal(ctx, consumer, slash));
  MESH_RETURN_IF_ERROR(AddQueued(ctx, consumer, slash, seq, weight_total));
  RemoteSlash queued_slash = slash;
  if (queued_slash.received_at_ns == 0) queued_slash.received_at_ns = ctx.time_ns();
  MESH_RETURN_IF_ERROR(ctx.store().Put(tables::KeyU64(tables::kThrottleQueue, seq),
                                       EncodeQueued(consumer, queued_slash)));
  MESH_RETURN_IF_ERROR(Save(ctx, s));
  return false;
}

absl::Status SlashThrottle::EndBlock(const Context& ctx) {
  MESH_ASSIGN_OR_RETURN(ThrottleState s, State(ctx));
  MESH_ASSIGN_OR_RETURN(int64_t allowance, CurrentAllowance(ctx, s));
  if (s.started) {
    meter::Replenish(s, allowance, ctx.time_seconds());
  } else {
    meter::Start(s, allowance, ctx.time_seconds());
  }
  uint32_t handled = 0;
  while (s.meter >= 0 && handled < s.params.max_per_block) {
    MESH_ASSIGN_OR_RETURN(std::optional<QueuedSlash> head, Head(ctx));
    if (!head.has_value()) break;
    const QueuedSlash& q = *head;
    MESH_RETURN_IF_ERROR(ctx.store().Delete(tables::KeyU64(tables::kThrottleQueue, q.seq)));
    MESH_RETURN_IF_ERROR(AddQueued(ctx, q.consumer, q.slash, q.seq, std::nullopt));
    MESH_RETURN_IF_ERROR(Handle(ctx, s, q.consumer, q.slash));
    ++handled;
  }
  return Save(ctx, s);
}

absl::StatusOr<bool> SlashThrottle::Waiting(const Context& ctx, const ConsumerId& consumer,
                                            const ValidatorAddress& validator) {
  MESH_ASSIGN_OR_RETURN(ValQueued q, ReadValQueued(ctx, consumer, validator));
  return q.count > 0;
}

absl::StatusOr<Amount> SlashThrottle::QueuedAmount(const Context& ctx, const ConsumerId& consumer,
                                                   const ValidatorAddress& validator) {
  MESH_ASSIGN_OR_RETURN(ValQueued q, ReadValQueued(ctx, consumer, validator));
  return q.amount;
}

absl::StatusOr<Amount> SlashThrottle::Reserve(const Context& ctx, const ConsumerId& consumer,
                                              const ValidatorAddress& validator,
                                              const AccountAddress& user, const Stake& stake) {
  MESH_ASSIGN_OR_RETURN(ValQueued q, ReadValQueued(ctx, consumer, validator));
  if (q.count == 0) return Amount();
  // Slashes queued without a weight total (before it was stored) are older
  // than every listed one: each keeps its whole amount.
  Amount listed;
  for (const WeightedQueued& w : q.weighted) {
    MESH_ASSIGN_OR_RETURN(listed, listed.Add(w.amount));
  }
  Amount reserve = q.amount.SaturatingSub(listed);
  // What the slashes handled before it may take off its weight total.
  Amount before = reserve;
  for (const WeightedQueued& w : q.weighted) {
    RemoteSlash e;
    e.validator = validator;
    e.amount = w.amount;
    e.infraction_height = w.infraction_height;
    e.update_height = w.update_height;
    MESH_ASSIGN_OR_RETURN(Amount weight, ExternalStaking::SlashWeightBound(ctx, consumer, user, stake, e));
    const Amount total = w.weight_total.SaturatingSub(before);
    Amount share = w.amount;  // his weight covers the (lowered) total: all of it
    if (weight < total) {
      MESH_ASSIGN_OR_RETURN(Amount part, MulDiv(w.amount, weight, total, Rounding::kUp));
      // + 1: SplitByWeight gives a remainder unit to some users.
      MESH_ASSIGN_OR_RETURN(Amount rounded, part.Add(Amount(1)));
      share = Min(w.amount, rounded);
    }
    MESH_ASSIGN_OR_RETURN(reserve, reserve.Add(share));
    MESH_ASSIGN_OR_RETURN(before, before.Add(w.amount));
  }
  return Min(reserve, stake.stake.low());
}

absl::StatusOr<uint64_t> SlashThrottle::QueuedFor(const Context& ctx, const ConsumerId& consumer) {
  return ReadCount(ctx, CountKey(consumer));
}

absl::StatusOr<std::vector<QueuedSlash>> SlashThrottle::Queue(const Context& ctx) {
  const std::string prefix = tables::Key(tables::kThrottleQueue);
  std::vector<QueuedSlash> out;
  auto it = ctx.store().ScanPrefix(prefix);
  for (; it->Valid(); it->Next()) {
    Decoder k(it->key().substr(prefix.size()));
    MESH_ASSIGN_OR_RETURN(uint64_t seq, k.U64());
    MESH_ASSIGN_OR_RETURN(QueuedSlash q, DecodeQueued(seq, it->value()));
    out.push_back(std::move(q));
  }
  MESH_RETURN_IF_ERROR(it->status());
  return out;
}

}  // namespace mesh::provider
