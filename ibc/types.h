// Value types of the generic IBC host (ICS-004 classic channels): channel
// ends, packets, timeouts and the commitments stored for them.
//
// Nothing here knows about mesh security. Value types; deterministic;
// thread-compatible.
#ifndef MESHSEC_IBC_TYPES_H_
#define MESHSEC_IBC_TYPES_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "core/codec.h"
#include "core/crypto.h"
#include "core/ids.h"

namespace mesh::ibc {

enum class Order : uint8_t { kUnordered = 1, kOrdered = 2 };
enum class ChannelState : uint8_t { kInit = 1, kTryOpen = 2, kOpen = 3, kClosed = 4 };

const char* OrderName(Order o);
const char* StateName(ChannelState s);

// One end of a channel as stored on its chain.
struct ChannelEnd {
  ChannelState state = ChannelState::kInit;
  Order order = Order::kUnordered;
  ConnectionId connection;  // this chain's connection to the counterparty
  PortId counterparty_port;
  ChannelId counterparty_channel;  // empty until known (INIT)
  std::string version;

  void Encode(Encoder& e) const;
  static absl::StatusOr<ChannelEnd> Decode(Decoder& d);
  friend bool operator==(const ChannelEnd&, const ChannelEnd&) = default;
};

// When a packet can no longer be received, judged on the DESTINATION chain:
// at a height >= `height` (if non-zero) or a block time >= `timestamp_ns`
// (if non-zero; nanoseconds since the Unix epoch). At least one must be set.
// The revision number of classic IBC heights is always 0 here.
struct Timeout {
  uint64_t height = 0;
  uint64_t timestamp_ns = 0;

  static Timeout AtHeight(uint64_t h) { return Timeout{h, 0}; }
  static Timeout AtTimeNs(uint64_t t) { return Timeout{0, t}; }
  bool IsSet() const { return height != 0 || timestamp_ns != 0; }
  // True once a chain at (height, time_ns) may no longer receive the packet.
  bool Expired(uint64_t chain_height, uint64_t chain_time_ns) const {
    return (height != 0 && chain_height >= height) ||
           (timestamp_ns != 0 && chain_time_ns >= timestamp_ns);
  }
  friend bool operator==(const Timeout&, const Timeout&) = default;
};

struct Packet {
  uint64_t sequence = 0;
  PortId source_port;
  ChannelId source_channel;
  PortId destination_port;
  ChannelId destination_channel;
  std::string data;
  Timeout timeout;

  void Encode(Encoder& e) const;
  static absl::StatusOr<Packet> Decode(Decoder& d);
  friend bool operator==(const Packet&, const Packet&) = default;
};

// The sender's commitment to a packet, exactly as ibc-go (classic) computes
// it: SHA-256(BE64(timeout_timestamp) || BE64(revision_number = 0) ||
// BE64(timeout_height) || SHA-256(data)). Binds the data and both timeouts.
Hash256 PacketCommitment(const Packet& p);
// The receiver's commitment to an acknowledgement: SHA-256(ack bytes).
Hash256 AckCommitment(std::string_view ack);

}  // namespace mesh::ibc

#endif  // MESHSEC_IBC_TYPES_H_
