#include "ibc/relayer.h"

#include <algorithm>
#include <deque>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/status.h"
#include "ibc/state.h"

namespace mesh::ibc {

Relayer::Relayer(Endpoint a, Endpoint b)
    : ends_{std::move(a), std::move(b)},
      clients_{InProcessClient(ends_[1].context), InProcessClient(ends_[0].context)} {
  connections_[0] = ends_[0].host->AddConnection(&clients_[0]);
  connections_[1] = ends_[1].host->AddConnection(&clients_[1]);
  clients_[0].set_counterparty_connection(connections_[1]);
  clients_[1].set_counterparty_connection(connections_[0]);
}

// ---------------------------------------------------------------- channels

absl::StatusOr<ChannelPair> Relayer::OpenChannel(Side initiator, const PortId& initiator_port,
                                                 const PortId& counterparty_port, Order order,
                                                 std::string_view version) {
  const Side i = initiator;
  const Side c = Other(initiator);
  Host& init_host = *ends_[Index(i)].host;
  Host& try_host = *ends_[Index(c)].host;
  MESH_ASSIGN_OR_RETURN(ChannelId init_id,
                        init_host.ChanOpenInit(ContextOf(i), initiator_port, connection(i),
                                               counterparty_port, order, version));
  MESH_ASSIGN_OR_RETURN(std::optional<ChannelEnd> init_end,
                        GetChannel(ContextOf(i).store(), initiator_port, init_id));
  if (!init_end.has_value()) return absl::InternalError("relayer: initiated channel missing");
  MESH_ASSIGN_OR_RETURN(ChannelId try_id,
                        try_host.ChanOpenTry(ContextOf(c), counterparty_port, connection(c),
                                             initiator_port, init_id, order, init_end->version));
  MESH_ASSIGN_OR_RETURN(std::optional<ChannelEnd> try_end,
                        GetChannel(ContextOf(c).store(), counterparty_port, try_id));
  if (!try_end.has_value()) return absl::InternalError("relayer: tried channel missing");
  MESH_RETURN_IF_ERROR(
      init_host.ChanOpenAck(ContextOf(i), initiator_port, init_id, try_id, try_end->version));
  MESH_RETURN_IF_ERROR(try_host.ChanOpenConfirm(ContextOf(c), counterparty_port, try_id));
  return i == Side::kA ? ChannelPair{init_id, try_id} : ChannelPair{try_id, init_id};
}

absl::Status Relayer::CloseChannel(Side side, const PortId& port, const ChannelId& channel) {
  MESH_ASSIGN_OR_RETURN(std::optional<ChannelEnd> end,
                        GetChannel(ContextOf(side).store(), port, channel));
  if (!end.has_value()) return absl::NotFoundError("relayer: no such channel");
  MESH_RETURN_IF_ERROR(ends_[Index(side)].host->ChanCloseInit(ContextOf(side), port, channel));
  Side other = Other(side);
  return ends_[Index(other)].host->ChanCloseConfirm(ContextOf(other), end->counterparty_port,
                                                    end->counterparty_channel);
}

absl::StatusOr<int> Relayer::RelayCloses() {
  int closed = 0;
  for (Side side : {Side::kA, Side::kB}) {
    const Side other = Other(side);
    MESH_ASSIGN_OR_RETURN(auto ends, ListChannels(ContextOf(side).store()));
    for (const auto& [pc, end] : ends) {
      if (end.connection != connection(side) || end.state != ChannelState::kClosed) continue;
      MESH_ASSIGN_OR_RETURN(std::optional<ChannelEnd> cp,
                            GetChannel(ContextOf(other).store(), end.counterparty_port,
                                       end.counterparty_channel));
      if (!cp.has_value() || cp->state == ChannelState::kClosed) continue;
      // A refusal (the application keeps its end open) is left as it is.
      if (ends_[Index(other)]
              .host->ChanCloseConfirm(ContextOf(other), end.counterparty_port,
                                      end.counterparty_channel)
              .ok()) {
        ++closed;
      }
    }
  }
  return closed;
}

// ---------------------------------------------------------------- queries

namespace {

// The channel ends one listing reads, each read once (a listing writes
// nothing, and a chain has few channels; every packet of a block names the
// same one).
class ChannelMemo {
 public:
  explicit ChannelMemo(const KvReader& store) : store_(store) {}
  const KvReader& store() const { return store_; }
  absl::StatusOr<const std::optional<ChannelEnd>*> Get(const PortId& port,
                                                       const ChannelId& channel) {
    for (const Entry& e : ends_) {
      if (e.port == port && e.channel == channel) return &e.end;
    }
    MESH_ASSIGN_OR_RETURN(std::optional<ChannelEnd> end, GetChannel(store_, port, channel));
    ends_.push_back(Entry{port, channel, std::move(end)});
    return &ends_.back().end;
  }

 private:
  struct Entry {
    PortId port;
    ChannelId channel;
    std::optional<ChannelEnd> end;
  };
  const KvReader& store_;
  std::deque<Entry> ends_;  // stable addresses
};

// Whether the chain `dest` reads has received `pk`: on an ordered channel,
// its next receive sequence is past it (nullopt on an unordered channel,
// whose receipt the caller reads).
absl::StatusOr<std::optional<bool>> ReceivedInOrder(ChannelMemo& dest, const Packet& pk) {
  MESH_ASSIGN_OR_RETURN(const std::optional<ChannelEnd>* end,
                        dest.Get(pk.destination_port, pk.destination_channel));
  if (!end->has_value() || (*end)->order != Order::kOrdered) return std::optional<bool>();
  MESH_ASSIGN_OR_RETURN(uint64_t next, GetSeqCounter(dest.store(), kNextSeqRecvTable,
                                                     pk.destination_port,
                                                     pk.destination_channel));
  return std::optional<bool>(next > pk.sequence);
}

}  // namespace

absl::StatusOr<std::vector<InFlight>> Relayer::Unsettled(Side from) const {
  const KvReader& store = ContextOf(from).store();
  MESH_ASSIGN_OR_RETURN(std::vector<Packet> packets, ListUnsettledPackets(store));
  std::vector<InFlight> out;
  ChannelMemo channels(store);
  for (Packet& p : packets) {
    MESH_ASSIGN_OR_RETURN(const std::optional<ChannelEnd>* end,
                          channels.Get(p.source_port, p.source_channel));
    if (!end->has_value() || (*end)->connection != connection(from)) continue;
    out.push_back(InFlight{from, std::move(p)});
  }
  return out;
}

absl::StatusOr<std::vector<InFlight>> Relayer::UnsettledBothSides() const {
  MESH_ASSIGN_OR_RETURN(std::vector<InFlight> out, Unsettled(Side::kA));
  MESH_ASSIGN_OR_RETURN(std::vector<InFlight> b, Unsettled(Side::kB));
  for (InFlight& p : b) out.push_back(std::move(p));
  return out;
}

absl::StatusOr<std::vector<InFlight>> Relayer::NotReceived(
    const std::vector<InFlight>& sent) const {
  ChannelMemo channels[2] = {ChannelMemo(ContextOf(Side::kA).store()),
                             ChannelMemo(ContextOf(Side::kB).store())};
  // The receipts of unordered channels are read in one GetMany per
  // destination: a round's packets are mostly new, so most are reads of
  // absent keys, which a batch answers in one pass through the store.
  std::vector<char> received(sent.size(), 0);
  std::vector<std::string> receipts[2];
  std::vector<size_t> of[2];  // receipts[d][j] is that of sent[of[d][j]]
  for (size_t i = 0; i < sent.size(); ++i) {
    const Packet& pk = sent[i].packet;
    const int dest = Index(Other(sent[i].from));
    MESH_ASSIGN_OR_RETURN(std::optional<bool> in_order, ReceivedInOrder(channels[dest], pk));
    if (in_order.has_value()) {
      received[i] = *in_order;
      continue;
    }
    receipts[dest].push_back(
        PacketKey(kReceiptTable, pk.destination_port, pk.destination_channel, pk.sequence));
    of[dest].push_back(i);
  }
  for (int dest = 0; dest < 2; ++dest) {
    if (receipts[dest].empty()) continue;
    std::vector<std::optional<std::string>> found;
    MESH_RETURN_IF_ERROR(channels[dest].store().GetMany(receipts[dest], &found));
    for (size_t j = 0; j < found.size(); ++j) received[of[dest][j]] = found[j].has_value();
  }
  std::vector<InFlight> out;
  for (size_t i = 0; i < sent.size(); ++i) {
    if (!received[i]) out.push_back(sent[i]);
  }
  return out;
}

absl::StatusOr<std::vector<InFlight>> Relayer::WithAcks(const std::vector<InFlight>& sent) const {
  std::vector<InFlight> out;
  for (const InFlight& p : sent) {
    const Packet& pk = p.packet;
    MESH_ASSIGN_OR_RETURN(std::optional<std::string> ack,
                          GetAcknowledgement(ContextOf(Other(p.from)).store(),
                                             pk.destination_port, pk.destination_channel,
                                             pk.sequence));
    if (ack.has_value()) out.push_back(p);
  }
  return out;
}

absl::StatusOr<std::vector<InFlight>> Relayer::PendingPackets() const {
  MESH_ASSIGN_OR_RETURN(std::vector<InFlight> sent, UnsettledBothSides());
  return NotReceived(sent);
}

absl::StatusOr<std::vector<InFlight>> Relayer::PendingAcks() const {
  MESH_ASSIGN_OR_RETURN(std::vector<InFlight> sent, UnsettledBothSides());
  return WithAcks(sent);
}

// ---------------------------------------------------------------- single steps

absl::StatusOr<RecvResult> Relayer::RelayPacket(const InFlight& p) {
  Side to = Other(p.from);
  return ends_[Index(to)].host->RecvPacket(ContextOf(to), p.packet);
}

absl::StatusOr<Outcome> Relayer::RelayAck(const InFlight& p) {
  const Packet& pk = p.packet;
  MESH_ASSIGN_OR_RETURN(std::optional<std::string> ack,
                        GetAcknowledgement(ContextOf(Other(p.from)).store(), pk.destination_port,
                                           pk.destination_channel, pk.sequence));
  if (!ack.has_value()) {
    return absl::FailedPreconditionError(
        absl::StrCat("relayer: no acknowledgement for sequence ", pk.sequence));
  }
  return ends_[Index(p.from)].host->AcknowledgePacket(ContextOf(p.from), pk, *ack);
}

absl::StatusOr<Outcome> Relayer::DeliverErrorAck(const InFlight& p, const absl::Status& error) {
  Side to = Other(p.from);
  MESH_ASSIGN_OR_RETURN(RecvResult r,
                        ends_[Index(to)].host->RecvPacketAsError(ContextOf(to), p.packet, error));
  if (r.outcome == Outcome::kNoop) {
    return absl::FailedPreconditionError("relayer: packet was already received");
  }
  return RelayAck(p);
}

absl::StatusOr<Outcome> Relayer::TimeOut(const InFlight& p) {
  const Packet& pk = p.packet;
  MESH_ASSIGN_OR_RETURN(std::optional<ChannelEnd> dest,
                        GetChannel(ContextOf(Other(p.from)).store(), pk.destination_port,
                                   pk.destination_channel));
  Host& host = *ends_[Index(p.from)].host;
  if (dest.has_value() && dest->state == ChannelState::kClosed) {
    return host.TimeoutOnClose(ContextOf(p.from), pk);
  }
  return host.TimeoutPacket(ContextOf(p.from), pk);
}

absl::Status Relayer::DeliverDuplicate(const InFlight& p) {
  MESH_ASSIGN_OR_RETURN(RecvResult r, RelayPacket(p));
  if (r.outcome == Outcome::kNoop) {
    return absl::FailedPreconditionError("relayer: duplicate delivery refused (already received)");
  }
  return absl::InternalError("relayer: duplicate delivery was accepted");
}

absl::StatusOr<std::vector<RecvResult>> Relayer::RelayPendingReversed(RelayStats* stats) {
  MESH_ASSIGN_OR_RETURN(std::vector<InFlight> pending, PendingPackets());
  std::stable_sort(pending.begin(), pending.end(), [](const InFlight& x, const InFlight& y) {
    return x.packet.sequence > y.packet.sequence;
  });
  std::vector<RecvResult> out;
  for (const InFlight& p : pending) {
    MESH_ASSIGN_OR_RETURN(Action action, Classify(p));
    if (action == Action::kWait) continue;
    if (action == Action::kTimeout) {
      MESH_RETURN_IF_ERROR(TimeOut(p).status());
      if (stats != nullptr) ++stats->timed_out;
      continue;
    }
    // kDeliver, or kOutOfOrder: delivered anyway, the host refuses it.
    MESH_ASSIGN_OR_RETURN(RecvResult r, RelayPacket(p));
    if (stats != nullptr) ++stats->received;
    out.push_back(std::move(r));
  }
  return out;
}

// ---------------------------------------------------------------- relay all

absl::StatusOr<Relayer::Action> Relayer::Classify(const InFlight& p) const {
  Context dest = ContextOf(Other(p.from));
  const Packet& pk = p.packet;
  MESH_ASSIGN_OR_RETURN(std::optional<ChannelEnd> end,
                        GetChannel(dest.store(), pk.destination_port, pk.destination_channel));
  if (!end.has_value()) return Action::kWait;
  if (end->state == ChannelState::kClosed) return Action::kTimeout;
  if (pk.timeout.Expired(dest.height(), dest.time_ns())) return Action::kTimeout;
  if (end->order == Order::kOrdered) {
    MESH_ASSIGN_OR_RETURN(uint64_t next, GetSeqCounter(dest.store(), kNextSeqRecvTable,
                                                       pk.destination_port,
                                                       pk.destination_channel));
    if (pk.sequence != next) return Action::kOutOfOrder;
  }
  return Action::kDeliver;
}

// One listing of the unsettled packets serves the round's deliveries and
// its acks: a delivery or a timeout settles no packet of the listing but
// its own (a timed-out packet has no ack), and a packet sent by a callback
// during the round has no ack yet, so the acks found are those
// PendingAcks() would find after the deliveries.
absl::StatusOr<bool> Relayer::RelayRound(RelayStats& stats) {
  bool progress = false;
  MESH_ASSIGN_OR_RETURN(std::vector<InFlight> sent, UnsettledBothSides());
  MESH_ASSIGN_OR_RETURN(std::vector<InFlight> pending, NotReceived(sent));
  for (const InFlight& p : pending) {
    MESH_ASSIGN_OR_RETURN(Action action, Classify(p));
    if (action == Action::kDeliver) {
      MESH_RETURN_IF_ERROR(RelayPacket(p).status());
      ++stats.received;
      progress = true;
    } else if (action == Action::kTimeout) {
      MESH_RETURN_IF_ERROR(TimeOut(p).status());
      ++stats.timed_out;
      progress = true;
    }
  }
  MESH_ASSIGN_OR_RETURN(std::vector<InFlight> acks, WithAcks(sent));
  for (const InFlight& p : acks) {
    MESH_RETURN_IF_ERROR(RelayAck(p).status());
    ++stats.acknowledged;
    progress = true;
  }
  return progress;
}

absl::StatusOr<RelayStats> Relayer::RelayInto(Side s) {
  RelayStats stats;
  MESH_ASSIGN_OR_RETURN(std::vector<InFlight> sent, UnsettledBothSides());  // as RelayRound
  MESH_ASSIGN_OR_RETURN(std::vector<InFlight> pending, NotReceived(sent));
  for (const InFlight& p : pending) {
    MESH_ASSIGN_OR_RETURN(Action action, Classify(p));
    if (action == Action::kDeliver && p.from != s) {
      MESH_RETURN_IF_ERROR(RelayPacket(p).status());
      ++stats.received;
    } else if (action == Action::kTimeout && p.from == s) {
      MESH_RETURN_IF_ERROR(TimeOut(p).status());
      ++stats.timed_out;
    }
  }
  MESH_ASSIGN_OR_RETURN(std::vector<InFlight> acks, WithAcks(sent));
  for (const InFlight& p : acks) {
    if (p.from != s) continue;
    MESH_RETURN_IF_ERROR(RelayAck(p).status());
    ++stats.acknowledged;
  }
  return stats;
}

absl::StatusOr<RelayStats> Relayer::RelayAll() {
  RelayStats stats;
  for (int round = 0; round < kMaxRounds; ++round) {
    MESH_ASSIGN_OR_RETURN(bool progress, RelayRound(stats));
    if (!progress) return stats;
  }
  return absl::FailedPreconditionError(
      absl::StrCat("relayer: still relaying after ", kMaxRounds, " rounds"));
}

}  // namespace mesh::ibc
