#include "mesh/provider/ccv.h"

#include <algorithm>
#include <iterator>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/codec.h"
#include "core/status.h"
#include "mesh/provider/ccv_internal.h"
#include "mesh/provider/consumer_keys.h"
#include "staking/staking.h"

namespace mesh::provider {
namespace {

using staking::Staking;

constexpr uint8_t kConfig = 0xB0;      // str consumer -> CcvConfig
constexpr uint8_t kOptedIn = 0xB1;     // str consumer, str valoper -> ""
constexpr uint8_t kGlobal = 0xB2;      // u8 1 -> u64 current vscID (absent = 1);
                                       // u8 2 -> amount burned by consumer slashes;
                                       // u8 3 -> u64 consumer-downtime jailings
constexpr uint8_t kVscToH = 0xB3;      // u64 vscID -> u64 height
constexpr uint8_t kSet = 0xB4;         // str consumer, str valoper -> bytes key, u64 power
constexpr uint8_t kPending = 0xB5;     // str consumer, u64 vscID -> VscRecord
constexpr uint8_t kSlashAcks = 0xB6;   // str consumer, bytes address -> ""
constexpr uint8_t kState = 0xB7;       // str consumer -> CcvConsumerState
constexpr uint8_t kRemovals = 0xE8;    // u64 remove_at_s, str consumer -> ""
constexpr uint8_t kPendingInfraction = 0xE9;  // str consumer -> u64 effective_s, dec, u64
constexpr uint8_t kPendingShaping = 0xEA;     // str consumer -> LinkUpdate (shaping only)

std::string Key(uint8_t t, const ConsumerId& c) { return Encoder(t).Str(c.value()).Take(); }

void EncodeList(Encoder& e, const std::vector<ValidatorAddress>& list) {
  e.U32(static_cast<uint32_t>(list.size()));
  for (const ValidatorAddress& v : list) e.Str(v.value());
}

absl::StatusOr<std::vector<ValidatorAddress>> DecodeList(Decoder& d) {
  MESH_ASSIGN_OR_RETURN(uint32_t n, d.U32());
  std::vector<ValidatorAddress> out;
  for (uint32_t i = 0; i < n; ++i) {
    MESH_ASSIGN_OR_RETURN(std::string s, d.Str());
    out.emplace_back(std::move(s));
  }
  return out;
}

std::string EncodeConfig(const CcvConfig& c) {
  Encoder e;
  e.U8(static_cast<uint8_t>(c.mode)).U64(c.blocks_per_epoch).U32(c.shaping.top_n);
  e.U32(c.shaping.validators_power_cap).U32(c.shaping.validator_set_cap);
  EncodeList(e, c.shaping.allowlist);
  EncodeList(e, c.shaping.denylist);
  e.Amt(c.shaping.min_stake).Decimal(c.downtime_slash_fraction).U64(c.downtime_jail_s);
  EncodeList(e, c.shaping.prioritylist);
  e.Bool(c.shaping.allow_inactive_vals);
  // Written only when set, so configs without the option keep their bytes.
  if (c.unbonding_waits_for_maturity) e.Bool(true);
  return e.Take();
}

absl::StatusOr<CcvConfig> DecodeConfig(std::string_view raw) {
  Decoder d(raw);
  CcvConfig c;
  MESH_ASSIGN_OR_RETURN(uint8_t mode, d.U8());
  c.mode = static_cast<LinkMode>(mode);
  MESH_ASSIGN_OR_RETURN(c.blocks_per_epoch, d.U64());
  MESH_ASSIGN_OR_RETURN(c.shaping.top_n, d.U32());
  MESH_ASSIGN_OR_RETURN(c.shaping.validators_power_cap, d.U32());
  MESH_ASSIGN_OR_RETURN(c.shaping.validator_set_cap, d.U32());
  MESH_ASSIGN_OR_RETURN(c.shaping.allowlist, DecodeList(d));
  MESH_ASSIGN_OR_RETURN(c.shaping.denylist, DecodeList(d));
  MESH_ASSIGN_OR_RETURN(c.shaping.min_stake, d.Amt());
  MESH_ASSIGN_OR_RETURN(c.downtime_slash_fraction, d.Decimal());
  MESH_ASSIGN_OR_RETURN(c.downtime_jail_s, d.U64());
  if (!d.AtEnd()) {  // absent in records written before the priority list
    MESH_ASSIGN_OR_RETURN(c.shaping.prioritylist, DecodeList(d));
    MESH_ASSIGN_OR_RETURN(c.shaping.allow_inactive_vals, d.Bool());
  }
  if (!d.AtEnd()) {  // written only when set
    MESH_ASSIGN_OR_RETURN(c.unbonding_waits_for_maturity, d.Bool());
  }
  MESH_RETURN_IF_ERROR(d.Finish());
  return c;
}

std::string EncodeVsc(const VscRecord& r) {
  Encoder e;
  e.U64(r.vsc_id).U32(static_cast<uint32_t>(r.updates.size()));
  for (const KeyPower& u : r.updates) e.Bytes(u.pub_key).I64(u.power);
  e.U32(static_cast<uint32_t>(r.slash_acks.size()));
  for (const std::string& a : r.slash_acks) e.Bytes(a);
  return e.Take();
}

absl::StatusOr<VscRecord> DecodeVsc(std::string_view raw) {
  Decoder d(raw);
  VscRecord r;
  MESH_ASSIGN_OR_RETURN(r.vsc_id, d.U64());
  MESH_ASSIGN_OR_RETURN(uint32_t n, d.U32());
  for (uint32_t i = 0; i < n; ++i) {
    KeyPower u;
    MESH_ASSIGN_OR_RETURN(u.pub_key, d.Bytes());
    MESH_ASSIGN_OR_RETURN(u.power, d.I64());
    r.updates.push_back(std::move(u));
  }
  MESH_ASSIGN_OR_RETURN(uint32_t m, d.U32());
  for (uint32_t i = 0; i < m; ++i) {
    MESH_ASSIGN_OR_RETURN(std::string a, d.Bytes());
    r.slash_acks.push_back(std::move(a));
  }
  MESH_RETURN_IF_ERROR(d.Finish());
  return r;
}

// Descending power, then address ascending: every ordering in this file.
bool ByPower(const ShapedValidator& a, const ShapedValidator& b) {
  if (a.power != b.power) return a.power > b.power;
  return a.validator < b.validator;
}

bool Contains(const std::vector<ValidatorAddress>& list, const ValidatorAddress& v) {
  return std::find(list.begin(), list.end(), v) != list.end();
}

// The `cap` validators the set cap keeps: those on the priority list first,
// then the rest, each group by descending power (ties: address ascending).
std::vector<ShapedValidator> KeepPrioritized(std::vector<ShapedValidator> v,
                                             const std::vector<ValidatorAddress>& priority,
                                             size_t cap) {
  std::sort(v.begin(), v.end(), [&](const ShapedValidator& a, const ShapedValidator& b) {
    const bool pa = Contains(priority, a.validator), pb = Contains(priority, b.validator);
    if (pa != pb) return pa;
    return ByPower(a, b);
  });
  if (v.size() > cap) v.resize(cap);
  return v;
}

absl::StatusOr<std::vector<SetCandidate>> BondedCandidates(const Context& ctx) {
  MESH_ASSIGN_OR_RETURN(staking::Params params, Staking::GetParams(ctx));
  MESH_ASSIGN_OR_RETURN(std::vector<staking::Validator> bonded, Staking::BondedValidators(ctx));
  std::vector<SetCandidate> out;
  for (const staking::Validator& v : bonded) {
    if (v.jailed) continue;
    out.push_back(SetCandidate{v.operator_address, v.ConsensusPower(params.power_reduction),
                               v.tokens});
  }
  return out;
}

// The candidates of a consumer set: the active (Bonded) unjailed validators
// and, with `include_inactive`, the unjailed, untombstoned ones ranked below
// the active set with their token power (PowerShaping::allow_inactive_vals).
absl::StatusOr<std::vector<SetCandidate>> ShapingCandidates(const Context& ctx,
                                                            bool include_inactive) {
  if (!include_inactive) return BondedCandidates(ctx);
  MESH_ASSIGN_OR_RETURN(staking::Params params, Staking::GetParams(ctx));
  MESH_ASSIGN_OR_RETURN(std::vector<staking::Validator> all, Staking::AllValidators(ctx));
  std::vector<SetCandidate> out;
  for (const staking::Validator& v : all) {
    if (v.jailed || v.tombstoned) continue;
    out.push_back(SetCandidate{v.operator_address, v.PotentialPower(params.power_reduction),
                               v.tokens, v.status == staking::BondStatus::kBonded});
  }
  return out;
}

absl::Status AddSlashAck(const Context& ctx, const ConsumerId& c, std::string_view address) {
  return ctx.store().Put(Encoder(kSlashAcks).Str(c.value()).Bytes(address).Take(), "");
}

absl::StatusOr<std::vector<std::string>> TakeSlashAcks(const Context& ctx, const ConsumerId& c) {
  const std::string prefix = Key(kSlashAcks, c);
  std::vector<std::string> keys, out;
  auto it = ctx.store().ScanPrefix(prefix);
  for (; it->Valid(); it->Next()) {
    Decoder d(it->key().substr(prefix.size()));
    MESH_ASSIGN_OR_RETURN(std::string a, d.Bytes());
    out.push_back(std::move(a));
    keys.emplace_back(it->key());
  }
  MESH_RETURN_IF_ERROR(it->status());
  it.reset();
  for (const std::string& k : keys) MESH_RETURN_IF_ERROR(ctx.store().Delete(k));
  return out;
}

absl::Status PutSet(const Context& ctx, const ConsumerId& c,
                    const std::vector<ConsumerValidator>& set) {
  MESH_RETURN_IF_ERROR(ctx.store().DeletePrefix(Key(kSet, c)));
  for (const ConsumerValidator& v : set) {
    MESH_RETURN_IF_ERROR(ctx.store().Put(Encoder(kSet).Str(c.value()).Str(v.validator.value()).Take(),
                                         Encoder().Bytes(v.consumer_key).U64(v.power).Take()));
  }
  return absl::OkStatus();
}

// The validator-update diff between two sets (absolute powers; a changed
// consumer key removes the old key and adds the new one), ordered by key.
std::vector<KeyPower> Diff(const std::vector<ConsumerValidator>& old_set,
                           const std::vector<ConsumerValidator>& new_set) {
  std::map<std::string, int64_t> old_keys, new_keys, out;
  for (const ConsumerValidator& v : old_set) old_keys[v.consumer_key] = static_cast<int64_t>(v.power);
  for (const ConsumerValidator& v : new_set) new_keys[v.consumer_key] = static_cast<int64_t>(v.power);
  for (const auto& [k, p] : old_keys) {
    if (!new_keys.contains(k)) out[k] = 0;
  }
  for (const auto& [k, p] : new_keys) {
    auto o = old_keys.find(k);
    if (o == old_keys.end() || o->second != p) out[k] = p;
  }
  std::vector<KeyPower> updates;
  for (const auto& [k, p] : out) updates.push_back(KeyPower{k, p});
  return updates;
}

absl::Status QueueVsc(const Context& ctx, const ConsumerId& c, const VscRecord& r) {
  return ctx.store().Put(Encoder(kPending).Str(c.value()).U64(r.vsc_id).Take(), EncodeVsc(r));
}

// One consumer at its epoch: opt in the top N, compute, diff, queue.
absl::StatusOr<bool> RunEpoch(const Context& ctx, const ConsumerId& c, const CcvConfig& cfg,
                              CcvConsumerState& st, uint64_t vsc_id) {
  MESH_ASSIGN_OR_RETURN(std::vector<SetCandidate> candidates,
                        ShapingCandidates(ctx, cfg.shaping.allow_inactive_vals));
  MESH_ASSIGN_OR_RETURN(std::set<ValidatorAddress> opted, CcvProvider::OptedIn(ctx, c));
  NextSet next = ComputeNextSet(candidates, cfg.shaping, opted);
  for (const ValidatorAddress& v : next.top_n) {
    MESH_RETURN_IF_ERROR(ctx.store().Put(Encoder(kOptedIn).Str(c.value()).Str(v.value()).Take(), ""));
  }
  std::vector<ConsumerValidator> new_set;
  for (const ShapedValidator& s : next.validators) {
    MESH_ASSIGN_OR_RETURN(std::optional<staking::Validator> v, Staking::GetValidator(ctx, s.validator));
    MESH_ASSIGN_OR_RETURN(std::string key, ConsumerKeyOf(ctx, c, *v));
    new_set.push_back(ConsumerValidator{s.validator, std::move(key), s.power});
  }
  // An opt-in consumer launches only with at least one validator.
  if (!st.launched && new_set.empty()) return false;
  MESH_ASSIGN_OR_RETURN(std::vector<ConsumerValidator> old_set, CcvProvider::ConsumerSet(ctx, c));
  VscRecord r;
  r.vsc_id = vsc_id;
  r.updates = Diff(old_set, new_set);
  MESH_ASSIGN_OR_RETURN(r.slash_acks, TakeSlashAcks(ctx, c));
  MESH_RETURN_IF_ERROR(PutSet(ctx, c, new_set));
  // Unbondings held for this consumer since its last VSC need one to mature.
  MESH_ASSIGN_OR_RETURN(bool hold_vsc, CcvProvider::TakeHoldVsc(ctx, c));
  if (r.updates.empty() && r.slash_acks.empty() && !hold_vsc) return true;
  st.launched = true;
  MESH_RETURN_IF_ERROR(QueueVsc(ctx, c, r));
  return true;
}

// ---- governance and removal (separate from the epoch code above)

absl::StatusOr<uint64_t> ProviderUnbondingSeconds(const Context& ctx) {
  MESH_ASSIGN_OR_RETURN(staking::Params params, Staking::GetParams(ctx));
  return params.unbonding_time_s;
}

std::string RemovalKey(uint64_t at_s, const ConsumerId& c) {
  return Encoder(kRemovals).U64(at_s).Str(c.value()).Take();
}

// The stopped consumer goes at t + the provider's unbonding time.
absl::Status ScheduleRemoval(const Context& ctx, const ConsumerId& c) {
  MESH_ASSIGN_OR_RETURN(uint64_t period, ProviderUnbondingSeconds(ctx));
  return ctx.store().Put(RemovalKey(ctx.time_seconds() + period, c), "");
}

struct DueEntry {
  std::string key;
  ConsumerId consumer;
};

// The removal entries whose time came, in (time, consumer) order.
absl::StatusOr<std::vector<DueEntry>> DueRemovals(const Context& ctx) {
  std::vector<DueEntry> out;
  const std::string prefix = Encoder(kRemovals).Take();
  auto it = ctx.store().ScanPrefix(prefix);
  for (; it->Valid(); it->Next()) {
    Decoder d(it->key().substr(prefix.size()));
    MESH_ASSIGN_OR_RETURN(uint64_t at, d.U64());
    if (at > ctx.time_seconds()) break;
    MESH_ASSIGN_OR_RETURN(std::string c, d.Str());
    out.push_back(DueEntry{std::string(it->key()), ConsumerId(std::move(c))});
  }
  MESH_RETURN_IF_ERROR(it->status());
  return out;
}

absl::StatusOr<std::vector<ConsumerId>> WithPendingInfraction(const Context& ctx) {
  return ccv_internal::ConsumersKeyedUnder(ctx, kPendingInfraction);
}

// A power-shaping update waiting for the consumer's next set computation
// goes into its config (and `cfg`) now.
absl::Status TakePendingShaping(const Context& ctx, const ConsumerId& c, CcvConfig& cfg) {
  MESH_ASSIGN_OR_RETURN(std::optional<std::string> raw, ctx.store().Get(Key(kPendingShaping, c)));
  if (!raw.has_value()) return absl::OkStatus();
  Decoder d(*raw);
  MESH_ASSIGN_OR_RETURN(LinkUpdate u, LinkUpdate::Decode(d));
  MESH_RETURN_IF_ERROR(d.Finish());
  if (u.shaping.has_value()) cfg.shaping = *u.shaping;
  MESH_RETURN_IF_ERROR(ctx.store().Put(Key(kConfig, c), EncodeConfig(cfg)));
  return ctx.store().Delete(Key(kPendingShaping, c));
}

// The config of a known consumer that is not stopped: NotFound for an
// unknown one, FailedPrecondition for a stopped one.
absl::StatusOr<CcvConfig> RunningConfig(const Context& ctx, const ConsumerId& consumer) {
  MESH_ASSIGN_OR_RETURN(std::optional<CcvConfig> cfg, CcvProvider::Config(ctx, consumer));
  if (!cfg.has_value()) return absl::NotFoundError("ccv: unknown consumer " + consumer.value());
  MESH_ASSIGN_OR_RETURN(CcvConsumerState st, CcvProvider::State(ctx, consumer));
  if (st.stopped) return absl::FailedPreconditionError("ccv: consumer " + consumer.value() + " stopped");
  return *std::move(cfg);
}

}  // namespace

// ---------------------------------------------------------------- config

const char* LinkModeName(LinkMode m) {
  switch (m) {
    case LinkMode::kMesh: return "mesh";
    case LinkMode::kReplicated: return "replicated";
    case LinkMode::kOptIn: return "opt_in";
  }
  return "?";
}

absl::StatusOr<LinkMode> ParseLinkMode(std::string_view s) {
  if (s == "mesh") return LinkMode::kMesh;
  if (s == "replicated") return LinkMode::kReplicated;
  if (s == "opt_in") return LinkMode::kOptIn;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown link mode '", std::string(s), "' (want mesh, replicated or opt_in)"));
}

absl::Status PowerShaping::Validate() const {
  if (top_n != 0 && (top_n < 50 || top_n > 100)) {
    return absl::InvalidArgumentError(absl::StrCat("top_n must be 0 or in [50, 100], got ", top_n));
  }
  if (validators_power_cap > 100) {
    return absl::InvalidArgumentError("validators_power_cap must be in [0, 100]");
  }
  return absl::OkStatus();
}

absl::Status CcvConfig::Validate() const {
  if (mode == LinkMode::kMesh) return absl::InvalidArgumentError("a CCV link cannot be mesh");
  if (mode == LinkMode::kReplicated && shaping.top_n != 100) {
    return absl::InvalidArgumentError("a replicated link has top_n 100");
  }
  if (blocks_per_epoch == 0) return absl::InvalidArgumentError("blocks_per_epoch must be > 0");
  if (downtime_slash_fraction.IsNegative() || Dec::One() < downtime_slash_fraction) {
    return absl::InvalidArgumentError("downtime_slash_fraction must be in [0, 1]");
  }
  return shaping.Validate();
}

// ---------------------------------------------------------------- set computation

uint64_t MinPowerInTopN(std::vector<uint64_t> powers, uint32_t top_n) {
  if (top_n == 0) return 0;
  std::sort(powers.begin(), powers.end(), std::greater<>());
  unsigned __int128 total = 0;
  for (uint64_t p : powers) total += p;
  if (total == 0) return 0;
  unsigned __int128 sum = 0;
  for (uint64_t p : powers) {
    sum += p;
    if (sum * 100 >= total * top_n) return p;
  }
  return powers.back();
}

std::vector<ShapedValidator> CapPowers(std::vector<ShapedValidator> v, uint32_t cap) {
  if (cap == 0 || cap >= 100 || v.empty()) return v;
  unsigned __int128 total = 0;
  for (const ShapedValidator& s : v) total += s.power;
  const uint64_t n = v.size();
  if (n * cap < 100) {
    // Infeasible: best effort, equal powers.
    const uint64_t each = std::max<uint64_t>(1, static_cast<uint64_t>(total / n));
    for (ShapedValidator& s : v) s.power = each;
    return v;
  }
  const uint64_t max_power = std::max<uint64_t>(1, static_cast<uint64_t>(total * cap / 100));
  unsigned __int128 excess = 0;
  size_t capped = 0;
  for (ShapedValidator& s : v) {
    if (s.power > max_power) {
      excess += s.power - max_power;
      s.power = max_power;
      ++capped;
    }
  }
  // Equal shares of what is left, largest first, so what a validator near
  // the cap cannot take flows on to the smaller ones.
  for (size_t i = capped; i < v.size() && excess > 0; ++i) {
    const uint64_t share = static_cast<uint64_t>(excess / (v.size() - i));
    const uint64_t add = std::min<uint64_t>(share, max_power - v[i].power);
    v[i].power += add;
    excess -= add;
  }
  for (size_t i = 0; i < v.size() && excess > 0; ++i) {
    if (v[i].power < max_power) {
      v[i].power += 1;
      excess -= 1;
    }
  }
  return v;
}

NextSet ComputeNextSet(const std::vector<SetCandidate>& candidates, const PowerShaping& shaping,
                       const std::set<ValidatorAddress>& opted_in) {
  NextSet out;
  std::vector<uint64_t> powers;
  for (const SetCandidate& c : candidates) {
    if (c.active) powers.push_back(c.power);
  }
  out.min_power_top_n = MinPowerInTopN(powers, shaping.top_n);
  std::vector<ShapedValidator> eligible;
  std::map<ValidatorAddress, const SetCandidate*> by_address;
  for (const SetCandidate& c : candidates) by_address[c.validator] = &c;
  for (const auto& [addr, c] : by_address) {
    const bool top =
        c->active && shaping.top_n > 0 && c->power > 0 && c->power >= out.min_power_top_n;
    if (top) out.top_n.push_back(addr);
    if (!top && !opted_in.contains(addr)) continue;
    if (!c->active && !shaping.allow_inactive_vals) continue;
    if (!shaping.allowlist.empty() && !Contains(shaping.allowlist, addr)) continue;
    if (Contains(shaping.denylist, addr)) continue;
    if (c->tokens < shaping.min_stake || c->power == 0) continue;
    eligible.push_back(ShapedValidator{addr, c->power});
  }
  if (shaping.validator_set_cap > 0 && eligible.size() > shaping.validator_set_cap) {
    eligible = KeepPrioritized(std::move(eligible), shaping.prioritylist,
                               shaping.validator_set_cap);
  }
  std::sort(eligible.begin(), eligible.end(), ByPower);
  eligible = CapPowers(std::move(eligible), shaping.validators_power_cap);
  std::sort(eligible.begin(), eligible.end(),
            [](const ShapedValidator& a, const ShapedValidator& b) { return a.validator < b.validator; });
  out.validators = std::move(eligible);
  return out;
}

// ---------------------------------------------------------------- state

absl::Status CcvProvider::Init(const Context& ctx, const ConsumerId& consumer, const CcvConfig& cfg,
                               const ConnectionId& connection,
                               const std::vector<ValidatorAddress>& opted_in) {
  MESH_RETURN_IF_ERROR(cfg.Validate());
  if (consumer.empty() || connection.empty()) {
    return absl::InvalidArgumentError("ccv: empty consumer or connection");
  }
  MESH_ASSIGN_OR_RETURN(std::optional<CcvConfig> existing, Config(ctx, consumer));
  if (existing.has_value()) {
    return absl::FailedPreconditionError("ccv: consumer " + consumer.value() + " already registered");
  }
  MESH_RETURN_IF_ERROR(ctx.store().Put(Key(kConfig, consumer), EncodeConfig(cfg)));
  CcvConsumerState st;
  st.connection = connection;
  MESH_RETURN_IF_ERROR(PutState(ctx, consumer, st));
  for (const ValidatorAddress& v : opted_in) {
    MESH_RETURN_IF_ERROR(
        ctx.store().Put(Encoder(kOptedIn).Str(consumer.value()).Str(v.value()).Take(), ""));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<CcvConfig>> CcvProvider::Config(const Context& ctx,
                                                             const ConsumerId& consumer) {
  MESH_ASSIGN_OR_RETURN(std::optional<std::string> raw, ctx.store().Get(Key(kConfig, consumer)));
  if (!raw.has_value()) return std::optional<CcvConfig>();
  MESH_ASSIGN_OR_RETURN(CcvConfig c, DecodeConfig(*raw));
  return std::optional<CcvConfig>(std::move(c));
}

absl::StatusOr<std::vector<ConsumerId>> CcvProvider::Consumers(const Context& ctx) {
  return ccv_internal::ConsumersKeyedUnder(ctx, kConfig);
}

absl::StatusOr<CcvConsumerState> CcvProvider::State(const Context& ctx, const ConsumerId& consumer) {
  MESH_ASSIGN_OR_RETURN(std::optional<std::string> raw, ctx.store().Get(Key(kState, consumer)));
  if (!raw.has_value()) {
    return absl::NotFoundError("ccv: unknown consumer " + consumer.value());
  }
  Decoder d(*raw);
  CcvConsumerState s;
  MESH_ASSIGN_OR_RETURN(std::string conn, d.Str());
  MESH_ASSIGN_OR_RETURN(std::string ch, d.Str());
  s.connection = ConnectionId(std::move(conn));
  s.channel = ChannelId(std::move(ch));
  MESH_ASSIGN_OR_RETURN(s.init_height, d.U64());
  MESH_ASSIGN_OR_RETURN(s.launched, d.Bool());
  MESH_ASSIGN_OR_RETURN(s.stopped, d.Bool());
  MESH_RETURN_IF_ERROR(d.Finish());
  return s;
}

absl::Status CcvProvider::PutState(const Context& ctx, const ConsumerId& consumer,
                                   const CcvConsumerState& s) {
  return ctx.store().Put(Key(kState, consumer), Encoder()
                                                    .Str(s.connection.value())
                                                    .Str(s.channel.value())
                                                    .U64(s.init_height)
                                                    .Bool(s.launched)
                                                    .Bool(s.stopped)
                                                    .Take());
}

// ---------------------------------------------------------------- opt-in

absl::StatusOr<std::set<ValidatorAddress>> CcvProvider::OptedIn(const Context& ctx,
                                                                const ConsumerId& consumer) {
  MESH_ASSIGN_OR_RETURN(std::vector<std::string> vals,
                        ccv_internal::StrsKeyedUnder(ctx, Key(kOptedIn, consumer)));
  return std::set<ValidatorAddress>(std::make_move_iterator(vals.begin()),
                                    std::make_move_iterator(vals.end()));
}

absl::Status CcvProvider::OptIn(const Context& ctx, const ConsumerId& consumer,
                                const ValidatorAddress& validator) {
  MESH_RETURN_IF_ERROR(RunningConfig(ctx, consumer).status());
  MESH_ASSIGN_OR_RETURN(std::optional<staking::Validator> v, Staking::GetValidator(ctx, validator));
  if (!v.has_value()) return absl::NotFoundError("ccv: no validator " + validator.value());
  const std::string key = Encoder(kOptedIn).Str(consumer.value()).Str(validator.value()).Take();
  MESH_ASSIGN_OR_RETURN(bool has, ctx.store().Has(key));
  if (has) return absl::FailedPreconditionError("ccv: " + validator.value() + " already opted in");
  return ctx.store().Put(key, "");
}

absl::Status CcvProvider::OptOut(const Context& ctx, const ConsumerId& consumer,
                                 const ValidatorAddress& validator) {
  MESH_ASSIGN_OR_RETURN(std::optional<CcvConfig> cfg, Config(ctx, consumer));
  if (!cfg.has_value()) return absl::NotFoundError("ccv: unknown consumer " + consumer.value());
  const std::string key = Encoder(kOptedIn).Str(consumer.value()).Str(validator.value()).Take();
  MESH_ASSIGN_OR_RETURN(bool has, ctx.store().Has(key));
  if (!has) return absl::FailedPreconditionError("ccv: " + validator.value() + " is not opted in");
  MESH_ASSIGN_OR_RETURN(std::vector<SetCandidate> candidates, BondedCandidates(ctx));
  std::vector<uint64_t> powers;
  uint64_t own = 0;
  for (const SetCandidate& c : candidates) {
    powers.push_back(c.power);
    if (c.validator == validator) own = c.power;
  }
  const uint64_t min_power = MinPowerInTopN(powers, cfg->shaping.top_n);
  if (cfg->shaping.top_n > 0 && own > 0 && own >= min_power) {
    return absl::FailedPreconditionError("ccv: cannot opt out from the top N (" +
                                         validator.value() + ")");
  }
  return ctx.store().Delete(key);
}

// ---------------------------------------------------------------- blocks

absl::StatusOr<uint64_t> CcvProvider::CurrentVscId(const Context& ctx) {
  MESH_ASSIGN_OR_RETURN(std::optional<std::string> raw, ctx.store().Get(Encoder(kGlobal).U8(1).Take()));
  if (!raw.has_value()) return uint64_t{1};
  Decoder d(*raw);
  return d.U64();
}

absl::StatusOr<std::optional<uint64_t>> CcvProvider::VscHeight(const Context& ctx, uint64_t id) {
  MESH_ASSIGN_OR_RETURN(std::optional<std::string> raw,
                        ctx.store().Get(Encoder(kVscToH).U64(id).Take()));
  if (!raw.has_value()) return std::optional<uint64_t>();
  Decoder d(*raw);
  MESH_ASSIGN_OR_RETURN(uint64_t h, d.U64());
  return std::optional<uint64_t>(h);
}

absl::Status CcvProvider::EndBlock(const Context& ctx) {
  MESH_RETURN_IF_ERROR(ApplyDue(ctx));
  MESH_ASSIGN_OR_RETURN(std::vector<ConsumerId> consumers, Consumers(ctx));
  if (consumers.empty()) return absl::OkStatus();
  MESH_ASSIGN_OR_RETURN(uint64_t vsc_id, CurrentVscId(ctx));
  MESH_RETURN_IF_ERROR(
      ctx.store().Put(Encoder(kVscToH).U64(vsc_id).Take(), Encoder().U64(ctx.height() + 1).Take()));
  bool any_epoch = false;
  for (const ConsumerId& c : consumers) {
    MESH_ASSIGN_OR_RETURN(std::optional<CcvConfig> cfg, Config(ctx, c));
    MESH_ASSIGN_OR_RETURN(CcvConsumerState st, State(ctx, c));
    if (st.stopped) continue;
    if (st.launched && ctx.height() % cfg->blocks_per_epoch != 0) continue;
    MESH_RETURN_IF_ERROR(TakePendingShaping(ctx, c, *cfg));
    MESH_ASSIGN_OR_RETURN(bool ran, RunEpoch(ctx, c, *cfg, st, vsc_id));
    any_epoch = any_epoch || ran;
    MESH_RETURN_IF_ERROR(PutState(ctx, c, st));
  }
  if (!any_epoch) return absl::OkStatus();
  return ctx.store().Put(Encoder(kGlobal).U8(1).Take(), Encoder().U64(vsc_id + 1).Take());
}

absl::StatusOr<std::vector<VscRecord>> CcvProvider::Pending(const Context& ctx,
                                                            const ConsumerId& consumer) {
  std::vector<VscRecord> out;
  auto it = ctx.store().ScanPrefix(Key(kPending, consumer));
  for (; it->Valid(); it->Next()) {
    MESH_ASSIGN_OR_RETURN(VscRecord r, DecodeVsc(it->value()));
    out.push_back(std::move(r));
  }
  MESH_RETURN_IF_ERROR(it->status());
  return out;
}

absl::Status CcvProvider::ClearPending(const Context& ctx, const ConsumerId& consumer) {
  return ctx.store().DeletePrefix(Key(kPending, consumer));
}

absl::StatusOr<std::vector<ConsumerValidator>> CcvProvider::ConsumerSet(const Context& ctx,
                                                                        const ConsumerId& consumer) {
  const std::string prefix = Key(kSet, consumer);
  std::vector<ConsumerValidator> out;
  auto it = ctx.store().ScanPrefix(prefix);
  for (; it->Valid(); it->Next()) {
    Decoder k(it->key().substr(prefix.size()));
    Decoder v(it->value());
    ConsumerValidator cv;
    MESH_ASSIGN_OR_RETURN(std::string addr, k.Str());
    cv.validator = ValidatorAddress(std::move(addr));
    MESH_ASSIGN_OR_RETURN(cv.consumer_key, v.Bytes());
    MESH_ASSIGN_OR_RETURN(cv.power, v.U64());
    out.push_back(std::move(cv));
  }
  MESH_RETURN_IF_ERROR(it->status());
  return out;
}

// ---------------------------------------------------------------- packets

absl::StatusOr<SlashDecision> CcvProvider::OnSlashPacket(const Context& ctx,
                                                         const ConsumerId& consumer,
                                                         const ConsumerSlash& slash) {
  MESH_ASSIGN_OR_RETURN(std::optional<CcvConfig> cfg, Config(ctx, consumer));
  if (!cfg.has_value()) return absl::NotFoundError("ccv: unknown consumer " + consumer.value());
  MESH_ASSIGN_OR_RETURN(CcvConsumerState st, State(ctx, consumer));
  if (slash.consumer_address.empty() || slash.consumer_address.size() > 255 || slash.power == 0) {
    return absl::InvalidArgumentError("ccv: malformed slash packet");
  }
  SlashDecision d;
  if (slash.vsc_id == 0) {
    if (st.init_height == 0) return absl::InvalidArgumentError("ccv: no init height for vscID 0");
    d.infraction_height = static_cast<int64_t>(st.init_height);
  } else {
    MESH_ASSIGN_OR_RETURN(std::optional<uint64_t> h, VscHeight(ctx, slash.vsc_id));
    if (!h.has_value()) {
      return absl::InvalidArgumentError(absl::StrCat("ccv: unknown vscID ", slash.vsc_id));
    }
    d.infraction_height = static_cast<int64_t>(*h);
  }
  // Double signing is punished only on verified evidence (ADR-005).
  if (slash.double_sign) {
    d.outcome = SlashOutcome::kV1;
    return d;
  }
  MESH_ASSIGN_OR_RETURN(std::optional<ValidatorAddress> v,
                        ProviderValidatorOf(ctx, consumer, slash.consumer_address));
  MESH_ASSIGN_OR_RETURN(std::vector<ConsumerValidator> set, ConsumerSet(ctx, consumer));
  const bool in_set = v.has_value() && std::any_of(set.begin(), set.end(), [&](const auto& cv) {
                        return cv.validator == *v;
                      });
  if (!st.launched || !in_set) {
    MESH_RETURN_IF_ERROR(AddSlashAck(ctx, consumer, slash.consumer_address));
    return d;
  }
  MESH_ASSIGN_OR_RETURN(std::optional<staking::Validator> val, Staking::GetValidator(ctx, *v));
  if (!val.has_value() || val->status == staking::BondStatus::kUnbonded || val->tombstoned) {
    return d;
  }
  MESH_RETURN_IF_ERROR(AddSlashAck(ctx, consumer, slash.consumer_address));
  if (val->jailed) return d;
  d.punish = true;
  d.validator = *v;
  d.power = static_cast<uint64_t>(slash.power < 0 ? -slash.power : slash.power);
  d.fraction = cfg->downtime_slash_fraction;
  d.jail_s = cfg->downtime_jail_s;
  return d;
}

absl::StatusOr<Amount> CcvProvider::Burned(const Context& ctx) {
  MESH_ASSIGN_OR_RETURN(std::optional<std::string> raw, ctx.store().Get(Encoder(kGlobal).U8(2).Take()));
  if (!raw.has_value()) return Amount(0);
  Decoder d(*raw);
  return d.Amt();
}

absl::StatusOr<uint64_t> CcvProvider::Punishments(const Context& ctx) {
  MESH_ASSIGN_OR_RETURN(std::optional<std::string> raw, ctx.store().Get(Encoder(kGlobal).U8(3).Take()));
  if (!raw.has_value()) return uint64_t{0};
  Decoder d(*raw);
  return d.U64();
}

absl::Status CcvProvider::RecordPunishment(const Context& ctx, Amount burned) {
  MESH_ASSIGN_OR_RETURN(uint64_t n, Punishments(ctx));
  MESH_RETURN_IF_ERROR(ctx.store().Put(Encoder(kGlobal).U8(3).Take(), Encoder().U64(n + 1).Take()));
  if (burned.IsZero()) return absl::OkStatus();
  MESH_ASSIGN_OR_RETURN(Amount total, Burned(ctx));
  MESH_ASSIGN_OR_RETURN(total, total.Add(burned));
  return ctx.store().Put(Encoder(kGlobal).U8(2).Take(), Encoder().Amt(total).Take());
}

absl::Status CcvProvider::Stop(const Context& ctx, const ConsumerId& consumer) {
  MESH_ASSIGN_OR_RETURN(CcvConsumerState st, State(ctx, consumer));
  const bool first = !st.stopped;
  st.stopped = true;
  MESH_RETURN_IF_ERROR(PutState(ctx, consumer, st));
  MESH_RETURN_IF_ERROR(ClearPending(ctx, consumer));
  if (!first) return absl::OkStatus();
  return ScheduleRemoval(ctx, consumer);
}

// ---------------------------------------------------------------- governance

void LinkUpdate::Encode(Encoder& e) const {
  e.Bool(shaping.has_value());
  if (shaping.has_value()) {
    e.U32(shaping->top_n).U32(shaping->validators_power_cap).U32(shaping->validator_set_cap);
    EncodeList(e, shaping->allowlist);
    EncodeList(e, shaping->denylist);
    EncodeList(e, shaping->prioritylist);
    e.Amt(shaping->min_stake).Bool(shaping->allow_inactive_vals);
  }
  e.Bool(infraction.has_value());
  if (infraction.has_value()) {
    e.Decimal(infraction->downtime_slash_fraction).U64(infraction->downtime_jail_s);
  }
}

absl::StatusOr<LinkUpdate> LinkUpdate::Decode(Decoder& d) {
  LinkUpdate u;
  MESH_ASSIGN_OR_RETURN(bool has_shaping, d.Bool());
  if (has_shaping) {
    PowerShaping s;
    MESH_ASSIGN_OR_RETURN(s.top_n, d.U32());
    MESH_ASSIGN_OR_RETURN(s.validators_power_cap, d.U32());
    MESH_ASSIGN_OR_RETURN(s.validator_set_cap, d.U32());
    MESH_ASSIGN_OR_RETURN(s.allowlist, DecodeList(d));
    MESH_ASSIGN_OR_RETURN(s.denylist, DecodeList(d));
    MESH_ASSIGN_OR_RETURN(s.prioritylist, DecodeList(d));
    MESH_ASSIGN_OR_RETURN(s.min_stake, d.Amt());
    MESH_ASSIGN_OR_RETURN(s.allow_inactive_vals, d.Bool());
    u.shaping = std::move(s);
  }
  MESH_ASSIGN_OR_RETURN(bool has_infraction, d.Bool());
  if (has_infraction) {
    LinkUpdate::Infraction i;
    MESH_ASSIGN_OR_RETURN(i.downtime_slash_fraction, d.Decimal());
    MESH_ASSIGN_OR_RETURN(i.downtime_jail_s, d.U64());
    u.infraction = i;
  }
  return u;
}

absl::Status CcvProvider::ValidateUpdate(const Context& ctx, const ConsumerId& consumer,
                                         const LinkUpdate& update) {
  MESH_ASSIGN_OR_RETURN(CcvConfig cfg, RunningConfig(ctx, consumer));
  if (!update.shaping.has_value() && !update.infraction.has_value()) {
    return absl::InvalidArgumentError("ccv: the update changes nothing");
  }
  if (update.shaping.has_value()) cfg.shaping = *update.shaping;
  if (update.infraction.has_value()) {
    cfg.downtime_slash_fraction = update.infraction->downtime_slash_fraction;
    cfg.downtime_jail_s = update.infraction->downtime_jail_s;
  }
  return cfg.Validate();
}

absl::Status CcvProvider::ApplyUpdate(const Context& ctx, const ConsumerId& consumer,
                                      const LinkUpdate& update) {
  MESH_RETURN_IF_ERROR(ValidateUpdate(ctx, consumer, update));
  if (update.shaping.has_value()) {
    LinkUpdate only;
    only.shaping = update.shaping;
    Encoder e;
    only.Encode(e);
    MESH_RETURN_IF_ERROR(ctx.store().Put(Key(kPendingShaping, consumer), e.Take()));
  }
  if (update.infraction.has_value()) {
    MESH_ASSIGN_OR_RETURN(uint64_t period, ProviderUnbondingSeconds(ctx));
    MESH_RETURN_IF_ERROR(ctx.store().Put(
        Key(kPendingInfraction, consumer),
        Encoder()
            .U64(ctx.time_seconds() + period)
            .Decimal(update.infraction->downtime_slash_fraction)
            .U64(update.infraction->downtime_jail_s)
            .Take()));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<PendingInfraction>> CcvProvider::PendingInfractionOf(
    const Context& ctx, const ConsumerId& consumer) {
  MESH_ASSIGN_OR_RETURN(std::optional<std::string> raw,
                        ctx.store().Get(Key(kPendingInfraction, consumer)));
  if (!raw.has_value()) return std::optional<PendingInfraction>();
  Decoder d(*raw);
  PendingInfraction p;
  MESH_ASSIGN_OR_RETURN(p.effective_s, d.U64());
  MESH_ASSIGN_OR_RETURN(p.params.downtime_slash_fraction, d.Decimal());
  MESH_ASSIGN_OR_RETURN(p.params.downtime_jail_s, d.U64());
  MESH_RETURN_IF_ERROR(d.Finish());
  return std::optional<PendingInfraction>(p);
}

absl::StatusOr<std::optional<PowerShaping>> CcvProvider::PendingShapingOf(
    const Context& ctx, const ConsumerId& consumer) {
  MESH_ASSIGN_OR_RETURN(std::optional<std::string> raw,
                        ctx.store().Get(Key(kPendingShaping, consumer)));
  if (!raw.has_value()) return std::optional<PowerShaping>();
  Decoder d(*raw);
  MESH_ASSIGN_OR_RETURN(LinkUpdate u, LinkUpdate::Decode(d));
  MESH_RETURN_IF_ERROR(d.Finish());
  return u.shaping;
}

absl::StatusOr<std::optional<uint64_t>> CcvProvider::RemovalTime(const Context& ctx,
                                                                 const ConsumerId& consumer) {
  const std::string prefix = Encoder(kRemovals).Take();
  auto it = ctx.store().ScanPrefix(prefix);
  for (; it->Valid(); it->Next()) {
    Decoder d(it->key().substr(prefix.size()));
    MESH_ASSIGN_OR_RETURN(uint64_t at, d.U64());
    MESH_ASSIGN_OR_RETURN(std::string c, d.Str());
    if (c == consumer.value()) return std::optional<uint64_t>(at);
  }
  MESH_RETURN_IF_ERROR(it->status());
  return std::optional<uint64_t>();
}

absl::Status CcvProvider::Remove(const Context& ctx, const ConsumerId& consumer) {
  MESH_ASSIGN_OR_RETURN(std::optional<CcvConfig> cfg, Config(ctx, consumer));
  if (!cfg.has_value()) return absl::NotFoundError("ccv: unknown consumer " + consumer.value());
  MESH_ASSIGN_OR_RETURN(std::optional<uint64_t> at, RemovalTime(ctx, consumer));
  if (at.has_value()) MESH_RETURN_IF_ERROR(ctx.store().Delete(RemovalKey(*at, consumer)));
  for (uint8_t table : {kOptedIn, kSet, kPending, kSlashAcks}) {
    MESH_RETURN_IF_ERROR(ctx.store().DeletePrefix(Key(table, consumer)));
  }
  for (uint8_t table : {kConfig, kState, kPendingInfraction, kPendingShaping}) {
    MESH_RETURN_IF_ERROR(ctx.store().Delete(Key(table, consumer)));
  }
  return ConsumerKeys::RemoveConsumer(ctx, consumer);
}

absl::Status CcvProvider::ApplyDue(const Context& ctx) {
  MESH_ASSIGN_OR_RETURN(std::vector<ConsumerId> pending, WithPendingInfraction(ctx));
  for (const ConsumerId& c : pending) {
    MESH_ASSIGN_OR_RETURN(std::optional<PendingInfraction> p, PendingInfractionOf(ctx, c));
    if (p->effective_s > ctx.time_seconds()) continue;
    MESH_ASSIGN_OR_RETURN(std::optional<CcvConfig> cfg, Config(ctx, c));
    cfg->downtime_slash_fraction = p->params.downtime_slash_fraction;
    cfg->downtime_jail_s = p->params.downtime_jail_s;
    MESH_RETURN_IF_ERROR(ctx.store().Put(Key(kConfig, c), EncodeConfig(*cfg)));
    MESH_RETURN_IF_ERROR(ctx.store().Delete(Key(kPendingInfraction, c)));
  }
  MESH_ASSIGN_OR_RETURN(std::vector<DueEntry> due, DueRemovals(ctx));
  for (const DueEntry& e : due) MESH_RETURN_IF_ERROR(Remove(ctx, e.consumer));
  return absl::OkStatus();
}

namespace ccv_internal {

absl::StatusOr<std::vector<std::string>> StrsKeyedUnder(const Context& ctx,
                                                        const std::string& prefix) {
  std::vector<std::string> out;
  auto it = ctx.store().ScanPrefix(prefix);
  for (; it->Valid(); it->Next()) {
    Decoder d(it->key().substr(prefix.size()));
    MESH_ASSIGN_OR_RETURN(std::string v, d.Str());
    out.push_back(std::move(v));
  }
  MESH_RETURN_IF_ERROR(it->status());
  return out;
}

absl::StatusOr<std::vector<ConsumerId>> ConsumersKeyedUnder(const Context& ctx, uint8_t table) {
  MESH_ASSIGN_OR_RETURN(std::vector<std::string> ids, StrsKeyedUnder(ctx, Encoder(table).Take()));
  return std::vector<ConsumerId>(std::make_move_iterator(ids.begin()),
                                 std::make_move_iterator(ids.end()));
}

}  // namespace ccv_internal

}  // namespace mesh::provider
