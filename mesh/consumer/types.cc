#include "mesh/consumer/types.h"

#include <string>
#include <utility>
#include <vector>

#include "core/status.h"

namespace mesh::consumer {
namespace {

void PutCoin(Encoder& e, const Coin& c) { e.Str(c.denom.value()).Amt(c.amount); }

absl::StatusOr<Coin> GetCoin(Decoder& d) {
  Coin c;
  MESH_ASSIGN_OR_RETURN(std::string denom, d.Str());
  c.denom = Denom(std::move(denom));
  MESH_ASSIGN_OR_RETURN(c.amount, d.Amt());
  return c;
}

void PutAddrs(Encoder& e, const std::vector<ValidatorAddress>& v) {
  e.U32(static_cast<uint32_t>(v.size()));
  for (const auto& a : v) e.Str(a.value());
}

absl::StatusOr<std::vector<ValidatorAddress>> GetAddrs(Decoder& d) {
  MESH_ASSIGN_OR_RETURN(uint32_t n, d.U32());
  std::vector<ValidatorAddress> out;
  for (uint32_t i = 0; i < n; ++i) {
    MESH_ASSIGN_OR_RETURN(std::string s, d.Str());
    out.emplace_back(std::move(s));
  }
  return out;
}

void PutValset(Encoder& e, const ValsetUpdatePacket& p) {
  e.U64(p.height).U64(p.time_s);
  for (const auto* list : {&p.additions, &p.removals, &p.updated, &p.jailed, &p.unjailed,
                           &p.tombstoned}) {
    PutAddrs(e, *list);
  }
  e.U32(static_cast<uint32_t>(p.slashed.size()));
  for (const auto& s : p.slashed) {
    e.Str(s.address.value()).U64(s.infraction_height).U64(s.infraction_time_s).U64(s.power);
    PutCoin(e, s.slash_amount);
    e.Str(s.slash_ratio);
  }
}

absl::StatusOr<ValsetUpdatePacket> GetValset(Decoder& d) {
  ValsetUpdatePacket p;
  MESH_ASSIGN_OR_RETURN(p.height, d.U64());
  MESH_ASSIGN_OR_RETURN(p.time_s, d.U64());
  for (auto* list : {&p.additions, &p.removals, &p.updated, &p.jailed, &p.unjailed,
                     &p.tombstoned}) {
    MESH_ASSIGN_OR_RETURN(*list, GetAddrs(d));
  }
  MESH_ASSIGN_OR_RETURN(uint32_t n, d.U32());
  for (uint32_t i = 0; i < n; ++i) {
    SlashInfoPacket s;
    MESH_ASSIGN_OR_RETURN(std::string addr, d.Str());
    s.address = ValidatorAddress(std::move(addr));
    MESH_ASSIGN_OR_RETURN(s.infraction_height, d.U64());
    MESH_ASSIGN_OR_RETURN(s.infraction_time_s, d.U64());
    MESH_ASSIGN_OR_RETURN(s.power, d.U64());
    MESH_ASSIGN_OR_RETURN(s.slash_amount, GetCoin(d));
    MESH_ASSIGN_OR_RETURN(s.slash_ratio, d.Str());
    p.slashed.push_back(std::move(s));
  }
  return p;
}

void PutInternalUnstake(Encoder& e, const InternalUnstakePacket& p) {
  e.Str(p.delegator.value()).Str(p.validator.value());
  PutCoin(e, p.normalize_amount);
  PutCoin(e, p.inverted_amount);
}

absl::StatusOr<InternalUnstakePacket> GetInternalUnstake(Decoder& d) {
  InternalUnstakePacket p;
  MESH_ASSIGN_OR_RETURN(std::string del, d.Str());
  MESH_ASSIGN_OR_RETURN(std::string val, d.Str());
  p.delegator = AccountAddress(std::move(del));
  p.validator = ValidatorAddress(std::move(val));
  MESH_ASSIGN_OR_RETURN(p.normalize_amount, GetCoin(d));
  MESH_ASSIGN_OR_RETURN(p.inverted_amount, GetCoin(d));
  return p;
}

void PutDistribute(Encoder& e, const DistributeBatchPacket& p) {
  e.U32(static_cast<uint32_t>(p.rewards.size()));
  for (const auto& r : p.rewards) e.Str(r.validator.value()).Amt(r.reward);
  e.Str(p.denom.value());
}

absl::StatusOr<DistributeBatchPacket> GetDistribute(Decoder& d) {
  DistributeBatchPacket p;
  MESH_ASSIGN_OR_RETURN(uint32_t n, d.U32());
  for (uint32_t i = 0; i < n; ++i) {
    MESH_ASSIGN_OR_RETURN(std::string val, d.Str());
    MESH_ASSIGN_OR_RETURN(Amount reward, d.Amt());
    p.rewards.push_back(RewardInfo{ValidatorAddress(std::move(val)), reward});
  }
  MESH_ASSIGN_OR_RETURN(std::string denom, d.Str());
  p.denom = Denom(std::move(denom));
  return p;
}


// A one-byte enum field of a RecordSlash, `lo` to `hi`; DataLoss naming
// `what` otherwise.
template <typename E>
absl::StatusOr<E> SlashEnum(Decoder& d, uint8_t lo, uint8_t hi, const char* what) {
  MESH_ASSIGN_OR_RETURN(uint8_t v, d.U8());
  if (v < lo || v > hi) return absl::DataLossError(std::string("RecordSlash: unknown ") + what);
  return static_cast<E>(v);
}
}  // namespace

void ModuleParams::Encode(Encoder& e) const {
  e.Str(authority.value()).Amt(total_max_cap).U64(epoch_length).Str(account_prefix);
}

absl::StatusOr<ModuleParams> ModuleParams::Decode(Decoder& d) {
  ModuleParams p;
  MESH_ASSIGN_OR_RETURN(std::string auth, d.Str());
  p.authority = AccountAddress(std::move(auth));
  MESH_ASSIGN_OR_RETURN(p.total_max_cap, d.Amt());
  MESH_ASSIGN_OR_RETURN(p.epoch_length, d.U64());
  MESH_ASSIGN_OR_RETURN(p.account_prefix, d.Str());
  return p;
}

void ProviderConfig::Encode(Encoder& e) const {
  e.Str(remote_denom.value()).Decimal(price_adjustment).Str(oracle.value());
  e.U64(price_ttl_s).U32(max_retrieve);
}

absl::StatusOr<ProviderConfig> ProviderConfig::Decode(Decoder& d) {
  ProviderConfig c;
  MESH_ASSIGN_OR_RETURN(std::string denom, d.Str());
  c.remote_denom = Denom(std::move(denom));
  MESH_ASSIGN_OR_RETURN(c.price_adjustment, d.Decimal());
  MESH_ASSIGN_OR_RETURN(std::string oracle, d.Str());
  c.oracle = AccountAddress(std::move(oracle));
  MESH_ASSIGN_OR_RETURN(c.price_ttl_s, d.U64());
  MESH_ASSIGN_OR_RETURN(c.max_retrieve, d.U32());
  return c;
}

void ProviderState::Encode(Encoder& e) const {
  e.Bool(channel_open).Bool(has_max_cap).Amt(max_cap).U64(next_epoch_height);
  e.Amt(total_delegated).Amt(minted).Amt(burned).Amt(slashed);
}

absl::StatusOr<ProviderState> ProviderState::Decode(Decoder& d) {
  ProviderState s;
  MESH_ASSIGN_OR_RETURN(s.channel_open, d.Bool());
  MESH_ASSIGN_OR_RETURN(s.has_max_cap, d.Bool());
  MESH_ASSIGN_OR_RETURN(s.max_cap, d.Amt());
  MESH_ASSIGN_OR_RETURN(s.next_epoch_height, d.U64());
  MESH_ASSIGN_OR_RETURN(s.total_delegated, d.Amt());
  MESH_ASSIGN_OR_RETURN(s.minted, d.Amt());
  MESH_ASSIGN_OR_RETURN(s.burned, d.Amt());
  MESH_ASSIGN_OR_RETURN(s.slashed, d.Amt());
  return s;
}

void PriceInfo::Encode(Encoder& e) const { e.U64(time_ns).Decimal(native_per_foreign); }

absl::StatusOr<PriceInfo> PriceInfo::Decode(Decoder& d) {
  PriceInfo p;
  MESH_ASSIGN_OR_RETURN(p.time_ns, d.U64());
  MESH_ASSIGN_OR_RETURN(p.native_per_foreign, d.Decimal());
  return p;
}

void DelegationRecord::Encode(Encoder& e) const {
  e.Amt(remote).Amt(local).Bool(unstake_in_flight);
  e.U32(static_cast<uint32_t>(additions.size()));
  for (const RecordAddition& a : additions) e.U64(a.height).U64(a.time_s).Amt(a.remote);
  e.Amt(slash_debt);
  if (slash_seq.value_or(0) == 0) {
    additions_log.EncodeTrailing(e);
    return;
  }
  // The log's three fields are then written even when empty (last = 0).
  e.U64(additions_log.first).U64(additions_log.last).U64(additions_log.first_time);
  e.U64(*slash_seq);
}

absl::StatusOr<DelegationRecord> DelegationRecord::Decode(Decoder& d) {
  DelegationRecord r;
  MESH_ASSIGN_OR_RETURN(r.remote, d.Amt());
  MESH_ASSIGN_OR_RETURN(r.local, d.Amt());
  MESH_ASSIGN_OR_RETURN(r.unstake_in_flight, d.Bool());
  MESH_ASSIGN_OR_RETURN(uint32_t n, d.U32());
  for (uint32_t i = 0; i < n; ++i) {
    RecordAddition a;
    MESH_ASSIGN_OR_RETURN(a.height, d.U64());
    MESH_ASSIGN_OR_RETURN(a.time_s, d.U64());
    MESH_ASSIGN_OR_RETURN(a.remote, d.Amt());
    r.additions.push_back(a);
  }
  MESH_ASSIGN_OR_RETURN(r.slash_debt, d.Amt());
  MESH_RETURN_IF_ERROR(r.additions_log.DecodeTrailing(d));
  uint64_t seq = 0;
  if (!d.AtEnd()) {
    MESH_ASSIGN_OR_RETURN(seq, d.U64());
  }
  r.slash_seq = seq;
  return r;
}

void RecordSlash::Encode(Encoder& e) const {
  e.U8(static_cast<uint8_t>(kind)).Amt(cut).Amt(total).U8(static_cast<uint8_t>(remote_rule));
  e.U64(infraction_height).Amt(split_total).Amt(weight_sum).U8(static_cast<uint8_t>(tail));
  e.Str(tail_key).Amt(tail_extra);
}

absl::StatusOr<RecordSlash> RecordSlash::Decode(Decoder& d) {
  RecordSlash s;
  MESH_ASSIGN_OR_RETURN(s.kind, SlashEnum<Kind>(d, 1, 2, "kind"));
  MESH_ASSIGN_OR_RETURN(s.cut, d.Amt());
  MESH_ASSIGN_OR_RETURN(s.total, d.Amt());
  MESH_ASSIGN_OR_RETURN(s.remote_rule, SlashEnum<RemoteRule>(d, 0, 2, "remote rule"));
  MESH_ASSIGN_OR_RETURN(s.infraction_height, d.U64());
  MESH_ASSIGN_OR_RETURN(s.split_total, d.Amt());
  MESH_ASSIGN_OR_RETURN(s.weight_sum, d.Amt());
  MESH_ASSIGN_OR_RETURN(s.tail, SlashEnum<Tail>(d, 0, 2, "tail"));
  MESH_ASSIGN_OR_RETURN(s.tail_key, d.Str());
  MESH_ASSIGN_OR_RETURN(s.tail_extra, d.Amt());
  return s;
}

void ValidatorStatus::Encode(Encoder& e) const { e.Bool(inactive).Bool(tombstoned); }

absl::StatusOr<ValidatorStatus> ValidatorStatus::Decode(Decoder& d) {
  ValidatorStatus s;
  MESH_ASSIGN_OR_RETURN(s.inactive, d.Bool());
  MESH_ASSIGN_OR_RETURN(s.tombstoned, d.Bool());
  return s;
}

void ValidatorSlash::Encode(Encoder& e) const {
  e.Str(address.value()).U64(height).U64(time_s).U64(infraction_height);
  e.U64(infraction_time_s).U64(power).Amt(slash_amount).Decimal(slash_ratio).Bool(is_tombstoned);
}

absl::StatusOr<ValidatorSlash> ValidatorSlash::Decode(Decoder& d) {
  ValidatorSlash s;
  MESH_ASSIGN_OR_RETURN(std::string addr, d.Str());
  s.address = ValidatorAddress(std::move(addr));
  MESH_ASSIGN_OR_RETURN(s.height, d.U64());
  MESH_ASSIGN_OR_RETURN(s.time_s, d.U64());
  MESH_ASSIGN_OR_RETURN(s.infraction_height, d.U64());
  MESH_ASSIGN_OR_RETURN(s.infraction_time_s, d.U64());
  MESH_ASSIGN_OR_RETURN(s.power, d.U64());
  MESH_ASSIGN_OR_RETURN(s.slash_amount, d.Amt());
  MESH_ASSIGN_OR_RETURN(s.slash_ratio, d.Decimal());
  MESH_ASSIGN_OR_RETURN(s.is_tombstoned, d.Bool());
  return s;
}

bool ValsetUpdate::empty() const {
  return additions.empty() && removals.empty() && updated.empty() && jailed.empty() &&
         unjailed.empty() && tombstoned.empty() && slashed.empty();
}

// Outbox entry grammar: u64 seq, u8 kind (1 valset, 2 internal unstake,
// 3 distribute batch), then the packet's fields (docs/consumer.md).
void OutboxEntry::Encode(Encoder& e) const {
  e.U64(seq);
  if (const auto* v = std::get_if<ValsetUpdatePacket>(&packet)) {
    e.U8(1);
    PutValset(e, *v);
  } else if (const auto* u = std::get_if<InternalUnstakePacket>(&packet)) {
    e.U8(2);
    PutInternalUnstake(e, *u);
  } else {
    e.U8(3);
    PutDistribute(e, std::get<DistributeBatchPacket>(packet));
  }
}

absl::StatusOr<OutboxEntry> OutboxEntry::Decode(Decoder& d) {
  OutboxEntry out;
  MESH_ASSIGN_OR_RETURN(out.seq, d.U64());
  MESH_ASSIGN_OR_RETURN(uint8_t kind, d.U8());
  switch (kind) {
    case 1: {
      MESH_ASSIGN_OR_RETURN(out.packet, GetValset(d));
      return out;
    }
    case 2: {
      MESH_ASSIGN_OR_RETURN(out.packet, GetInternalUnstake(d));
      return out;
    }
    case 3: {
      MESH_ASSIGN_OR_RETURN(out.packet, GetDistribute(d));
      return out;
    }
    default:
      return absl::DataLossError("outbox entry: unknown packet kind");
  }
}

std::string Dec18String(Dec d) {
  i128 raw = d.raw() < 0 ? 0 : d.raw();
  std::string frac = Amount(static_cast<u128>(raw % Dec::kOne)).ToString();
  frac.insert(0, 18 - frac.size(), '0');
  return Amount(static_cast<u128>(raw / Dec::kOne)).ToString() + "." + frac;
}

}  // namespace mesh::consumer
