// Host: one chain's generic IBC core (ICS-004 channels and packets,
// ICS-026 routing to applications). It knows nothing about mesh security.
//
// State: everything lives in the chain's KvStore reached through the
// Context passed to each call (tables in ibc/state.h); the Host object only
// holds wiring that is configuration, not state: which Application owns
// which port, and the light-client stand-in for each connection.
//
// Atomicity: every entry point runs in its own Overlay over ctx.store() and
// writes nothing unless it returns OK. Application callbacks run in a nested
// Overlay that is discarded when the callback fails.
//
// Guarantees (neighbours.md §3): a packet is received at most once (receipt
// on unordered channels, nextSequenceRecv on ordered ones); exactly one of
// {acknowledgement, timeout} is processed, at most once (the commitment is
// deleted); a timeout needs proof that the destination passed the deadline
// and did not receive the packet; acks need proof of the ack commitment on
// the destination. A redundant relay (duplicate receive, second ack or
// timeout) is a no-op (Outcome::kNoop), not an error, like ibc-go.
//
// Deterministic rejections are InvalidArgument (malformed / mismatched
// input), NotFound (unknown port, channel or connection) and
// FailedPrecondition (wrong channel state, timeout not reached, packet
// already received, out-of-order delivery on an ordered channel).
//
// Thread-compatible; deterministic.
#ifndef MESHSEC_IBC_HOST_H_
#define MESHSEC_IBC_HOST_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/context.h"
#include "core/ids.h"
#include "ibc/application.h"
#include "ibc/state.h"
#include "ibc/types.h"

namespace mesh::ibc {

enum class Outcome { kApplied, kNoop };

struct RecvResult {
  Outcome outcome = Outcome::kApplied;
  std::string ack;  // the acknowledgement written (kApplied only)
  absl::Status app_status;  // the application's error if an error ack was written
};

class Host {
 public:
  Host() = default;
  Host(const Host&) = delete;
  Host& operator=(const Host&) = delete;

  // ---- wiring (configuration, not state) ----
  // REQUIRES: `app` outlives the host. InvalidArgument if already bound.
  absl::Status BindPort(const PortId& port, Application* app);
  // Registers a light-client stand-in; returns its id "connection-<n>".
  // REQUIRES: `client` outlives the host's use of the connection.
  ConnectionId AddConnection(const CounterpartyClient* client);

  // ---- channel handshake (submitted by a relayer) ----
  // Creates "channel-<n>" in INIT; the app returns the proposed version.
  absl::StatusOr<ChannelId> ChanOpenInit(const Context& ctx, const PortId& port,
                                         const ConnectionId& connection,
                                         const PortId& counterparty_port, Order order,
                                         std::string_view version);
  // Creates a channel in TRYOPEN after checking the counterparty's INIT end
  // (its port, order and version); the app selects the final version.
  absl::StatusOr<ChannelId> ChanOpenTry(const Context& ctx, const PortId& port,
                                        const ConnectionId& connection,
                                        const PortId& counterparty_port,
                                        const ChannelId& counterparty_channel, Order order,
                                        std::string_view counterparty_version);
  // INIT -> OPEN after checking the counterparty's TRYOPEN end.
  absl::Status ChanOpenAck(const Context& ctx, const PortId& port, const ChannelId& channel,
                           const ChannelId& counterparty_channel,
                           std::string_view counterparty_version);
  // TRYOPEN -> OPEN after checking the counterparty is OPEN.
  absl::Status ChanOpenConfirm(const Context& ctx, const PortId& port, const ChannelId& channel);
  // Any non-CLOSED state -> CLOSED unless the app refuses.
  absl::Status ChanCloseInit(const Context& ctx, const PortId& port, const ChannelId& channel);
  // -> CLOSED after checking the counterparty end is CLOSED.
  absl::Status ChanCloseConfirm(const Context& ctx, const PortId& port, const ChannelId& channel);

  // ---- packets ----
  // Called by the application owning `port`. Channel must be OPEN, data
  // non-empty, a timeout set and not already passed on the counterparty.
  // Stores the commitment (and the packet, for relayers); returns the
  // sequence (per channel, from 1).
  absl::StatusOr<uint64_t> SendPacket(const Context& ctx, const PortId& port,
                                      const ChannelId& channel, Timeout timeout,
                                      std::string_view data);

  // Receives on the destination (this chain). kNoop for a redundant relay.
  absl::StatusOr<RecvResult> RecvPacket(const Context& ctx, const Packet& packet);
  // TEST CONTROL: receives the packet like RecvPacket but, instead of running
  // the application, writes the error acknowledgement for `app_error` as if
  // the application had failed (all core checks still apply).
  absl::StatusOr<RecvResult> RecvPacketAsError(const Context& ctx, const Packet& packet,
                                               const absl::Status& app_error);
  // Processes the destination's acknowledgement on the source (this chain).
  // kNoop if the packet was already acknowledged or timed out.
  absl::StatusOr<Outcome> AcknowledgePacket(const Context& ctx, const Packet& packet,
                                            std::string_view ack);
  // Times a packet out on the source once the destination passed its
  // deadline without receiving it. An ORDERED channel closes.
  absl::StatusOr<Outcome> TimeoutPacket(const Context& ctx, const Packet& packet);
  // Times a packet out before its deadline because the destination channel
  // end is CLOSED and the packet was not received.
  absl::StatusOr<Outcome> TimeoutOnClose(const Context& ctx, const Packet& packet);

  // The light client for a connection; NotFound if unknown.
  absl::StatusOr<const CounterpartyClient*> Client(const ConnectionId& connection) const;

 private:
  enum class TimeoutKind { kDeadline, kOnClose };

  absl::StatusOr<Application*> AppFor(const PortId& port) const;
  absl::StatusOr<ChannelId> NewChannelId(KvStore& store) const;
  absl::StatusOr<RecvResult> Receive(const Context& ctx, const Packet& packet,
                                     const absl::Status* forced_error);
  absl::StatusOr<Outcome> ApplyReplayProtection(const Context& ctx, const ChannelEnd& ch,
                                                const Packet& packet);
  absl::StatusOr<RecvResult> RunRecvCallback(const Context& ctx, const Packet& packet,
                                             const absl::Status* forced_error);
  absl::StatusOr<Outcome> ProcessTimeout(const Context& ctx, const Packet& packet, TimeoutKind kind);
  absl::Status CheckTimeoutProof(const ChannelEnd& ch, const Packet& packet,
                                 TimeoutKind kind) const;
  absl::StatusOr<bool> LoadSentCommitment(const Context& ctx, const ChannelEnd& ch,
                                          const Packet& packet) const;
  absl::Status DeleteSent(KvStore& store, const Packet& packet) const;
  absl::Status Close(const Context& ctx, const PortId& port, const ChannelId& channel,
                     CloseStep step);

  std::map<PortId, Application*> apps_;
  std::map<ConnectionId, const CounterpartyClient*> clients_;
};

}  // namespace mesh::ibc

#endif  // MESHSEC_IBC_HOST_H_
