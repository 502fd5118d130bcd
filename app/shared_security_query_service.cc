// meshsec.v1.SharedSecurityQuery (proto/meshsec/v1/mesh_query.proto; user
// guide in docs/grpc.md): the replicated / opt-in link modes on both ends,
// consumer key assignment, governance slash proposals, the slash meter, the
// mesh slashes waiting for acks and the punishments on consumer evidence,
// read through the modules' public read functions on one committed block.
// Lists paginate as the SDK (node/pagination.h).
#include <algorithm>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "app/mesh_query_internal.h"
#include "core/crypto.h"
#include "core/status.h"
#include "mesh/consumer/ccv.h"
#include "mesh/provider/ccv.h"
#include "mesh/provider/consumer_evidence.h"
#include "mesh/provider/consumer_keys.h"
#include "mesh/provider/external_staking.h"
#include "mesh/provider/governance.h"
#include "mesh/provider/slash_throttle.h"
#include "meshsec/v1/mesh_query.grpc.pb.h"

namespace mesh::app::mq {
namespace {

using node::Chain;
using node::ChainQueryFn;

namespace pb = ::meshsec::v1;
namespace pv = ::mesh::provider;
namespace cc = ::mesh::consumer::ccv;

// CometBFT prints consensus addresses as upper-case hex.
std::string AddressText(std::string_view raw) { return absl::AsciiStrToUpper(ToHex(raw)); }
std::string KeyAddressText(std::string_view pubkey) {
  return AddressText(pv::ConsensusAddressOf(pubkey));
}

// ---- replicated / opt-in consumers (provider) ------------------------------

// The CCV config of `consumer`; NotFound unless it is a replicated / opt-in
// consumer of this provider.
absl::StatusOr<pv::CcvConfig> RequireCcvConsumer(const Context& ctx, const std::string& consumer) {
  MESH_RETURN_IF_ERROR(Required("consumer", consumer));
  MESH_RETURN_IF_ERROR(RequireProvider(ctx).status());
  MESH_ASSIGN_OR_RETURN(std::optional<pv::CcvConfig> cfg,
                        pv::CcvProvider::Config(ctx, pv::ConsumerId(consumer)));
  if (!cfg.has_value()) {
    return absl::NotFoundError("no replicated or opt-in consumer " + consumer);
  }
  return *std::move(cfg);
}

void FillPowerShaping(const pv::PowerShaping& shaping, pb::PowerShaping* ps) {
  ps->set_top_n(shaping.top_n);
  ps->set_validators_power_cap(shaping.validators_power_cap);
  ps->set_validator_set_cap(shaping.validator_set_cap);
  for (const ValidatorAddress& v : shaping.allowlist) ps->add_allowlist(v.value());
  for (const ValidatorAddress& v : shaping.denylist) ps->add_denylist(v.value());
  ps->set_min_stake(shaping.min_stake.ToString());
  for (const ValidatorAddress& v : shaping.prioritylist) ps->add_prioritylist(v.value());
  ps->set_allow_inactive_vals(shaping.allow_inactive_vals);
}

absl::Status FillCcvConsumer(const Context& ctx, const pv::ConsumerId& consumer,
                             pb::CcvConsumerInfo* out) {
  MESH_ASSIGN_OR_RETURN(std::optional<pv::CcvConfig> cfg, pv::CcvProvider::Config(ctx, consumer));
  if (!cfg.has_value()) return absl::NotFoundError("no replicated or opt-in consumer");
  MESH_ASSIGN_OR_RETURN(pv::CcvConsumerState st, pv::CcvProvider::State(ctx, consumer));
  MESH_ASSIGN_OR_RETURN(std::vector<pv::ConsumerValidator> set,
                        pv::CcvProvider::ConsumerSet(ctx, consumer));
  MESH_ASSIGN_OR_RETURN(std::set<ValidatorAddress> opted, pv::CcvProvider::OptedIn(ctx, consumer));
  MESH_ASSIGN_OR_RETURN(std::vector<pv::VscRecord> pending, pv::CcvProvider::Pending(ctx, consumer));
  out->set_consumer(consumer.value());
  out->set_mode(pv::LinkModeName(cfg->mode));
  out->set_blocks_per_epoch(cfg->blocks_per_epoch);
  FillPowerShaping(cfg->shaping, out->mutable_power_shaping());
  MESH_ASSIGN_OR_RETURN(std::optional<pv::PowerShaping> pending_shaping,
                        pv::CcvProvider::PendingShapingOf(ctx, consumer));
  if (pending_shaping.has_value()) {
    FillPowerShaping(*pending_shaping, out->mutable_pending_power_shaping());
  }
  MESH_ASSIGN_OR_RETURN(std::optional<pv::PendingInfraction> pending_infraction,
                        pv::CcvProvider::PendingInfractionOf(ctx, consumer));
  if (pending_infraction.has_value()) {
    out->set_pending_downtime_slash_fraction(
        DecText(pending_infraction->params.downtime_slash_fraction));
    out->set_pending_downtime_jail_seconds(pending_infraction->params.downtime_jail_s);
    out->set_pending_infraction_time(pending_infraction->effective_s);
  }
  MESH_ASSIGN_OR_RETURN(std::optional<uint64_t> removal, pv::CcvProvider::RemovalTime(ctx, consumer));
  out->set_removal_time(removal.value_or(0));
  out->set_unbonding_waits_for_maturity(cfg->unbonding_waits_for_maturity);
  out->set_downtime_slash_fraction(DecText(cfg->downtime_slash_fraction));
  out->set_downtime_jail_seconds(cfg->downtime_jail_s);
  out->set_connection_id(st.connection.value());
  out->set_channel_id(st.channel.value());
  out->set_init_height(st.init_height);
  out->set_state(st.stopped ? "stopped" : st.launched ? "launched" : "registered");
  out->set_validators(set.size());
  out->set_opted_in(opted.size());
  out->set_pending_vscs(pending.size());
  return absl::OkStatus();
}

absl::Status CcvConsumers(const Chain& chain, const pb::QueryCcvConsumersRequest& req,
                          pb::QueryCcvConsumersResponse* resp) {
  Context ctx = chain.QueryContext();
  MESH_RETURN_IF_ERROR(RequireProvider(ctx).status());
  MESH_ASSIGN_OR_RETURN(std::vector<pv::ConsumerId> all, pv::CcvProvider::Consumers(ctx));
  return FillPage(
      all, [](const pv::ConsumerId& c) { return c.value(); }, req, resp,
      [&](const pv::ConsumerId& c) { return FillCcvConsumer(ctx, c, resp->add_consumers()); });
}

absl::Status CcvConsumer(const Chain& chain, const pb::QueryCcvConsumerRequest& req,
                         pb::QueryCcvConsumerResponse* resp) {
  Context ctx = chain.QueryContext();
  MESH_RETURN_IF_ERROR(RequireCcvConsumer(ctx, req.consumer()).status());
  return FillCcvConsumer(ctx, pv::ConsumerId(req.consumer()), resp->mutable_consumer());
}

absl::Status CcvConsumerSet(const Chain& chain, const pb::QueryCcvConsumerSetRequest& req,
                            pb::QueryCcvConsumerSetResponse* resp) {
  Context ctx = chain.QueryContext();
  MESH_RETURN_IF_ERROR(RequireCcvConsumer(ctx, req.consumer()).status());
  MESH_ASSIGN_OR_RETURN(std::vector<pv::ConsumerValidator> all,
                        pv::CcvProvider::ConsumerSet(ctx, pv::ConsumerId(req.consumer())));
  return FillPage(
      all, [](const pv::ConsumerValidator& v) { return v.validator.value(); }, req, resp,
      [&](const pv::ConsumerValidator& v) {
        pb::CcvValidator* out = resp->add_validators();
        out->set_validator(v.validator.value());
        out->set_consumer_key(v.consumer_key);
        out->set_consumer_address(KeyAddressText(v.consumer_key));
        out->set_power(v.power);
        return absl::OkStatus();
      });
}

absl::Status CcvPendingVscs(const Chain& chain, const pb::QueryCcvPendingVscsRequest& req,
                            pb::QueryCcvPendingVscsResponse* resp) {
  Context ctx = chain.QueryContext();
  MESH_RETURN_IF_ERROR(RequireCcvConsumer(ctx, req.consumer()).status());
  MESH_ASSIGN_OR_RETURN(std::vector<pv::VscRecord> all,
                        pv::CcvProvider::Pending(ctx, pv::ConsumerId(req.consumer())));
  MESH_ASSIGN_OR_RETURN(uint64_t current, pv::CcvProvider::CurrentVscId(ctx));
  resp->set_current_vsc_id(current);
  return FillPage(
      all, [](const pv::VscRecord& r) { return IdKey(r.vsc_id); }, req, resp,
      [&](const pv::VscRecord& r) {
        pb::PendingVsc* out = resp->add_vscs();
        out->set_vsc_id(r.vsc_id);
        for (const pv::KeyPower& u : r.updates) {
          pb::ValidatorUpdate* pu = out->add_updates();
          pu->set_pub_key(u.pub_key);
          pu->set_power(u.power);
        }
        for (const std::string& a : r.slash_acks) out->add_slash_acks(AddressText(a));
        return absl::OkStatus();
      });
}

absl::Status CcvOptIns(const Chain& chain, const pb::QueryCcvOptInsRequest& req,
                       pb::QueryCcvOptInsResponse* resp) {
  Context ctx = chain.QueryContext();
  MESH_RETURN_IF_ERROR(RequireCcvConsumer(ctx, req.consumer()).status());
  MESH_ASSIGN_OR_RETURN(std::set<ValidatorAddress> opted,
                        pv::CcvProvider::OptedIn(ctx, pv::ConsumerId(req.consumer())));
  std::vector<ValidatorAddress> all(opted.begin(), opted.end());
  return FillPage(
      all, [](const ValidatorAddress& v) { return v.value(); }, req, resp,
      [&](const ValidatorAddress& v) {
        resp->add_validators(v.value());
        return absl::OkStatus();
      });
}

// ---- key assignment ----------------------------------------------------------

// Any configured consumer link of this provider (mesh, replicated or
// opt-in), staked on or not.
absl::Status RequireAnyConsumer(const Context& ctx, const std::string& consumer) {
  MESH_RETURN_IF_ERROR(Required("consumer", consumer));
  MESH_RETURN_IF_ERROR(RequireProvider(ctx).status());
  const pv::ConsumerId c(consumer);
  MESH_ASSIGN_OR_RETURN(std::optional<pv::CcvConfig> ccv, pv::CcvProvider::Config(ctx, c));
  if (ccv.has_value()) return absl::OkStatus();
  return pv::ExternalStaking::Config(ctx, c).status();  // NotFound: unknown consumer
}

absl::Status KeyAssignments(const Chain& chain, const pb::QueryKeyAssignmentsRequest& req,
                            pb::QueryKeyAssignmentsResponse* resp) {
  Context ctx = chain.QueryContext();
  MESH_RETURN_IF_ERROR(RequireAnyConsumer(ctx, req.consumer()));
  MESH_ASSIGN_OR_RETURN(auto all,
                        pv::ConsumerKeys::Assignments(ctx, pv::ConsumerId(req.consumer())));
  return FillPage(
      all, [](const auto& e) { return e.first; }, req, resp, [&](const auto& e) {
        pb::KeyAssignment* out = resp->add_assignments();
        out->set_consumer_address(AddressText(e.first));
        out->set_validator(e.second.provider_validator.value());
        out->set_consumer_key(e.second.pubkey);
        out->set_current(e.second.prune_at_s == 0);
        if (e.second.prune_at_s != 0) {
          SetTime(e.second.prune_at_s * kNanosPerSecond, out->mutable_prune_time());
        }
        return absl::OkStatus();
      });
}

absl::Status ValidatorConsumerKey(const Chain& chain,
                                  const pb::QueryValidatorConsumerKeyRequest& req,
                                  pb::QueryValidatorConsumerKeyResponse* resp) {
  MESH_RETURN_IF_ERROR(Required("validator", req.validator()));
  Context ctx = chain.QueryContext();
  MESH_RETURN_IF_ERROR(RequireAnyConsumer(ctx, req.consumer()));
  const pv::ConsumerId c(req.consumer());
  const ValidatorAddress v(req.validator());
  MESH_ASSIGN_OR_RETURN(std::string key, pv::ConsumerKeys::KeyOn(ctx, c, v));
  MESH_ASSIGN_OR_RETURN(std::optional<std::string> assigned, pv::ConsumerKeys::Assigned(ctx, c, v));
  resp->set_consumer_key(key);
  resp->set_consumer_address(KeyAddressText(key));
  resp->set_assigned(assigned.has_value());
  return absl::OkStatus();
}

absl::Status ValidatorByConsumerAddress(const Chain& chain,
                                        const pb::QueryValidatorByConsumerAddressRequest& req,
                                        pb::QueryValidatorByConsumerAddressResponse* resp) {
  MESH_RETURN_IF_ERROR(Required("consumer_address", req.consumer_address()));
  Context ctx = chain.QueryContext();
  MESH_RETURN_IF_ERROR(RequireAnyConsumer(ctx, req.consumer()));
  absl::StatusOr<std::string> raw = FromHex(absl::AsciiStrToLower(req.consumer_address()));
  if (!raw.ok() || raw->size() != 20) {
    return absl::InvalidArgumentError("consumer_address must be 20 bytes in hex");
  }
  const pv::ConsumerId c(req.consumer());
  MESH_ASSIGN_OR_RETURN(std::optional<pv::KeyAssignment> mapped,
                        pv::ConsumerKeys::ByConsumerAddress(ctx, c, *raw));
  MESH_ASSIGN_OR_RETURN(std::optional<ValidatorAddress> v,
                        pv::ConsumerKeys::ProviderValidatorFor(ctx, c, *raw));
  if (!v.has_value()) {
    return absl::NotFoundError("no provider validator signs with " + req.consumer_address() +
                               " on " + req.consumer());
  }
  resp->set_validator(v->value());
  resp->set_assigned(mapped.has_value());
  resp->set_current(!mapped.has_value() || mapped->prune_at_s == 0);
  return absl::OkStatus();
}

// ---- governance slashing -----------------------------------------------------

void FillTally(const pv::TallyResult& t, pb::GovTally* out) {
  out->set_yes(t.yes.ToString());
  out->set_abstain(t.abstain.ToString());
  out->set_no(t.no.ToString());
  out->set_no_with_veto(t.no_with_veto.ToString());
  out->set_total_bonded(t.total_bonded.ToString());
}

absl::Status FillProposal(const Context& ctx, const pv::SlashProposal& p,
                          pb::GovSlashProposal* out) {
  out->set_id(p.id);
  out->set_proposer(p.proposer.value());
  out->set_consumer(p.consumer.value());
  out->set_validator(p.validator.value());
  out->set_infraction_height(p.infraction_height);
  SetTime(p.infraction_time * kNanosPerSecond, out->mutable_infraction_time());
  out->set_fraction(DecText(p.fraction));
  out->set_deposit(p.deposit.ToString());
  SetTime(p.submit_time_s * kNanosPerSecond, out->mutable_submit_time());
  SetTime(p.voting_end_s * kNanosPerSecond, out->mutable_voting_end_time());
  out->set_status(pv::ProposalStatusName(p.status));
  if (p.status == pv::ProposalStatus::kVoting) {
    MESH_ASSIGN_OR_RETURN(pv::TallyResult now, pv::Governance::Tally(ctx, p.id));
    FillTally(now, out->mutable_tally());
  } else {
    FillTally(p.tally, out->mutable_tally());
  }
  out->set_slashed(p.slashed.ToString());
  out->set_kind(pv::ProposalKindName(p.kind));
  out->set_native(p.native);
  out->set_jail_only(p.jail_only);
  out->set_applied(p.applied);
  return absl::OkStatus();
}

absl::Status SlashProposals(const Chain& chain, const pb::QuerySlashProposalsRequest& req,
                            pb::QuerySlashProposalsResponse* resp) {
  Context ctx = chain.QueryContext();
  MESH_RETURN_IF_ERROR(RequireProvider(ctx).status());
  MESH_ASSIGN_OR_RETURN(std::vector<pv::SlashProposal> all, pv::Governance::All(ctx));
  return FillPage(
      all, [](const pv::SlashProposal& p) { return IdKey(p.id); }, req, resp,
      [&](const pv::SlashProposal& p) { return FillProposal(ctx, p, resp->add_proposals()); });
}

absl::Status SlashProposal(const Chain& chain, const pb::QuerySlashProposalRequest& req,
                           pb::QuerySlashProposalResponse* resp) {
  if (req.id() == 0) return absl::InvalidArgumentError("id is empty");
  Context ctx = chain.QueryContext();
  MESH_RETURN_IF_ERROR(RequireProvider(ctx).status());
  MESH_ASSIGN_OR_RETURN(pv::SlashProposal p, pv::Governance::Get(ctx, req.id()));
  return FillProposal(ctx, p, resp->mutable_proposal());
}

// ---- slash meter and waiting slashes -------------------------------------------

void FillSlash(const std::string& consumer, uint64_t seq, const pv::RemoteSlash& s,
               pb::ReportedSlash* out) {
  out->set_consumer(consumer);
  out->set_validator(s.validator.value());
  out->set_infraction_height(s.infraction_height);
  SetTime(s.infraction_time * kNanosPerSecond, out->mutable_infraction_time());
  out->set_power(s.power);
  out->set_amount(s.amount.ToString());
  out->set_slash_ratio(s.slash_ratio);
  out->set_update_height(s.update_height);
  out->set_seq(seq);
}

absl::Status SlashMeter(const Chain& chain, const pb::QuerySlashMeterRequest&,
                        pb::QuerySlashMeterResponse* resp) {
  Context ctx = chain.QueryContext();
  MESH_RETURN_IF_ERROR(RequireProvider(ctx).status());
  MESH_ASSIGN_OR_RETURN(pv::ThrottleState st, pv::SlashThrottle::State(ctx));
  MESH_ASSIGN_OR_RETURN(uint64_t total, pv::SlashThrottle::TotalPower(ctx));
  MESH_ASSIGN_OR_RETURN(std::vector<pv::QueuedSlash> queue, pv::SlashThrottle::Queue(ctx));
  resp->set_replenish_fraction(DecText(st.params.replenish_fraction));
  resp->set_replenish_period_seconds(st.params.replenish_period_s);
  resp->set_max_per_block(st.params.max_per_block);
  resp->set_max_queued_per_consumer(st.params.max_queued_per_consumer);
  resp->set_started(st.started);
  resp->set_meter(st.meter);
  resp->set_allowance(pv::meter::Allowance(st.params.replenish_fraction, total));
  resp->set_total_power(total);
  if (st.started) SetTime(st.candidate_s * kNanosPerSecond, resp->mutable_next_replenish_time());
  resp->set_queued(queue.size());
  return absl::OkStatus();
}

absl::Status ThrottledSlashes(const Chain& chain, const pb::QueryThrottledSlashesRequest& req,
                              pb::QueryThrottledSlashesResponse* resp) {
  Context ctx = chain.QueryContext();
  MESH_RETURN_IF_ERROR(RequireProvider(ctx).status());
  MESH_ASSIGN_OR_RETURN(std::vector<pv::QueuedSlash> all, pv::SlashThrottle::Queue(ctx));
  return FillPage(
      all, [](const pv::QueuedSlash& q) { return IdKey(q.seq); }, req, resp,
      [&](const pv::QueuedSlash& q) {
        FillSlash(q.consumer.value(), q.seq, q.slash, resp->add_slashes());
        return absl::OkStatus();
      });
}

absl::Status WaitingSlashes(const Chain& chain, const pb::QueryWaitingSlashesRequest& req,
                            pb::QueryWaitingSlashesResponse* resp) {
  Context ctx = chain.QueryContext();
  MESH_RETURN_IF_ERROR(Required("consumer", req.consumer()));
  MESH_RETURN_IF_ERROR(RequireProvider(ctx).status());
  const pv::ConsumerId c(req.consumer());
  // Any configured mesh link, staked on or not; NotFound otherwise.
  MESH_RETURN_IF_ERROR(pv::ExternalStaking::Config(ctx, c).status());
  using W = pv::ExternalStaking::WaitingSlash;
  MESH_ASSIGN_OR_RETURN(std::vector<W> all, pv::ExternalStaking::AllWaitingSlashes(ctx, c));
  return FillPage(
      all, [](const W& w) { return PairKey(w.slash.validator.value(), IdKey(w.seq)); }, req,
      resp, [&](const W& w) {
        pb::ReportedSlash* out = resp->add_slashes();
        FillSlash(c.value(), w.seq, w.slash, out);
        for (uint64_t id : w.awaited) out->add_awaited_tx_ids(id);
        return absl::OkStatus();
      });
}

absl::Status EvidencePunishments(const Chain& chain,
                                 const pb::QueryEvidencePunishmentsRequest& req,
                                 pb::QueryEvidencePunishmentsResponse* resp) {
  Context ctx = chain.QueryContext();
  MESH_RETURN_IF_ERROR(RequireAnyConsumer(ctx, req.consumer()));
  using P = pv::ConsumerEvidence::Punishment;
  MESH_ASSIGN_OR_RETURN(std::vector<P> all,
                        pv::ConsumerEvidence::Punishments(ctx, pv::ConsumerId(req.consumer())));
  return FillPage(
      all, [](const P& p) { return p.validator.value(); }, req, resp, [&](const P& p) {
        pb::EvidencePunishment* out = resp->add_punishments();
        out->set_validator(p.validator.value());
        out->set_infraction_height(p.height);
        SetTime(p.time_s * kNanosPerSecond, out->mutable_infraction_time());
        out->set_provider_height(p.provider_height);
        return absl::OkStatus();
      });
}

// ---- the consumer end ------------------------------------------------------------

absl::Status ConsumerCcvState(const Chain& chain, const pb::QueryConsumerCcvStateRequest&,
                              pb::QueryConsumerCcvStateResponse* resp) {
  Context ctx = chain.QueryContext();
  MESH_ASSIGN_OR_RETURN(std::optional<cc::State> st, cc::CcvConsumer::Get(ctx));
  if (!st.has_value()) return absl::OkStatus();  // has_link: false
  MESH_ASSIGN_OR_RETURN(std::vector<cc::Update> set, cc::CcvConsumer::CurrentSet(ctx));
  MESH_ASSIGN_OR_RETURN(std::vector<cc::SlashRequest> queue, cc::CcvConsumer::Queue(ctx));
  MESH_ASSIGN_OR_RETURN(uint64_t vsc_id, cc::CcvConsumer::VscIdAt(ctx, chain.height()));
  resp->set_has_link(true);
  resp->set_provider(st->provider);
  resp->set_connection_id(st->connection.value());
  resp->set_channel_id(st->channel.value());
  resp->set_retry_delay_seconds(st->retry_delay_s);
  resp->set_received_vsc(st->received_vsc);
  resp->set_applied(st->applied);
  resp->set_closed(st->closed);
  resp->set_waiting(st->waiting);
  if (st->last_send_ns != 0) SetTime(st->last_send_ns, resp->mutable_last_send_time());
  resp->set_validators(set.size());
  resp->set_slash_requests(queue.size());
  resp->set_vsc_id(vsc_id);
  return absl::OkStatus();
}

absl::Status ConsumerCcvValidators(const Chain& chain,
                                   const pb::QueryConsumerCcvValidatorsRequest& req,
                                   pb::QueryConsumerCcvValidatorsResponse* resp) {
  Context ctx = chain.QueryContext();
  MESH_ASSIGN_OR_RETURN(std::optional<cc::State> st, cc::CcvConsumer::Get(ctx));
  std::vector<cc::Update> all;
  if (st.has_value()) {
    MESH_ASSIGN_OR_RETURN(all, cc::CcvConsumer::CurrentSet(ctx));
  }
  return FillPage(
      all, [](const cc::Update& u) { return u.pub_key; }, req, resp, [&](const cc::Update& u) {
        pb::ValidatorUpdate* out = resp->add_validators();
        out->set_pub_key(u.pub_key);
        out->set_power(u.power);
        return absl::OkStatus();
      });
}

absl::Status ConsumerCcvSlashRequests(const Chain& chain,
                                      const pb::QueryConsumerCcvSlashRequestsRequest& req,
                                      pb::QueryConsumerCcvSlashRequestsResponse* resp) {
  Context ctx = chain.QueryContext();
  MESH_ASSIGN_OR_RETURN(std::optional<cc::State> st, cc::CcvConsumer::Get(ctx));
  std::vector<cc::SlashRequest> all;
  if (st.has_value()) {
    MESH_ASSIGN_OR_RETURN(all, cc::CcvConsumer::Queue(ctx));
  }
  return FillPage(
      all, [](const cc::SlashRequest& r) { return IdKey(r.seq); }, req, resp,
      [&](const cc::SlashRequest& r) {
        pb::SlashRequest* out = resp->add_requests();
        out->set_seq(r.seq);
        out->set_consumer_address(AddressText(r.address));
        out->set_power(r.power);
        out->set_vsc_id(r.vsc_id);
        return absl::OkStatus();
      });
}

// ---- the service ------------------------------------------------------------------

using C = grpc::CallbackServerContext;

#define MESH_QUERY_METHOD(Name)                                                   \
  grpc::ServerUnaryReactor* Name(C* call, const pb::Query##Name##Request* q,      \
                                 pb::Query##Name##Response* r) override {         \
    return node::RunUnaryQuery(query_, call, ::mesh::app::mq::Name, q, r);        \
  }

class SharedSecurityQueryService final : public pb::SharedSecurityQuery::CallbackService {
 public:
  explicit SharedSecurityQueryService(ChainQueryFn query) : query_(std::move(query)) {}
  MESH_QUERY_METHOD(CcvConsumers)
  MESH_QUERY_METHOD(CcvConsumer)
  MESH_QUERY_METHOD(CcvConsumerSet)
  MESH_QUERY_METHOD(CcvPendingVscs)
  MESH_QUERY_METHOD(CcvOptIns)
  MESH_QUERY_METHOD(KeyAssignments)
  MESH_QUERY_METHOD(ValidatorConsumerKey)
  MESH_QUERY_METHOD(ValidatorByConsumerAddress)
  MESH_QUERY_METHOD(SlashProposals)
  MESH_QUERY_METHOD(SlashProposal)
  MESH_QUERY_METHOD(SlashMeter)
  MESH_QUERY_METHOD(ThrottledSlashes)
  MESH_QUERY_METHOD(WaitingSlashes)
  MESH_QUERY_METHOD(EvidencePunishments)
  MESH_QUERY_METHOD(ConsumerCcvState)
  MESH_QUERY_METHOD(ConsumerCcvValidators)
  MESH_QUERY_METHOD(ConsumerCcvSlashRequests)

 private:
  ChainQueryFn query_;
};

#undef MESH_QUERY_METHOD

}  // namespace

std::unique_ptr<grpc::Service> NewSharedSecurityQueryService(ChainQueryFn query) {
  return std::make_unique<SharedSecurityQueryService>(std::move(query));
}

}  // namespace mesh::app::mq
