// The interface an IBC application (the module owning a port) implements,
// and the light-client stand-in through which a host sees its counterparty.
//
// Callbacks run inside the host's message handling, each in its own
// discardable Overlay (ctx.store()): an error discards everything the
// callback wrote. What an error means per callback is stated below. Callbacks
// may send packets through the Host (e.g. a resend on timeout); they must not
// re-enter the host's receive/ack/timeout entry points (ASA-2024-007; the
// host deletes the commitment before calling out, so a re-entrant ack or
// timeout for the same packet is a no-op).
//
// Implementations must be deterministic.
#ifndef MESHSEC_IBC_APPLICATION_H_
#define MESHSEC_IBC_APPLICATION_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/context.h"
#include "core/ids.h"
#include "core/kv.h"
#include "ibc/types.h"

namespace mesh::ibc {

// The channel as the application sees it during a handshake or close.
struct ChannelInfo {
  PortId port;
  ChannelId channel;
  ConnectionId connection;
  Order order = Order::kUnordered;
  PortId counterparty_port;
  ChannelId counterparty_channel;  // empty at OpenInit
};

enum class CloseStep { kInit, kConfirm };

class Application {
 public:
  virtual ~Application() = default;

  // OpenInit on this chain. `version` is what the relayer proposed (may be
  // empty). Returns the version this end proposes; error aborts the step.
  virtual absl::StatusOr<std::string> OnChanOpenInit(const Context& ctx, const ChannelInfo& ch,
                                                     std::string_view version) = 0;
  // OpenTry: returns the final version both ends will use; error aborts.
  virtual absl::StatusOr<std::string> OnChanOpenTry(const Context& ctx, const ChannelInfo& ch,
                                                    std::string_view counterparty_version) = 0;
  // OpenAck on the initiator: `counterparty_version` is the Try's choice.
  virtual absl::Status OnChanOpenAck(const Context& ctx, const ChannelInfo& ch,
                                     std::string_view counterparty_version) = 0;
  virtual absl::Status OnChanOpenConfirm(const Context& ctx, const ChannelInfo& ch) = 0;
  // CloseInit (user/relayer-initiated on this chain) or CloseConfirm (the
  // counterparty closed). An error refuses the close.
  virtual absl::Status OnChanClose(const Context& ctx, const ChannelInfo& ch, CloseStep step) = 0;

  // Returns the success acknowledgement bytes (non-empty). An error
  // discards the callback's writes; the host then writes
  // ErrorAcknowledgement(error) and the packet still counts as received.
  virtual absl::StatusOr<std::string> OnRecvPacket(const Context& ctx, const Packet& packet) = 0;
  // Must not fail for a packet this application sent (pre-reserve at send
  // time). If it does fail, the host rolls the whole ack back: the packet
  // stays un-acknowledged and the ack can be relayed again.
  virtual absl::Status OnAcknowledgement(const Context& ctx, const Packet& packet,
                                         std::string_view ack) = 0;
  // Same contract as OnAcknowledgement, for a packet that was never received.
  virtual absl::Status OnTimeout(const Context& ctx, const Packet& packet) = 0;

  // The error acknowledgement written when OnRecvPacket fails. The default
  // is ibc-go's deterministic ICS-04 JSON envelope, which carries only the
  // numeric status code (status messages never enter hashed state):
  //   {"error":"ABCI code: <code>: error handling packet: see events for details"}
  virtual std::string ErrorAcknowledgement(const absl::Status& error) const;
};

// The ibc-go standard error acknowledgement for a numeric code.
std::string StandardErrorAck(uint32_t code);

// What a host knows about the chain at the other end of a connection: a
// light-client stand-in. Reads of the counterparty's IBC tables through
// State() play the role of membership / non-membership proofs; LatestHeight
// and LatestTimeNs are the counterparty's current block (used for timeouts).
class CounterpartyClient {
 public:
  virtual ~CounterpartyClient() = default;
  // The connection id on the counterparty chain that points back at us.
  virtual ConnectionId CounterpartyConnection() const = 0;
  virtual uint64_t LatestHeight() const = 0;
  virtual uint64_t LatestTimeNs() const = 0;
  virtual const KvReader& State() const = 0;
};

}  // namespace mesh::ibc

#endif  // MESHSEC_IBC_APPLICATION_H_
