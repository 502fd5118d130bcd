#include "mesh/app/ccv_app.h"

#include <optional>
#include <utility>
#include <variant>

#include "core/json.h"
#include "core/status.h"
#include "ibc/state.h"
#include "mesh/app/native_slashing.h"
#include "mesh/consumer/ccv.h"
#include "mesh/packets/ccv.h"
#include "mesh/packets/packets.h"
#include "mesh/provider/ccv.h"
#include "meshsec/v1/msgs.pb.h"
#include "node/staking_msgs.h"
#include "node/tx.h"
#include "staking/bank.h"
#include "staking/staking.h"

namespace mesh::app {
namespace {

namespace wire = packets::ccv;
using consumer::ccv::CcvConsumer;
using provider::CcvConsumerState;
using provider::CcvProvider;
using provider::ConsumerId;

constexpr char kErrFlow[] = "invalid CCV channel flow";

absl::Status CheckChannel(const ibc::ChannelInfo& ch, std::string_view counterparty_port) {
  if (ch.order != ibc::Order::kOrdered) {
    return absl::InvalidArgumentError("a CCV channel must be ORDERED");
  }
  if (ch.counterparty_port.value() != counterparty_port) {
    return absl::InvalidArgumentError("CCV counterparty port must be " +
                                      std::string(counterparty_port));
  }
  return absl::OkStatus();
}

absl::Status CheckVersion(std::string_view version) {
  if (version != wire::kVersion) {
    return absl::InvalidArgumentError("CCV version must be \"" + std::string(wire::kVersion) + "\"");
  }
  return absl::OkStatus();
}

// The consumer registered over `connection` on this provider, if any.
absl::StatusOr<std::optional<ConsumerId>> ConsumerOfConnection(const Context& ctx,
                                                               const ConnectionId& connection) {
  MESH_ASSIGN_OR_RETURN(std::vector<ConsumerId> all, CcvProvider::Consumers(ctx));
  for (const ConsumerId& c : all) {
    MESH_ASSIGN_OR_RETURN(CcvConsumerState st, CcvProvider::State(ctx, c));
    if (st.connection == connection) return std::optional<ConsumerId>(c);
  }
  return std::optional<ConsumerId>();
}

absl::StatusOr<std::optional<ConsumerId>> ConsumerOfChannel(const Context& ctx,
                                                            const ChannelId& channel) {
  MESH_ASSIGN_OR_RETURN(std::vector<ConsumerId> all, CcvProvider::Consumers(ctx));
  for (const ConsumerId& c : all) {
    MESH_ASSIGN_OR_RETURN(CcvConsumerState st, CcvProvider::State(ctx, c));
    if (!st.channel.empty() && st.channel == channel) return std::optional<ConsumerId>(c);
  }
  return std::optional<ConsumerId>();
}

absl::StatusOr<ConsumerId> RequireConsumer(const Context& ctx, const ChannelId& channel) {
  MESH_ASSIGN_OR_RETURN(std::optional<ConsumerId> c, ConsumerOfChannel(ctx, channel));
  if (!c.has_value()) return absl::NotFoundError("not a CCV channel: " + channel.value());
  return *c;
}

absl::StatusOr<std::string> HandleSlash(const Context& ctx, const ConsumerId& consumer,
                                        const wire::SlashPacket& p) {
  provider::ConsumerSlash s{p.address, p.power, p.valset_update_id,
                            p.infraction == wire::Infraction::kDoubleSign};
  MESH_ASSIGN_OR_RETURN(provider::SlashDecision d, CcvProvider::OnSlashPacket(ctx, consumer, s));
  if (d.punish) {
    MESH_ASSIGN_OR_RETURN(staking::Params params, staking::Staking::GetParams(ctx));
    MESH_ASSIGN_OR_RETURN(Amount before, staking::Bank::Supply(ctx, params.bond_denom));
    MESH_RETURN_IF_ERROR(HandleConsumerDowntime(ctx, d.validator, d.infraction_height, d.power,
                                                d.fraction, d.jail_s));
    MESH_ASSIGN_OR_RETURN(Amount after, staking::Bank::Supply(ctx, params.bond_denom));
    MESH_RETURN_IF_ERROR(CcvProvider::RecordPunishment(ctx, before.SaturatingSub(after)));
  }
  return wire::ResultAck(static_cast<uint8_t>(d.outcome));
}

using OptFn = absl::Status (*)(const Context&, const ConsumerId&, const ValidatorAddress&);

// A handler of MsgOptIn / MsgOptOut: strict decoding, `sender` must be the
// tx signer, and the validator is the signer's own (its valoper).
template <typename M>
node::MsgHandler OptHandler(OptFn fn) {
  return [fn](const Context& ctx, const AccountAddress& signer,
              std::string_view bytes) -> absl::Status {
    M m;
    MESH_RETURN_IF_ERROR(node::UnpackStrict(bytes, &m));
    MESH_RETURN_IF_ERROR(node::RequireSigner("sender", m.sender(), signer.value()));
    if (m.consumer().empty()) return absl::InvalidArgumentError("consumer: empty");
    MESH_ASSIGN_OR_RETURN(ValidatorAddress v, node::ValoperOfAccount(signer));
    return fn(ctx, ConsumerId(m.consumer()), v);
  };
}

bool IsVscMatured(const ibc::Packet& packet) {
  absl::StatusOr<wire::ConsumerPacket> p = wire::DecodeConsumerPacket(packet.data);
  return p.ok() && std::holds_alternative<wire::VscMaturedPacket>(*p);
}

}  // namespace

// ---------------------------------------------------------------- provider

CcvProviderApp::CcvProviderApp(ibc::Host* host)
    : host_(host), port_(std::string(wire::kProviderPort)) {}

absl::StatusOr<std::string> CcvProviderApp::OnChanOpenInit(const Context&, const ibc::ChannelInfo&,
                                                           std::string_view) {
  return absl::FailedPreconditionError(kErrFlow);
}

absl::StatusOr<std::string> CcvProviderApp::OnChanOpenTry(const Context& ctx,
                                                          const ibc::ChannelInfo& ch,
                                                          std::string_view counterparty_version) {
  MESH_RETURN_IF_ERROR(CheckChannel(ch, wire::kConsumerPort));
  MESH_RETURN_IF_ERROR(CheckVersion(counterparty_version));
  MESH_ASSIGN_OR_RETURN(std::optional<ConsumerId> c, ConsumerOfConnection(ctx, ch.connection));
  if (!c.has_value()) return absl::PermissionDeniedError("no CCV consumer on this connection");
  MESH_ASSIGN_OR_RETURN(CcvConsumerState st, CcvProvider::State(ctx, *c));
  if (!st.channel.empty()) return absl::FailedPreconditionError("duplicate CCV channel");
  return std::string(wire::kVersion);
}

absl::Status CcvProviderApp::OnChanOpenAck(const Context&, const ibc::ChannelInfo&,
                                           std::string_view) {
  return absl::FailedPreconditionError(kErrFlow);
}

absl::Status CcvProviderApp::OnChanOpenConfirm(const Context& ctx, const ibc::ChannelInfo& ch) {
  MESH_ASSIGN_OR_RETURN(std::optional<ConsumerId> c, ConsumerOfConnection(ctx, ch.connection));
  if (!c.has_value()) return absl::PermissionDeniedError("no CCV consumer on this connection");
  MESH_ASSIGN_OR_RETURN(CcvConsumerState st, CcvProvider::State(ctx, *c));
  if (!st.channel.empty()) return absl::FailedPreconditionError("duplicate CCV channel");
  st.channel = ch.channel;
  st.init_height = ctx.height();
  return CcvProvider::PutState(ctx, *c, st);
}

absl::Status CcvProviderApp::OnChanClose(const Context& ctx, const ibc::ChannelInfo& ch,
                                         ibc::CloseStep step) {
  MESH_ASSIGN_OR_RETURN(std::optional<ConsumerId> c, ConsumerOfChannel(ctx, ch.channel));
  if (step == ibc::CloseStep::kInit) {
    // Only the provider's own close of a stopped consumer's channel
    // (CloseStopped) gets through: a running link cannot be closed by users.
    if (!c.has_value()) return absl::FailedPreconditionError("not a CCV channel");
    MESH_ASSIGN_OR_RETURN(CcvConsumerState st, CcvProvider::State(ctx, *c));
    if (!st.stopped) return absl::FailedPreconditionError("a CCV channel cannot be closed by users");
    return absl::OkStatus();
  }
  if (!c.has_value()) return absl::OkStatus();  // removed since
  return CcvProvider::Stop(ctx, *c);
}

absl::StatusOr<std::string> CcvProviderApp::OnRecvPacket(const Context& ctx,
                                                         const ibc::Packet& packet) {
  MESH_ASSIGN_OR_RETURN(ConsumerId c, RequireConsumer(ctx, packet.destination_channel));
  MESH_ASSIGN_OR_RETURN(wire::ConsumerPacket p, wire::DecodeConsumerPacket(packet.data));
  if (const auto* slash = std::get_if<wire::SlashPacket>(&p)) return HandleSlash(ctx, c, *slash);
  // VSCMatured: ignored unless the link has unbonding_waits_for_maturity.
  MESH_RETURN_IF_ERROR(
      CcvProvider::OnVscMatured(ctx, c, std::get<wire::VscMaturedPacket>(p).valset_update_id));
  return wire::ResultAck(static_cast<uint8_t>(wire::SlashResult::kV1));
}

absl::Status CcvProviderApp::OnAcknowledgement(const Context& ctx, const ibc::Packet& packet,
                                               std::string_view ack) {
  // A consumer removed since the VSC was sent: nothing is left to stop.
  MESH_ASSIGN_OR_RETURN(std::optional<ConsumerId> c, ConsumerOfChannel(ctx, packet.source_channel));
  if (!c.has_value()) return absl::OkStatus();
  absl::StatusOr<packets::Ack> a = packets::Ack::Decode(ack);
  if (a.ok() && a->ok()) return absl::OkStatus();
  return CcvProvider::Stop(ctx, *c);
}

absl::Status CcvProviderApp::OnTimeout(const Context& ctx, const ibc::Packet& packet) {
  MESH_ASSIGN_OR_RETURN(std::optional<ConsumerId> c, ConsumerOfChannel(ctx, packet.source_channel));
  if (!c.has_value()) return absl::OkStatus();  // removed since
  return CcvProvider::Stop(ctx, *c);
}

absl::Status CcvProviderApp::EndBlock(const Context& ctx) const {
  // Stopped consumers' channels are closed first: CcvProvider::EndBlock
  // deletes a consumer whose removal time came, possibly in the block of its
  // stop, and its channel must not outlive it OPEN.
  MESH_ASSIGN_OR_RETURN(std::vector<ConsumerId> all, CcvProvider::Consumers(ctx));
  for (const ConsumerId& c : all) {
    MESH_ASSIGN_OR_RETURN(CcvConsumerState st, CcvProvider::State(ctx, c));
    if (st.stopped) MESH_RETURN_IF_ERROR(CloseStopped(ctx, st.channel));
  }
  // Holds go under the vscID before EndBlock increments it; releases after.
  MESH_RETURN_IF_ERROR(CcvProvider::HoldStartedUnbondings(ctx));
  MESH_RETURN_IF_ERROR(CcvProvider::EndBlock(ctx));
  MESH_RETURN_IF_ERROR(CcvProvider::ReleaseMaturedHolds(ctx));
  MESH_ASSIGN_OR_RETURN(all, CcvProvider::Consumers(ctx));
  for (const ConsumerId& c : all) {
    MESH_ASSIGN_OR_RETURN(CcvConsumerState st, CcvProvider::State(ctx, c));
    if (st.stopped) continue;
    if (st.channel.empty()) continue;  // pending VSCs wait for the channel
    MESH_ASSIGN_OR_RETURN(std::optional<ibc::ChannelEnd> end,
                          ibc::GetChannel(ctx.store(), port_, st.channel));
    if (!end.has_value() || end->state != ibc::ChannelState::kOpen) continue;
    MESH_ASSIGN_OR_RETURN(std::optional<provider::CcvConfig> cfg, CcvProvider::Config(ctx, c));
    MESH_ASSIGN_OR_RETURN(std::vector<provider::VscRecord> pending, CcvProvider::Pending(ctx, c));
    for (const provider::VscRecord& r : pending) {
      wire::VscPacket p;
      p.valset_update_id = r.vsc_id;
      for (const provider::KeyPower& u : r.updates) {
        p.validator_updates.push_back(wire::ValidatorUpdate{u.pub_key, u.power});
      }
      p.slash_acks = r.slash_acks;
      // L-13: the consumer follows the provider's option (only sent when on,
      // so the packets of other links keep their bytes).
      if (cfg.has_value() && cfg->unbonding_waits_for_maturity) p.unbonding_waits_for_maturity = true;
      const ibc::Timeout timeout =
          ibc::Timeout::AtTimeNs(ctx.time_ns() + kCcvTimeoutSeconds * kNanosPerSecond);
      MESH_RETURN_IF_ERROR(
          host_->SendPacket(ctx, port_, st.channel, timeout, wire::EncodeVsc(p)).status());
    }
    MESH_RETURN_IF_ERROR(CcvProvider::ClearPending(ctx, c));
  }
  return absl::OkStatus();
}

absl::Status CcvProviderApp::CloseStopped(const Context& ctx, const ChannelId& channel) const {
  if (channel.empty()) return absl::OkStatus();
  MESH_ASSIGN_OR_RETURN(std::optional<ibc::ChannelEnd> end,
                        ibc::GetChannel(ctx.store(), port_, channel));
  // Already CLOSED (a timeout on the ORDERED channel, or the consumer's
  // close): nothing to do.
  if (!end.has_value() || end->state != ibc::ChannelState::kOpen) return absl::OkStatus();
  // ICS closes the channel of a stopped consumer. The host applies the close
  // atomically or not at all; a refusal must not fail the end block, so it is
  // ignored here and retried at the next end block while the end is OPEN.
  absl::Status closed = host_->ChanCloseInit(ctx, port_, channel);
  (void)closed;
  return absl::OkStatus();
}

// ---------------------------------------------------------------- consumer

CcvConsumerApp::CcvConsumerApp(ibc::Host* host)
    : host_(host), port_(std::string(wire::kConsumerPort)) {}

absl::StatusOr<std::string> CcvConsumerApp::OnChanOpenInit(const Context& ctx,
                                                           const ibc::ChannelInfo& ch,
                                                           std::string_view version) {
  MESH_RETURN_IF_ERROR(CheckChannel(ch, wire::kProviderPort));
  if (!version.empty()) MESH_RETURN_IF_ERROR(CheckVersion(version));
  MESH_ASSIGN_OR_RETURN(std::optional<consumer::ccv::State> st, CcvConsumer::Get(ctx));
  if (!st.has_value() || st->connection != ch.connection) {
    return absl::PermissionDeniedError("not the CCV provider's connection");
  }
  if (!st->channel.empty()) return absl::FailedPreconditionError("duplicate CCV channel");
  return std::string(wire::kVersion);
}

absl::StatusOr<std::string> CcvConsumerApp::OnChanOpenTry(const Context&, const ibc::ChannelInfo&,
                                                          std::string_view) {
  return absl::FailedPreconditionError(kErrFlow);
}

absl::Status CcvConsumerApp::OnChanOpenAck(const Context& ctx, const ibc::ChannelInfo& ch,
                                           std::string_view counterparty_version) {
  MESH_RETURN_IF_ERROR(CheckVersion(counterparty_version));
  MESH_ASSIGN_OR_RETURN(std::optional<consumer::ccv::State> st, CcvConsumer::Get(ctx));
  if (!st.has_value() || st->connection != ch.connection) {
    return absl::PermissionDeniedError("not the CCV provider's connection");
  }
  if (!st->channel.empty()) return absl::FailedPreconditionError("duplicate CCV channel");
  st->channel = ch.channel;
  return CcvConsumer::Put(ctx, *st);
}

absl::Status CcvConsumerApp::OnChanOpenConfirm(const Context&, const ibc::ChannelInfo&) {
  return absl::FailedPreconditionError(kErrFlow);
}

absl::Status CcvConsumerApp::OnChanClose(const Context& ctx, const ibc::ChannelInfo&,
                                         ibc::CloseStep step) {
  if (step == ibc::CloseStep::kInit) {
    return absl::FailedPreconditionError("a CCV channel cannot be closed by users");
  }
  return CcvConsumer::Close(ctx);
}

absl::StatusOr<std::string> CcvConsumerApp::OnRecvPacket(const Context& ctx,
                                                         const ibc::Packet& packet) {
  MESH_ASSIGN_OR_RETURN(std::optional<consumer::ccv::State> st, CcvConsumer::Get(ctx));
  if (!st.has_value() || st->channel != packet.destination_channel) {
    return absl::NotFoundError("not the CCV channel");
  }
  MESH_ASSIGN_OR_RETURN(wire::VscPacket p, wire::DecodeVsc(packet.data));
  consumer::ccv::Vsc v;
  v.vsc_id = p.valset_update_id;
  for (const wire::ValidatorUpdate& u : p.validator_updates) {
    v.updates.push_back(consumer::ccv::Update{u.pub_key, u.power});
  }
  v.slash_acks = p.slash_acks;
  v.waits_for_maturity = p.unbonding_waits_for_maturity;
  MESH_RETURN_IF_ERROR(CcvConsumer::OnVsc(ctx, v));
  return wire::ResultAck(static_cast<uint8_t>(wire::kVscResult));
}

absl::Status CcvConsumerApp::OnAcknowledgement(const Context& ctx, const ibc::Packet& packet,
                                               std::string_view ack) {
  absl::StatusOr<uint8_t> result = wire::DecodeResultAck(ack);
  if (IsVscMatured(packet)) return result.ok() ? absl::OkStatus() : CcvConsumer::Close(ctx);
  // An error ack (or a result we cannot read) ends the link: ICS closes the
  // channel; this consumer stops sending and keeps its queue.
  if (!result.ok()) return CcvConsumer::Close(ctx);
  return CcvConsumer::OnSlashResult(ctx, *result);
}

absl::Status CcvConsumerApp::OnTimeout(const Context& ctx, const ibc::Packet&) {
  return CcvConsumer::Close(ctx);
}

absl::Status CcvConsumerApp::SendMatured(const Context& ctx) const {
  MESH_ASSIGN_OR_RETURN(std::optional<consumer::ccv::State> st, CcvConsumer::Get(ctx));
  if (!st.has_value() || st->channel.empty()) return absl::OkStatus();
  MESH_ASSIGN_OR_RETURN(std::optional<ibc::ChannelEnd> end,
                        ibc::GetChannel(ctx.store(), port_, st->channel));
  if (!end.has_value() || end->state != ibc::ChannelState::kOpen) return absl::OkStatus();
  MESH_ASSIGN_OR_RETURN(std::vector<uint64_t> ids, CcvConsumer::TakeMatured(ctx));
  for (uint64_t id : ids) {
    const ibc::Timeout timeout =
        ibc::Timeout::AtTimeNs(ctx.time_ns() + kCcvTimeoutSeconds * kNanosPerSecond);
    MESH_RETURN_IF_ERROR(host_->SendPacket(ctx, port_, st->channel, timeout,
                                           wire::EncodeConsumerPacket(wire::VscMaturedPacket{id}))
                             .status());
  }
  return absl::OkStatus();
}

absl::Status CcvConsumerApp::EndBlock(const Context& ctx) const {
  MESH_RETURN_IF_ERROR(SendMatured(ctx));  // only while no slash request is queued
  MESH_ASSIGN_OR_RETURN(std::optional<consumer::ccv::SlashRequest> next,
                        CcvConsumer::NextToSend(ctx));
  if (!next.has_value()) return absl::OkStatus();
  MESH_ASSIGN_OR_RETURN(std::optional<consumer::ccv::State> st, CcvConsumer::Get(ctx));
  MESH_ASSIGN_OR_RETURN(std::optional<ibc::ChannelEnd> end,
                        ibc::GetChannel(ctx.store(), port_, st->channel));
  if (!end.has_value() || end->state != ibc::ChannelState::kOpen) return absl::OkStatus();
  wire::SlashPacket p{next->address, next->power, next->vsc_id, wire::Infraction::kDowntime};
  const ibc::Timeout timeout =
      ibc::Timeout::AtTimeNs(ctx.time_ns() + kCcvTimeoutSeconds * kNanosPerSecond);
  MESH_RETURN_IF_ERROR(
      host_->SendPacket(ctx, port_, st->channel, timeout, wire::EncodeConsumerPacket(p)).status());
  return CcvConsumer::MarkSent(ctx);
}

// ---------------------------------------------------------------- install

void InstallCcvProvider(node::Chain& chain, const CcvProviderApp& app) {
  chain.RegisterMsg("/meshsec.v1.MsgOptIn", OptHandler<::meshsec::v1::MsgOptIn>(&CcvProvider::OptIn));
  chain.RegisterMsg("/meshsec.v1.MsgOptOut",
                    OptHandler<::meshsec::v1::MsgOptOut>(&CcvProvider::OptOut));
  chain.AddEndBlocker([&app](const Context& ctx) { return app.EndBlock(ctx); });
}

void InstallCcvConsumer(node::Chain& chain, const CcvConsumerApp& app) {
  chain.AddEndBlocker([&app](const Context& ctx) { return app.EndBlock(ctx); });
}

}  // namespace mesh::app
