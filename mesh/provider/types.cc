#include "mesh/provider/types.h"

#include <algorithm>
#include <utility>

#include "core/status.h"

namespace mesh::provider {
namespace {

constexpr char kLocalKey[] = "local";
constexpr char kExternalPrefix[] = "x/";

template <typename E>
absl::StatusOr<E> DecodeEnum(Decoder& d, uint8_t max) {
  MESH_ASSIGN_OR_RETURN(uint8_t v, d.U8());
  if (v == 0 || v > max) return absl::DataLossError("bad enum value");
  return static_cast<E>(v);
}

}  // namespace

std::string LienHolder::Key() const {
  return local ? std::string(kLocalKey) : kExternalPrefix + consumer.value();
}

bool LienHolder::KeyLess(const LienHolder& a, const LienHolder& b) {
  // "local" sorts before "x/<id>", and "x/<id>"s as their ids.
  if (a.local || b.local) return a.local && !b.local;
  return a.consumer.value() < b.consumer.value();
}

absl::StatusOr<LienHolder> LienHolder::FromKey(std::string_view key) {
  if (key == kLocalKey) return Local();
  if (key.substr(0, 2) == kExternalPrefix && key.size() > 2) {
    return External(ConsumerId(key.substr(2)));
  }
  return absl::DataLossError("bad lien holder key");
}

void EncodeRange(Encoder& e, const AmountRange& r) { e.Amt(r.low()).Amt(r.high()); }

absl::StatusOr<AmountRange> DecodeRange(Decoder& d) {
  MESH_ASSIGN_OR_RETURN(Amount low, d.Amt());
  MESH_ASSIGN_OR_RETURN(Amount high, d.Amt());
  absl::StatusOr<AmountRange> r = AmountRange::Make(low, high);
  if (!r.ok()) return absl::DataLossError("stored value range has low > high");
  return r;
}

absl::StatusOr<AmountRange> MulFloor(const AmountRange& r, Dec d) {
  MESH_ASSIGN_OR_RETURN(Amount low, mesh::MulFloor(r.low(), d));
  MESH_ASSIGN_OR_RETURN(Amount high, mesh::MulFloor(r.high(), d));
  return AmountRange::Make(low, high);
}

U256 NeutralAlignment() { return U256(~u128{0} >> 1, ~u128{0}); }

void VaultConfig::Encode(Encoder& e) const {
  e.Str(denom.value()).Bool(local_staking).Decimal(local_max_slash);
}
absl::StatusOr<VaultConfig> VaultConfig::Decode(Decoder& d) {
  VaultConfig c;
  MESH_ASSIGN_OR_RETURN(std::string denom, d.Str());
  c.denom = Denom(std::move(denom));
  MESH_ASSIGN_OR_RETURN(c.local_staking, d.Bool());
  MESH_ASSIGN_OR_RETURN(c.local_max_slash, d.Decimal());
  return c;
}

void Lien::Encode(Encoder& e) const {
  EncodeRange(e, amount);
  e.Decimal(slashable).Amt(absorbed).U64(settled_at);
}
absl::StatusOr<Lien> Lien::Decode(Decoder& d) {
  Lien l;
  MESH_ASSIGN_OR_RETURN(l.amount, DecodeRange(d));
  MESH_ASSIGN_OR_RETURN(l.slashable, d.Decimal());
  MESH_ASSIGN_OR_RETURN(l.absorbed, d.Amt());
  MESH_ASSIGN_OR_RETURN(l.settled_at, d.U64());
  return l;
}

void UserInfo::Encode(Encoder& e) const {
  e.Amt(collateral).U32(static_cast<uint32_t>(liens.size()));
  for (const auto& [holder, lien] : liens) {
    e.Str(holder.Key());
    lien.Encode(e);
  }
}
absl::StatusOr<UserInfo> UserInfo::Decode(Decoder& d) {
  UserInfo u;
  MESH_ASSIGN_OR_RETURN(u.collateral, d.Amt());
  MESH_ASSIGN_OR_RETURN(uint32_t n, d.U32());
  // A user holds a few liens; a corrupt count must not reserve much.
  u.liens.reserve(std::min<uint32_t>(n, 8));
  std::string_view last;  // in the decoder's input
  for (uint32_t i = 0; i < n; ++i) {
    MESH_ASSIGN_OR_RETURN(std::string_view key, d.BytesView());
    if (i > 0 && key <= last) return absl::DataLossError("user liens out of holder order");
    MESH_ASSIGN_OR_RETURN(LienHolder holder, LienHolder::FromKey(key));
    MESH_ASSIGN_OR_RETURN(Lien lien, Lien::Decode(d));
    if (lien.amount.IsZero()) return absl::DataLossError("empty lien in a user record");
    last = key;
    u.liens.emplace_back(std::move(holder), lien);
  }
  return u;
}

void VaultTx::Encode(Encoder& e) const {
  e.U64(id).Amt(amount).Decimal(slashable).Str(user.value()).Str(holder.Key());
}
absl::StatusOr<VaultTx> VaultTx::Decode(Decoder& d) {
  VaultTx t;
  MESH_ASSIGN_OR_RETURN(t.id, d.U64());
  MESH_ASSIGN_OR_RETURN(t.amount, d.Amt());
  MESH_ASSIGN_OR_RETURN(t.slashable, d.Decimal());
  MESH_ASSIGN_OR_RETURN(std::string user, d.Str());
  t.user = AccountAddress(std::move(user));
  MESH_ASSIGN_OR_RETURN(std::string holder, d.Str());
  MESH_ASSIGN_OR_RETURN(t.holder, LienHolder::FromKey(holder));
  return t;
}

void LocalStakingConfig::Encode(Encoder& e) const {
  e.Str(denom.value()).Decimal(slash_ratio_dsign).Decimal(slash_ratio_offline);
}
absl::StatusOr<LocalStakingConfig> LocalStakingConfig::Decode(Decoder& d) {
  LocalStakingConfig c;
  MESH_ASSIGN_OR_RETURN(std::string denom, d.Str());
  c.denom = Denom(std::move(denom));
  MESH_ASSIGN_OR_RETURN(c.slash_ratio_dsign, d.Decimal());
  MESH_ASSIGN_OR_RETURN(c.slash_ratio_offline, d.Decimal());
  return c;
}

bool LocalUser::KeyOrder(const ValidatorAddress& a, const ValidatorAddress& b) {
  // A key holds Str(v): a big-endian u32 length, then the bytes.
  if (a.value().size() != b.value().size()) return a.value().size() < b.value().size();
  return a.value() < b.value();
}

void LocalUser::Encode(Encoder& e) const {
  e.Amt(burned);
  if (!validators.has_value()) return;  // as written before the list was kept
  e.U32(static_cast<uint32_t>(validators->size()));
  for (const ValidatorAddress& v : *validators) e.Str(v.value());
}
absl::StatusOr<LocalUser> LocalUser::Decode(Decoder& d) {
  LocalUser u;
  MESH_ASSIGN_OR_RETURN(u.burned, d.Amt());
  if (d.AtEnd()) {
    u.validators.reset();
    return u;
  }
  MESH_ASSIGN_OR_RETURN(uint32_t n, d.U32());
  for (uint32_t i = 0; i < n; ++i) {
    MESH_ASSIGN_OR_RETURN(std::string v, d.Str());
    ValidatorAddress val(std::move(v));
    if (i > 0 && !LocalUser::KeyOrder(u.validators->back(), val)) {
      return absl::DataLossError("local user's validators out of order");
    }
    u.validators->push_back(std::move(val));
  }
  return u;
}

void ExternalConfig::Encode(Encoder& e) const {
  e.Str(denom.value()).Str(rewards_denom.value()).U64(unbonding_period_s);
  e.Decimal(slash_ratio_dsign).Decimal(slash_ratio_offline).Bool(closed);
  e.Bool(require_verified_evidence);
}
absl::StatusOr<ExternalConfig> ExternalConfig::Decode(Decoder& d) {
  ExternalConfig c;
  MESH_ASSIGN_OR_RETURN(std::string denom, d.Str());
  c.denom = Denom(std::move(denom));
  MESH_ASSIGN_OR_RETURN(std::string rewards, d.Str());
  c.rewards_denom = Denom(std::move(rewards));
  MESH_ASSIGN_OR_RETURN(c.unbonding_period_s, d.U64());
  MESH_ASSIGN_OR_RETURN(c.slash_ratio_dsign, d.Decimal());
  MESH_ASSIGN_OR_RETURN(c.slash_ratio_offline, d.Decimal());
  MESH_ASSIGN_OR_RETURN(c.closed, d.Bool());
  if (!d.AtEnd()) {
    MESH_ASSIGN_OR_RETURN(c.require_verified_evidence, d.Bool());
  }
  return c;
}

void Stake::Encode(Encoder& e) const {
  EncodeRange(e, stake);
  e.U32(static_cast<uint32_t>(pending_unbonds.size()));
  for (const PendingUnbond& u : pending_unbonds) e.Amt(u.amount).U64(u.release_at_ns);
  e.Big(points_alignment).Amt(withdrawn_funds).Amt(withdrawing);
  e.U32(static_cast<uint32_t>(recent.size()));
  for (const AckedChange& c : recent) {
    e.Bool(c.unstake).U64(c.consumer_height).U64(c.acked_at_ns).Amt(c.amount).U64(
        c.release_at_ns);
  }
  e.U64(slash_seq).Amt(vault_cut).Bool(shared);
  acked_stakes_log.EncodeTrailing(e);
}
absl::StatusOr<Stake> Stake::Decode(Decoder& d) {
  Stake s;
  MESH_RETURN_IF_ERROR(DecodeInto(d, s));
  return s;
}
absl::Status Stake::DecodeInto(Decoder& d, Stake& s) {
  MESH_ASSIGN_OR_RETURN(s.stake, DecodeRange(d));
  MESH_ASSIGN_OR_RETURN(uint32_t n, d.U32());
  s.pending_unbonds.reserve(std::min<uint32_t>(n, 16));
  for (uint32_t i = 0; i < n; ++i) {
    PendingUnbond u;
    MESH_ASSIGN_OR_RETURN(u.amount, d.Amt());
    MESH_ASSIGN_OR_RETURN(u.release_at_ns, d.U64());
    s.pending_unbonds.push_back(u);
  }
  MESH_ASSIGN_OR_RETURN(s.points_alignment, d.Big());
  MESH_ASSIGN_OR_RETURN(s.withdrawn_funds, d.Amt());
  MESH_ASSIGN_OR_RETURN(s.withdrawing, d.Amt());
  MESH_ASSIGN_OR_RETURN(uint32_t m, d.U32());
  // Reserved up to a bound a malformed count cannot inflate (a slash
  // decodes 10^6 of these).
  s.recent.reserve(std::min<uint32_t>(m, 16));
  for (uint32_t i = 0; i < m; ++i) {
    AckedChange c;
    MESH_ASSIGN_OR_RETURN(c.unstake, d.Bool());
    MESH_ASSIGN_OR_RETURN(c.consumer_height, d.U64());
    MESH_ASSIGN_OR_RETURN(c.acked_at_ns, d.U64());
    MESH_ASSIGN_OR_RETURN(c.amount, d.Amt());
    MESH_ASSIGN_OR_RETURN(c.release_at_ns, d.U64());
    s.recent.push_back(c);
  }
  MESH_ASSIGN_OR_RETURN(s.slash_seq, d.U64());
  MESH_ASSIGN_OR_RETURN(s.vault_cut, d.Amt());
  MESH_ASSIGN_OR_RETURN(s.shared, d.Bool());
  return s.acked_stakes_log.DecodeTrailing(d);
}

void StakeSlash::Encode(Encoder& e) const {
  e.U64(infraction_height).U64(update_height).Big(points_per_stake);
  e.Amt(split.total).Amt(split.weight_sum).U8(static_cast<uint8_t>(split.tail));
  e.Str(split.tail_key).Amt(split.tail_extra);
}
absl::StatusOr<StakeSlash> StakeSlash::Decode(Decoder& d) {
  StakeSlash s;
  MESH_ASSIGN_OR_RETURN(s.infraction_height, d.U64());
  MESH_ASSIGN_OR_RETURN(s.update_height, d.U64());
  MESH_ASSIGN_OR_RETURN(s.points_per_stake, d.Big());
  MESH_ASSIGN_OR_RETURN(s.split.total, d.Amt());
  MESH_ASSIGN_OR_RETURN(s.split.weight_sum, d.Amt());
  MESH_ASSIGN_OR_RETURN(uint8_t tail, d.U8());
  if (tail > static_cast<uint8_t>(SplitTail::kUpTo)) return absl::DataLossError("bad split tail");
  s.split.tail = static_cast<SplitTail>(tail);
  MESH_ASSIGN_OR_RETURN(s.split.tail_key, d.Str());
  MESH_ASSIGN_OR_RETURN(s.split.tail_extra, d.Amt());
  return s;
}

void Distribution::Encode(Encoder& e) const {
  e.Amt(total_stake).Big(points_per_stake).Big(points_leftover);
}
absl::StatusOr<Distribution> Distribution::Decode(Decoder& d) {
  Distribution x;
  MESH_ASSIGN_OR_RETURN(x.total_stake, d.Amt());
  MESH_ASSIGN_OR_RETURN(x.points_per_stake, d.Big());
  MESH_ASSIGN_OR_RETURN(x.points_leftover, d.Big());
  return x;
}

void ExternalTx::Encode(Encoder& e) const {
  e.U8(static_cast<uint8_t>(kind)).U64(id).Amt(amount).Str(user.value()).Str(validator.value());
}
absl::StatusOr<ExternalTx> ExternalTx::Decode(Decoder& d) {
  ExternalTx t;
  MESH_ASSIGN_OR_RETURN(t.kind, DecodeEnum<Kind>(d, 3));
  MESH_ASSIGN_OR_RETURN(t.id, d.U64());
  MESH_ASSIGN_OR_RETURN(t.amount, d.Amt());
  MESH_ASSIGN_OR_RETURN(std::string user, d.Str());
  t.user = AccountAddress(std::move(user));
  MESH_ASSIGN_OR_RETURN(std::string val, d.Str());
  t.validator = ValidatorAddress(std::move(val));
  return t;
}

void OutboundPacket::Encode(Encoder& e) const {
  e.U8(static_cast<uint8_t>(kind)).U64(tx_id).Str(delegator.value());
  e.U32(static_cast<uint32_t>(validators.size()));
  for (const ValidatorAddress& v : validators) e.Str(v.value());
  e.Amt(amount).Str(denom.value()).Str(recipient).U64(timeout_ns);
}
absl::StatusOr<OutboundPacket> OutboundPacket::Decode(Decoder& d) {
  OutboundPacket p;
  MESH_ASSIGN_OR_RETURN(p.kind, DecodeEnum<Kind>(d, 4));
  MESH_ASSIGN_OR_RETURN(p.tx_id, d.U64());
  MESH_ASSIGN_OR_RETURN(std::string del, d.Str());
  p.delegator = AccountAddress(std::move(del));
  MESH_ASSIGN_OR_RETURN(uint32_t n, d.U32());
  for (uint32_t i = 0; i < n; ++i) {
    MESH_ASSIGN_OR_RETURN(std::string v, d.Str());
    p.validators.emplace_back(std::move(v));
  }
  MESH_ASSIGN_OR_RETURN(p.amount, d.Amt());
  MESH_ASSIGN_OR_RETURN(std::string denom, d.Str());
  p.denom = Denom(std::move(denom));
  MESH_ASSIGN_OR_RETURN(p.recipient, d.Str());
  MESH_ASSIGN_OR_RETURN(p.timeout_ns, d.U64());
  return p;
}

const char* RemoteStateName(RemoteState s) {
  switch (s) {
    case RemoteState::kActive: return "active";
    case RemoteState::kUnbonded: return "unbonded";
    case RemoteState::kJailed: return "jailed";
    case RemoteState::kTombstoned: return "tombstoned";
    case RemoteState::kUnknown: break;
  }
  return "unknown";
}

void ValidatorHistory::Encode(Encoder& e) const {
  e.U32(static_cast<uint32_t>(entries.size()));
  for (const ValState& s : entries) {
    e.Str(s.pub_key).U64(s.start_height).U64(s.start_time).U8(static_cast<uint8_t>(s.state));
  }
}
absl::StatusOr<ValidatorHistory> ValidatorHistory::Decode(Decoder& d) {
  ValidatorHistory h;
  MESH_ASSIGN_OR_RETURN(uint32_t n, d.U32());
  for (uint32_t i = 0; i < n; ++i) {
    ValState s;
    MESH_ASSIGN_OR_RETURN(s.pub_key, d.Str());
    MESH_ASSIGN_OR_RETURN(s.start_height, d.U64());
    MESH_ASSIGN_OR_RETURN(s.start_time, d.U64());
    MESH_ASSIGN_OR_RETURN(uint8_t st, d.U8());
    if (st > 4) return absl::DataLossError("bad remote validator state");
    s.state = static_cast<RemoteState>(st);
    h.entries.push_back(std::move(s));
  }
  return h;
}

}  // namespace mesh::provider
