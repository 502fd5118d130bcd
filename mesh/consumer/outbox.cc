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

absl::StatusOr<std::vector<OutboxEntry>> Outbox::Peek(const Context& ctx,
                                                      const ProviderId& provider) {
  std::vector<OutboxEntry> out;
  auto it = ctx.store().ScanPrefix(ProviderPrefix(kOutboxPrefix, provider));
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
  return out;
}

}  // namespace mesh::consumer
