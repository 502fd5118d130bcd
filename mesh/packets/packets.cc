#include "mesh/packets/packets.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/status.h"

namespace mesh::packets {
namespace {

absl::string_view Sv(std::string_view s) { return absl::string_view(s.data(), s.size()); }

template <typename Id>
Json IdList(const std::vector<Id>& ids) {
  Json arr = Json::Array();
  for (const Id& id : ids) arr.Push(Json::Str(id.value()));
  return arr;
}

Json ToJson(const AddValidator& v);
Json ToJson(const ValidatorSlashInfo& v);
Json ToJson(const RewardInfo& v);

template <typename T>
Json ObjList(const std::vector<T>& items) {
  Json arr = Json::Array();
  for (const T& item : items) arr.Push(ToJson(item));
  return arr;
}

template <typename Id>
absl::StatusOr<std::vector<Id>> ReadIdList(JsonFields& f, std::string_view key) {
  MESH_ASSIGN_OR_RETURN(std::vector<std::string> raw, f.StringList(key));
  std::vector<Id> out;
  out.reserve(raw.size());
  for (std::string& s : raw) out.emplace_back(std::move(s));
  return out;
}

// A required field decoded by `decode` (a FromJson-like function).
template <typename T, typename Fn>
absl::StatusOr<T> ReadField(JsonFields& f, std::string_view key, Fn decode) {
  MESH_ASSIGN_OR_RETURN(const Json* v, f.Required(key));
  absl::StatusOr<T> out = decode(*v);
  if (!out.ok()) return f.FieldError(key, out.status());
  return out;
}

template <typename T, typename Fn>
absl::StatusOr<std::vector<T>> ReadObjList(JsonFields& f, std::string_view key, Fn decode) {
  MESH_ASSIGN_OR_RETURN(const Json* v, f.Required(key));
  absl::StatusOr<const std::vector<Json>*> arr = v->AsArray();
  if (!arr.ok()) return f.FieldError(key, arr.status());
  std::vector<T> out;
  for (const Json& item : **arr) {
    absl::StatusOr<T> t = decode(item);
    if (!t.ok()) return f.FieldError(key, t.status());
    out.push_back(*std::move(t));
  }
  return out;
}

absl::StatusOr<Coin> ReadCoin(JsonFields& f, std::string_view key) {
  return ReadField<Coin>(f, key, Coin::FromJson);
}

// ---------------------------------------------------------------- members

Json ToJson(const AddValidator& v) {
  Json j = Json::Object();
  j.Add("valoper", Json::Str(v.valoper.value())).Add("pub_key", Json::Str(v.pub_key));
  return j;
}

absl::StatusOr<AddValidator> AddValidatorFromJson(const Json& j) {
  MESH_ASSIGN_OR_RETURN(JsonFields f, JsonFields::Of(j, "AddValidator"));
  AddValidator v;
  MESH_ASSIGN_OR_RETURN(std::string valoper, f.String("valoper"));
  v.valoper = ValidatorAddress(std::move(valoper));
  MESH_ASSIGN_OR_RETURN(v.pub_key, f.String("pub_key"));
  MESH_RETURN_IF_ERROR(f.Finish());
  return v;
}

Json ToJson(const ValidatorSlashInfo& v) {
  Json j = Json::Object();
  j.Add("address", Json::Str(v.address.value()))
      .Add("infraction_height", Json::U64(v.infraction_height))
      .Add("infraction_time", Json::U64(v.infraction_time))
      .Add("power", Json::U64(v.power))
      .Add("slash_amount", v.slash_amount.ToJson())
      .Add("slash_ratio", Json::Str(v.slash_ratio));
  return j;
}

absl::StatusOr<ValidatorSlashInfo> SlashInfoFromJson(const Json& j) {
  MESH_ASSIGN_OR_RETURN(JsonFields f, JsonFields::Of(j, "ValidatorSlashInfo"));
  ValidatorSlashInfo v;
  MESH_ASSIGN_OR_RETURN(std::string address, f.String("address"));
  v.address = ValidatorAddress(std::move(address));
  MESH_ASSIGN_OR_RETURN(v.infraction_height, f.U64("infraction_height"));
  MESH_ASSIGN_OR_RETURN(v.infraction_time, f.U64("infraction_time"));
  MESH_ASSIGN_OR_RETURN(v.power, f.U64("power"));
  MESH_ASSIGN_OR_RETURN(v.slash_amount, ReadCoin(f, "slash_amount"));
  MESH_ASSIGN_OR_RETURN(v.slash_ratio, f.String("slash_ratio"));
  MESH_RETURN_IF_ERROR(f.Finish());
  return v;
}

Json ToJson(const RewardInfo& v) {
  Json j = Json::Object();
  j.Add("validator", Json::Str(v.validator.value())).Add("reward", Uint128ToJson(v.reward));
  return j;
}

absl::StatusOr<RewardInfo> RewardInfoFromJson(const Json& j) {
  MESH_ASSIGN_OR_RETURN(JsonFields f, JsonFields::Of(j, "RewardInfo"));
  RewardInfo v;
  MESH_ASSIGN_OR_RETURN(std::string validator, f.String("validator"));
  v.validator = ValidatorAddress(std::move(validator));
  MESH_ASSIGN_OR_RETURN(v.reward, ReadField<Amount>(f, "reward", Uint128FromJson));
  MESH_RETURN_IF_ERROR(f.Finish());
  return v;
}

Json Tagged(std::string_view tag, Json body) {
  Json j = Json::Object();
  j.Add(tag, std::move(body));
  return j;
}

// ---------------------------------------------------------------- provider packets

Json ToJson(const StakePacket& p) {
  Json j = Json::Object();
  j.Add("delegator", Json::Str(p.delegator.value()))
      .Add("validator", Json::Str(p.validator.value()))
      .Add("stake", p.stake.ToJson())
      .Add("tx_id", Json::U64(p.tx_id));
  return Tagged("stake", std::move(j));
}

Json ToJson(const UnstakePacket& p) {
  Json j = Json::Object();
  j.Add("delegator", Json::Str(p.delegator.value()))
      .Add("validator", Json::Str(p.validator.value()))
      .Add("unstake", p.unstake.ToJson())
      .Add("tx_id", Json::U64(p.tx_id));
  return Tagged("unstake", std::move(j));
}

Json ToJson(const BurnPacket& p) {
  Json j = Json::Object();
  j.Add("validators", IdList(p.validators)).Add("burn", p.burn.ToJson());
  return Tagged("burn", std::move(j));
}

Json ToJson(const TransferRewardsPacket& p) {
  Json j = Json::Object();
  j.Add("rewards", p.rewards.ToJson())
      .Add("recipient", Json::Str(p.recipient.value()))
      .Add("tx_id", Json::U64(p.tx_id));
  return Tagged("transfer_rewards", std::move(j));
}

// Stake and unstake share a shape; `coin_key` names the amount field.
template <typename P>
absl::StatusOr<P> StakeLikeFromJson(const Json& body, std::string_view type,
                                    std::string_view coin_key, Coin P::*coin) {
  MESH_ASSIGN_OR_RETURN(JsonFields f, JsonFields::Of(body, type));
  P p;
  MESH_ASSIGN_OR_RETURN(std::string delegator, f.String("delegator"));
  p.delegator = AccountAddress(std::move(delegator));
  MESH_ASSIGN_OR_RETURN(std::string validator, f.String("validator"));
  p.validator = ValidatorAddress(std::move(validator));
  MESH_ASSIGN_OR_RETURN(p.*coin, ReadCoin(f, coin_key));
  MESH_ASSIGN_OR_RETURN(p.tx_id, f.U64("tx_id"));
  MESH_RETURN_IF_ERROR(f.Finish());
  return p;
}

absl::StatusOr<BurnPacket> BurnFromJson(const Json& body) {
  MESH_ASSIGN_OR_RETURN(JsonFields f, JsonFields::Of(body, "ProviderPacket::Burn"));
  BurnPacket p;
  MESH_ASSIGN_OR_RETURN(p.validators, ReadIdList<ValidatorAddress>(f, "validators"));
  MESH_ASSIGN_OR_RETURN(p.burn, ReadCoin(f, "burn"));
  MESH_RETURN_IF_ERROR(f.Finish());
  return p;
}

absl::StatusOr<TransferRewardsPacket> TransferRewardsFromJson(const Json& body) {
  MESH_ASSIGN_OR_RETURN(JsonFields f, JsonFields::Of(body, "ProviderPacket::TransferRewards"));
  TransferRewardsPacket p;
  MESH_ASSIGN_OR_RETURN(p.rewards, ReadCoin(f, "rewards"));
  MESH_ASSIGN_OR_RETURN(std::string recipient, f.String("recipient"));
  p.recipient = AccountAddress(std::move(recipient));
  MESH_ASSIGN_OR_RETURN(p.tx_id, f.U64("tx_id"));
  MESH_RETURN_IF_ERROR(f.Finish());
  return p;
}

// ---------------------------------------------------------------- consumer packets

Json ToJson(const ValsetUpdatePacket& p) {
  Json j = Json::Object();
  j.Add("height", Json::U64(p.height))
      .Add("time", Json::U64(p.time))
      .Add("additions", ObjList(p.additions))
      .Add("removals", IdList(p.removals))
      .Add("updated", ObjList(p.updated))
      .Add("jailed", IdList(p.jailed))
      .Add("unjailed", IdList(p.unjailed))
      .Add("tombstoned", IdList(p.tombstoned))
      .Add("slashed", ObjList(p.slashed));
  return Tagged("valset_update", std::move(j));
}

Json ToJson(const InternalUnstakePacket& p) {
  Json j = Json::Object();
  j.Add("delegator", Json::Str(p.delegator.value()))
      .Add("validator", Json::Str(p.validator.value()))
      .Add("normalize_amount", p.normalize_amount.ToJson())
      .Add("inverted_amount", p.inverted_amount.ToJson());
  return Tagged("internal_unstake", std::move(j));
}

Json ToJson(const DistributePacket& p) {
  Json j = Json::Object();
  j.Add("validator", Json::Str(p.validator.value())).Add("rewards", p.rewards.ToJson());
  return Tagged("distribute", std::move(j));
}

Json ToJson(const DistributeBatchPacket& p) {
  Json j = Json::Object();
  j.Add("rewards", ObjList(p.rewards)).Add("denom", Json::Str(p.denom.value()));
  return Tagged("distribute_batch", std::move(j));
}

absl::StatusOr<ValsetUpdatePacket> ValsetUpdateFromJson(const Json& body) {
  MESH_ASSIGN_OR_RETURN(JsonFields f, JsonFields::Of(body, "ConsumerPacket::ValsetUpdate"));
  ValsetUpdatePacket p;
  MESH_ASSIGN_OR_RETURN(p.height, f.U64("height"));
  MESH_ASSIGN_OR_RETURN(p.time, f.U64("time"));
  MESH_ASSIGN_OR_RETURN(p.additions, ReadObjList<AddValidator>(f, "additions", AddValidatorFromJson));
  MESH_ASSIGN_OR_RETURN(p.removals, ReadIdList<ValidatorAddress>(f, "removals"));
  MESH_ASSIGN_OR_RETURN(p.updated, ReadObjList<AddValidator>(f, "updated", AddValidatorFromJson));
  MESH_ASSIGN_OR_RETURN(p.jailed, ReadIdList<ValidatorAddress>(f, "jailed"));
  MESH_ASSIGN_OR_RETURN(p.unjailed, ReadIdList<ValidatorAddress>(f, "unjailed"));
  MESH_ASSIGN_OR_RETURN(p.tombstoned, ReadIdList<ValidatorAddress>(f, "tombstoned"));
  MESH_ASSIGN_OR_RETURN(p.slashed,
                        ReadObjList<ValidatorSlashInfo>(f, "slashed", SlashInfoFromJson));
  MESH_RETURN_IF_ERROR(f.Finish());
  return p;
}

absl::StatusOr<InternalUnstakePacket> InternalUnstakeFromJson(const Json& body) {
  MESH_ASSIGN_OR_RETURN(JsonFields f, JsonFields::Of(body, "ConsumerPacket::InternalUnstake"));
  InternalUnstakePacket p;
  MESH_ASSIGN_OR_RETURN(std::string delegator, f.String("delegator"));
  p.delegator = AccountAddress(std::move(delegator));
  MESH_ASSIGN_OR_RETURN(std::string validator, f.String("validator"));
  p.validator = ValidatorAddress(std::move(validator));
  MESH_ASSIGN_OR_RETURN(p.normalize_amount, ReadCoin(f, "normalize_amount"));
  MESH_ASSIGN_OR_RETURN(p.inverted_amount, ReadCoin(f, "inverted_amount"));
  MESH_RETURN_IF_ERROR(f.Finish());
  return p;
}

absl::StatusOr<DistributePacket> DistributeFromJson(const Json& body) {
  MESH_ASSIGN_OR_RETURN(JsonFields f, JsonFields::Of(body, "ConsumerPacket::Distribute"));
  DistributePacket p;
  MESH_ASSIGN_OR_RETURN(std::string validator, f.String("validator"));
  p.validator = ValidatorAddress(std::move(validator));
  MESH_ASSIGN_OR_RETURN(p.rewards, ReadCoin(f, "rewards"));
  MESH_RETURN_IF_ERROR(f.Finish());
  return p;
}

absl::StatusOr<DistributeBatchPacket> DistributeBatchFromJson(const Json& body) {
  MESH_ASSIGN_OR_RETURN(JsonFields f, JsonFields::Of(body, "ConsumerPacket::DistributeBatch"));
  DistributeBatchPacket p;
  MESH_ASSIGN_OR_RETURN(p.rewards, ReadObjList<RewardInfo>(f, "rewards", RewardInfoFromJson));
  MESH_ASSIGN_OR_RETURN(std::string denom, f.String("denom"));
  p.denom = Denom(std::move(denom));
  MESH_RETURN_IF_ERROR(f.Finish());
  return p;
}

absl::Status UnknownVariant(std::string_view type, std::string_view name) {
  return absl::InvalidArgumentError(
      absl::StrCat("Error parsing into type ", Sv(type), ": unknown variant `", Sv(name), "`"));
}

}  // namespace

// ---------------------------------------------------------------- public

Json Uint128ToJson(Amount v) { return Json::Str(v.ToString()); }

absl::StatusOr<Amount> Uint128FromJson(const Json& v) {
  if (v.kind() != Json::Kind::kString) {
    return absl::InvalidArgumentError("invalid type: expected a string-encoded Uint128");
  }
  return ParseUint128(v.text());
}

absl::StatusOr<Amount> ParseUint128(std::string_view s) {
  std::string_view digits = s;
  if (!digits.empty() && digits.front() == '+') digits.remove_prefix(1);
  if (digits.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("Parsing u128: invalid digit in '", Sv(s), "'"));
  }
  u128 v = 0;
  const u128 max = ~u128{0};
  for (char c : digits) {
    if (c < '0' || c > '9') {
      return absl::InvalidArgumentError(
          absl::StrCat("Parsing u128: invalid digit in '", Sv(s), "'"));
    }
    u128 d = static_cast<u128>(c - '0');
    if (v > (max - d) / 10) {
      return absl::OutOfRangeError(absl::StrCat("Parsing u128: number too large: ", Sv(s)));
    }
    v = v * 10 + d;
  }
  return Amount(v);
}

Json Coin::ToJson() const {
  Json j = Json::Object();
  j.Add("denom", Json::Str(denom.value())).Add("amount", Uint128ToJson(amount));
  return j;
}

absl::StatusOr<Coin> Coin::FromJson(const Json& v) {
  MESH_ASSIGN_OR_RETURN(JsonFields f, JsonFields::Of(v, "Coin"));
  Coin c;
  MESH_ASSIGN_OR_RETURN(std::string denom, f.String("denom"));
  c.denom = Denom(std::move(denom));
  MESH_ASSIGN_OR_RETURN(c.amount, ReadField<Amount>(f, "amount", Uint128FromJson));
  return c;  // cosmwasm-std Coin ignores unknown fields: no Finish()
}

std::string EncodeProviderPacket(const ProviderPacket& p) {
  return std::visit([](const auto& v) { return ToJson(v).Write(); }, p);
}

absl::StatusOr<ProviderPacket> DecodeProviderPacket(std::string_view bytes) {
  MESH_ASSIGN_OR_RETURN(Json j, Json::Parse(bytes));
  MESH_ASSIGN_OR_RETURN(auto tagged, JsonVariant(j, "ProviderPacket"));
  const auto& [name, body] = tagged;
  if (name == "stake") {
    return StakeLikeFromJson<StakePacket>(*body, "ProviderPacket::Stake", "stake",
                                          &StakePacket::stake);
  }
  if (name == "unstake") {
    return StakeLikeFromJson<UnstakePacket>(*body, "ProviderPacket::Unstake", "unstake",
                                            &UnstakePacket::unstake);
  }
  if (name == "burn") return BurnFromJson(*body);
  if (name == "transfer_rewards") return TransferRewardsFromJson(*body);
  return UnknownVariant("ProviderPacket", name);
}

std::string EncodeConsumerPacket(const ConsumerPacket& p) {
  return std::visit([](const auto& v) { return ToJson(v).Write(); }, p);
}

absl::StatusOr<ConsumerPacket> DecodeConsumerPacket(std::string_view bytes) {
  MESH_ASSIGN_OR_RETURN(Json j, Json::Parse(bytes));
  MESH_ASSIGN_OR_RETURN(auto tagged, JsonVariant(j, "ConsumerPacket"));
  const auto& [name, body] = tagged;
  if (name == "valset_update") return ValsetUpdateFromJson(*body);
  if (name == "internal_unstake") return InternalUnstakeFromJson(*body);
  if (name == "distribute") return DistributeFromJson(*body);
  if (name == "distribute_batch") return DistributeBatchFromJson(*body);
  return UnknownVariant("ConsumerPacket", name);
}

std::string_view PacketType(const ProviderPacket& p) {
  static constexpr std::string_view kNames[] = {"stake", "unstake", "burn", "transfer_rewards"};
  return kNames[p.index()];
}

std::string_view PacketType(const ConsumerPacket& p) {
  static constexpr std::string_view kNames[] = {"valset_update", "internal_unstake",
                                                "distribute", "distribute_batch"};
  return kNames[p.index()];
}

namespace {

absl::Status FitsSigned(std::string_view field, uint64_t v) {
  if (v <= kMaxSigned64) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(Sv(field), " ", v, " exceeds the signed 64-bit range"));
}

}  // namespace

absl::Status CheckSignedRange(const ConsumerPacket& p) {
  const auto* u = std::get_if<ValsetUpdatePacket>(&p);
  if (u == nullptr) return absl::OkStatus();  // the others carry no height or time
  MESH_RETURN_IF_ERROR(FitsSigned("valset_update height", u->height));
  MESH_RETURN_IF_ERROR(FitsSigned("valset_update time", u->time));
  for (const ValidatorSlashInfo& s : u->slashed) {
    MESH_RETURN_IF_ERROR(FitsSigned("slash infraction_height", s.infraction_height));
    MESH_RETURN_IF_ERROR(FitsSigned("slash infraction_time", s.infraction_time));
  }
  return absl::OkStatus();
}

Ack Ack::Success(std::string payload) {
  Ack a;
  a.ok_ = true;
  a.payload_ = std::move(payload);
  return a;
}

Ack Ack::Error(std::string message) {
  Ack a;
  a.ok_ = false;
  a.error_ = std::move(message);
  return a;
}

std::string Ack::Encode() const {
  if (ok_) return Tagged("result", Json::Str(Base64Encode(payload_))).Write();
  return Tagged("error", Json::Str(error_)).Write();
}

absl::StatusOr<Ack> Ack::Decode(std::string_view bytes) {
  MESH_ASSIGN_OR_RETURN(Json j, Json::Parse(bytes));
  MESH_ASSIGN_OR_RETURN(auto tagged, JsonVariant(j, "AckWrapper"));
  const auto& [name, body] = tagged;
  if (name != "result" && name != "error") return UnknownVariant("AckWrapper", name);
  absl::StatusOr<std::string> text = body->AsString();
  if (!text.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("Error parsing into type AckWrapper: ", text.status().message()));
  }
  if (name == "error") return Ack::Error(*std::move(text));
  absl::StatusOr<std::string> payload = Base64Decode(*text);
  if (!payload.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("Error parsing into type AckWrapper: ", payload.status().message()));
  }
  return Ack::Success(*std::move(payload));
}

absl::Status DecodeEmptyAckPayload(std::string_view payload) {
  MESH_ASSIGN_OR_RETURN(Json j, Json::Parse(payload));
  MESH_ASSIGN_OR_RETURN(JsonFields f, JsonFields::Of(j, "Ack"));
  return f.Finish();
}

std::string EncodeReceiptAck(const ReceiptAck& r) {
  Json j = Json::Object();
  j.Add("height", Json::U64(r.height));
  if (!r.absorbed.IsZero()) j.Add("absorbed", Json::Str(r.absorbed.ToString()));
  return j.Write();
}

std::optional<ReceiptAck> DecodeReceiptAck(std::string_view payload) {
  absl::StatusOr<Json> j = Json::Parse(payload);
  if (!j.ok()) return std::nullopt;
  absl::StatusOr<JsonFields> f = JsonFields::Of(*j, "ReceiptAck");
  if (!f.ok()) return std::nullopt;
  ReceiptAck r;
  absl::StatusOr<uint64_t> height = f->U64("height");
  if (!height.ok()) return std::nullopt;
  r.height = *height;
  if (const Json* a = f->Optional("absorbed"); a != nullptr) {
    absl::StatusOr<std::string> text = a->AsString();
    if (!text.ok()) return std::nullopt;
    absl::StatusOr<Amount> amount = Amount::Parse(*text);
    if (!amount.ok()) return std::nullopt;
    r.absorbed = *amount;
  }
  if (!f->Finish().ok()) return std::nullopt;
  return r;
}

}  // namespace mesh::packets
