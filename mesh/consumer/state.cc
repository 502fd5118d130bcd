#include "mesh/consumer/state.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/codec.h"
#include "core/record.h"
#include "core/status.h"
#include "staking/staking.h"

namespace mesh::consumer::internal {
namespace {

std::string ValidatorKey(uint8_t table, const ProviderId& p, const ValidatorAddress& v) {
  return Encoder(table).Str(p.value()).Str(v.value()).Take();
}

std::string RecordKey(const ProviderId& p, const ValidatorAddress& v, const AccountAddress& d) {
  return Encoder(kRecordPrefix).Str(p.value()).Str(v.value()).Str(d.value()).Take();
}

// The additions of record (p, v, d): AdditionPrefix ‖ u64 height.
std::string AdditionPrefix(const ProviderId& p, const ValidatorAddress& v,
                           const AccountAddress& d) {
  return Encoder(kRecordAdditionPrefix).Str(p.value()).Str(v.value()).Str(d.value()).Take();
}

std::string AdditionValue(const RecordAddition& a) {
  return Encoder().U64(a.time_s).Amt(a.remote).Take();
}

// The addition of `height` stored as `value`.
absl::StatusOr<RecordAddition> DecodeAddition(uint64_t height, std::string_view value) {
  RecordAddition a;
  a.height = height;
  Decoder d(value);
  MESH_ASSIGN_OR_RETURN(a.time_s, d.U64());
  MESH_ASSIGN_OR_RETURN(a.remote, d.Amt());
  MESH_RETURN_IF_ERROR(d.Finish());
  return a;
}

// Calls fn(addition) for the table additions of the record from height
// `from` up, in height order, while fn returns true.
template <typename Fn>
absl::Status ForEachAddition(const Context& ctx, const std::string& prefix, uint64_t from,
                             Fn&& fn) {
  return ForEachU64Keyed(ctx.store(), prefix, from,
                         [&](uint64_t height, std::string_view value) -> absl::StatusOr<bool> {
                           MESH_ASSIGN_OR_RETURN(RecordAddition a, DecodeAddition(height, value));
                           return fn(a);
                         });
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
  return mesh::GetRecord<DelegationRecord>(ctx.store(), RecordKey(p, v, d));
}

absl::Status SaveRecord(const Context& ctx, const ProviderId& p, const ValidatorAddress& v,
                       const AccountAddress& d, const DelegationRecord& r) {
  return mesh::PutRecord(ctx.store(), RecordKey(p, v, d), r);
}

absl::Status DeleteRecord(const Context& ctx, const ProviderId& p, const ValidatorAddress& v,
                          const AccountAddress& d) {
  MESH_RETURN_IF_ERROR(ctx.store().DeletePrefix(AdditionPrefix(p, v, d)));
  return ctx.store().Delete(RecordKey(p, v, d));
}

absl::Status AddRecordAddition(const Context& ctx, const ProviderId& p, const ValidatorAddress& v,
                               const AccountAddress& d, DelegationRecord& r,
                               const RecordAddition& a, uint64_t forget_before_s,
                               uint64_t grace_s) {
  const std::string prefix = AdditionPrefix(p, v, d);
  // Forget from the oldest up (heights and times rise together); the scan
  // starts at the first live height, never at keys deleted before. A single
  // addition is forgotten by its key alone; several only once the first is
  // `grace_s` past due, so a delegator who stakes often pays one scan per
  // grace period, not one per stake.
  if (r.additions_last != 0 && r.additions_first == r.additions_last &&
      r.additions_first_time_s < forget_before_s) {
    MESH_RETURN_IF_ERROR(ctx.store().Delete(Encoder().Raw(prefix).U64(r.additions_first).Take()));
    r.additions_first = r.additions_last = r.additions_first_time_s = 0;
  } else if (r.additions_last != 0 && r.additions_first_time_s + grace_s < forget_before_s) {
    std::optional<RecordAddition> first;
    std::vector<std::string> forgotten;
    MESH_RETURN_IF_ERROR(ForEachAddition(
        ctx, prefix, r.additions_first,
        [&](const RecordAddition& old) -> absl::StatusOr<bool> {
          if (old.time_s >= forget_before_s) {
            first = old;
            return false;
          }
          forgotten.push_back(Encoder().Raw(prefix).U64(old.height).Take());
          return true;
        }));
    for (const std::string& k : forgotten) MESH_RETURN_IF_ERROR(ctx.store().Delete(k));
    if (first.has_value()) {
      r.additions_first = first->height;
      r.additions_first_time_s = first->time_s;
    } else {
      r.additions_first = r.additions_last = r.additions_first_time_s = 0;
    }
  }
  // A delegator who stakes seldom keeps his few additions inline (no key
  // of his own); the table takes the rest once the list is full.
  if (r.additions_last == 0) {
    if (!r.additions.empty() && r.additions.back().height == a.height) {
      MESH_ASSIGN_OR_RETURN(r.additions.back().remote, r.additions.back().remote.Add(a.remote));
      return absl::OkStatus();
    }
    if (r.additions.size() < kInlineRecordAdditions) {
      r.additions.push_back(a);
      return absl::OkStatus();
    }
  }
  RecordAddition stored = a;
  const std::string key = Encoder().Raw(prefix).U64(a.height).Take();
  if (r.additions_last == a.height && a.height != 0) {
    MESH_ASSIGN_OR_RETURN(std::optional<std::string> old, ctx.store().Get(key));
    if (old.has_value()) {
      MESH_ASSIGN_OR_RETURN(RecordAddition prev, DecodeAddition(a.height, *old));
      MESH_ASSIGN_OR_RETURN(stored.remote, prev.remote.Add(a.remote));
    }
  }
  MESH_RETURN_IF_ERROR(ctx.store().Put(key, AdditionValue(stored)));
  if (r.additions_last == 0) {
    r.additions_first = a.height;
    r.additions_first_time_s = a.time_s;
  }
  r.additions_last = a.height;
  return absl::OkStatus();
}

absl::StatusOr<Amount> RemoteAddedSince(const Context& ctx, const ProviderId& p,
                                        const ValidatorAddress& v, const AccountAddress& d,
                                        const DelegationRecord& r, uint64_t height) {
  Amount later;
  for (const RecordAddition& a : r.additions) {
    if (a.height < height) continue;
    MESH_ASSIGN_OR_RETURN(later, later.Add(a.remote));
  }
  if (r.additions_last == 0 || r.additions_last < height) return later;
  MESH_RETURN_IF_ERROR(ForEachAddition(ctx, AdditionPrefix(p, v, d),
                                       std::max(height, r.additions_first),
                                       [&](const RecordAddition& a) -> absl::StatusOr<bool> {
                                         MESH_ASSIGN_OR_RETURN(later, later.Add(a.remote));
                                         return true;
                                       }));
  return later;
}

absl::Status FillAdditions(const Context& ctx, const ProviderId& p, const ValidatorAddress& v,
                           const AccountAddress& d, DelegationRecord& r) {
  if (r.additions_last == 0) return absl::OkStatus();
  return ForEachAddition(ctx, AdditionPrefix(p, v, d), r.additions_first,
                         [&](const RecordAddition& a) -> absl::StatusOr<bool> {
                           r.additions.push_back(a);
                           return true;
                         });
}

absl::StatusOr<std::vector<RecordEntry>> Records(const Context& ctx, const ProviderId& p,
                                                 const ValidatorAddress* v) {
  std::string base = ProviderPrefix(kRecordPrefix, p);
  std::string prefix = v == nullptr ? base : Encoder().Raw(base).Str(v->value()).Take();
  std::vector<RecordEntry> out;
  auto it = ctx.store().ScanPrefix(prefix);
  for (; it->Valid(); it->Next()) {
    Decoder d(it->key().substr(base.size()));
    MESH_ASSIGN_OR_RETURN(std::string val, d.Str());
    MESH_ASSIGN_OR_RETURN(std::string del, d.Str());
    MESH_ASSIGN_OR_RETURN(DelegationRecord r, DecodeRecord<DelegationRecord>(it->value()));
    out.push_back(RecordEntry{ValidatorAddress(std::move(val)), AccountAddress(std::move(del)), r});
  }
  MESH_RETURN_IF_ERROR(it->status());
  return out;
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
