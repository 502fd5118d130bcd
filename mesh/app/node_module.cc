#include "mesh/app/node_module.h"

#include <climits>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "core/status.h"
#include "meshsec/v1/msgs.pb.h"
#include "mesh/consumer/consumer.h"
#include "mesh/app/shared_security.h"
#include "mesh/consumer/price_feed.h"
#include "mesh/provider/external_staking.h"
#include "mesh/provider/governance.h"
#include "mesh/provider/local_staking.h"
#include "mesh/provider/vault.h"
#include "node/staking_msgs.h"
#include "node/tx.h"

namespace mesh::app {
namespace {

using consumer::Consumer;
using consumer::PriceFeed;
using consumer::ProviderId;
using provider::ConsumerId;
using provider::ExternalStaking;
using provider::LocalStaking;
using provider::Vault;

namespace pb = ::meshsec::v1;

// A message handler decoding `M` strictly, checking its signer field
// (`signer_of(m)`) against the tx signer, and handing it to `body`.
template <typename M, typename SignerOf, typename Body>
node::MsgHandler Strict(SignerOf signer_of, Body body) {
  return [signer_of, body](const Context& ctx, const AccountAddress& signer,
                           std::string_view bytes) -> absl::Status {
    M m;
    MESH_RETURN_IF_ERROR(node::UnpackStrict(bytes, &m));
    MESH_RETURN_IF_ERROR(node::RequireSigner("signer", signer_of(m), signer.value()));
    return body(ctx, signer, m);
  };
}

template <typename M>
std::string UrlOf() {
  return "/" + M::descriptor()->full_name();
}

// Registers `M` with the `sender` field as its signer.
template <typename M, typename Body>
void BySender(node::Chain& chain, Body body) {
  chain.RegisterMsg(UrlOf<M>(), Strict<M>([](const M& m) { return m.sender(); }, body));
}
template <typename M, typename Body>
void ByAuthority(node::Chain& chain, Body body) {
  chain.RegisterMsg(UrlOf<M>(), Strict<M>([](const M& m) { return m.authority(); }, body));
}

void InstallVaultMsgs(node::Chain& chain) {
  BySender<pb::MsgVaultBond>(chain, [](auto& ctx, auto& user, auto& m) -> absl::Status {
    MESH_ASSIGN_OR_RETURN(Amount amount, Amount::Parse(m.amount()));
    return Vault::Bond(ctx, user, amount);
  });
  BySender<pb::MsgVaultUnbond>(chain, [](auto& ctx, auto& user, auto& m) -> absl::Status {
    MESH_ASSIGN_OR_RETURN(Amount amount, Amount::Parse(m.amount()));
    return Vault::Unbond(ctx, user, amount);
  });
  BySender<pb::MsgVaultStakeLocal>(chain, [](auto& ctx, auto& user, auto& m) -> absl::Status {
    MESH_ASSIGN_OR_RETURN(Amount amount, Amount::Parse(m.amount()));
    return Vault::StakeLocal(ctx, user, amount, ValidatorAddress(m.validator()));
  });
  BySender<pb::MsgVaultStakeRemote>(chain, [](auto& ctx, auto& user, auto& m) -> absl::Status {
    MESH_ASSIGN_OR_RETURN(Amount amount, Amount::Parse(m.amount()));
    return Vault::StakeRemote(ctx, user, ConsumerId(m.consumer()), amount,
                              ValidatorAddress(m.validator()))
        .status();
  });
}

void InstallLocalMsgs(node::Chain& chain) {
  BySender<pb::MsgLocalUnstake>(chain, [](auto& ctx, auto& user, auto& m) -> absl::Status {
    MESH_ASSIGN_OR_RETURN(Amount amount, Amount::Parse(m.amount()));
    return LocalStaking::Unstake(ctx, user, ValidatorAddress(m.validator()), amount);
  });
  BySender<pb::MsgLocalWithdrawUnbonded>(chain, [](auto& ctx, auto& user, auto&) {
    return LocalStaking::ReleaseUnbonded(ctx, user).status();
  });
  BySender<pb::MsgLocalWithdrawRewards>(chain, [](auto& ctx, auto& user, auto&) {
    return LocalStaking::WithdrawRewards(ctx, user).status();
  });
}

void InstallExternalMsgs(node::Chain& chain) {
  BySender<pb::MsgExternalUnstake>(chain, [](auto& ctx, auto& user, auto& m) -> absl::Status {
    MESH_ASSIGN_OR_RETURN(Amount amount, Amount::Parse(m.amount()));
    return ExternalStaking::Unstake(ctx, ConsumerId(m.consumer()), user,
                                    ValidatorAddress(m.validator()), amount)
        .status();
  });
  BySender<pb::MsgExternalWithdrawUnbonded>(chain, [](auto& ctx, auto& user, auto& m) {
    return ExternalStaking::WithdrawUnbonded(ctx, ConsumerId(m.consumer()), user).status();
  });
  BySender<pb::MsgExternalWithdrawRewards>(chain, [](auto& ctx, auto& user, auto& m) {
    return ExternalStaking::WithdrawRewards(ctx, ConsumerId(m.consumer()), user,
                                            ValidatorAddress(m.validator()), m.remote_recipient())
        .status();
  });
}

// A CometBFT vote (tendermint.types.Vote) as provider::Vote; out-of-range
// values are refused, never wrapped.
absl::StatusOr<provider::Vote> VoteOf(const ::tendermint::types::Vote& in, std::string_view name) {
  if (in.type() < 0 || in.type() > 255 || in.block_id().part_set_header().total() > UINT32_MAX ||
      in.timestamp().nanos() < 0) {
    return absl::InvalidArgumentError(absl::StrCat(std::string(name), ": field out of range"));
  }
  provider::Vote v;
  v.type = static_cast<uint8_t>(in.type());
  v.height = in.height();
  v.round = in.round();
  v.block_id.hash = in.block_id().hash();
  v.block_id.part_set_header.total = in.block_id().part_set_header().total();
  v.block_id.part_set_header.hash = in.block_id().part_set_header().hash();
  v.timestamp_seconds = in.timestamp().seconds();
  v.timestamp_nanos = in.timestamp().nanos();
  v.validator_address = in.validator_address();
  v.validator_index = in.validator_index();
  v.signature = in.signature();
  return v;
}

void InstallSharedSecurityMsgs(node::Chain& chain) {
  BySender<pb::MsgAssignConsumerKey>(chain, [](auto& ctx, auto& signer, auto& m) {
    return AssignConsumerKey(ctx, signer, ConsumerId(m.consumer()), ValidatorAddress(m.validator()),
                             m.key());
  });
  BySender<pb::MsgSubmitConsumerDoubleVote>(chain, [](auto& ctx, auto&, auto& m) -> absl::Status {
    provider::DoubleVoteEvidence e;
    MESH_ASSIGN_OR_RETURN(e.vote_a, VoteOf(m.vote_a(), "vote_a"));
    MESH_ASSIGN_OR_RETURN(e.vote_b, VoteOf(m.vote_b(), "vote_b"));
    return SubmitConsumerDoubleVote(ctx, ConsumerId(m.consumer()), e).status();
  });
  BySender<pb::MsgSubmitSlashProposal>(chain, [](auto& ctx, auto& signer, auto& m)
                                                   -> absl::Status {
    provider::SlashProposalMsg p;
    p.consumer = ConsumerId(m.consumer());
    p.validator = m.validator();
    p.infraction_height = m.infraction_height();
    MESH_ASSIGN_OR_RETURN(p.fraction, Dec::Parse(m.fraction()));
    MESH_ASSIGN_OR_RETURN(p.deposit, Amount::Parse(m.deposit()));
    p.jail_only = m.jail_only();
    return provider::Governance::Submit(ctx, signer, p).status();
  });
  BySender<pb::MsgVoteSlashProposal>(chain, [](auto& ctx, auto& voter, auto& m) -> absl::Status {
    MESH_ASSIGN_OR_RETURN(provider::VoteOption o, provider::ParseVoteOption(m.option()));
    return provider::Governance::Vote(ctx, voter, m.proposal_id(), o);
  });
}

absl::StatusOr<std::vector<ValidatorAddress>> Valopers(
    const ::google::protobuf::RepeatedPtrField<std::string>& in) {
  std::vector<ValidatorAddress> out;
  for (const std::string& v : in) {
    if (v.empty()) return absl::InvalidArgumentError("empty validator in a list");
    out.emplace_back(v);
  }
  return out;
}

absl::StatusOr<provider::LinkUpdate> LinkUpdateOf(const pb::MsgSubmitLinkUpdateProposal& m) {
  provider::LinkUpdate u;
  if (m.has_power_shaping()) {
    const pb::LinkPowerShaping& in = m.power_shaping();
    provider::PowerShaping s;
    s.top_n = in.top_n();
    s.validators_power_cap = in.validators_power_cap();
    s.validator_set_cap = in.validator_set_cap();
    MESH_ASSIGN_OR_RETURN(s.allowlist, Valopers(in.allowlist()));
    MESH_ASSIGN_OR_RETURN(s.denylist, Valopers(in.denylist()));
    MESH_ASSIGN_OR_RETURN(s.prioritylist, Valopers(in.prioritylist()));
    if (!in.min_stake().empty()) {
      MESH_ASSIGN_OR_RETURN(s.min_stake, Amount::Parse(in.min_stake()));
    }
    s.allow_inactive_vals = in.allow_inactive_vals();
    u.shaping = std::move(s);
  }
  if (m.has_infraction()) {
    provider::LinkUpdate::Infraction i;
    MESH_ASSIGN_OR_RETURN(i.downtime_slash_fraction,
                          Dec::Parse(m.infraction().downtime_slash_fraction()));
    i.downtime_jail_s = m.infraction().downtime_jail_s();
    u.infraction = i;
  }
  return u;
}

void InstallLinkGovernanceMsgs(node::Chain& chain) {
  BySender<pb::MsgSubmitLinkUpdateProposal>(chain, [](auto& ctx, auto& signer, auto& m)
                                                        -> absl::Status {
    provider::LinkProposalMsg p;
    p.consumer = ConsumerId(m.consumer());
    p.kind = provider::ProposalKind::kLinkUpdate;
    MESH_ASSIGN_OR_RETURN(p.update, LinkUpdateOf(m));
    MESH_ASSIGN_OR_RETURN(p.deposit, Amount::Parse(m.deposit()));
    return provider::Governance::SubmitLink(ctx, signer, p).status();
  });
  BySender<pb::MsgSubmitConsumerRemovalProposal>(chain, [](auto& ctx, auto& signer, auto& m)
                                                             -> absl::Status {
    provider::LinkProposalMsg p;
    p.consumer = ConsumerId(m.consumer());
    p.kind = provider::ProposalKind::kConsumerRemoval;
    MESH_ASSIGN_OR_RETURN(p.deposit, Amount::Parse(m.deposit()));
    return provider::Governance::SubmitLink(ctx, signer, p).status();
  });
}

void InstallConsumerMsgs(node::Chain& chain) {
  ByAuthority<pb::MsgConsumerSetPrice>(chain, [](auto& ctx, auto& who, auto& m) -> absl::Status {
    MESH_ASSIGN_OR_RETURN(Dec price, Dec::Parse(m.price()));
    return PriceFeed::SetPrice(ctx, who, ProviderId(m.provider()), price);
  });
  ByAuthority<pb::MsgConsumerSetMaxCap>(chain, [](auto& ctx, auto& who, auto& m) -> absl::Status {
    MESH_ASSIGN_OR_RETURN(Amount cap, Amount::Parse(m.cap()));
    return Consumer::SetMaxCap(ctx, who, ProviderId(m.provider()), cap);
  });
}

}  // namespace

void InstallProvider(node::Chain& chain, const ProviderApp& app) {
  InstallVaultMsgs(chain);
  InstallLocalMsgs(chain);
  InstallExternalMsgs(chain);
  InstallSharedSecurityMsgs(chain);
  InstallLinkGovernanceMsgs(chain);
  chain.AddEndBlocker([&app](const Context& ctx) { return app.EndBlock(ctx); });
}

void InstallConsumer(node::Chain& chain, const ConsumerApp& app) {
  InstallConsumerMsgs(chain);
  chain.AddEndBlocker([](const Context& ctx) { return Consumer::EndBlock(ctx).status(); });
  chain.AddEndBlocker([&app](const Context& ctx) { return app.EndBlock(ctx); });
}

}  // namespace mesh::app
