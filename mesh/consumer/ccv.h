// CcvConsumer: the consumer side of the replicated and opt-in link modes
// (neighbours.md §2.2, §2.4; docs/shared-security.md). A chain with such a
// link takes its consensus validator set from its provider:
//   * OnVsc accumulates the validator updates received within a block,
//     keeping only the latest update per key, records HtoVSC[h + 1] = vscID
//     and clears the outstanding-downtime flag of every slash-acked address;
//   * EndBlock applies the accumulated updates to the consumer's consensus
//     set and returns them (the application returns them to consensus
//     instead of native staking's updates, from the first applied VSC on);
//   * OnDowntime queues one slash packet per outstanding downtime (the flag
//     is cleared only by a later VSC's slash_acks), carrying
//     HtoVSC[infraction height] (0 before the first VSC);
//   * the slash queue is FIFO; nothing is sent before the first VSC; the
//     head is sent and kept until its ack: Handled / V1 pops it, Bounced
//     allows a resend once retry_delay_s passed.
// With unbonding_waits_for_maturity (EnableMaturity, neighbours.md §2.3),
// every VSC received matures at its receive time + the consumer's unbonding
// period, and matured ids go back to the provider as VSCMatured packets, in
// (maturity, id) order, never while a slash request is queued or awaits its
// ack (ICS v4: a VSCMatured does not overtake a slash packet). The provider
// decides (L-13): a VSC carrying waits_for_maturity = true turns maturity on
// for the link's life if the consumer's genesis did not (period: the
// consumer chain's staking unbonding time then) and is recorded; one
// carrying false is not recorded; one without the field follows the
// consumer's own setting (older providers).
// HtoVSC stores only the heights where the id changed; a lookup takes the
// entry at or below the height (the same answer as ICS's per-block copy).
//
// State (docs/state-layout.md, 0xB8-0xBF). Stateless class; deterministic.
#ifndef MESHSEC_MESH_CONSUMER_CCV_H_
#define MESHSEC_MESH_CONSUMER_CCV_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/context.h"
#include "core/ids.h"

namespace mesh::consumer::ccv {

struct Update {
  std::string pub_key;  // 32-byte ed25519
  int64_t power = 0;    // absolute; 0 removes
  friend bool operator==(const Update&, const Update&) = default;
};

struct Vsc {
  uint64_t vsc_id = 0;
  std::vector<Update> updates;
  std::vector<std::string> slash_acks;  // raw consensus addresses
  // The provider's unbonding_waits_for_maturity as carried by the packet
  // (nullopt: not carried; the consumer's own genesis setting applies).
  std::optional<bool> waits_for_maturity;
};

struct SlashRequest {
  uint64_t seq = 0;
  std::string address;  // raw consensus address
  int64_t power = 0;
  uint64_t vsc_id = 0;
};

struct State {
  std::string provider;          // provider chain id
  ConnectionId connection;       // consumer-side connection
  ChannelId channel;             // empty until the handshake completed
  uint64_t retry_delay_s = 3600;
  bool received_vsc = false;     // the provider's first VSC arrived
  bool applied = false;          // the consensus set comes from the provider
  bool closed = false;           // error ack / timeout / close: nothing more is sent
  bool waiting = false;          // the head slash packet awaits its ack
  uint64_t last_send_ns = 0;     // when the head was last sent (0: never)
};

struct Applied {
  std::vector<Update> updates;   // ordered by key
  bool first = false;            // the first application (native → provider set)
};

class CcvConsumer {
 public:
  static absl::Status Init(const Context& ctx, const std::string& provider,
                           const ConnectionId& connection, uint64_t retry_delay_s);
  // nullopt on a chain without a CCV link.
  static absl::StatusOr<std::optional<State>> Get(const Context& ctx);
  static absl::Status Put(const Context& ctx, const State& s);

  // InvalidArgument for vscID 0 or a key that is not 32 bytes (error ack).
  // Records the VSC's maturity as the header says.
  static absl::Status OnVsc(const Context& ctx, const Vsc& vsc);
  static absl::StatusOr<Applied> EndBlock(const Context& ctx);
  // True while updates received in this block wait for EndBlock.
  static absl::StatusOr<bool> HasPendingUpdates(const Context& ctx);
  // The applied consensus set, ordered by key.
  static absl::StatusOr<std::vector<Update>> CurrentSet(const Context& ctx);
  // The vscID in force at `height` (0 before the first VSC).
  static absl::StatusOr<uint64_t> VscIdAt(const Context& ctx, uint64_t height);

  // Downtime of `address` (a current consensus validator) at
  // `infraction_height`: queued unless a request for it is outstanding.
  // Returns whether a packet was queued.
  static absl::StatusOr<bool> OnDowntime(const Context& ctx, std::string_view address,
                                         int64_t power, uint64_t infraction_height);
  static absl::StatusOr<bool> Outstanding(const Context& ctx, std::string_view address);
  static absl::StatusOr<std::vector<SlashRequest>> Queue(const Context& ctx);
  // The head request if it may be sent now (first VSC received, channel
  // open, not waiting, retry delay passed after a bounce).
  static absl::StatusOr<std::optional<SlashRequest>> NextToSend(const Context& ctx);
  static absl::Status MarkSent(const Context& ctx);
  // result: 1 (V1) / 2 (handled) pop the head; 3 (bounced) keeps it.
  static absl::Status OnSlashResult(const Context& ctx, uint8_t result);
  static absl::Status Close(const Context& ctx);

  // ---- unbonding waits for maturity ----
  // Genesis (or the first VSC asking for it): VSCs received from now on
  // mature `unbonding_s` after receipt.
  static absl::Status EnableMaturity(const Context& ctx, uint64_t unbonding_s);
  // nullopt when off (ADR-018 default) and no VSC asked for it yet.
  static absl::StatusOr<std::optional<uint64_t>> MaturityPeriod(const Context& ctx);
  struct Maturing {
    uint64_t maturity_ns = 0;
    uint64_t vsc_id = 0;
    friend bool operator==(const Maturing&, const Maturing&) = default;
  };
  // Received VSCs not yet reported, in (maturity, id) order.
  static absl::StatusOr<std::vector<Maturing>> Maturities(const Context& ctx);
  // The ids matured by the block time, removed, in order; none while a slash
  // request is queued (sent or not) or the link is closed.
  static absl::StatusOr<std::vector<uint64_t>> TakeMatured(const Context& ctx);
};

}  // namespace mesh::consumer::ccv

#endif  // MESHSEC_MESH_CONSUMER_CCV_H_
