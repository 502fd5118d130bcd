#include "mesh/consumer/outbox.h"

#include <string>
#include <utility>
#include <vector>

#include "core/record.h"
#include "core/status.h"
#include "mesh/consumer/state.h"

namespace mesh::consumer {

using internal::kOutboxPrefix;
using internal::ProviderPrefix;

absl::Status Outbox::Append(const Context& ctx, const ProviderId& provider,
                            ConsumerPacket packet) {
  MESH_ASSIGN_OR_RETURN(uint64_t seq, internal::NextSeq(ctx, internal::kOutboxSeqPrefix, provider));
  OutboxEntry entry{seq, std::move(packet)};
  std::string key = Encoder().Raw(ProviderPrefix(kOutboxPrefix, provider)).U64(seq).Take();
  return PutRecord(ctx.store(), key, entry);
}

namespace {

// Take empties the outbox, so its live entries are those from the floor
// (0x7E; 0 if never written) on: scans start there and never walk the
// entries taken before (deleted keys on RocksDB).
absl::StatusOr<uint64_t> Floor(const Context& ctx, const ProviderId& provider) {
  MESH_ASSIGN_OR_RETURN(std::optional<std::string> raw,
                        ctx.store().Get(ProviderPrefix(internal::kOutboxFloorPrefix, provider)));
  if (!raw.has_value()) return uint64_t{0};
  Decoder d(*raw);
  MESH_ASSIGN_OR_RETURN(uint64_t floor, d.U64());
  MESH_RETURN_IF_ERROR(d.Finish());
  return floor;
}

}  // namespace

absl::StatusOr<std::vector<OutboxEntry>> Outbox::Peek(const Context& ctx,
                                                      const ProviderId& provider) {
  std::vector<OutboxEntry> out;
  MESH_ASSIGN_OR_RETURN(uint64_t floor, Floor(ctx, provider));
  const std::string prefix = ProviderPrefix(kOutboxPrefix, provider);
  auto it = ctx.store().Scan(Encoder().Raw(prefix).U64(floor).Take(), PrefixEnd(prefix));
  for (; it->Valid(); it->Next()) {
    MESH_ASSIGN_OR_RETURN(OutboxEntry e, DecodeRecord<OutboxEntry>(it->value()));
    out.push_back(std::move(e));
  }
  MESH_RETURN_IF_ERROR(it->status());
  return out;
}

absl::StatusOr<std::vector<OutboxEntry>> Outbox::Take(const Context& ctx,
                                                      const ProviderId& provider) {
  MESH_ASSIGN_OR_RETURN(std::vector<OutboxEntry> out, Peek(ctx, provider));
  std::string prefix = ProviderPrefix(kOutboxPrefix, provider);
  for (const auto& e : out) {
    MESH_RETURN_IF_ERROR(ctx.store().Delete(Encoder().Raw(prefix).U64(e.seq).Take()));
  }
  if (out.empty()) return out;
  MESH_RETURN_IF_ERROR(ctx.store().Put(ProviderPrefix(internal::kOutboxFloorPrefix, provider),
                                       Encoder().U64(out.back().seq + 1).Take()));
  return out;
}

}  // namespace mesh::consumer
