#include "apps/scenario/random_mode.h"

#include <algorithm>
#include <deque>
#include <map>
#include <set>
#include <filesystem>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "apps/scenario/runner.h"
#include "core/status.h"
#include "mesh/provider/ccv.h"
#include "mesh/provider/consumer_evidence.h"
#include "staking/staking.h"
#include "tests/harness/network.h"

namespace mesh::scenario {
namespace {

using harness::Network;

// SplitMix64: tiny, portable, fully specified (unlike <random> distributions).
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  uint64_t Below(uint64_t n) { return n == 0 ? 0 : Next() % n; }
  bool OneIn(uint64_t n) { return Below(n) == 0; }
  template <typename T>
  const T& Pick(const std::vector<T>& v) { return v[Below(v.size())]; }

 private:
  uint64_t state_;
};

const char* const kValidators[] = {"v0", "v1", "v2", "v3"};

// The chains of the random mesh are "chain<letter>"; these two are
// consumers of replicated / opt-in links only.
constexpr char kReplicatedChain[] = "zrep";
constexpr char kOptInChain[] = "zopt";

void AddCcvChains(const RandomOptions& o, harness::NetworkSpec& spec) {
  for (const char* id : {kReplicatedChain, kOptInChain}) {
    harness::ChainSpec c;
    c.id = id;
    c.prefix = id;
    c.denom = Denom(std::string("u") + id);
    c.staking.power_reduction = 1;
    c.validators = {{"n0", Amount(1000000), Dec::Zero()}};
    c.accounts = {{"gov", Amount(1)}, {"oracle", Amount(1)}};
    c.liveness.signed_blocks_window = 20;
    spec.chains.push_back(std::move(c));
  }
  harness::LinkSpec rep;
  rep.provider = "chaina";
  rep.consumer = kReplicatedChain;
  rep.mode = provider::LinkMode::kReplicated;
  rep.blocks_per_epoch = 5;
  rep.downtime_slash_fraction = o.ccv_downtime_slash_fraction;
  rep.downtime_jail_s = 60;
  spec.links.push_back(rep);
  harness::LinkSpec opt;
  opt.provider = "chainb";
  opt.consumer = kOptInChain;
  opt.mode = provider::LinkMode::kOptIn;
  opt.blocks_per_epoch = 5;
  opt.top_n = 0;
  opt.validators_power_cap = 40;
  opt.opted_in = {"v0", "v1", "v2"};
  spec.links.push_back(opt);
}

harness::NetworkSpec MakeSpec(const RandomOptions& o) {
  harness::NetworkSpec spec;
  for (int i = 0; i < o.chains; ++i) {
    harness::ChainSpec c;
    const std::string letter(1, static_cast<char>('a' + i));
    c.id = "chain" + letter;
    c.prefix = "mesh" + letter;
    c.denom = Denom("u" + letter + "tok");
    c.staking.power_reduction = 1;
    c.staking.unbonding_time_s = 3600;
    c.staking.downtime_jail_duration_s = 60;
    c.staking.max_validators = 4;  // a validator that joins pushes the weakest out
    for (const char* v : kValidators) c.validators.push_back({v, Amount(1000000), Dec::Zero()});
    for (int u = 0; u < o.users; ++u) c.accounts.emplace_back(absl::StrCat("user", u), Amount(1000000));
    c.accounts.emplace_back("gov", Amount(1));
    c.accounts.emplace_back("oracle", Amount(1));
    c.epoch_length = 5;
    spec.chains.push_back(std::move(c));
  }
  for (const auto& p : spec.chains) {
    for (const auto& c : spec.chains) {
      if (p.id == c.id) continue;
      harness::LinkSpec l;
      l.provider = p.id;
      l.consumer = c.id;
      l.price = Dec::FromRaw(Dec::kOne / 2);
      l.discount = Dec::FromRaw(Dec::kOne / 10);
      l.unbonding_period_s = 600;
      spec.links.push_back(l);
    }
  }
  if (o.link_modes) AddCcvChains(o, spec);
  return spec;
}

bool IsBug(const absl::Status& s) {
  return s.code() == absl::StatusCode::kInternal || s.code() == absl::StatusCode::kDataLoss ||
         s.code() == absl::StatusCode::kUnknown;
}

class Sim {
 public:
  Sim(const RandomOptions& o, Network& net, RandomStats& stats, std::ostream& log)
      : o_(o), net_(net), stats_(stats), log_(log), rng_(o.seed) {
    for (const auto& c : MakeSpec(o).chains) {
      if (c.id == kReplicatedChain || c.id == kOptInChain) continue;
      chains_.push_back(c.id);
      for (const char* v : kValidators) validators_[c.id].push_back(v);
    }
    for (int u = 0; u < o.users; ++u) users_.push_back(absl::StrCat("user", u));
  }
  absl::Status Block();
  const std::deque<std::string>& recent() const { return recent_; }
  // Records which validators of every chain are bonded and not jailed at
  // the current height (evidence can only name those; see Evidence).
  absl::Status RecordSigners();

 private:
  absl::Status Action();
  absl::Status Unstake(const std::string& c, const std::string& u, const std::string& o);
  absl::Status Relayer();
  absl::Status Evidence(const std::string& c, uint64_t roll);
  absl::Status JoinValidator();
  absl::Status CcvAction();
  absl::Status Watcher();
  absl::Status Record(const std::string& what, absl::Status s);
  std::string OtherChain(const std::string& c) {
    std::string o;
    do o = rng_.Pick(chains_); while (o == c);
    return o;
  }
  // Mostly a validator that is not tombstoned, sometimes any.
  std::string Val(const std::string& chain) {
    std::vector<std::string> live = Live(chain);
    if (live.empty() || rng_.OneIn(5)) return rng_.Pick(validators_[chain]);
    return rng_.Pick(live);
  }
  std::vector<std::string> Live(const std::string& chain) {
    std::vector<std::string> out;
    for (const std::string& v : validators_[chain]) {
      absl::StatusOr<staking::Validator> val = net_.Validator(chain, v);
      if (val.ok() && !val->tombstoned) out.push_back(v);
    }
    return out;
  }
  Amount Amt(uint64_t max) { return Amount(1 + rng_.Below(max)); }

  const RandomOptions& o_;
  Network& net_;
  RandomStats& stats_;
  std::ostream& log_;
  Rng rng_;
  std::vector<std::string> chains_;
  std::map<std::string, std::vector<std::string>> validators_;  // chain -> names
  std::vector<std::string> users_;
  std::deque<std::string> recent_;
  int relay_paused_ = 0;  // blocks left with auto-relay off
  std::string silent_;    // link_modes: the chaina validator not signing on zrep
  // chain -> height -> validators bonded and unjailed at the end of that block.
  std::map<std::string, std::map<uint64_t, std::vector<std::string>>> signers_;
};

absl::Status Sim::RecordSigners() {
  for (const std::string& c : chains_) {
    const Context ctx = net_.ctx(c);
    std::vector<std::string>& now = signers_[c][ctx.height()];
    now.clear();
    for (const std::string& v : validators_[c]) {
      MESH_ASSIGN_OR_RETURN(std::optional<staking::Validator> val,
                            staking::Staking::GetValidator(ctx, net_.Valoper(c, v)));
      if (val.has_value() && val->IsBonded() && !val->jailed) now.push_back(v);
    }
    auto& heights = signers_[c];
    while (heights.size() > 12) heights.erase(heights.begin());
  }
  return absl::OkStatus();
}

// Misbehaviour evidence as CometBFT would produce it: only for a validator
// that was in the active set at the infraction height (a jailed or unbonded
// validator signs nothing, so it can neither double-sign nor miss blocks).
// signers_[c][h] is the set that signs block h (bonded and unjailed when
// block h opens); the validator must also still be in it when block h + 1
// opens: the provider's validator history dates a jail in block h from h
// (reference CRDT), so evidence for the block it was jailed in would be
// refused there although the consumer slashes it.
absl::Status Sim::Evidence(const std::string& c, uint64_t roll) {
  const auto& heights = signers_[c];
  std::vector<std::pair<uint64_t, std::string>> candidates;
  for (auto it = heights.begin(); it != heights.end(); ++it) {
    auto next = std::next(it);
    if (next == heights.end() || next->first != it->first + 1) continue;
    for (const std::string& v : it->second) {
      if (std::find(next->second.begin(), next->second.end(), v) != next->second.end()) {
        candidates.emplace_back(it->first, v);
      }
    }
  }
  if (candidates.empty()) return absl::OkStatus();
  const auto& [at, v] = rng_.Pick(candidates);
  if (roll < 98) {
    return Record(absl::StrCat("downtime ", c, "/", v, " @", at), net_.Downtime(c, v, at));
  }
  if (!rng_.OneIn(20)) return absl::OkStatus();  // double signs (tombstones) stay rare
  return Record(absl::StrCat("double_sign ", c, "/", v, " @", at), net_.DoubleSign(c, v, at));
}

absl::Status Sim::Record(const std::string& what, absl::Status s) {
  recent_.push_back(absl::StrCat("h", net_.ctx(chains_[0]).height(), " ", what, " -> ",
                                 s.ok() ? "ok" : s.ToString()));
  if (recent_.size() > 200) recent_.pop_front();
  if (o_.trace) log_ << "  " << recent_.back() << "\n";
  const std::string kind = what.substr(0, what.find(' '));
  if (s.ok()) {
    ++stats_.ok[kind];
    return s;
  }
  if (IsBug(s)) return s;
  ++stats_.rejected[kind];
  return absl::OkStatus();
}

// Unstakes part of an existing committed stake of `u` (so that most unstakes
// are meaningful), or tries an arbitrary one when there is none.
absl::Status Sim::Unstake(const std::string& c, const std::string& u, const std::string& o) {
  std::string v = Val(o);
  Amount a = Amt(10000);
  for (const std::string& cand : validators_[o]) {
    absl::StatusOr<provider::Stake> st = net_.ExternalStake(c, u, o, cand);
    if (st.ok() && !st->stake.low().IsZero()) {
      v = cand;
      a = Amount(1 + rng_.Below(static_cast<uint64_t>(st->stake.low().raw())));
      break;
    }
  }
  return Record(absl::StrCat("unstake ", c, "/", u, " ", o, "/", v, " ", a.ToString()),
                net_.UnstakeRemote(c, u, o, v, a));
}

absl::Status Sim::Action() {
  const std::string c = rng_.Pick(chains_);
  const std::string u = rng_.Pick(users_);
  const std::string o = OtherChain(c);
  const std::string v = Val(c);   // a validator of c (local stake, jail)
  const std::string vo = Val(o);  // a validator of o (remote stake)
  const uint64_t roll = rng_.Below(100);
  if (roll < 18) {
    Amount a = Amt(50000);
    return Record(absl::StrCat("bond ", c, "/", u, " ", a.ToString()), net_.Bond(c, u, a));
  }
  if (roll < 24) {
    Amount a = Amt(20000);
    return Record(absl::StrCat("unbond ", c, "/", u, " ", a.ToString()), net_.Unbond(c, u, a));
  }
  if (roll < 34) {
    Amount a = Amt(20000);
    return Record(absl::StrCat("stake_local ", c, "/", u, " ", v, " ", a.ToString()),
                  net_.StakeLocal(c, u, v, a));
  }
  if (roll < 54) {
    Amount a = Amt(20000);
    return Record(absl::StrCat("stake_remote ", c, "/", u, " ", o, "/", vo, " ", a.ToString()),
                  net_.StakeRemote(c, u, o, vo, a));
  }
  if (roll < 64) return Unstake(c, u, o);
  if (roll < 70) {
    return Record(absl::StrCat("withdraw_unbonded ", c, "/", u, " ", o),
                  net_.WithdrawUnbonded(c, u, o));
  }
  if (roll < 75) {
    return Record(absl::StrCat("withdraw_rewards ", c, "/", u, " ", o, "/", v),
                  net_.WithdrawRewards(c, u, o, v));
  }
  if (roll < 82) {
    Amount a = Amt(100000);
    return Record(absl::StrCat("allocate_rewards ", c, " ", a.ToString()),
                  net_.AllocateRewards(c, a));
  }
  if (roll < 85 && o_.price_changes) {
    const Dec price = Dec::FromRaw(Dec::kOne / 10 * static_cast<int64_t>(1 + rng_.Below(30)));
    return Record(absl::StrCat("set_price ", c, "<-", o, " ", price.ToString()),
                  net_.SetPrice(c, o, price));
  }
  if (roll < 87) {
    const Amount cap = rng_.OneIn(4) ? Amount(0) : Amt(1000000000);
    return Record(absl::StrCat("set_max_cap ", c, "<-", o, " ", cap.ToString()),
                  net_.SetMaxCap(c, o, cap));
  }
  if (!o_.misbehaviour) return absl::OkStatus();
  if (roll < 92) return Record(absl::StrCat("unjail ", c, "/", v), net_.Unjail(c, v));
  if (roll < 94) return Record(absl::StrCat("jail ", c, "/", v), net_.Jail(c, v));
  return Evidence(c, roll);
}

// Occasionally stops relaying for a few blocks and meddles with the packets
// in flight (error acks, reverse-order delivery).
absl::Status Sim::Relayer() {
  if (relay_paused_ > 0) {
    if (--relay_paused_ == 0) net_.set_auto_relay(true);
  } else if (rng_.OneIn(20)) {
    relay_paused_ = 1 + static_cast<int>(rng_.Below(5));
    net_.set_auto_relay(false);
  }
  if (relay_paused_ == 0) return absl::OkStatus();
  const std::string a = rng_.Pick(chains_);
  const std::string b = OtherChain(a);
  absl::StatusOr<std::vector<ibc::InFlight>> pending = net_.Pending(a, b);
  MESH_RETURN_IF_ERROR(pending.status());
  if (pending->empty()) return absl::OkStatus();
  ibc::Relayer& r = net_.relayer(a, b);
  if (rng_.OneIn(3)) {
    const ibc::InFlight& p = (*pending)[rng_.Below(pending->size())];
    return Record(absl::StrCat("error_ack ", a, "<->", b, " from ", p.packet.source_port.value(), " seq ", p.packet.sequence, " ",
                               p.packet.data.substr(0, 60)),
                  r.DeliverErrorAck(p, absl::InvalidArgumentError("random error ack")).status());
  }
  if (rng_.OneIn(3)) {
    return Record(absl::StrCat("reorder ", a, "<->", b), r.RelayPendingReversed().status());
  }
  return absl::OkStatus();
}

// Now and then a new validator joins a chain that has fewer than 6 validators
// not tombstoned, with a self bond around the others' (the active set holds
// 4, so it may push the weakest out, which the consumers report to their
// providers as a removal).
absl::Status Sim::JoinValidator() {
  const std::string c = rng_.Pick(chains_);
  std::vector<std::string>& names = validators_[c];
  if (names.size() >= 64 || Live(c).size() >= 6) return absl::OkStatus();
  const std::string name = absl::StrCat("v", names.size());
  const Amount bond(500000 + rng_.Below(1500000));
  absl::Status s = Record(absl::StrCat("create_validator ", c, "/", name, " ", bond.ToString()),
                          net_.CreateValidator(c, name, bond, Dec::Zero()));
  if (s.ok() && net_.Validator(c, name).ok()) names.push_back(name);
  return s;
}

// An honest watcher: a double sign a consumer reported on a link with
// require_verified_evidence (the default) is held by the provider until
// verified evidence arrives (docs/shared-security.md, P-38). Now and then
// a user of the provider submits the two conflicting votes of one held
// report, signed with the validator's own consensus key, so held reports
// are applied after a random delay.
absl::Status Sim::Watcher() {
  for (const harness::LinkSpec& l : net_.links()) {
    if (l.mode != provider::LinkMode::kMesh || !l.require_verified_evidence) continue;
    for (const std::string& v : validators_[l.consumer]) {
      MESH_ASSIGN_OR_RETURN(std::vector<provider::RemoteSlash> held,
                            provider::ConsumerEvidence::HeldReports(
                                net_.ctx(l.provider), provider::ConsumerId(l.consumer),
                                net_.Valoper(l.consumer, v)));
      if (held.empty() || !rng_.OneIn(3)) continue;
      const uint64_t at = held.front().infraction_height;
      MESH_RETURN_IF_ERROR(Record(
          absl::StrCat("evidence ", l.provider, " <- ", l.consumer, "/", v, " @", at),
          net_.SubmitConsumerDoubleVote(l.provider, l.consumer, v, rng_.Pick(users_), at, v)));
    }
  }
  return absl::OkStatus();
}

// Opt-ins / opt-outs on chainb's opt-in consumer, and chaina validators that
// stop (or resume) signing on its replicated consumer.
absl::Status Sim::CcvAction() {
  const uint64_t roll = rng_.Below(100);
  if (roll < 40) {
    const std::string v = Val("chainb");
    return Record(absl::StrCat("opt_in chainb/", v, " ", kOptInChain),
                  net_.OptIn("chainb", v, kOptInChain));
  }
  if (roll < 70) {
    const std::string v = Val("chainb");
    return Record(absl::StrCat("opt_out chainb/", v, " ", kOptInChain),
                  net_.OptOut("chainb", v, kOptInChain));
  }
  // One validator at a time stays silent (a live chain keeps > 2/3 signing).
  const bool on = !silent_.empty();
  const std::string v = on ? silent_ : Val("chaina");
  absl::StatusOr<std::string> key = net_.ConsensusKey("chaina", v);
  if (!key.ok()) return Record(absl::StrCat("signing chaina/", v), key.status());
  net_.SetSigning(kReplicatedChain, *key, on);
  silent_ = on ? "" : v;
  return Record(absl::StrCat("signing chaina/", v, " on ", kReplicatedChain, on ? " on" : " off"),
                absl::OkStatus());
}

absl::Status Sim::Block() {
  const int actions = static_cast<int>(rng_.Below(2 * static_cast<uint64_t>(o_.chains) + 1));
  for (int i = 0; i < actions; ++i) MESH_RETURN_IF_ERROR(Action());
  if (o_.link_modes && rng_.OneIn(4)) MESH_RETURN_IF_ERROR(CcvAction());
  if (o_.misbehaviour && rng_.OneIn(40)) MESH_RETURN_IF_ERROR(JoinValidator());
  if (o_.misbehaviour) MESH_RETURN_IF_ERROR(Watcher());
  MESH_RETURN_IF_ERROR(Relayer());
  MESH_RETURN_IF_ERROR(net_.AdvanceBlock());
  return RecordSigners();
}

}  // namespace

absl::Status SetRandomCounts(uint64_t blocks, uint64_t chains, uint64_t users,
                             RandomOptions& o) {
  if (blocks < 1 || blocks > INT32_MAX) {
    return absl::InvalidArgumentError(absl::StrCat("--blocks must be 1..", INT32_MAX, ", got ",
                                                   blocks));
  }
  if (chains < 2 || chains > 26) {
    return absl::InvalidArgumentError(absl::StrCat("--chains must be 2..26, got ", chains));
  }
  if (users < 1 || users > 1000) {
    return absl::InvalidArgumentError(absl::StrCat("--users must be 1..1000, got ", users));
  }
  o.blocks = static_cast<int>(blocks);
  o.chains = static_cast<int>(chains);
  o.users = static_cast<int>(users);
  return absl::OkStatus();
}

absl::Status RunRandom(const RandomOptions& o, std::ostream& log, RandomStats* stats) {
  RandomOptions checked;  // the same range checks as the command line
  MESH_RETURN_IF_ERROR(SetRandomCounts(static_cast<uint64_t>(std::max(o.blocks, 0)),
                                       static_cast<uint64_t>(std::max(o.chains, 0)),
                                       static_cast<uint64_t>(std::max(o.users, 0)), checked));
  log << "random mode: seed " << o.seed << ", " << o.blocks << " blocks, " << o.chains
      << " chains, " << o.users << " users per chain"
      << (o.link_modes ? ", plus replicated and opt-in consumers" : "") << "\n";
  harness::NetworkSpec spec = MakeSpec(o);
  spec.link_agreement_tolerance =
      o.tolerance_set ? o.link_tolerance : std::optional<Amount>(Amount(0));
  log << "link agreement tolerance: "
      << (spec.link_agreement_tolerance ? spec.link_agreement_tolerance->ToString() : "unbounded")
      << " (provider minus consumer on every validator of a quiet link; the consumer never "
         "above)\n";
  if (!o.data_dir.empty()) {
    for (harness::ChainSpec& c : spec.chains) {
      c.rocksdb_dir = (std::filesystem::path(o.data_dir) / c.id).string();
      MESH_RETURN_IF_ERROR(PrepareDir(c.rocksdb_dir));
    }
  }
  MESH_ASSIGN_OR_RETURN(std::unique_ptr<Network> net, Network::Create(std::move(spec)));
  RandomStats local;
  RandomStats& st = stats != nullptr ? *stats : local;
  Sim sim(o, *net, st, log);
  for (int b = 1; b <= o.blocks; ++b) {
    absl::Status s = sim.Block();
    if (!s.ok()) {
      log << "FAILED at block " << b << " (seed " << o.seed << "): " << s << "\nlast actions:\n";
      for (const std::string& a : sim.recent()) log << "  " << a << "\n";
      return absl::Status(s.code(), absl::StrCat("seed ", o.seed, " block ", b, ": ", s.message()));
    }
    st.blocks = b;
    if (o.on_block) o.on_block(b);
    if (o.progress_every > 0 && b % o.progress_every == 0) {
      log << "block " << b << ": invariants hold\n";
    }
  }
  log << "PASSED: " << st.blocks << " blocks, every invariant held after every block\n";
  if (o.link_modes) {
    MESH_ASSIGN_OR_RETURN(st.ccv_burned, provider::CcvProvider::Burned(net->ctx("chaina")));
    MESH_ASSIGN_OR_RETURN(st.ccv_jailings, provider::CcvProvider::Punishments(net->ctx("chaina")));
    MESH_ASSIGN_OR_RETURN(auto rep, net->ConsensusSet(kReplicatedChain));
    MESH_ASSIGN_OR_RETURN(auto opt, net->ConsensusSet(kOptInChain));
    st.replicated_set = rep.size();
    st.opt_in_set = opt.size();
    log << "  link modes: " << st.ccv_jailings << " chaina validators jailed for downtime on "
        << kReplicatedChain << " (burned " << st.ccv_burned.ToString() << "); consensus sets: " << kReplicatedChain
        << " " << rep.size() << ", " << kOptInChain << " " << opt.size() << " validators\n";
  }
  for (const auto& [kind, n] : st.ok) {
    log << "  " << kind << ": " << n << " ok, " << st.rejected[kind] << " rejected\n";
  }
  for (const auto& [kind, n] : st.rejected) {
    if (!st.ok.contains(kind)) log << "  " << kind << ": 0 ok, " << n << " rejected\n";
  }
  return absl::OkStatus();
}

}  // namespace mesh::scenario
