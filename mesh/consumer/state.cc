#include "mesh/consumer/state.h"

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/codec.h"
#include "core/record.h"
#include "core/split_plan.h"
#include "core/status.h"
#include "staking/staking.h"

namespace mesh::consumer::internal {
namespace {

std::string ValidatorKey(uint8_t table, const ProviderId& p, const ValidatorAddress& v) {
  return Encoder(table).Str(p.value()).Str(v.value()).Take();
}

// table ‖ str p ‖ str v ‖ str d, in one allocation (a slash rewrites 10^5
// records).
std::string DelegatorKey(uint8_t table, const ProviderId& p, const ValidatorAddress& v,
                         const AccountAddress& d) {
  return Encoder(table)
      .Reserve(1 + 3 * 4 + p.value().size() + v.value().size() + d.value().size())
      .Str(p.value())
      .Str(v.value())
      .Str(d.value())
      .Take();
}

std::string RecordKey(const ProviderId& p, const ValidatorAddress& v, const AccountAddress& d) {
  return DelegatorKey(kRecordPrefix, p, v, d);
}

// The additions of record (p, v, d): AdditionPrefix ‖ u64 height.
std::string AdditionPrefix(const ProviderId& p, const ValidatorAddress& v,
                           const AccountAddress& d) {
  return DelegatorKey(kRecordAdditionPrefix, p, v, d);
}

// (P, V) ‖ u64 seq -> RecordSlash.
std::string RecordSlashPrefix(const ProviderId& p, const ValidatorAddress& v) {
  return ValidatorKey(kRecordSlashPrefix, p, v);
}

// Key order of two delegators under one (P, V): a length-prefixed field
// orders by length first, then bytes.
int CompareDelegators(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  return a.compare(b) < 0 ? -1 : (a == b ? 0 : 1);
}

static_assert(static_cast<int>(RecordSlash::Tail::kNone) == static_cast<int>(SplitTail::kNone) &&
              static_cast<int>(RecordSlash::Tail::kAll) == static_cast<int>(SplitTail::kAll) &&
              static_cast<int>(RecordSlash::Tail::kUpTo) == static_cast<int>(SplitTail::kUpTo));

// A record's part of the split of `s` for weight `w` (RecordSlash comment;
// core/split_plan.h).
absl::StatusOr<Amount> SplitPart(const RecordSlash& s, const AccountAddress& d, Amount w) {
  return mesh::SplitPart(s.split_total, s.weight_sum, static_cast<SplitTail>(s.tail), s.tail_key,
                         s.tail_extra, d.value(), w, CompareDelegators);
}

// The slashes of (p, v) after seq `after`, oldest first.
using SlashList = std::vector<std::pair<uint64_t, RecordSlash>>;
absl::StatusOr<SlashList> SlashesAfter(const Context& ctx, const ProviderId& p,
                                       const ValidatorAddress& v, uint64_t after) {
  SlashList out;
  MESH_RETURN_IF_ERROR(ForEachU64Keyed(
      ctx.store(), RecordSlashPrefix(p, v), after + 1,
      [&](uint64_t seq, std::string_view value) -> absl::StatusOr<bool> {
        MESH_ASSIGN_OR_RETURN(RecordSlash s, DecodeRecord<RecordSlash>(value));
        out.emplace_back(seq, std::move(s));
        return true;
      }));
  return out;
}

// The slashes of one (p, v) read so far, shared by its records' Settle.
struct SlashCache {
  uint64_t from = UINT64_MAX;  // the list holds the slashes after `from`
  SlashList list;
};

// Brings record (p, v, d) up to slash `last`: applies the slashes after its
// own seq, in order. Returns how many it applied.

absl::StatusOr<uint64_t> Settle(const Context& ctx, const ProviderId& p, const ValidatorAddress& v,
                                const AccountAddress& d, DelegationRecord& r, uint64_t last,
                                SlashCache& cache) {
  const uint64_t seq = r.slash_seq.value_or(0);
  r.slash_seq = std::max(seq, last);
  if (seq >= last) return 0;
  if (cache.from > seq) {
    MESH_ASSIGN_OR_RETURN(cache.list, SlashesAfter(ctx, p, v, seq));
    cache.from = seq;
  }
  uint64_t applied = 0;
  for (const auto& [n, s] : cache.list) {
    if (n <= seq) continue;
    if (n > last) break;
    MESH_RETURN_IF_ERROR(ApplyRecordSlash(ctx, p, v, d, s, r));
    ++applied;
  }
  if (applied != last - seq) {
    return absl::DataLossError("consumer: a record slash of " + v.value() + " is missing");
  }
  return applied;
}

absl::StatusOr<Amount> DecodeAmount(std::string_view raw) {
  Decoder d(raw);
  MESH_ASSIGN_OR_RETURN(Amount a, d.Amt());
  MESH_RETURN_IF_ERROR(d.Finish());
  return a;
}

}  // namespace

absl::Status RunIsolated(const Context& ctx,
                         const std::function<absl::Status(const Context&)>& fn) {
  Overlay overlay(&ctx.store());
  absl::Status status = fn(ctx.WithStore(&overlay));
  if (!status.ok()) return status;
  return overlay.Commit();
}

absl::StatusOr<Denom> LocalDenom(const Context& ctx) {
  MESH_ASSIGN_OR_RETURN(staking::Params params, staking::Staking::GetParams(ctx));
  return params.bond_denom;
}

std::string ProviderPrefix(uint8_t table, const ProviderId& p) {
  return Encoder(table).Str(p.value()).Take();
}

absl::StatusOr<ModuleParams> LoadParams(const Context& ctx) {
  MESH_ASSIGN_OR_RETURN(std::optional<ModuleParams> p,
                        mesh::GetRecord<ModuleParams>(ctx.store(), Encoder(kParamsPrefix).data()));
  if (!p.has_value()) return absl::FailedPreconditionError("consumer: module not initialised");
  return *p;
}

absl::StatusOr<ProviderConfig> LoadConfig(const Context& ctx, const ProviderId& p) {
  MESH_ASSIGN_OR_RETURN(std::optional<ProviderConfig> c,
                        mesh::GetRecord<ProviderConfig>(ctx.store(), ProviderPrefix(kConfigPrefix, p)));
  if (!c.has_value()) return absl::NotFoundError("consumer: unknown provider " + p.value());
  return *c;
}

absl::StatusOr<ProviderState> LoadState(const Context& ctx, const ProviderId& p) {
  MESH_ASSIGN_OR_RETURN(std::optional<ProviderState> s,
                        mesh::GetRecord<ProviderState>(ctx.store(), ProviderPrefix(kStatePrefix, p)));
  if (!s.has_value()) return absl::NotFoundError("consumer: unknown provider " + p.value());
  return *s;
}

absl::Status SaveState(const Context& ctx, const ProviderId& p, const ProviderState& s) {
  return mesh::PutRecord(ctx.store(), ProviderPrefix(kStatePrefix, p), s);
}

absl::StatusOr<std::vector<ProviderId>> AllProviders(const Context& ctx) {
  std::vector<ProviderId> out;
  std::string prefix(1, static_cast<char>(kConfigPrefix));
  for (auto it = ctx.store().ScanPrefix(prefix); it->Valid(); it->Next()) {
    Decoder d(it->key().substr(1));
    MESH_ASSIGN_OR_RETURN(std::string id, d.Str());
    out.emplace_back(std::move(id));
  }
  return out;
}

absl::StatusOr<Amount> GetAmount(const Context& ctx, uint8_t table, const ProviderId& p,
                                 const ValidatorAddress& v) {
  MESH_ASSIGN_OR_RETURN(std::optional<std::string> raw,
                        ctx.store().Get(ValidatorKey(table, p, v)));
  if (!raw.has_value()) return Amount::Zero();
  return DecodeAmount(*raw);
}

absl::StatusOr<bool> HasAmount(const Context& ctx, uint8_t table, const ProviderId& p,
                               const ValidatorAddress& v) {
  return ctx.store().Has(ValidatorKey(table, p, v));
}

absl::Status SetAmount(const Context& ctx, uint8_t table, const ProviderId& p,
                       const ValidatorAddress& v, Amount a) {
  return ctx.store().Put(ValidatorKey(table, p, v), Encoder().Amt(a).Take());
}

absl::StatusOr<AmountMap> AllAmounts(const Context& ctx, uint8_t table, const ProviderId& p) {
  AmountMap out;
  std::string prefix = ProviderPrefix(table, p);
  auto it = ctx.store().ScanPrefix(prefix);
  for (; it->Valid(); it->Next()) {
    Decoder d(it->key().substr(prefix.size()));
    MESH_ASSIGN_OR_RETURN(std::string v, d.Str());
    MESH_ASSIGN_OR_RETURN(Amount a, DecodeAmount(it->value()));
    out.emplace(ValidatorAddress(std::move(v)), a);
  }
  MESH_RETURN_IF_ERROR(it->status());
  return out;
}

absl::Status ClearAmounts(const Context& ctx, uint8_t table, const ProviderId& p) {
  std::vector<std::string> keys;
  for (auto it = ctx.store().ScanPrefix(ProviderPrefix(table, p)); it->Valid(); it->Next()) {
    keys.emplace_back(it->key());
  }
  for (const auto& k : keys) MESH_RETURN_IF_ERROR(ctx.store().Delete(k));
  return absl::OkStatus();
}

absl::StatusOr<std::optional<DelegationRecord>> LoadRecord(const Context& ctx,
                                                          const ProviderId& p,
                                                          const ValidatorAddress& v,
                                                          const AccountAddress& d) {
  MESH_ASSIGN_OR_RETURN(std::optional<DelegationRecord> r,
                        mesh::GetRecord<DelegationRecord>(ctx.store(), RecordKey(p, v, d)));
  if (!r.has_value()) return r;
  MESH_ASSIGN_OR_RETURN(uint64_t last, LastRecordSlash(ctx, p, v));
  SlashCache cache;
  MESH_RETURN_IF_ERROR(Settle(ctx, p, v, d, *r, last, cache).status());
  return r;
}

absl::Status SaveRecord(const Context& ctx, const ProviderId& p, const ValidatorAddress& v,
                       const AccountAddress& d, const DelegationRecord& r) {
  if (r.slash_seq.has_value()) return mesh::PutRecord(ctx.store(), RecordKey(p, v, d), r);
  DelegationRecord stamped = r;  // a new record: no earlier slash concerns it
  MESH_ASSIGN_OR_RETURN(stamped.slash_seq, LastRecordSlash(ctx, p, v));
  return mesh::PutRecord(ctx.store(), RecordKey(p, v, d), stamped);
}

absl::Status DeleteRecord(const Context& ctx, const ProviderId& p, const ValidatorAddress& v,
                          const AccountAddress& d) {
  MESH_RETURN_IF_ERROR(ctx.store().DeletePrefix(AdditionPrefix(p, v, d)));
  return ctx.store().Delete(RecordKey(p, v, d));
}

absl::Status AddRecordAddition(const Context& ctx, const ProviderId& p, const ValidatorAddress& v,
                               const AccountAddress& d, DelegationRecord& r,
                               const RecordAddition& a, uint64_t period_s) {
  const uint64_t forget_before_s = a.time_s > period_s ? a.time_s - period_s : 0;
  std::erase_if(r.additions, [&](const RecordAddition& old) { return old.time_s < forget_before_s; });
  const std::string prefix = AdditionPrefix(p, v, d);
  MESH_RETURN_IF_ERROR(
      AmountLogForget(ctx.store(), prefix, r.additions_log, forget_before_s, period_s / 8));
  // A delegator who stakes seldom keeps his few additions inline (no key
  // of his own); the table takes the rest once the list is full.
  if (r.additions_log.empty()) {
    if (!r.additions.empty() && r.additions.back().height == a.height) {
      MESH_ASSIGN_OR_RETURN(r.additions.back().remote, r.additions.back().remote.Add(a.remote));
      return absl::OkStatus();
    }
    if (r.additions.size() < kInlineRecordAdditions) {
      r.additions.push_back(a);
      return absl::OkStatus();
    }
  }
  return AmountLogAdd(ctx.store(), prefix, r.additions_log, a.height, a.time_s, a.remote);
}

absl::StatusOr<Amount> RemoteAddedSince(const Context& ctx, const ProviderId& p,
                                        const ValidatorAddress& v, const AccountAddress& d,
                                        const DelegationRecord& r, uint64_t height) {
  MESH_ASSIGN_OR_RETURN(Amount later, AmountLogSumSince(ctx.store(), AdditionPrefix(p, v, d),
                                                        r.additions_log, height));
  for (const RecordAddition& a : r.additions) {
    if (a.height < height) continue;
    MESH_ASSIGN_OR_RETURN(later, later.Add(a.remote));
  }
  return later;
}

absl::Status FillAdditions(const Context& ctx, const ProviderId& p, const ValidatorAddress& v,
                           const AccountAddress& d, DelegationRecord& r) {
  return AmountLogForEach(ctx.store(), AdditionPrefix(p, v, d), r.additions_log,
                          [&](const AmountLogEntry& a) {
                            r.additions.push_back(RecordAddition{a.position, a.time, a.amount});
                          });
}

absl::StatusOr<std::vector<RecordEntry>> Records(const Context& ctx, const ProviderId& p,
                                                 const ValidatorAddress* v) {
  std::vector<RecordEntry> out;
  MESH_RETURN_IF_ERROR(ForEachRecord(
      ctx, p, v, [&](ValidatorAddress val, AccountAddress del, DelegationRecord r) {
        out.push_back(RecordEntry{std::move(val), std::move(del), std::move(r)});
        return absl::OkStatus();
      }));
  return out;
}

absl::Status VisitRecordKeys(
    const Context& ctx, const ProviderId& p, const ValidatorAddress* v, std::string_view from,
    bool reverse,
    absl::FunctionRef<absl::StatusOr<bool>(std::string_view key, const ValidatorAddress& val,
                                           const AccountAddress& del)>
        visit) {
  const std::string base = ProviderPrefix(kRecordPrefix, p);
  const std::string prefix = v == nullptr ? base : Encoder().Raw(base).Str(v->value()).Take();
  return VisitFrom(ctx.store(), prefix, from, reverse,
                   [&](std::string_view key, std::string_view) -> absl::StatusOr<bool> {
                     Decoder k(key);
                     ValidatorAddress val;
                     if (v == nullptr) {
                       MESH_ASSIGN_OR_RETURN(std::string s, k.Str());
                       val = ValidatorAddress(std::move(s));
                     } else {
                       val = *v;
                     }
                     MESH_ASSIGN_OR_RETURN(std::string del, k.Str());
                     return visit(key, val, AccountAddress(std::move(del)));
                   });
}

absl::Status ForEachRecord(
    const Context& ctx, const ProviderId& p, const ValidatorAddress* v,
    const std::function<absl::Status(ValidatorAddress, AccountAddress, DelegationRecord)>& visit,
    std::vector<size_t>* behind) {
  return ForEachRecordWhile(
      ctx, p, v,
      [&](ValidatorAddress val, AccountAddress del, DelegationRecord r) -> absl::StatusOr<bool> {
        MESH_RETURN_IF_ERROR(visit(std::move(val), std::move(del), std::move(r)));
        return true;
      },
      behind);
}

absl::Status ForEachRecordWhile(
    const Context& ctx, const ProviderId& p, const ValidatorAddress* v,
    const std::function<absl::StatusOr<bool>(ValidatorAddress, AccountAddress,
                                             DelegationRecord)>& visit,
    std::vector<size_t>* behind) {
  std::string base = ProviderPrefix(kRecordPrefix, p);
  std::string prefix = v == nullptr ? base : Encoder().Raw(base).Str(v->value()).Take();
  // The current validator's last slash and the slashes read for it.
  std::optional<ValidatorAddress> current;
  uint64_t last = 0;
  SlashCache cache;
  size_t index = 0;
  auto it = ctx.store().ScanPrefix(prefix);
  for (; it->Valid(); it->Next(), ++index) {
    Decoder d(it->key().substr(base.size()));
    MESH_ASSIGN_OR_RETURN(std::string val, d.Str());
    MESH_ASSIGN_OR_RETURN(std::string del, d.Str());
    MESH_ASSIGN_OR_RETURN(DelegationRecord r, DecodeRecord<DelegationRecord>(it->value()));
    ValidatorAddress validator(std::move(val));
    AccountAddress delegator(std::move(del));
    if (!current.has_value() || *current != validator) {
      MESH_ASSIGN_OR_RETURN(last, LastRecordSlash(ctx, p, validator));
      cache = SlashCache{};
      current = validator;
    }
    MESH_ASSIGN_OR_RETURN(uint64_t applied, Settle(ctx, p, validator, delegator, r, last, cache));
    if (behind != nullptr && applied > kRecordSlashesBehind) behind->push_back(index);
    MESH_ASSIGN_OR_RETURN(bool more,
                          visit(std::move(validator), std::move(delegator), std::move(r)));
    if (!more) return absl::OkStatus();
  }
  return it->status();
}

absl::StatusOr<uint64_t> LastRecordSlash(const Context& ctx, const ProviderId& p,
                                         const ValidatorAddress& v) {
  MESH_ASSIGN_OR_RETURN(std::optional<std::string> raw,
                        ctx.store().Get(ValidatorKey(kRecordSlashSeqPrefix, p, v)));
  if (!raw.has_value()) return uint64_t{0};
  Decoder d(*raw);
  MESH_ASSIGN_OR_RETURN(uint64_t seq, d.U64());
  MESH_RETURN_IF_ERROR(d.Finish());
  return seq;
}

absl::StatusOr<uint64_t> AppendRecordSlash(const Context& ctx, const ProviderId& p,
                                           const ValidatorAddress& v, const RecordSlash& s) {
  MESH_ASSIGN_OR_RETURN(uint64_t last, LastRecordSlash(ctx, p, v));
  const uint64_t seq = last + 1;
  MESH_RETURN_IF_ERROR(
      mesh::PutRecord(ctx.store(), Encoder().Raw(RecordSlashPrefix(p, v)).U64(seq).Take(), s));
  MESH_RETURN_IF_ERROR(
      ctx.store().Put(ValidatorKey(kRecordSlashSeqPrefix, p, v), Encoder().U64(seq).Take()));
  return seq;
}

absl::Status ApplyRecordSlash(const Context& ctx, const ProviderId& p, const ValidatorAddress& v,
                              const AccountAddress& d, const RecordSlash& s, DelegationRecord& r,
                              std::optional<Amount> weight, Amount* remote_part) {
  Amount part;
  switch (s.kind) {
    case RecordSlash::Kind::kReduce: {
      Amount local_cut;
      if (!s.total.IsZero()) {
        MESH_ASSIGN_OR_RETURN(local_cut, MulDiv(r.local, s.cut, s.total, Rounding::kDown));
      }
      switch (s.remote_rule) {
        case RecordSlash::RemoteRule::kNone:
          break;
        case RecordSlash::RemoteRule::kFraction:
          if (!s.total.IsZero()) {
            MESH_ASSIGN_OR_RETURN(part, MulDiv(r.remote, s.cut, s.total, Rounding::kUp));
          }
          break;
        case RecordSlash::RemoteRule::kSplit:
          MESH_ASSIGN_OR_RETURN(part, SplitPart(s, d, weight.value_or(r.remote)));
          break;
      }
      r.local = r.local.SaturatingSub(local_cut);
      r.remote = r.remote.SaturatingSub(part);
      break;
    }
    case RecordSlash::Kind::kCutRemote: {
      Amount held;
      if (weight.has_value()) {
        held = *weight;
      } else if (!r.unstake_in_flight) {
        MESH_ASSIGN_OR_RETURN(Amount later, RemoteAddedSince(ctx, p, v, d, r, s.infraction_height));
        held = r.remote.SaturatingSub(later);
      }
      MESH_ASSIGN_OR_RETURN(part, SplitPart(s, d, held));
      r.remote = r.remote.SaturatingSub(part);
      MESH_ASSIGN_OR_RETURN(r.slash_debt, r.slash_debt.Add(part));
      break;
    }
  }
  if (remote_part != nullptr) *remote_part = part;
  return absl::OkStatus();
}

absl::Status PlanSplit(RecordSlash& s, Amount total, const std::vector<Amount>& weights,
                       const std::vector<const AccountAddress*>& delegators) {
  std::vector<std::string_view> keys;
  keys.reserve(delegators.size());
  for (const AccountAddress* d : delegators) keys.push_back(d->value());
  MESH_ASSIGN_OR_RETURN(SplitPlan plan, mesh::PlanSplit(total, weights, keys));
  s.split_total = plan.total;
  s.weight_sum = plan.weight_sum;
  s.tail = static_cast<RecordSlash::Tail>(plan.tail);
  s.tail_key = std::move(plan.tail_key);
  s.tail_extra = plan.tail_extra;
  return absl::OkStatus();
}

absl::Status DeleteRecordSlashes(const Context& ctx, const ProviderId& p) {
  MESH_RETURN_IF_ERROR(ctx.store().DeletePrefix(ProviderPrefix(kRecordSlashPrefix, p)));
  return ctx.store().DeletePrefix(ProviderPrefix(kRecordSlashSeqPrefix, p));
}

absl::StatusOr<ValidatorStatus> GetStatus(const Context& ctx, const ValidatorAddress& v) {
  return GetRecordOr<ValidatorStatus>(
      ctx.store(), Encoder(kValidatorStatusPrefix).Str(v.value()).data(), ValidatorStatus{});
}

absl::Status PutStatus(const Context& ctx, const ValidatorAddress& v, const ValidatorStatus& s) {
  return mesh::PutRecord(ctx.store(), Encoder(kValidatorStatusPrefix).Str(v.value()).data(), s);
}

absl::StatusOr<uint64_t> NextSeq(const Context& ctx, uint8_t table, const ProviderId& p) {
  std::string key = ProviderPrefix(table, p);
  MESH_ASSIGN_OR_RETURN(std::optional<std::string> raw, ctx.store().Get(key));
  uint64_t next = 1;
  if (raw.has_value()) {
    Decoder d(*raw);
    MESH_ASSIGN_OR_RETURN(next, d.U64());
  }
  MESH_RETURN_IF_ERROR(ctx.store().Put(key, Encoder().U64(next + 1).Take()));
  return next;
}

}  // namespace mesh::consumer::internal
