// The IBC applications of the replicated and opt-in link modes: the CCV-like
// channel (ports "provider" / "consumer", version "1", ORDERED) between a
// provider and a consumer whose consensus set it supplies (neighbours.md
// §2.2, §2.4, §2.7; docs/shared-security.md).
//
// Handshake: the consumer initiates. The provider refuses OpenInit/OpenAck,
// the consumer OpenTry/OpenConfirm. Both check the ordering, the
// counterparty port, the version and that the connection is the one the
// link was registered with, and allow one channel per link, ever. Users
// cannot close a running link's channel (CloseInit refused); the
// counterparty's close stops the link (provider: no more VSCs; consumer: no
// more slash packets). The provider closes the channel of a stopped
// consumer itself (ICS): its EndBlock runs CloseInit on the end while it is
// OPEN (error ack, removal proposal; after a timeout the ORDERED channel is
// already CLOSED), first thing, so before a removal due in the same block
// deletes the consumer; the relayer's CloseConfirm then closes the consumer
// end.
//
// Provider: EndBlock runs CcvProvider::EndBlock and sends every queued VSC
// of every consumer whose channel is OPEN (timeout: block time + 4 weeks).
// A slash packet is judged by CcvProvider::OnSlashPacket and punished
// through HandleConsumerDowntime; the ack carries the one-byte result. An
// error ack or a timeout of a VSC stops the consumer (CcvProvider::Stop: its
// state is removed one provider unbonding period later); acks, timeouts and
// closes on the channel of a consumer removed since are ignored.
// Consumer: a VSC goes to CcvConsumer::OnVsc (ack 0x01); EndBlock sends the
// matured vscIDs as VSCMatured (unbonding_waits_for_maturity only; the
// provider then releases the unbondings held for them) and the head of the
// slash queue when allowed; a VSCMatured ack is ignored (error: stop); a slash ack's result byte goes to
// CcvConsumer::OnSlashResult; an error ack or a timeout stops sending.
//
// Malformed packets get an error ack. Signed-tx messages (provider):
//   /meshsec.v1.MsgOptIn  {sender, consumer}  sender: the validator's operator
//   /meshsec.v1.MsgOptOut {sender, consumer}
// Objects hold only wiring. Deterministic.
#ifndef MESHSEC_MESH_APP_CCV_APP_H_
#define MESHSEC_MESH_APP_CCV_APP_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/context.h"
#include "core/ids.h"
#include "ibc/application.h"
#include "ibc/host.h"
#include "node/chain.h"

namespace mesh::app {

// CCV packet timeout (ICS CcvTimeoutPeriod, 4 weeks).
inline constexpr uint64_t kCcvTimeoutSeconds = 2419200;

class CcvProviderApp : public ibc::Application {
 public:
  explicit CcvProviderApp(ibc::Host* host);
  const PortId& port() const { return port_; }

  absl::Status EndBlock(const Context& ctx) const;

  absl::StatusOr<std::string> OnChanOpenInit(const Context& ctx, const ibc::ChannelInfo& ch,
                                             std::string_view version) override;
  absl::StatusOr<std::string> OnChanOpenTry(const Context& ctx, const ibc::ChannelInfo& ch,
                                            std::string_view counterparty_version) override;
  absl::Status OnChanOpenAck(const Context& ctx, const ibc::ChannelInfo& ch,
                             std::string_view counterparty_version) override;
  absl::Status OnChanOpenConfirm(const Context& ctx, const ibc::ChannelInfo& ch) override;
  absl::Status OnChanClose(const Context& ctx, const ibc::ChannelInfo& ch,
                           ibc::CloseStep step) override;
  absl::StatusOr<std::string> OnRecvPacket(const Context& ctx, const ibc::Packet& packet) override;
  absl::Status OnAcknowledgement(const Context& ctx, const ibc::Packet& packet,
                                 std::string_view ack) override;
  absl::Status OnTimeout(const Context& ctx, const ibc::Packet& packet) override;

 private:
  // CloseInit of a stopped consumer's channel while its end is OPEN (ICS
  // closes it); a refusal is ignored (retried next end block), never an error.
  absl::Status CloseStopped(const Context& ctx, const ChannelId& channel) const;

  ibc::Host* host_;
  PortId port_;
};

class CcvConsumerApp : public ibc::Application {
 public:
  explicit CcvConsumerApp(ibc::Host* host);
  const PortId& port() const { return port_; }

  absl::Status EndBlock(const Context& ctx) const;

  absl::StatusOr<std::string> OnChanOpenInit(const Context& ctx, const ibc::ChannelInfo& ch,
                                             std::string_view version) override;
  absl::StatusOr<std::string> OnChanOpenTry(const Context& ctx, const ibc::ChannelInfo& ch,
                                            std::string_view counterparty_version) override;
  absl::Status OnChanOpenAck(const Context& ctx, const ibc::ChannelInfo& ch,
                             std::string_view counterparty_version) override;
  absl::Status OnChanOpenConfirm(const Context& ctx, const ibc::ChannelInfo& ch) override;
  absl::Status OnChanClose(const Context& ctx, const ibc::ChannelInfo& ch,
                           ibc::CloseStep step) override;
  absl::StatusOr<std::string> OnRecvPacket(const Context& ctx, const ibc::Packet& packet) override;
  absl::Status OnAcknowledgement(const Context& ctx, const ibc::Packet& packet,
                                 std::string_view ack) override;
  absl::Status OnTimeout(const Context& ctx, const ibc::Packet& packet) override;

 private:
  // unbonding_waits_for_maturity: the matured vscIDs as VSCMatured packets.
  absl::Status SendMatured(const Context& ctx) const;

  ibc::Host* host_;
  PortId port_;
};

// Registers MsgOptIn / MsgOptOut and the provider end blocker
// (after native staking's). REQUIRES: `app` outlives `chain`.
void InstallCcvProvider(node::Chain& chain, const CcvProviderApp& app);
// The consumer end blocker (slash packets). REQUIRES: `app` outlives `chain`.
void InstallCcvConsumer(node::Chain& chain, const CcvConsumerApp& app);

}  // namespace mesh::app

#endif  // MESHSEC_MESH_APP_CCV_APP_H_
