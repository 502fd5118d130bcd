#include "mesh/provider/remote_validators.h"

#include <algorithm>

#include "core/record.h"
#include "core/status.h"
#include "mesh/provider/tables.h"

namespace mesh::provider {
namespace history {
namespace {

bool IsTombstoned(const ValidatorHistory& h) { return Current(h) == RemoteState::kTombstoned; }

// A tombstone absorbs every event at or after its height; an event below it
// (a reordered update that arrives after the tombstone) still enters the
// history behind it, so a slash of an infraction there is judged by the same
// history as with the updates in order (P-44; the reference drops it).
bool Absorbed(const ValidatorHistory& h, uint64_t height) {
  return IsTombstoned(h) && height >= h.entries.front().start_height;
}

// Inserts before every entry of lower or equal height (the newest of equal
// heights is current), then drops consecutive exact duplicates.
void InsertUnique(ValidatorHistory& h, ValState e) {
  auto pos = std::find_if(h.entries.begin(), h.entries.end(),
                          [&](const ValState& x) { return x.start_height <= e.start_height; });
  h.entries.insert(pos, std::move(e));
  h.entries.erase(std::unique(h.entries.begin(), h.entries.end()), h.entries.end());
}

void CopyWithState(ValidatorHistory& h, uint64_t height, uint64_t time, RemoteState state) {
  if (h.entries.empty() || Absorbed(h, height)) return;
  std::optional<ValState> old = AtHeight(h, height);
  if (!old.has_value()) return;
  InsertUnique(h, ValState{old->pub_key, height, time, state});
}

}  // namespace

RemoteState Current(const ValidatorHistory& h) {
  return h.entries.empty() ? RemoteState::kUnknown : h.entries.front().state;
}

std::optional<ValState> AtHeight(const ValidatorHistory& h, uint64_t height) {
  for (const ValState& e : h.entries) {
    if (e.start_height <= height) return e;
  }
  return std::nullopt;
}

bool ActiveAtHeight(const ValidatorHistory& h, uint64_t height) {
  std::optional<ValState> e = AtHeight(h, height);
  return e.has_value() && e->state == RemoteState::kActive;
}

void Add(ValidatorHistory& h, std::string pub_key, uint64_t height, uint64_t time) {
  if (Absorbed(h, height)) return;
  InsertUnique(h, ValState{std::move(pub_key), height, time, RemoteState::kActive});
}

void Update(ValidatorHistory& h, std::string pub_key, uint64_t height, uint64_t time) {
  if (h.entries.empty() || Absorbed(h, height)) return;
  std::optional<ValState> old = AtHeight(h, height);
  if (!old.has_value()) return;
  InsertUnique(h, ValState{std::move(pub_key), height, time, old->state});
}

void Remove(ValidatorHistory& h, uint64_t height, uint64_t time) {
  CopyWithState(h, height, time, RemoteState::kUnbonded);
}

void Jail(ValidatorHistory& h, uint64_t height, uint64_t time) {
  CopyWithState(h, height, time, RemoteState::kJailed);
}

void Tombstone(ValidatorHistory& h, uint64_t height, uint64_t time) {
  if (IsTombstoned(h)) return;
  std::erase_if(h.entries, [&](const ValState& e) { return e.start_height >= height; });
  InsertUnique(h, ValState{"", height, time, RemoteState::kTombstoned});
}

// Keeps the entries that started after the cutoff and the one in effect at
// the cutoff (P-26: the reference drops that one too, so an infraction
// inside the window, before the newest change, finds no state and is not
// slashed).
void DrainOlder(ValidatorHistory& h, uint64_t cutoff_time) {
  if (h.entries.size() <= 1) return;
  size_t keep = 0;
  while (keep < h.entries.size() && h.entries[keep].start_time > cutoff_time) ++keep;
  h.entries.resize(std::min(keep + 1, h.entries.size()));
}

}  // namespace history

namespace {

std::string HistKey(const ConsumerId& c, const ValidatorAddress& v) {
  return tables::Key(tables::kExtValidators, c.value(), v.value());
}

}  // namespace

absl::StatusOr<ValidatorHistory> RemoteValidators::Get(const Context& ctx,
                                                       const ConsumerId& consumer,
                                                       const ValidatorAddress& val) {
  return GetRecordOr<ValidatorHistory>(ctx.store(), HistKey(consumer, val), ValidatorHistory{});
}

absl::Status RemoteValidators::Apply(const Context& ctx, const ConsumerId& consumer,
                                     const ValidatorAddress& val, Op op, uint64_t height,
                                     uint64_t time, const std::string& pub_key) {
  MESH_ASSIGN_OR_RETURN(ValidatorHistory h, Get(ctx, consumer, val));
  switch (op) {
    case Op::kAdd: history::Add(h, pub_key, height, time); break;
    case Op::kUpdate: history::Update(h, pub_key, height, time); break;
    case Op::kRemove: history::Remove(h, height, time); break;
    case Op::kJail: history::Jail(h, height, time); break;
    case Op::kTombstone: history::Tombstone(h, height, time); break;
  }
  if (h.entries.empty()) return absl::OkStatus();
  return PutRecord(ctx.store(), HistKey(consumer, val), h);
}

absl::Status RemoteValidators::DrainOlder(const Context& ctx, const ConsumerId& consumer,
                                          const ValidatorAddress& val, uint64_t cutoff_time) {
  MESH_ASSIGN_OR_RETURN(ValidatorHistory h, Get(ctx, consumer, val));
  if (h.entries.size() <= 1) return absl::OkStatus();
  history::DrainOlder(h, cutoff_time);
  return PutRecord(ctx.store(), HistKey(consumer, val), h);
}

absl::StatusOr<RemoteState> RemoteValidators::CurrentState(const Context& ctx,
                                                           const ConsumerId& consumer,
                                                           const ValidatorAddress& val) {
  MESH_ASSIGN_OR_RETURN(ValidatorHistory h, Get(ctx, consumer, val));
  return history::Current(h);
}

absl::StatusOr<std::optional<ValState>> RemoteValidators::AtHeight(const Context& ctx,
                                                                   const ConsumerId& consumer,
                                                                   const ValidatorAddress& val,
                                                                   uint64_t height) {
  MESH_ASSIGN_OR_RETURN(ValidatorHistory h, Get(ctx, consumer, val));
  return history::AtHeight(h, height);
}

absl::StatusOr<std::vector<std::pair<ValidatorAddress, RemoteState>>> RemoteValidators::List(
    const Context& ctx, const ConsumerId& consumer,
    const std::optional<ValidatorAddress>& start_after, std::optional<uint64_t> limit) {
  std::vector<std::pair<ValidatorAddress, RemoteState>> out;
  const std::string prefix = tables::Prefix(tables::kExtValidators, consumer.value());
  std::string begin = start_after ? tables::After(HistKey(consumer, *start_after)) : prefix;
  const uint64_t max = limit.value_or(100);
  auto it = ctx.store().Scan(begin, PrefixEnd(prefix));
  for (; it->Valid() && out.size() < max; it->Next()) {
    MESH_ASSIGN_OR_RETURN(ValidatorHistory h, DecodeRecord<ValidatorHistory>(it->value()));
    out.emplace_back(ValidatorAddress(it->key().substr(prefix.size())), history::Current(h));
  }
  MESH_RETURN_IF_ERROR(it->status());
  return out;
}

absl::StatusOr<std::vector<ValidatorAddress>> RemoteValidators::ListActive(
    const Context& ctx, const ConsumerId& consumer,
    const std::optional<ValidatorAddress>& start_after, std::optional<uint64_t> limit) {
  std::vector<ValidatorAddress> out;
  const std::string prefix = tables::Prefix(tables::kExtValidators, consumer.value());
  std::string begin = start_after ? tables::After(HistKey(consumer, *start_after)) : prefix;
  const uint64_t max = limit.value_or(100);
  auto it = ctx.store().Scan(begin, PrefixEnd(prefix));
  for (; it->Valid() && out.size() < max; it->Next()) {
    MESH_ASSIGN_OR_RETURN(ValidatorHistory h, DecodeRecord<ValidatorHistory>(it->value()));
    if (history::Current(h) != RemoteState::kActive) continue;
    out.emplace_back(it->key().substr(prefix.size()));
  }
  MESH_RETURN_IF_ERROR(it->status());
  return out;
}

}  // namespace mesh::provider
