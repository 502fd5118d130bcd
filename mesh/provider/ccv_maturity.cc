// Unbonding waits for maturity (ICS v1-v4, neighbours.md §2.3): the
// CcvProvider functions behind a link's unbonding_waits_for_maturity option
// (mesh/provider/ccv.h; docs/shared-security.md). Deterministic: every
// table is walked in key order.
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/codec.h"
#include "core/status.h"
#include "mesh/provider/ccv.h"
#include "mesh/provider/ccv_internal.h"
#include "staking/unbonding_hold.h"

namespace mesh::provider {
namespace {

using staking::UnbondingHolds;

// str consumer, u64 vscID, bytes op -> ""
constexpr uint8_t kHolds = 0xEB;
// str consumer -> u64 matured vscID, bool VSC owed (a hold since the last VSC)
constexpr uint8_t kMaturity = 0xEC;

struct Maturity {
  uint64_t matured_id = 0;
  bool vsc_owed = false;
};

std::string MaturityKey(const ConsumerId& c) { return Encoder(kMaturity).Str(c.value()).Take(); }
std::string HoldsPrefix(const ConsumerId& c) { return Encoder(kHolds).Str(c.value()).Take(); }

absl::StatusOr<std::optional<Maturity>> GetMaturity(const Context& ctx, const ConsumerId& c) {
  MESH_ASSIGN_OR_RETURN(std::optional<std::string> raw, ctx.store().Get(MaturityKey(c)));
  if (!raw.has_value()) return std::optional<Maturity>();
  Decoder d(*raw);
  Maturity m;
  MESH_ASSIGN_OR_RETURN(m.matured_id, d.U64());
  MESH_ASSIGN_OR_RETURN(m.vsc_owed, d.Bool());
  MESH_RETURN_IF_ERROR(d.Finish());
  return std::optional<Maturity>(m);
}

absl::Status PutMaturity(const Context& ctx, const ConsumerId& c, const Maturity& m) {
  return ctx.store().Put(MaturityKey(c), Encoder().U64(m.matured_id).Bool(m.vsc_owed).Take());
}

// Option on, launched, not stopped.
absl::StatusOr<std::vector<ConsumerId>> HoldingConsumers(const Context& ctx) {
  std::vector<ConsumerId> out;
  MESH_ASSIGN_OR_RETURN(std::vector<ConsumerId> all, CcvProvider::Consumers(ctx));
  for (const ConsumerId& c : all) {
    MESH_ASSIGN_OR_RETURN(std::optional<CcvConfig> cfg, CcvProvider::Config(ctx, c));
    if (!cfg.has_value() || !cfg->unbonding_waits_for_maturity) continue;
    MESH_ASSIGN_OR_RETURN(CcvConsumerState st, CcvProvider::State(ctx, c));
    if (st.launched && !st.stopped) out.push_back(c);
  }
  return out;
}

// Consumers with a maturity record (the only ones that can have holds),
// including removed ones.
absl::StatusOr<std::vector<ConsumerId>> TrackedConsumers(const Context& ctx) {
  return ccv_internal::ConsumersKeyedUnder(ctx, kMaturity);
}

// The highest vscID whose holds may go: everything once the consumer
// stopped or was removed.
absl::StatusOr<uint64_t> ReleaseBound(const Context& ctx, const ConsumerId& c,
                                      const Maturity& m) {
  MESH_ASSIGN_OR_RETURN(std::optional<CcvConfig> cfg, CcvProvider::Config(ctx, c));
  if (!cfg.has_value()) return std::numeric_limits<uint64_t>::max();
  MESH_ASSIGN_OR_RETURN(CcvConsumerState st, CcvProvider::State(ctx, c));
  if (st.stopped) return std::numeric_limits<uint64_t>::max();
  return m.matured_id;
}

// Releases up to `budget` holds of `c` with vscID <= bound; returns how many.
// Reads only the records it releases (plus one).
absl::StatusOr<size_t> ReleaseUpTo(const Context& ctx, const ConsumerId& c, uint64_t bound,
                                   size_t budget) {
  std::vector<CcvProvider::HoldRecord> due;
  const std::string prefix = HoldsPrefix(c);
  {
    auto it = ctx.store().ScanPrefix(prefix);
    for (; it->Valid() && due.size() < budget; it->Next()) {
      Decoder d(it->key().substr(prefix.size()));
      CcvProvider::HoldRecord h;
      MESH_ASSIGN_OR_RETURN(h.vsc_id, d.U64());
      if (h.vsc_id > bound) break;
      MESH_ASSIGN_OR_RETURN(h.op, d.Bytes());
      due.push_back(std::move(h));
    }
    MESH_RETURN_IF_ERROR(it->status());
  }
  for (const CcvProvider::HoldRecord& h : due) {
    MESH_RETURN_IF_ERROR(
        ctx.store().Delete(Encoder(kHolds).Str(c.value()).U64(h.vsc_id).Bytes(h.op).Take()));
    MESH_RETURN_IF_ERROR(UnbondingHolds::Release(ctx, h.op));
  }
  return due.size();
}

}  // namespace

absl::Status CcvProvider::HoldStartedUnbondings(const Context& ctx) {
  MESH_ASSIGN_OR_RETURN(bool on, UnbondingHolds::JournalOn(ctx));
  if (!on) return absl::OkStatus();
  MESH_ASSIGN_OR_RETURN(std::vector<std::string> ops, UnbondingHolds::TakeStarted(ctx));
  if (ops.empty()) return absl::OkStatus();
  MESH_ASSIGN_OR_RETURN(std::vector<ConsumerId> holding, HoldingConsumers(ctx));
  MESH_ASSIGN_OR_RETURN(uint64_t vsc_id, CurrentVscId(ctx));
  for (const ConsumerId& c : holding) {
    for (const std::string& op : ops) {
      MESH_RETURN_IF_ERROR(
          ctx.store().Put(Encoder(kHolds).Str(c.value()).U64(vsc_id).Bytes(op).Take(), ""));
      MESH_RETURN_IF_ERROR(UnbondingHolds::Hold(ctx, op));
    }
    MESH_ASSIGN_OR_RETURN(std::optional<Maturity> m, GetMaturity(ctx, c));
    Maturity next = m.value_or(Maturity{});
    next.vsc_owed = true;
    MESH_RETURN_IF_ERROR(PutMaturity(ctx, c, next));
  }
  for (const std::string& op : ops) MESH_RETURN_IF_ERROR(UnbondingHolds::Release(ctx, op));
  return absl::OkStatus();
}

absl::Status CcvProvider::ReleaseMaturedHolds(const Context& ctx) {
  MESH_ASSIGN_OR_RETURN(std::vector<ConsumerId> tracked, TrackedConsumers(ctx));
  size_t budget = kMaxHoldReleasesPerBlock;
  for (const ConsumerId& c : tracked) {
    MESH_ASSIGN_OR_RETURN(std::optional<Maturity> m, GetMaturity(ctx, c));
    MESH_ASSIGN_OR_RETURN(uint64_t bound, ReleaseBound(ctx, c, *m));
    MESH_ASSIGN_OR_RETURN(size_t released, ReleaseUpTo(ctx, c, bound, budget));
    budget -= released;
    MESH_ASSIGN_OR_RETURN(std::optional<CcvConfig> cfg, Config(ctx, c));
    if (!cfg.has_value()) {  // removed: forget it once its holds are gone
      MESH_ASSIGN_OR_RETURN(std::vector<HoldRecord> left, Holds(ctx, c));
      if (left.empty()) MESH_RETURN_IF_ERROR(ctx.store().Delete(MaturityKey(c)));
    }
  }
  MESH_ASSIGN_OR_RETURN(std::vector<ConsumerId> holding, HoldingConsumers(ctx));
  MESH_ASSIGN_OR_RETURN(bool on, UnbondingHolds::JournalOn(ctx));
  if (on || !holding.empty()) {
    MESH_RETURN_IF_ERROR(UnbondingHolds::SetJournal(ctx, !holding.empty()));
  }
  return absl::OkStatus();
}

absl::Status CcvProvider::OnVscMatured(const Context& ctx, const ConsumerId& consumer,
                                       uint64_t vsc_id) {
  MESH_ASSIGN_OR_RETURN(std::optional<CcvConfig> cfg, Config(ctx, consumer));
  if (!cfg.has_value()) return absl::NotFoundError("ccv: unknown consumer " + consumer.value());
  if (!cfg->unbonding_waits_for_maturity) return absl::OkStatus();  // ADR-018
  MESH_ASSIGN_OR_RETURN(uint64_t current, CurrentVscId(ctx));
  if (vsc_id == 0 || vsc_id >= current) {
    return absl::InvalidArgumentError(absl::StrCat("ccv: VSCMatured for unknown vscID ", vsc_id));
  }
  MESH_ASSIGN_OR_RETURN(std::optional<Maturity> m, GetMaturity(ctx, consumer));
  Maturity next = m.value_or(Maturity{});
  if (vsc_id <= next.matured_id) return absl::OkStatus();
  next.matured_id = vsc_id;
  return PutMaturity(ctx, consumer, next);
}

absl::StatusOr<uint64_t> CcvProvider::MaturedVscId(const Context& ctx,
                                                   const ConsumerId& consumer) {
  MESH_ASSIGN_OR_RETURN(std::optional<Maturity> m, GetMaturity(ctx, consumer));
  return m.has_value() ? m->matured_id : 0;
}

absl::StatusOr<std::vector<CcvProvider::HoldRecord>> CcvProvider::Holds(
    const Context& ctx, const ConsumerId& consumer) {
  std::vector<HoldRecord> out;
  const std::string prefix = HoldsPrefix(consumer);
  auto it = ctx.store().ScanPrefix(prefix);
  for (; it->Valid(); it->Next()) {
    Decoder d(it->key().substr(prefix.size()));
    HoldRecord h;
    MESH_ASSIGN_OR_RETURN(h.vsc_id, d.U64());
    MESH_ASSIGN_OR_RETURN(h.op, d.Bytes());
    out.push_back(std::move(h));
  }
  MESH_RETURN_IF_ERROR(it->status());
  return out;
}

absl::StatusOr<bool> CcvProvider::TakeHoldVsc(const Context& ctx, const ConsumerId& consumer) {
  MESH_ASSIGN_OR_RETURN(std::optional<Maturity> m, GetMaturity(ctx, consumer));
  if (!m.has_value() || !m->vsc_owed) return false;
  m->vsc_owed = false;
  MESH_RETURN_IF_ERROR(PutMaturity(ctx, consumer, *m));
  return true;
}

}  // namespace mesh::provider
