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

absl::Status ForEachRecord(
    const Context& ctx, const ProviderId& p, const ValidatorAddress* v,
    const std::function<absl::Status(ValidatorAddress, AccountAddress, DelegationRecord)>& visit) {
  std::string base = ProviderPrefix(kRecordPrefix, p);
  std::string prefix = v == nullptr ? base : Encoder().Raw(base).Str(v->value()).Take();
  auto it = ctx.store().ScanPrefix(prefix);
  for (; it->Valid(); it->Next()) {
    Decoder d(it->key().substr(base.size()));
    MESH_ASSIGN_OR_RETURN(std::string val, d.Str());
    MESH_ASSIGN_OR_RETURN(std::string del, d.Str());
    MESH_ASSIGN_OR_RETURN(DelegationRecord r, DecodeRecord<DelegationRecord>(it->value()));
    MESH_RETURN_IF_ERROR(
        visit(ValidatorAddress(std::move(val)), AccountAddress(std::move(del)), std::move(r)));
  }
  return it->status();
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
