// Relayer: an in-process ICS-018 relayer joining two chains' IBC hosts, with
// the controls tests and the scenario runner need to misbehave on purpose.
//
// Each chain is an Endpoint: its Host and a function returning a Context for
// the chain's current block over its working store (writes through it are
// kept by the chain). Constructing a Relayer registers one connection on
// each host, backed by an InProcessClient that reads the other chain's state
// directly (the light-client stand-in).
//
// Safety never depends on the relayer: every message it submits is checked
// by the hosts against the other chain's state, so duplicate, reordered,
// late or forged deliveries are refused or are no-ops. The relayer only
// decides liveness and order.
//
// Not thread-safe. Deterministic: packets are listed in (port, channel,
// sequence) order.
#ifndef MESHSEC_IBC_RELAYER_H_
#define MESHSEC_IBC_RELAYER_H_

#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/context.h"
#include "core/ids.h"
#include "ibc/application.h"
#include "ibc/host.h"
#include "ibc/types.h"

namespace mesh::ibc {

struct Endpoint {
  Host* host = nullptr;
  std::function<Context()> context;
};

// Reads a chain's state and current block on behalf of its counterparty.
class InProcessClient : public CounterpartyClient {
 public:
  explicit InProcessClient(std::function<Context()> chain) : chain_(std::move(chain)) {}
  void set_counterparty_connection(ConnectionId id) { counterparty_connection_ = std::move(id); }

  ConnectionId CounterpartyConnection() const override { return counterparty_connection_; }
  uint64_t LatestHeight() const override { return chain_().height(); }
  uint64_t LatestTimeNs() const override { return chain_().time_ns(); }
  const KvReader& State() const override { return chain_().store(); }

 private:
  std::function<Context()> chain_;
  ConnectionId counterparty_connection_;
};

enum class Side { kA = 0, kB = 1 };
inline Side Other(Side s) { return s == Side::kA ? Side::kB : Side::kA; }

// A packet sent by chain `from` whose commitment still exists there.
struct InFlight {
  Side from = Side::kA;
  Packet packet;
};

struct ChannelPair {
  ChannelId a;  // the channel id on chain A
  ChannelId b;  // the channel id on chain B
};

struct RelayStats {
  int received = 0;      // packets delivered (success or error ack written)
  int acknowledged = 0;  // acks delivered back to the sender
  int timed_out = 0;     // timeouts submitted to the sender
};

class Relayer {
 public:
  // How many rounds RelayAll runs before giving up on packets that keep
  // generating new packets.
  static constexpr int kMaxRounds = 100;

  // REQUIRES: both hosts and their contexts outlive the relayer, and the
  // relayer outlives every use of the connections it registers.
  Relayer(Endpoint a, Endpoint b);
  Relayer(const Relayer&) = delete;
  Relayer& operator=(const Relayer&) = delete;

  const ConnectionId& connection(Side s) const { return connections_[Index(s)]; }
  const Endpoint& endpoint(Side s) const { return ends_[Index(s)]; }

  // The four-step handshake, started on `initiator` (Init there, Try on the
  // other side, Ack, Confirm). Stops at the first failing step and returns
  // its error; the ends created so far stay as they are.
  absl::StatusOr<ChannelPair> OpenChannel(Side initiator, const PortId& initiator_port,
                                          const PortId& counterparty_port, Order order,
                                          std::string_view version);
  // CloseInit on `side`, then CloseConfirm on the other side.
  absl::Status CloseChannel(Side side, const PortId& port, const ChannelId& channel);
  // Relays closes an application made itself: for every channel end on this
  // relayer's connection that is CLOSED while its counterparty end is still
  // open, CloseConfirm on the other side (side A's ends first, in key
  // order). A refused confirm leaves that end as it is. Returns how many
  // ends were closed.
  absl::StatusOr<int> RelayCloses();

  // Packets on this relayer's connection not yet received by the destination.
  absl::StatusOr<std::vector<InFlight>> PendingPackets() const;
  // Packets received with an ack written whose ack the sender has not processed.
  absl::StatusOr<std::vector<InFlight>> PendingAcks() const;

  // Delivers every pending packet (or submits its timeout once the
  // destination passed the deadline or closed its end), then every pending
  // ack, and repeats while callbacks produce new packets. Packets that an
  // ORDERED channel cannot take yet are left pending.
  absl::StatusOr<RelayStats> RelayAll();

  // Everything that writes only on side `s`, as one relayer transaction
  // into that chain's open block while the other chain's state is only read
  // (committed): every pending packet addressed to `s`, every due timeout
  // of a packet `s` sent, every pending ack of a packet `s` sent. One pass;
  // what the callbacks send goes out at the end of the block and is relayed
  // by the next call. The other side needs no open block.
  absl::StatusOr<RelayStats> RelayInto(Side s);

  // ---- one step at a time (test controls) ----
  // Receives one packet on its destination (no ack relayed).
  absl::StatusOr<RecvResult> RelayPacket(const InFlight& p);
  // Relays the destination's ack of `p` back to the sender.
  absl::StatusOr<Outcome> RelayAck(const InFlight& p);
  // The destination records an error ack for `error` without running its
  // application (as if it had rejected the packet); the ack is relayed back.
  absl::StatusOr<Outcome> DeliverErrorAck(const InFlight& p, const absl::Status& error);
  // Submits the timeout of `p` to its sender: by deadline, or on close if
  // the destination end is CLOSED. The destination chain must have passed
  // the deadline (advance it first); otherwise the host refuses.
  absl::StatusOr<Outcome> TimeOut(const InFlight& p);
  // Delivers `p` again. Returns FailedPrecondition when the destination
  // refuses (the expected result for a packet already received); Internal if
  // the destination accepted it a second time.
  absl::Status DeliverDuplicate(const InFlight& p);
  // Handles every pending packet in DESCENDING sequence order, as a relayer
  // would: a packet whose destination passed its deadline (or closed its
  // end) is timed out on its sender; a packet whose destination channel
  // does not exist yet is skipped (left pending); every other packet is
  // delivered. On an ORDERED channel the destination refuses an
  // out-of-sequence packet and that refusal is returned (the steps taken
  // before it stay). Returns the results of the delivered packets, in
  // delivery order; when `stats` is given, its `received` and `timed_out`
  // are increased by what was delivered and timed out (acks are not
  // relayed).
  absl::StatusOr<std::vector<RecvResult>> RelayPendingReversed(RelayStats* stats = nullptr);

 private:
  // kWait: the destination channel does not exist yet; kOutOfOrder: an
  // ORDERED destination expects a lower sequence first.
  enum class Action { kDeliver, kTimeout, kWait, kOutOfOrder };
  static int Index(Side s) { return static_cast<int>(s); }
  Context ContextOf(Side s) const { return ends_[Index(s)].context(); }
  absl::StatusOr<std::vector<InFlight>> Unsettled(Side from) const;
  // Side A's unsettled packets, then side B's.
  absl::StatusOr<std::vector<InFlight>> UnsettledBothSides() const;
  // Those of `sent` the destination has not received.
  absl::StatusOr<std::vector<InFlight>> NotReceived(const std::vector<InFlight>& sent) const;
  // Those of `sent` whose ack the destination has written.
  absl::StatusOr<std::vector<InFlight>> WithAcks(const std::vector<InFlight>& sent) const;
  absl::StatusOr<Action> Classify(const InFlight& p) const;
  absl::StatusOr<bool> RelayRound(RelayStats& stats);

  Endpoint ends_[2];
  // clients_[i] is registered on chain i and reads the other chain.
  InProcessClient clients_[2];
  ConnectionId connections_[2];
};

}  // namespace mesh::ibc

#endif  // MESHSEC_IBC_RELAYER_H_
