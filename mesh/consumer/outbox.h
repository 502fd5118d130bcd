// Outbox: the consumer's outbound packets to one provider, as plain data in
// state (table 0x79), in the order they were produced.
//
// The IBC application drains it (Take) and sends each entry on the
// provider's channel; what it sends comes back through
// Consumer::OnPacketAcknowledged / OnPacketTimeout. Entries appended by a
// discarded overlay vanish with it. Stateless over Context; deterministic.
#ifndef MESHSEC_MESH_CONSUMER_OUTBOX_H_
#define MESHSEC_MESH_CONSUMER_OUTBOX_H_

#include <vector>

#include "absl/status/statusor.h"
#include "core/context.h"
#include "mesh/consumer/types.h"

namespace mesh::consumer {

class Outbox {
 public:
  // Appends `packet` with the provider's next sequence number (from 1).
  static absl::Status Append(const Context& ctx, const ProviderId& provider,
                             ConsumerPacket packet);
  // All queued entries in sequence order.
  static absl::StatusOr<std::vector<OutboxEntry>> Peek(const Context& ctx,
                                                       const ProviderId& provider);
  // All queued entries in sequence order; removes them.
  static absl::StatusOr<std::vector<OutboxEntry>> Take(const Context& ctx,
                                                       const ProviderId& provider);
};

}  // namespace mesh::consumer

#endif  // MESHSEC_MESH_CONSUMER_OUTBOX_H_
