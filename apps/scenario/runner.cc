#include "apps/scenario/runner.h"

#include <algorithm>
#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/context.h"
#include "core/crypto.h"
#include "core/json.h"
#include "core/status.h"
#include "mesh/consumer/consumer.h"
#include "mesh/consumer/price_feed.h"
#include "mesh/consumer/state.h"
#include "mesh/consumer/virtual_staking.h"
#include "mesh/packets/packets.h"
#include "mesh/provider/ccv.h"
#include "mesh/provider/governance.h"
#include "mesh/provider/canonical_vote.h"
#include "mesh/provider/consumer_keys.h"
#include "mesh/provider/external_staking.h"
#include "mesh/provider/local_staking.h"
#include "mesh/provider/remote_validators.h"
#include "mesh/provider/vault.h"
#include "node/staking_msgs.h"
#include "meshsec/v1/msgs.pb.h"
#include "node/tx.h"
#include "staking/bank.h"
#include "staking/staking.h"

namespace mesh::scenario {
namespace {

using harness::Network;
using provider::ConsumerId;

std::string Quote(std::string_view s) {
  std::string out;
  WriteJsonString(s, out);
  return out;
}

std::string Range(const provider::AmountRange& r) {
  if (r.IsOneValue()) return r.low().ToString();
  return absl::StrCat(r.low().ToString(), "..", r.high().ToString());
}

std::string BoolText(bool b) { return b ? "true" : "false"; }

const char* StatusName(staking::BondStatus s) {
  switch (s) {
    case staking::BondStatus::kBonded: return "bonded";
    case staking::BondStatus::kUnbonding: return "unbonding";
    case staking::BondStatus::kUnbonded: return "unbonded";
  }
  return "?";
}

}  // namespace

absl::Status PrepareDir(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(dir, ec)) {
    if (!fs::exists(fs::path(dir) / "CURRENT", ec) && !fs::is_empty(dir, ec)) {
      return absl::FailedPreconditionError(dir + " exists and is not a RocksDB directory");
    }
    fs::remove_all(dir, ec);
  }
  fs::create_directories(fs::path(dir).parent_path(), ec);
  if (ec) return absl::InternalError("cannot prepare " + dir + ": " + ec.message());
  return absl::OkStatus();
}

bool Report::passed() const {
  if (!setup_error.empty() || static_cast<int>(steps.size()) != total_steps) return false;
  for (const StepResult& s : steps) {
    if (!s.ok) return false;
  }
  return true;
}

absl::StatusOr<std::unique_ptr<Runner>> Runner::Create(const Scenario& scenario,
                                                       const RunOptions& options) {
  harness::NetworkSpec spec = scenario.network;
  for (const harness::ChainSpec& c : spec.chains) {
    if (absl::Status p = CheckBech32Prefix(c.prefix); !p.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("chain `", c.id, "`: ", p.message()));
    }
  }
  if (!options.data_dir.empty()) {
    for (harness::ChainSpec& c : spec.chains) {
      c.rocksdb_dir = (std::filesystem::path(options.data_dir) / c.id).string();
      MESH_RETURN_IF_ERROR(PrepareDir(c.rocksdb_dir));
    }
  }
  const bool auto_relay = spec.auto_relay;
  const bool check = spec.check_invariants;
  const uint64_t block_seconds = spec.block_seconds;
  MESH_ASSIGN_OR_RETURN(std::unique_ptr<Network> net, Network::Create(std::move(spec)));
  std::unique_ptr<Runner> r(new Runner(std::move(net), auto_relay, check));
  r->block_seconds_ = block_seconds;
  MESH_ASSIGN_OR_RETURN(r->pending_at_begin_, r->AllPending());
  return r;
}

// ---------------------------------------------------------------- steps

namespace {

// Judges an action's outcome against the step's `expect_error`. Internal,
// DataLoss and Unknown errors (broken invariants, store failures) are never
// an expected rejection.
void JudgeAction(const Step& step, const absl::StatusOr<std::string>& done, StepResult& r) {
  const Json* want = step.args.Find("expect_error");
  const bool expect_error =
      step.Has("expect_code") ||
      (want != nullptr && !(want->kind() == Json::Kind::kBool && !want->AsBool().value()));
  if (!expect_error || done.ok()) {
    r.ok = done.ok() != expect_error;
    if (done.ok()) r.detail = *done;
    if (!done.ok()) r.error = done.status().ToString();
    if (done.ok() && expect_error) r.error = "expected an error, but the action succeeded";
    return;
  }
  const absl::StatusCode code = done.status().code();
  const bool bug = code == absl::StatusCode::kInternal || code == absl::StatusCode::kDataLoss ||
                   code == absl::StatusCode::kUnknown;
  const std::string needle =
      want != nullptr && want->kind() == Json::Kind::kString ? want->text() : "";
  const std::optional<absl::StatusCode> want_code =
      step.Has("expect_code") ? StatusCodeFromName(step.Str("expect_code")) : std::nullopt;
  const bool code_ok = !want_code.has_value() || *want_code == done.status().code();
  r.ok = !bug && code_ok && absl::StrContains(done.status().ToString(), needle);
  r.detail = "rejected as expected: " + done.status().ToString();
  if (!r.ok) {
    r.error = absl::StrCat(bug        ? "not a rejection: "
                           : !code_ok ? "error code is not " + step.Str("expect_code") + ": "
                                      : "error does not contain \"" + needle + "\": ",
                           done.status().ToString());
  }
}

}  // namespace

StepResult Runner::Execute(const Step& step) {
  StepResult r;
  r.index = step.index;
  r.description = step.Describe();
  r.note = step.Str("note");
  if (step.action == "expect") {
    Expect(step, r);
  } else {
    JudgeAction(step, Act(step), r);
  }
  return r;
}

absl::StatusOr<std::string> Runner::Act(const Step& s) {
  const std::string& a = s.action;
  if (a == "advance") return Advance(s);
  if (a == "auto_relay") {
    const bool on = s.args.Find("on")->AsBool().value();
    auto_relay_ = on;
    net_->set_auto_relay(on);
    return std::string(on ? "auto-relay on" : "auto-relay off");
  }
  if (a == "check_invariants") {
    MESH_RETURN_IF_ERROR(net_->CheckInvariants());
    return std::string("invariants hold");
  }
  if (a == "relay_all" || a == "relay_one" || a == "error_ack" || a == "timeout" ||
      a == "duplicate" || a == "reorder") {
    return RelayAct(s);
  }
  if (a == "jail" || a == "unjail" || a == "tombstone" || a == "double_sign" ||
      a == "downtime") {
    return MisbehaveAct(s);
  }
  if (a == "create_validator" || a == "set_max_validators") return ValidatorSetAct(s);
  if (a == "opt_in" || a == "opt_out" || a == "set_signing") return CcvAct(s);
  if (a == "tx" || a == "bank_send" || a == "deliver" || a == "relay_acks" ||
      a == "open_channel" || a == "edit_validator" || a == "inject_slash" ||
      a == "consumer_double_vote" || a == "slash_proposal" || a == "gov_vote" ||
      a == "assign_consumer_key") {
    return NewAct(s);
  }
  return UserAct(s);
}

absl::StatusOr<std::string> Runner::ValidatorSetAct(const Step& s) {
  const std::string chain = s.Str("chain");
  if (s.action == "set_max_validators") {
    const uint64_t n = s.U64("max_validators");
    MESH_RETURN_IF_ERROR(net_->SetMaxValidators(chain, static_cast<uint32_t>(n)));
    return absl::StrCat("max_validators on ", chain, " is ", n,
                        "; the active set is re-selected at the end of the block");
  }
  const std::string val = s.Str("validator");
  const staking::Description description{s.Str("moniker"), s.Str("identity"), s.Str("website"),
                                         s.Str("details")};
  MESH_RETURN_IF_ERROR(net_->CreateValidator(chain, val, s.Amt("self_bond"),
                                             s.Decimal("commission"), description));
  return absl::StrCat("validator ", val, " created on ", chain, " with self-bond ",
                      s.Amt("self_bond").ToString(),
                      "; it joins the active set at the end of the block if it ranks");
}

absl::StatusOr<std::string> Runner::UserAct(const Step& s) {
  const std::string& a = s.action;
  const std::string user = s.Str("user");
  if (a == "bond") MESH_RETURN_IF_ERROR(net_->Bond(s.Str("chain"), user, s.Amt("amount")));
  else if (a == "unbond") MESH_RETURN_IF_ERROR(net_->Unbond(s.Str("chain"), user, s.Amt("amount")));
  else if (a == "stake_local") {
    MESH_RETURN_IF_ERROR(
        net_->StakeLocal(s.Str("chain"), user, s.Str("validator"), s.Amt("amount")));
  } else if (a == "stake_remote") {
    MESH_RETURN_IF_ERROR(net_->StakeRemote(s.Str("provider"), user, s.Str("consumer"),
                                           s.Str("validator"), s.Amt("amount")));
  } else if (a == "unstake") {
    MESH_RETURN_IF_ERROR(net_->UnstakeRemote(s.Str("provider"), user, s.Str("consumer"),
                                             s.Str("validator"), s.Amt("amount")));
  } else if (a == "withdraw_unbonded") {
    MESH_RETURN_IF_ERROR(net_->WithdrawUnbonded(s.Str("provider"), user, s.Str("consumer")));
  } else if (a == "withdraw_rewards") {
    MESH_RETURN_IF_ERROR(net_->WithdrawRewards(s.Str("provider"), user, s.Str("consumer"),
                                               s.Str("validator")));
  } else if (a == "set_price") {
    MESH_RETURN_IF_ERROR(net_->SetPrice(s.Str("consumer"), s.Str("provider"), s.Decimal("price")));
  } else if (a == "set_max_cap") {
    MESH_RETURN_IF_ERROR(net_->SetMaxCap(s.Str("consumer"), s.Str("provider"), s.Amt("cap")));
  } else if (a == "allocate_rewards") {
    MESH_RETURN_IF_ERROR(net_->AllocateRewards(s.Str("chain"), s.Amt("amount")));
  } else if (a == "withdraw_local_unbonded") {
    MESH_RETURN_IF_ERROR(
        net_->TxJson(s.Str("chain"), user, R"({"@type":"/meshsec.v1.MsgLocalWithdrawUnbonded"})"));
  } else {
    // Messages with a (validator, amount) body on `chain`.
    const std::string chain = s.Str("chain");
    const ValidatorAddress val = net_->Valoper(chain, s.Str("validator"));
    const AccountAddress who = net_->Address(chain, user);
    const Denom denom = net_->chain_spec(chain).denom;
    node::Msg msg;
    if (a == "unstake_local") {
      MESH_ASSIGN_OR_RETURN(
          msg, node::MsgFromJson(absl::StrCat(R"({"@type":"/meshsec.v1.MsgLocalUnstake","validator":)",
                                              Quote(val.value()), R"(,"amount":")",
                                              s.Amt("amount").ToString(), "\"}"),
                                 who.value()));
    } else if (a == "delegate") {
      msg = node::DelegateMsg(who, val, denom, s.Amt("amount"));
    } else {
      msg = node::UndelegateMsg(who, val, denom, s.Amt("amount"));
    }
    MESH_RETURN_IF_ERROR(net_->Tx(chain, user, msg));
  }
  return std::string("ok");
}

absl::StatusOr<std::string> Runner::MisbehaveAct(const Step& s) {
  const std::string& a = s.action;
  const std::string chain = s.Str("chain");
  const std::string val = s.Str("validator");
  const uint64_t height = s.U64("height", net_->ctx(chain).height());
  if (a == "jail") MESH_RETURN_IF_ERROR(net_->Jail(chain, val));
  if (a == "unjail") MESH_RETURN_IF_ERROR(net_->Unjail(chain, val));
  if (a == "tombstone") MESH_RETURN_IF_ERROR(net_->Tombstone(chain, val));
  const std::optional<uint64_t> power =
      s.Has("power") ? std::optional<uint64_t>(s.U64("power")) : std::nullopt;
  if (a == "double_sign") MESH_RETURN_IF_ERROR(net_->DoubleSign(chain, val, height, power));
  if (a == "downtime") MESH_RETURN_IF_ERROR(net_->Downtime(chain, val, height, power));
  if (a == "double_sign" || a == "downtime") {
    return absl::StrCat("infraction at height ", height, "; burned so far on ", chain, ": ",
                        net_->slash_burned(chain).ToString());
  }
  return std::string("ok");
}

// ---------------------------------------------------------------- relayer

absl::StatusOr<ibc::InFlight> Runner::PickPacket(const Step& s) {
  MESH_ASSIGN_OR_RETURN(std::vector<ibc::InFlight> pending,
                        net_->Pending(s.Str("from"), s.Str("to")));
  const uint64_t i = s.U64("index", 0);
  if (i >= pending.size()) {
    return absl::FailedPreconditionError(absl::StrCat("no pending packet #", i, " from ",
                                                      s.Str("from"), " to ", s.Str("to"), " (",
                                                      pending.size(), " pending)"));
  }
  return pending[i];
}

absl::StatusOr<std::string> Runner::RelayAct(const Step& s) {
  const std::string& a = s.action;
  if (a == "relay_all") {
    MESH_ASSIGN_OR_RETURN(ibc::RelayStats st, net_->RelayAll());
    return absl::StrCat("received ", st.received, ", acknowledged ", st.acknowledged,
                        ", timed out ", st.timed_out);
  }
  ibc::Relayer& r = net_->relayer(s.Str("from"), s.Str("to"));
  if (a == "reorder") {
    ibc::RelayStats st;
    MESH_ASSIGN_OR_RETURN(std::vector<ibc::RecvResult> got, r.RelayPendingReversed(&st));
    return absl::StrCat("delivered ", got.size(), " packet(s) in reverse order, timed out ",
                        st.timed_out);
  }
  if (a == "timeout") return TimeOut(s);
  MESH_ASSIGN_OR_RETURN(ibc::InFlight p, PickPacket(s));
  const std::string seq = absl::StrCat("packet seq ", p.packet.sequence);
  if (a == "relay_one") {
    MESH_ASSIGN_OR_RETURN(ibc::RecvResult got, r.RelayPacket(p));
    RecordAck(p, got);
    MESH_RETURN_IF_ERROR(r.RelayAck(p).status());
    return absl::StrCat(seq, " delivered, ack ",
                        got.app_status.ok() ? "success" : "error: " + got.app_status.ToString(),
                        " relayed back");
  }
  if (a == "error_ack") {
    const std::string why = s.Str("error", "rejected by the scenario");
    MESH_RETURN_IF_ERROR(r.DeliverErrorAck(p, absl::InvalidArgumentError(why)).status());
    last_ack_ = LastAck{true, p.packet.sequence, false, why};
    return seq + " answered with an error ack";
  }
  // duplicate: deliver once (ack left pending), then again; must be refused.
  MESH_ASSIGN_OR_RETURN(ibc::RecvResult first, r.RelayPacket(p));
  RecordAck(p, first);
  const absl::Status dup = r.DeliverDuplicate(p);
  if (dup.ok()) return absl::InternalError(seq + " was accepted a second time");
  if (dup.code() != absl::StatusCode::kFailedPrecondition) return dup;
  return absl::StrCat(seq, " delivered; the second delivery was refused (", dup.message(), ")");
}

// Advances every chain (relaying nothing) until the destination passed the
// packet's deadline, then submits the timeout to the sender.
absl::StatusOr<std::string> Runner::TimeOut(const Step& s) {
  MESH_ASSIGN_OR_RETURN(ibc::InFlight p, PickPacket(s));
  const std::string to = s.Str("to");
  const ibc::Timeout& t = p.packet.timeout;
  int blocks = 0;
  for (; blocks < 100000; ++blocks) {
    const Context c = net_->ctx(to);
    if (t.Expired(c.height(), c.time_ns())) break;
    uint64_t secs = 1;
    if (t.timestamp_ns != 0 && t.timestamp_ns > c.time_ns()) {
      secs = (t.timestamp_ns - c.time_ns() + kNanosPerSecond - 1) / kNanosPerSecond;
    }
    const bool relay = auto_relay_;
    auto_relay_ = false;
    absl::Status st = AdvanceOne(secs);
    auto_relay_ = relay;
    MESH_RETURN_IF_ERROR(st);
  }
  MESH_RETURN_IF_ERROR(net_->relayer(s.Str("from"), to).TimeOut(p).status());
  return absl::StrCat("packet seq ", p.packet.sequence, " timed out after ", blocks,
                      " block(s) without relaying");
}

// ---------------------------------------------------------------- expectations

void Runner::Expect(const Step& s, StepResult& r) {
  absl::StatusOr<Fields> got = Query(s);
  if (s.Has("expect_error") || s.Has("expect_code")) {
    // An expectation that the query fails.
    absl::StatusOr<std::string> outcome = std::string("query answered");
    if (!got.ok()) outcome = got.status();
    JudgeAction(s, outcome, r);
    if (got.ok()) r.actual = *got;
    return;
  }
  if (!got.ok()) {
    r.error = "query failed: " + got.status().ToString();
    return;
  }
  r.actual = *got;
  for (const auto& [field, actual] : *got) {
    if (!s.Has(field)) continue;
    const std::string expected = s.Str(field);
    if (expected != actual) r.mismatches.push_back({field, expected, actual});
  }
  r.ok = r.mismatches.empty();
  if (r.ok) {
    r.detail = "as expected";
  } else {
    r.error = absl::StrCat(r.mismatches.size(), " field(s) differ");
  }
}

absl::StatusOr<Fields> Runner::Query(const Step& s) {
  const std::string& q = s.query;
  if (q == "vault_account" || q == "lien" || q == "pending_txs" || q == "local_delegation") {
    return QueryVault(s);
  }
  if (q == "stake" || q == "rewards" || q == "remote_validator") return QueryExternal(s);
  if (q == "virtual_stake" || q == "consumer_state") return QueryConsumer(s);
  if (q == "balance" || q == "supply" || q == "validator" || q == "packets") return QueryChain(s);
  if (q == "events") return QueryEvents(s);
  return QueryNew(s);
}

absl::StatusOr<Fields> Runner::QueryVault(const Step& s) {
  const std::string& q = s.query;
  const std::string chain = s.Str("chain");
  const Context c = net_->ctx(chain);
  const AccountAddress user = net_->Address(chain, s.Str("user"));
  if (q == "vault_account") {
    MESH_ASSIGN_OR_RETURN(provider::AccountInfo a, provider::Vault::Account(c, user));
    return Fields{{"collateral", a.bonded.ToString()},
                  {"free", Range(a.free)},
                  {"max_lien", Range(a.max_lien)},
                  {"total_slashable", Range(a.total_slashable)}};
  }
  if (q == "lien") {
    const std::string h = s.Str("holder");
    const provider::LienHolder holder = h == "local" ? provider::LienHolder::Local()
                                                     : provider::LienHolder::External(ConsumerId(h));
    MESH_ASSIGN_OR_RETURN(provider::Lien l, provider::Vault::GetClaim(c, user, holder));
    return Fields{{"amount", Range(l.amount)}, {"slashable", l.slashable.ToString()}};
  }
  if (q == "pending_txs") return PendingTxs(s);
  if (q == "local_delegation") {
    MESH_ASSIGN_OR_RETURN(auto dels, provider::LocalStaking::Delegations(c, user));
    const ValidatorAddress v = net_->Valoper(chain, s.Str("validator"));
    Amount total;
    for (const auto& [val, amount] : dels) {
      if (val == v) total = amount;
    }
    return Fields{{"amount", total.ToString()}};
  }
  return absl::InvalidArgumentError("not a vault query: " + q);
}

absl::StatusOr<Fields> Runner::QueryExternal(const Step& s) {
  const std::string& q = s.query;
  const std::string chain = s.Str("provider");
  const Context c = net_->ctx(chain);
  const AccountAddress user = net_->Address(chain, s.Str("user"));
  const ConsumerId consumer(s.Str("consumer"));
  const ValidatorAddress v = net_->Valoper(s.Str("consumer"), s.Str("validator"));
  if (q == "remote_validator") {
    MESH_ASSIGN_OR_RETURN(provider::ValidatorHistory h,
                          provider::RemoteValidators::Get(c, consumer, v));
    std::string hist;
    for (auto it = h.entries.rbegin(); it != h.entries.rend(); ++it) {
      absl::StrAppend(&hist, hist.empty() ? "" : ",", provider::RemoteStateName(it->state), "@",
                      it->start_height);
    }
    std::string at = "none";
    if (s.Has("height")) {
      MESH_ASSIGN_OR_RETURN(std::optional<provider::ValState> st,
                            provider::RemoteValidators::AtHeight(c, consumer, v, s.U64("height")));
      if (st.has_value()) at = provider::RemoteStateName(st->state);
    }
    return Fields{{"state", provider::RemoteStateName(provider::history::Current(h))},
                  {"history", hist},
                  {"state_at", at}};
  }
  if (q == "rewards") {
    MESH_ASSIGN_OR_RETURN(Amount p, provider::ExternalStaking::PendingRewards(c, consumer, user, v));
    return Fields{{"pending", p.ToString()}};
  }
  MESH_ASSIGN_OR_RETURN(provider::Stake st, provider::ExternalStaking::GetStake(c, consumer, user, v));
  Amount unbonding;
  for (const provider::PendingUnbond& u : st.pending_unbonds) {
    MESH_ASSIGN_OR_RETURN(unbonding, unbonding.Add(u.amount));
  }
  return Fields{{"stake", Range(st.stake)},
                {"unbonding", unbonding.ToString()},
                {"unbonding_count", absl::StrCat(st.pending_unbonds.size())},
                {"withdrawn", st.withdrawn_funds.ToString()}};
}

absl::StatusOr<Fields> Runner::QueryConsumer(const Step& s) {
  const std::string chain = s.Str("consumer");
  const Context c = net_->ctx(chain);
  const consumer::ProviderId p(s.Str("provider"));
  if (s.query == "consumer_state") {
    MESH_ASSIGN_OR_RETURN(consumer::ProviderState st, consumer::Consumer::GetState(c, p));
    return Fields{{"channel_open", BoolText(st.channel_open)},
                  {"max_cap", st.max_cap.ToString()},
                  {"total_delegated", st.total_delegated.ToString()},
                  {"minted", st.minted.ToString()},
                  {"burned", st.burned.ToString()},
                  {"slashed", st.slashed.ToString()}};
  }
  const std::string val = s.Str("validator");
  MESH_ASSIGN_OR_RETURN(Amount request, net_->BondRequest(chain, s.Str("provider"), val));
  MESH_ASSIGN_OR_RETURN(Amount actual, net_->VirtualDelegation(chain, s.Str("provider"), val));
  // Σ over the provider's users of the consumer's per-user records.
  Amount remote;
  const ValidatorAddress v = net_->Valoper(chain, val);
  for (const auto& [user, funds] : net_->chain_spec(s.Str("provider")).accounts) {
    MESH_ASSIGN_OR_RETURN(std::optional<consumer::DelegationRecord> rec,
                          consumer::VirtualStaking::GetRecord(
                              c, p, net_->Address(s.Str("provider"), user), v));
    if (rec.has_value()) {
      MESH_ASSIGN_OR_RETURN(remote, remote.Add(rec->remote));
    }
  }
  return Fields{{"bond_request", request.ToString()},
                {"delegation", actual.ToString()},
                {"remote", remote.ToString()}};
}

absl::StatusOr<Fields> Runner::QueryChain(const Step& s) {
  const std::string& q = s.query;
  if (q == "packets") {
    MESH_ASSIGN_OR_RETURN(auto pending, net_->Pending(s.Str("from"), s.Str("to")));
    MESH_ASSIGN_OR_RETURN(auto acks, net_->relayer(s.Str("from"), s.Str("to")).PendingAcks());
    size_t acks_to_sender = 0;
    for (const ibc::InFlight& a : acks) {
      if (a.from == net_->SideOf(s.Str("from"), s.Str("to"))) ++acks_to_sender;
    }
    return Fields{{"pending", absl::StrCat(pending.size())},
                  {"acks", absl::StrCat(acks_to_sender)}};
  }
  const std::string chain = s.Str("chain");
  const Context c = net_->ctx(chain);
  if (q == "balance") {
    const Denom denom(s.Str("denom", net_->chain_spec(chain).denom.value()));
    MESH_ASSIGN_OR_RETURN(Amount a,
                          staking::Bank::Balance(c, net_->Address(chain, s.Str("user")), denom));
    return Fields{{"amount", a.ToString()}};
  }
  if (q == "supply") {
    MESH_ASSIGN_OR_RETURN(Amount a, staking::Bank::Supply(c, net_->chain_spec(chain).denom));
    return Fields{{"amount", a.ToString()}};
  }
  MESH_ASSIGN_OR_RETURN(staking::Validator v, net_->Validator(chain, s.Str("validator")));
  return Fields{{"status", StatusName(v.status)},
                {"tokens", v.tokens.ToString()},
                {"jailed", BoolText(v.jailed)},
                {"tombstoned", BoolText(v.tombstoned)},
                {"commission", v.commission_rate.ToString()},
                {"moniker", v.description.moniker},
                {"identity", v.description.identity},
                {"website", v.description.website},
                {"details", v.description.details}};
}

// ---------------------------------------------------------------- blocks and new steps

absl::StatusOr<std::vector<SentPacket>> Runner::AllPending() {
  std::vector<SentPacket> out;
  const std::vector<std::string> ids = net_->chain_ids();
  for (const std::string& from : ids) {
    for (const std::string& to : ids) {
      if (from == to) continue;
      MESH_ASSIGN_OR_RETURN(std::vector<ibc::InFlight> p, net_->Pending(from, to));
      for (ibc::InFlight& f : p) out.push_back(SentPacket{from, to, std::move(f)});
    }
  }
  return out;
}

// One block `seconds` long with the network's semantics (end, begin, relay
// if auto-relay, invariants if on), recording the packets sent in it.
absl::Status Runner::AdvanceOne(uint64_t seconds) {
  const std::vector<std::string> ids = net_->chain_ids();
  const uint64_t now = ids.empty() ? 0 : net_->ctx(ids.front()).time_ns();
  if (now > kMaxBlockTimeNs || seconds > (kMaxBlockTimeNs - now) / kNanosPerSecond) {
    return absl::OutOfRangeError(absl::StrCat(
        "advancing ", seconds, " s would pass the last block time (2^63-1 ns, int64)"));
  }
  net_->set_auto_relay(false);
  net_->set_check_invariants(false);
  absl::Status st = net_->AdvanceTime(seconds);
  net_->set_auto_relay(auto_relay_);
  net_->set_check_invariants(check_invariants_);
  MESH_RETURN_IF_ERROR(st);
  MESH_ASSIGN_OR_RETURN(std::vector<SentPacket> now_pending, AllPending());
  sent_last_block_.clear();
  for (const SentPacket& p : now_pending) {
    const bool old = std::any_of(
        pending_at_begin_.begin(), pending_at_begin_.end(), [&](const SentPacket& q) {
          return q.from == p.from && q.to == p.to && q.packet.packet == p.packet.packet;
        });
    if (!old) sent_last_block_.push_back(p);
  }
  if (auto_relay_) MESH_RETURN_IF_ERROR(net_->RelayAll().status());
  if (check_invariants_) MESH_RETURN_IF_ERROR(net_->CheckInvariants());
  MESH_ASSIGN_OR_RETURN(pending_at_begin_, AllPending());
  return absl::OkStatus();
}

absl::StatusOr<std::string> Runner::Advance(const Step& s) {
  if (s.Has("seconds")) {
    MESH_RETURN_IF_ERROR(AdvanceOne(s.U64("seconds")));
    return absl::StrCat("one block of ", s.U64("seconds"), " s");
  }
  const uint64_t n = s.U64("blocks", 1);
  for (uint64_t i = 0; i < n; ++i) MESH_RETURN_IF_ERROR(AdvanceOne(block_seconds_));
  return absl::StrCat(n, " block(s)");
}

void Runner::RecordAck(const ibc::InFlight& p, const ibc::RecvResult& got) {
  last_ack_ = LastAck{true, p.packet.sequence, true, ""};
  absl::StatusOr<packets::Ack> ack = packets::Ack::Decode(got.ack);
  if (ack.ok()) {
    last_ack_.success = ack->ok();
    if (!ack->ok()) last_ack_.error = ack->error();
  } else if (!got.app_status.ok()) {
    last_ack_.success = false;
    last_ack_.error = std::string(got.app_status.message());
  }
}

absl::StatusOr<std::string> Runner::NewAct(const Step& s) {
  const std::string& a = s.action;
  if (a == "slash_proposal" || a == "gov_vote" || a == "assign_consumer_key") return GovAct(s);
  if (a == "tx") {
    // One message in the protobuf JSON mapping with "@type" (docs/scenarios.md).
    const Json* m = s.args.Find("msg");
    if (m == nullptr) return absl::InvalidArgumentError("tx: missing \"msg\"");
    const std::string json = m->kind() == Json::Kind::kString ? m->text() : m->Write();
    MESH_RETURN_IF_ERROR(net_->TxJson(s.Str("chain"), s.Str("user"), json));
    const Json* type = m->kind() == Json::Kind::kObject ? m->Find("@type") : nullptr;
    return absl::StrCat(type != nullptr ? type->text() : std::string("tx"), " signed by ",
                        s.Str("user"), " accepted");
  }
  if (a == "bank_send") {
    const std::string chain = s.Str("chain");
    const std::string denom = s.Str("denom", net_->chain_spec(chain).denom.value());
    MESH_RETURN_IF_ERROR(net_->Tx(
        chain, s.Str("user"),
        node::BankSendMsg(net_->Address(chain, s.Str("user")),
                          net_->Address(chain, s.Str("recipient")), Denom(denom),
                          s.Amt("amount"))));
    return absl::StrCat("sent ", s.Amt("amount").ToString(), denom, " to ", s.Str("recipient"));
  }
  if (a == "edit_validator") {
    staking::ValidatorEdit edit;
    std::vector<std::string> changed;
    if (s.Has("commission")) {
      edit.commission_rate = s.Decimal("commission");
      changed.push_back("commission " + edit.commission_rate->ToString());
    }
    for (const auto& [key, field] :
         {std::pair{"moniker", &edit.moniker}, std::pair{"identity", &edit.identity},
          std::pair{"website", &edit.website}, std::pair{"details", &edit.details}}) {
      if (!s.Has(key)) continue;
      *field = s.Str(key);
      changed.push_back(absl::StrCat(key, " \"", **field, "\""));
    }
    MESH_RETURN_IF_ERROR(net_->EditValidator(s.Str("chain"), s.Str("validator"), edit));
    return absl::StrCat(s.Str("validator"), ": ", absl::StrJoin(changed, ", "));
  }
  if (a == "open_channel") return OpenChannel(s);
  if (a == "inject_slash") return InjectSlash(s);
  if (a == "consumer_double_vote") return ConsumerDoubleVote(s);
  ibc::Relayer& r = net_->relayer(s.Str("from"), s.Str("to"));
  if (a == "deliver") {
    MESH_ASSIGN_OR_RETURN(ibc::InFlight p, PickPacket(s));
    MESH_ASSIGN_OR_RETURN(ibc::RecvResult got, r.RelayPacket(p));
    RecordAck(p, got);
    return absl::StrCat("packet seq ", p.packet.sequence, " delivered, ack ",
                        last_ack_.success ? "success" : "error: " + last_ack_.error,
                        " left on ", s.Str("to"));
  }
  // relay_acks: acks written by `to` for packets of `from`.
  MESH_ASSIGN_OR_RETURN(std::vector<ibc::InFlight> acks, r.PendingAcks());
  std::vector<ibc::InFlight> mine;
  for (ibc::InFlight& f : acks) {
    if (f.from == net_->SideOf(s.Str("from"), s.Str("to"))) mine.push_back(std::move(f));
  }
  if (s.Has("index")) {
    const uint64_t i = s.U64("index");
    if (i >= mine.size()) {
      return absl::FailedPreconditionError(
          absl::StrCat("no pending ack #", i, " (", mine.size(), " pending)"));
    }
    mine = {mine[i]};
  }
  for (const ibc::InFlight& f : mine) MESH_RETURN_IF_ERROR(r.RelayAck(f).status());
  return absl::StrCat(mine.size(), " ack(s) relayed to ", s.Str("from"));
}

// Default ports: the mesh ports of a link between the two chains as the
// initiator would use them (consumer port on a consumer).
absl::StatusOr<std::string> Runner::OpenChannel(const Step& s) {
  const std::string from = s.Str("from");
  const std::string to = s.Str("to");
  bool from_is_provider = false;
  for (const harness::LinkSpec& l : net_->links()) {
    if (l.provider == from && l.consumer == to) from_is_provider = true;
  }
  const std::string own = from_is_provider ? "mesh-provider" : "mesh-consumer";
  const std::string other = from_is_provider ? "mesh-consumer" : "mesh-provider";
  const ibc::Order order =
      s.Str("ordering") == "ordered" ? ibc::Order::kOrdered : ibc::Order::kUnordered;
  MESH_ASSIGN_OR_RETURN(ibc::ChannelPair ch,
                        net_->OpenChannel(from, to, PortId(s.Str("port", own)),
                                          PortId(s.Str("counterparty_port", other)), order,
                                          s.Str("version")));
  const bool from_a = net_->SideOf(from, to) == ibc::Side::kA;
  return absl::StrCat("channel open: ", (from_a ? ch.a : ch.b).value(), " on ", from, ", ",
                      (from_a ? ch.b : ch.a).value(), " on ", to);
}

// A valset_update packet from the consumer with one slashed entry.
absl::StatusOr<std::string> Runner::InjectSlash(const Step& s) {
  const std::string consumer = s.Str("consumer");
  const std::string provider = s.Str("provider");
  const Context c = net_->ctx(consumer);
  packets::ValsetUpdatePacket u;
  u.height = c.height();
  u.time = c.time_ns() / kNanosPerSecond;
  packets::ValidatorSlashInfo info;
  info.address = net_->Valoper(consumer, s.Str("validator"));
  info.infraction_height = s.U64("height", c.height());
  info.infraction_time = s.U64("time", u.time);
  info.power = s.U64("power", 1);
  info.slash_amount = packets::Coin{net_->chain_spec(provider).denom, s.Amt("amount")};
  info.slash_ratio = s.Has("ratio") ? s.Decimal("ratio").ToString() : "0.1";
  u.slashed.push_back(info);
  if (s.Has("tombstone") && s.args.Find("tombstone")->AsBool().value()) {
    u.tombstoned.push_back(info.address);
  }
  const std::string data = packets::EncodeConsumerPacket(u);
  MESH_ASSIGN_OR_RETURN(uint64_t seq, net_->InjectConsumerPacket(consumer, provider, data));
  return absl::StrCat("valset_update seq ", seq, " sent by ", consumer, ": ", data);
}

// Two precommits of `validator` (a consumer validator name) for different
// blocks at `height` (default: the consumer's current height), signed with
// `signer`'s default consensus key (default: the validator's own; another
// name forges the evidence), submitted by `user` on the provider.
absl::StatusOr<std::string> Runner::ConsumerDoubleVote(const Step& s) {
  const std::string consumer = s.Str("consumer");
  const std::string provider = s.Str("provider");
  const uint64_t height = s.U64("height", net_->ctx(consumer).height());
  MESH_RETURN_IF_ERROR(net_->SubmitConsumerDoubleVote(
      provider, consumer, s.Str("validator"), s.Str("user"), height,
      s.Has("signer") ? s.Str("signer") : s.Str("validator")));
  return absl::StrCat("double vote of ", s.Str("validator"), " at ", consumer, " height ", height,
                      " accepted by ", provider);
}

// Governance slashing: "slash_proposal" names the consumer validator by
// name (its valoper on the consumer) and is signed by `user` (the
// depositor); "gov_vote" is signed by `user` ("val/<name>" for a validator's
// operator).
absl::StatusOr<std::string> Runner::GovAct(const Step& s) {
  const std::string provider = s.Str("provider");
  if (s.action == "gov_vote") {
    MESH_RETURN_IF_ERROR(net_->TxJson(
        provider, s.Str("user"),
        absl::StrCat(R"({"@type":"/meshsec.v1.MsgVoteSlashProposal","proposal_id":")",
                     s.U64("proposal_id"), R"(","option":)", Quote(s.Str("option")), "}")));
    return absl::StrCat(s.Str("user"), " voted ", s.Str("option"), " on proposal ",
                        s.U64("proposal_id"));
  }
  const std::string consumer = s.Str("consumer");
  if (s.action == "assign_consumer_key") {
    // The provider validator's operator (on `chain`) assigns the key of
    // `key_seed` on `consumer`.
    const std::string chain = s.Str("chain");
    const std::string val = net_->Valoper(chain, s.Str("validator")).value();
    const std::string raw = Ed25519PrivateKey::FromSeed(s.Str("key_seed")).PublicKey();
    const std::string key = Base64Encode(raw);
    MESH_RETURN_IF_ERROR(net_->TxJson(
        chain, "val/" + s.Str("validator"),
        absl::StrCat(R"({"@type":"/meshsec.v1.MsgAssignConsumerKey","consumer":)", Quote(consumer),
                     R"(,"validator":)", Quote(val), R"(,"key":)", Quote(key), "}")));
    key_names_[{consumer, raw}] = absl::StrCat(chain, "/", s.Str("validator"), "@", s.Str("key_seed"));
    return absl::StrCat(s.Str("validator"), " on ", chain, " assigned the key of seed ",
                        s.Str("key_seed"), " on ", consumer);
  }
  // The target: a consumer validator by name, a provider validator by name,
  // or the consumer key of a seed (as assign_consumer_key makes it).
  std::string val;
  std::string named;
  if (s.Has("key_seed")) {
    val = Base64Encode(Ed25519PrivateKey::FromSeed(s.Str("key_seed")).PublicKey());
    named = "the key of seed " + s.Str("key_seed");
  } else if (s.Has("provider_validator")) {
    val = net_->Valoper(provider, s.Str("provider_validator")).value();
    named = provider + "'s " + s.Str("provider_validator");
  } else {
    val = net_->Valoper(consumer, s.Str("validator")).value();
    named = s.Str("validator");
  }
  const bool jail_only = s.Has("jail_only") && s.args.Find("jail_only")->AsBool().value();
  const std::string body = absl::StrCat(
      R"({"@type":"/meshsec.v1.MsgSubmitSlashProposal","consumer":)", Quote(consumer),
      R"(,"validator":)", Quote(val), R"(,"infraction_height":")", s.U64("infraction_height"),
      R"(","fraction":)", Quote(s.Str("fraction")), R"(,"deposit":)",
      Quote(s.Amt("deposit").ToString()), jail_only ? R"(,"jail_only":true})" : "}");
  MESH_RETURN_IF_ERROR(net_->TxJson(provider, s.Str("user"), body));
  return absl::StrCat("slash proposal against ", named, " on ", consumer, " submitted on ",
                      provider);
}

// ---------------------------------------------------------------- new queries

std::string Runner::ValidatorName(const std::string& chain, const ValidatorAddress& v) const {
  for (const harness::ValidatorSpec& spec : net_->chain_spec(chain).validators) {
    if (net_->Valoper(chain, spec.name) == v) return spec.name;
  }
  return v.value();
}

absl::StatusOr<Fields> Runner::PendingTxs(const Step& s) {
  const std::string chain = s.Str("chain");
  const Context c = net_->ctx(chain);
  const std::optional<AccountAddress> user =
      s.Has("user") ? std::optional(net_->Address(chain, s.Str("user"))) : std::nullopt;
  std::vector<std::string> txs;
  if (!s.Has("consumer")) {
    MESH_ASSIGN_OR_RETURN(auto all, provider::Vault::AllPendingTxsDesc(c));
    for (const provider::VaultTx& t : all) {
      if (user.has_value() && t.user != *user) continue;
      txs.push_back(absl::StrCat(t.holder.local ? "local" : t.holder.consumer.value(), ":",
                                 t.amount.ToString()));
    }
  } else {
    const std::string consumer = s.Str("consumer");
    MESH_ASSIGN_OR_RETURN(auto all,
                          provider::ExternalStaking::AllPendingTxsDesc(c, ConsumerId(consumer)));
    for (const provider::ExternalTx& t : all) {
      if (user.has_value() && t.user != *user) continue;
      const char* kind = t.kind == provider::ExternalTx::Kind::kStake     ? "stake"
                         : t.kind == provider::ExternalTx::Kind::kUnstake ? "unstake"
                                                                          : "transfer_rewards";
      txs.push_back(absl::StrCat(kind, ":", ValidatorName(consumer, t.validator), ":",
                                 t.amount.ToString()));
    }
  }
  return Fields{{"count", absl::StrCat(txs.size())}, {"txs", absl::StrJoin(txs, ",")}};
}

absl::StatusOr<Fields> Runner::QueryEvents(const Step& s) {
  const std::string chain = s.Str("chain");
  std::vector<std::string> types;
  std::vector<std::string> valset;
  for (const SentPacket& p : sent_last_block_) {
    if (p.from != chain) continue;
    absl::StatusOr<packets::ConsumerPacket> cp = packets::DecodeConsumerPacket(p.packet.packet.data);
    absl::StatusOr<packets::ProviderPacket> pp = packets::DecodeProviderPacket(p.packet.packet.data);
    types.push_back(std::string(cp.ok()   ? packets::PacketType(*cp)
                                : pp.ok() ? packets::PacketType(*pp)
                                          : "unknown"));
    const auto* u = cp.ok() ? std::get_if<packets::ValsetUpdatePacket>(&*cp) : nullptr;
    if (u == nullptr || !valset.empty()) continue;
    auto add = [&](const char* list, const ValidatorAddress& v) {
      valset.push_back(absl::StrCat(list, ":", ValidatorName(chain, v)));
    };
    for (const auto& x : u->additions) add("added", x.valoper);
    for (const auto& x : u->removals) add("removed", x);
    for (const auto& x : u->updated) add("updated", x.valoper);
    for (const auto& x : u->jailed) add("jailed", x);
    for (const auto& x : u->unjailed) add("unjailed", x);
    for (const auto& x : u->tombstoned) add("tombstoned", x);
    for (const auto& x : u->slashed) add("slashed", x.address);
  }
  return Fields{{"packets", absl::StrCat(types.size())},
                {"types", absl::StrJoin(types, ",")},
                {"valset", absl::StrJoin(valset, ",")}};
}

absl::StatusOr<std::string> Runner::CcvAct(const Step& s) {
  const std::string chain = s.Str("chain");
  const std::string val = s.Str("validator");
  const std::string consumer = s.Str("consumer");
  if (s.action == "opt_in") {
    MESH_RETURN_IF_ERROR(net_->OptIn(chain, val, consumer));
    return absl::StrCat(val, " opted in to ", consumer, "; it joins at the next epoch");
  }
  if (s.action == "opt_out") {
    MESH_RETURN_IF_ERROR(net_->OptOut(chain, val, consumer));
    return absl::StrCat(val, " opted out of ", consumer, "; it leaves at the next epoch");
  }
  const bool on = s.args.Find("on")->AsBool().value();
  // The key the validator signs with on `consumer`: its assigned consumer
  // key when `chain` provides to `consumer` and it assigned one, else its
  // own consensus key.
  MESH_ASSIGN_OR_RETURN(std::string key, net_->ConsensusKey(chain, val));
  for (const harness::LinkSpec& l : net_->links()) {
    if (l.provider != chain || l.consumer != consumer) continue;
    MESH_ASSIGN_OR_RETURN(std::optional<std::string> assigned,
                          provider::ConsumerKeys::Assigned(net_->ctx(chain),
                                                           provider::ConsumerId(consumer),
                                                           net_->Valoper(chain, val)));
    if (assigned.has_value()) key = *assigned;
  }
  net_->SetSigning(consumer, key, on);
  const std::string* named = KeyName(consumer, key);
  return absl::StrCat(named != nullptr ? *named : chain + "/" + val,
                      on ? " signs" : " stops signing", " on ", consumer);
}

// The consensus set by validator name ("<chain>/<name>:<power>", sorted),
// and whether it equals the bonded set of `provider` (keys on `chain`).
absl::StatusOr<Fields> Runner::QueryConsensusSet(const Step& s) {
  const std::string chain = s.Str("chain");
  MESH_ASSIGN_OR_RETURN(auto set, net_->ConsensusSet(chain));
  std::map<std::string, std::string> name_of;
  for (const std::string& id : net_->chain_ids()) {
    for (const harness::ValidatorSpec& v : net_->chain_spec(id).validators) {
      absl::StatusOr<std::string> key = net_->ConsensusKey(id, v.name);
      if (key.ok()) name_of[*key] = id + "/" + v.name;
    }
  }
  for (const auto& [at, name] : key_names_) {
    if (at.first == chain) name_of[at.second] = name;
  }
  std::vector<std::string> names;
  int64_t total = 0;
  for (const auto& [key, power] : set) {
    auto it = name_of.find(key);
    names.push_back(absl::StrCat(it == name_of.end() ? ToHex(key) : it->second, ":", power));
    total += power;
  }
  std::sort(names.begin(), names.end());
  Fields out{{"validators", absl::StrJoin(names, " ")},
             {"count", absl::StrCat(set.size())},
             {"total", absl::StrCat(total)}};
  if (s.Has("provider")) {
    MESH_ASSIGN_OR_RETURN(auto bonded, net_->BondedSet(s.Str("provider"), chain));
    out.push_back({"equals_bonded", BoolText(bonded == set)});
  }
  return out;
}

const std::string* Runner::KeyName(const std::string& consumer, const std::string& key) const {
  auto it = key_names_.find({consumer, key});
  return it == key_names_.end() ? nullptr : &it->second;
}

// The key assignments `provider` holds for `consumer` (docs/scenarios.md):
// current ones as "<provider>/<validator>@<seed>", replaced ones kept for
// pruning with ":<prune_at_s>"; keys no step assigned print in hex.
absl::StatusOr<Fields> Runner::QueryKeyAssignments(const Step& s) {
  const std::string provider = s.Str("provider");
  const std::string consumer = s.Str("consumer");
  MESH_ASSIGN_OR_RETURN(auto all, provider::ConsumerKeys::Assignments(
                                      net_->ctx(provider), provider::ConsumerId(consumer)));
  std::vector<std::string> current;
  std::vector<std::string> replaced;
  for (const auto& [address, a] : all) {
    const std::string* named = KeyName(consumer, a.pubkey);
    std::string name = named != nullptr
                           ? *named
                           : absl::StrCat(ValidatorName(provider, a.provider_validator), "@",
                                          ToHex(a.pubkey));
    if (a.prune_at_s == 0) {
      current.push_back(std::move(name));
    } else {
      replaced.push_back(absl::StrCat(name, ":", a.prune_at_s));
    }
  }
  std::sort(current.begin(), current.end());
  std::sort(replaced.begin(), replaced.end());
  return Fields{{"current", absl::StrJoin(current, ",")},
                {"replaced", absl::StrJoin(replaced, ",")}};
}

// A replicated / opt-in consumer as its provider holds it (docs/scenarios.md):
// "registered" false once removed; "state_keys" counts every key of the
// provider's store that names the consumer (0 after removal).
absl::StatusOr<Fields> Runner::QueryCcvConsumer(const Step& s) {
  const Context c = net_->ctx(s.Str("provider"));
  const provider::ConsumerId consumer(s.Str("consumer"));
  uint64_t state_keys = 0;
  auto it = c.store().ScanPrefix("");
  for (; it->Valid(); it->Next()) {
    if (it->key().find(consumer.value()) != std::string_view::npos) ++state_keys;
  }
  MESH_RETURN_IF_ERROR(it->status());
  it.reset();
  MESH_ASSIGN_OR_RETURN(std::optional<provider::CcvConfig> cfg,
                        provider::CcvProvider::Config(c, consumer));
  if (!cfg.has_value()) {
    return Fields{{"registered", "false"}, {"state_keys", absl::StrCat(state_keys)}};
  }
  MESH_ASSIGN_OR_RETURN(provider::CcvConsumerState st, provider::CcvProvider::State(c, consumer));
  MESH_ASSIGN_OR_RETURN(std::optional<uint64_t> removal,
                        provider::CcvProvider::RemovalTime(c, consumer));
  MESH_ASSIGN_OR_RETURN(auto set, provider::CcvProvider::ConsumerSet(c, consumer));
  MESH_ASSIGN_OR_RETURN(auto opted, provider::CcvProvider::OptedIn(c, consumer));
  MESH_ASSIGN_OR_RETURN(std::optional<provider::PendingInfraction> pending,
                        provider::CcvProvider::PendingInfractionOf(c, consumer));
  return Fields{{"registered", "true"},
                {"stopped", BoolText(st.stopped)},
                {"removal_s", removal.has_value() ? absl::StrCat(*removal) : "none"},
                {"set_size", absl::StrCat(set.size())},
                {"opted_in", absl::StrCat(opted.size())},
                {"validators_power_cap", absl::StrCat(cfg->shaping.validators_power_cap)},
                {"top_n", absl::StrCat(cfg->shaping.top_n)},
                {"downtime_slash_fraction", cfg->downtime_slash_fraction.ToString()},
                {"downtime_jail_s", absl::StrCat(cfg->downtime_jail_s)},
                {"pending_infraction_s",
                 pending.has_value() ? absl::StrCat(pending->effective_s) : "none"},
                {"state_keys", absl::StrCat(state_keys)}};
}

absl::StatusOr<Fields> Runner::QueryNew(const Step& s) {
  const std::string& q = s.query;
  if (q == "consensus_set") return QueryConsensusSet(s);
  if (q == "proposal") {
    MESH_ASSIGN_OR_RETURN(provider::SlashProposal p,
                          provider::Governance::Get(net_->ctx(s.Str("provider")),
                                                    s.U64("proposal_id")));
    return Fields{{"status", provider::ProposalStatusName(p.status)},
                  {"yes", p.tally.yes.ToString()},
                  {"no", p.tally.no.ToString()},
                  {"abstain", p.tally.abstain.ToString()},
                  {"no_with_veto", p.tally.no_with_veto.ToString()},
                  {"slashed", p.slashed.ToString()},
                  {"voting_end_s", absl::StrCat(p.voting_end_s)},
                  {"kind", provider::ProposalKindName(p.kind)},
                  {"applied", BoolText(p.applied)},
                  {"native", BoolText(p.native)},
                  {"validator", p.native ? ValidatorName(s.Str("provider"), p.validator)
                                         : p.validator.value()}};
  }
  if (q == "ccv_consumer") return QueryCcvConsumer(s);
  if (q == "key_assignments") return QueryKeyAssignments(s);
  if (q == "last_ack") {
    if (!last_ack_.set) return Fields{{"result", "none"}, {"error", ""}, {"sequence", "0"}};
    return Fields{{"result", last_ack_.success ? "success" : "error"},
                  {"error", last_ack_.error},
                  {"sequence", absl::StrCat(last_ack_.sequence)}};
  }
  if (q == "packet") {
    MESH_ASSIGN_OR_RETURN(ibc::InFlight p, PickPacket(s));
    absl::StatusOr<packets::ConsumerPacket> cp = packets::DecodeConsumerPacket(p.packet.data);
    absl::StatusOr<packets::ProviderPacket> pp = packets::DecodeProviderPacket(p.packet.data);
    return Fields{{"sequence", absl::StrCat(p.packet.sequence)},
                  {"type", std::string(cp.ok()   ? packets::PacketType(*cp)
                                       : pp.ok() ? packets::PacketType(*pp)
                                                 : "unknown")},
                  {"data", p.packet.data}};
  }
  if (q == "unbonding_entries") {
    const std::string consumer = s.Str("consumer");
    MESH_ASSIGN_OR_RETURN(provider::Stake st,
                          net_->ExternalStake(s.Str("provider"), s.Str("user"), consumer,
                                              s.Str("validator")));
    std::vector<std::string> out;
    for (const provider::PendingUnbond& u : st.pending_unbonds) {
      out.push_back(absl::StrCat(u.amount.ToString(), "@", u.release_at_ns / kNanosPerSecond));
    }
    return Fields{{"entries", absl::StrJoin(out, ",")}};
  }
  if (q == "consumer_config" || q == "targets" || q == "validator_flags") {
    return QueryConsumerExtra(s);
  }
  const std::string chain = s.Str("chain");
  const Context c = net_->ctx(chain);
  if (q == "delegation") {
    AccountAddress who;
    if (s.Has("user")) {
      who = net_->Address(chain, s.Str("user"));
    } else {
      MESH_ASSIGN_OR_RETURN(who, consumer::VirtualStaking::VirtualAccount(
                                     c, consumer::ProviderId(s.Str("provider"))));
    }
    const ValidatorAddress v = net_->Valoper(chain, s.Str("validator"));
    MESH_ASSIGN_OR_RETURN(std::optional<staking::Delegation> d,
                          staking::Staking::GetDelegation(c, who, v));
    if (!d.has_value()) return Fields{{"shares", "0"}, {"tokens", "0"}};
    MESH_ASSIGN_OR_RETURN(Amount tokens, staking::Staking::DelegationTokens(c, who, v));
    return Fields{{"shares", d->shares.ToString()}, {"tokens", tokens.ToString()}};
  }
  if (q == "module_balance") {
    const Denom denom(s.Str("denom", net_->chain_spec(chain).denom.value()));
    MESH_ASSIGN_OR_RETURN(Amount a, staking::Bank::Balance(
                                        c, AccountAddress("module/" + s.Str("module")), denom));
    return Fields{{"amount", a.ToString()}};
  }
  if (q == "claims") {
    MESH_ASSIGN_OR_RETURN(std::vector<provider::Claim> claims,
                          provider::Vault::AccountClaims(c, net_->Address(chain, s.Str("user"))));
    std::vector<std::string> out;
    for (const provider::Claim& cl : claims) {
      out.push_back(absl::StrCat(cl.holder.local ? "local" : cl.holder.consumer.value(), ":",
                                 Range(cl.amount)));
    }
    return Fields{{"claims", absl::StrJoin(out, ",")}};
  }
  return absl::InvalidArgumentError("unknown query " + q);
}

absl::StatusOr<Fields> Runner::QueryConsumerExtra(const Step& s) {
  const std::string chain = s.Str("consumer");
  const Context c = net_->ctx(chain);
  if (s.query == "validator_flags") {
    MESH_ASSIGN_OR_RETURN(consumer::ValidatorStatus st,
                          consumer::VirtualStaking::GetValidatorStatus(
                              c, net_->Valoper(chain, s.Str("validator"))));
    return Fields{{"inactive", BoolText(st.inactive)}, {"tombstoned", BoolText(st.tombstoned)}};
  }
  const consumer::ProviderId p(s.Str("provider"));
  if (s.query == "targets") {
    const ValidatorAddress v = net_->Valoper(chain, s.Str("validator"));
    MESH_ASSIGN_OR_RETURN(Amount target, consumer::internal::GetAmount(c, consumer::internal::kBondedPrefix, p, v));
    MESH_ASSIGN_OR_RETURN(Amount request, consumer::VirtualStaking::BondRequest(c, p, v));
    return Fields{{"target", target.ToString()}, {"bond_request", request.ToString()}};
  }
  MESH_ASSIGN_OR_RETURN(consumer::ProviderConfig cfg, consumer::Consumer::GetConfig(c, p));
  MESH_ASSIGN_OR_RETURN(consumer::ModuleParams params, consumer::Consumer::GetParams(c));
  absl::StatusOr<Dec> price = consumer::PriceFeed::Price(c, p);
  return Fields{{"remote_denom", cfg.remote_denom.value()},
                {"price_adjustment", cfg.price_adjustment.ToString()},
                {"price", price.ok() ? price->ToString() : "stale"},
                {"price_ttl_s", absl::StrCat(cfg.price_ttl_s)},
                {"max_retrieve", absl::StrCat(cfg.max_retrieve)},
                {"epoch_length", absl::StrCat(params.epoch_length)},
                {"total_max_cap", params.total_max_cap.ToString()}};
}

// ---------------------------------------------------------------- run

Report RunScenario(const Scenario& scenario, const RunOptions& options) {
  Report report;
  report.name = scenario.name;
  report.total_steps = static_cast<int>(scenario.steps.size());
  absl::StatusOr<std::unique_ptr<Runner>> runner = Runner::Create(scenario, options);
  if (!runner.ok()) {
    report.setup_error = runner.status().ToString();
    return report;
  }
  const std::string first = scenario.network.chains.empty() ? "" : scenario.network.chains[0].id;
  for (const Step& step : scenario.steps) {
    StepResult r = (*runner)->Execute(step);
    if (!first.empty()) r.height = (*runner)->network().ctx(first).height();
    report.steps.push_back(std::move(r));
    if (!report.steps.back().ok && !options.keep_going) break;
  }
  return report;
}

}  // namespace mesh::scenario
