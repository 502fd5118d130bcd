#include "apps/scenario/runner.h"

#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/json.h"
#include "core/status.h"
#include "mesh/consumer/consumer.h"
#include "mesh/consumer/virtual_staking.h"
#include "mesh/provider/external_staking.h"
#include "mesh/provider/local_staking.h"
#include "mesh/provider/remote_validators.h"
#include "mesh/provider/vault.h"
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
  if (!options.data_dir.empty()) {
    for (harness::ChainSpec& c : spec.chains) {
      c.rocksdb_dir = (std::filesystem::path(options.data_dir) / c.id).string();
      MESH_RETURN_IF_ERROR(PrepareDir(c.rocksdb_dir));
    }
  }
  const bool auto_relay = spec.auto_relay;
  MESH_ASSIGN_OR_RETURN(std::unique_ptr<Network> net, Network::Create(std::move(spec)));
  return std::unique_ptr<Runner>(new Runner(std::move(net), auto_relay));
}

// ---------------------------------------------------------------- steps

namespace {

// Judges an action's outcome against the step's `expect_error`. Internal,
// DataLoss and Unknown errors (broken invariants, store failures) are never
// an expected rejection.
void JudgeAction(const Step& step, const absl::StatusOr<std::string>& done, StepResult& r) {
  const Json* want = step.args.Find("expect_error");
  const bool expect_error =
      want != nullptr && !(want->kind() == Json::Kind::kBool && !want->AsBool().value());
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
  const std::string needle = want->kind() == Json::Kind::kString ? want->text() : "";
  r.ok = !bug && absl::StrContains(done.status().ToString(), needle);
  r.detail = "rejected as expected: " + done.status().ToString();
  if (!r.ok) {
    r.error = absl::StrCat(bug ? "not a rejection: " : "error does not contain \"" + needle + "\": ",
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
  if (a == "advance") {
    if (s.Has("seconds")) {
      MESH_RETURN_IF_ERROR(net_->AdvanceTime(s.U64("seconds")));
      return absl::StrCat("one block of ", s.U64("seconds"), " s");
    }
    const uint64_t n = s.U64("blocks", 1);
    MESH_RETURN_IF_ERROR(net_->AdvanceBlocks(static_cast<int>(n)));
    return absl::StrCat(n, " block(s)");
  }
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
  MESH_RETURN_IF_ERROR(
      net_->CreateValidator(chain, val, s.Amt("self_bond"), s.Decimal("commission")));
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
    MESH_RETURN_IF_ERROR(net_->Tx(s.Str("chain"), user, "local/withdraw_unbonded", "{}"));
  } else {
    // Messages with a (validator, amount) body on `chain`.
    const std::string type = a == "unstake_local" ? "local/unstake"
                             : a == "delegate"    ? "staking/delegate"
                                                  : "staking/undelegate";
    const std::string body = absl::StrCat(
        R"({"validator":)", Quote(net_->Valoper(s.Str("chain"), s.Str("validator")).value()),
        R"(,"amount":")", s.Amt("amount").ToString(), "\"}");
    MESH_RETURN_IF_ERROR(net_->Tx(s.Str("chain"), user, type, body));
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
  if (a == "double_sign") MESH_RETURN_IF_ERROR(net_->DoubleSign(chain, val, height));
  if (a == "downtime") MESH_RETURN_IF_ERROR(net_->Downtime(chain, val, height));
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
    MESH_RETURN_IF_ERROR(r.RelayAck(p).status());
    return absl::StrCat(seq, " delivered, ack ",
                        got.app_status.ok() ? "success" : "error: " + got.app_status.ToString(),
                        " relayed back");
  }
  if (a == "error_ack") {
    const std::string why = s.Str("error", "rejected by the scenario");
    MESH_RETURN_IF_ERROR(r.DeliverErrorAck(p, absl::InvalidArgumentError(why)).status());
    return seq + " answered with an error ack";
  }
  // duplicate: deliver once (ack left pending), then again; must be refused.
  MESH_RETURN_IF_ERROR(r.RelayPacket(p).status());
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
    net_->set_auto_relay(false);
    absl::Status st = net_->AdvanceTime(secs);
    net_->set_auto_relay(auto_relay_);
    MESH_RETURN_IF_ERROR(st);
  }
  MESH_RETURN_IF_ERROR(net_->relayer(s.Str("from"), to).TimeOut(p).status());
  return absl::StrCat("packet seq ", p.packet.sequence, " timed out after ", blocks,
                      " block(s) without relaying");
}

// ---------------------------------------------------------------- expectations

void Runner::Expect(const Step& s, StepResult& r) {
  absl::StatusOr<Fields> got = Query(s);
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
  return QueryChain(s);
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
  if (q == "pending_txs") {
    if (!s.Has("consumer")) {
      MESH_ASSIGN_OR_RETURN(auto txs, provider::Vault::AllPendingTxsDesc(c));
      return Fields{{"count", absl::StrCat(txs.size())}};
    }
    MESH_ASSIGN_OR_RETURN(auto txs, provider::ExternalStaking::AllPendingTxsDesc(
                                        c, ConsumerId(s.Str("consumer"))));
    return Fields{{"count", absl::StrCat(txs.size())}};
  }
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
                {"tombstoned", BoolText(v.tombstoned)}};
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
    if (!report.steps.back().ok) break;
  }
  return report;
}

}  // namespace mesh::scenario
