#include "mesh/packets/ccv.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/crypto.h"
#include "core/json.h"
#include "core/status.h"
#include "mesh/packets/packets.h"

namespace mesh::packets::ccv {
namespace {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

// Proto-JSON integers travel as decimal strings.
absl::StatusOr<uint64_t> U64Text(JsonFields& f, std::string_view key) {
  MESH_ASSIGN_OR_RETURN(std::string s, f.String(key));
  uint64_t v = 0;
  if (s.empty() || s[0] == '+' || s[0] == '-' || !absl::SimpleAtoi(s, &v)) {
    return f.FieldError(key, absl::InvalidArgumentError("want an unsigned decimal string"));
  }
  return v;
}

absl::StatusOr<int64_t> I64Text(JsonFields& f, std::string_view key) {
  MESH_ASSIGN_OR_RETURN(std::string s, f.String(key));
  int64_t v = 0;
  if (s.empty() || s[0] == '+' || !absl::SimpleAtoi(s, &v)) {
    return f.FieldError(key, absl::InvalidArgumentError("want a decimal string"));
  }
  return v;
}

absl::StatusOr<std::vector<const Json*>> Items(JsonFields& f, std::string_view key) {
  MESH_ASSIGN_OR_RETURN(const Json* v, f.Required(key));
  absl::StatusOr<const std::vector<Json>*> items = v->AsArray();
  if (!items.ok()) return f.FieldError(key, items.status());
  std::vector<const Json*> out;
  for (const Json& j : **items) out.push_back(&j);
  return out;
}

absl::StatusOr<ValidatorUpdate> UpdateOf(const Json& j) {
  MESH_ASSIGN_OR_RETURN(JsonFields f, JsonFields::Of(j, "validator_update"));
  ValidatorUpdate u;
  MESH_ASSIGN_OR_RETURN(const Json* pk, f.Required("pub_key"));
  MESH_ASSIGN_OR_RETURN(JsonFields k, JsonFields::Of(*pk, "pub_key"));
  MESH_ASSIGN_OR_RETURN(std::string b64, k.String("ed25519"));
  absl::StatusOr<std::string> key = Base64Decode(b64);
  if (!key.ok() || key->size() != 32) {
    return k.FieldError("ed25519", absl::InvalidArgumentError("want 32 bytes of base64"));
  }
  u.pub_key = *std::move(key);
  MESH_RETURN_IF_ERROR(k.Finish());
  MESH_ASSIGN_OR_RETURN(u.power, I64Text(f, "power"));
  if (u.power < 0) return f.FieldError("power", absl::InvalidArgumentError("negative power"));
  MESH_RETURN_IF_ERROR(f.Finish());
  return u;
}

absl::StatusOr<Infraction> InfractionOf(JsonFields& f) {
  MESH_ASSIGN_OR_RETURN(std::string s, f.String("infraction"));
  // Both the v1 names and the SDK names are accepted (ICS does the same).
  if (s == "INFRACTION_DOWNTIME" || s == "INFRACTION_TYPE_DOWNTIME") return Infraction::kDowntime;
  if (s == "INFRACTION_DOUBLE_SIGN" || s == "INFRACTION_TYPE_DOUBLE_SIGN") {
    return Infraction::kDoubleSign;
  }
  return f.FieldError("infraction", absl::InvalidArgumentError("unknown infraction " + s));
}

absl::StatusOr<SlashPacket> SlashOf(const Json& j) {
  MESH_ASSIGN_OR_RETURN(JsonFields f, JsonFields::Of(j, "slash_packet_data"));
  SlashPacket p;
  MESH_ASSIGN_OR_RETURN(const Json* val, f.Required("validator"));
  MESH_ASSIGN_OR_RETURN(JsonFields v, JsonFields::Of(*val, "validator"));
  MESH_ASSIGN_OR_RETURN(std::string b64, v.String("address"));
  absl::StatusOr<std::string> addr = Base64Decode(b64);
  if (!addr.ok() || addr->empty() || addr->size() > 255) {
    return v.FieldError("address", absl::InvalidArgumentError("want 1..255 bytes of base64"));
  }
  p.address = *std::move(addr);
  MESH_ASSIGN_OR_RETURN(p.power, I64Text(v, "power"));
  if (p.power == 0) return v.FieldError("power", absl::InvalidArgumentError("power is 0"));
  MESH_RETURN_IF_ERROR(v.Finish());
  MESH_ASSIGN_OR_RETURN(p.valset_update_id, U64Text(f, "valset_update_id"));
  MESH_ASSIGN_OR_RETURN(p.infraction, InfractionOf(f));
  MESH_RETURN_IF_ERROR(f.Finish());
  return p;
}

}  // namespace

std::string AddressText(std::string_view raw) { return absl::AsciiStrToUpper(ToHex(raw)); }

absl::StatusOr<std::string> AddressFromText(std::string_view text) {
  absl::StatusOr<std::string> raw = FromHex(absl::AsciiStrToLower(std::string(text)));
  if (!raw.ok() || raw->empty() || raw->size() > 255) {
    return absl::InvalidArgumentError(absl::StrCat("bad consensus address '", std::string(text), "'"));
  }
  return *raw;
}

std::string EncodeVsc(const VscPacket& p) {
  Json updates = Json::Array();
  for (const ValidatorUpdate& u : p.validator_updates) {
    Json key = Json::Object();
    key.Add("ed25519", Json::Str(Base64Encode(u.pub_key)));
    Json o = Json::Object();
    o.Add("pub_key", std::move(key));
    o.Add("power", Json::Str(absl::StrCat(u.power)));
    updates.Push(std::move(o));
  }
  Json acks = Json::Array();
  for (const std::string& a : p.slash_acks) acks.Push(Json::Str(AddressText(a)));
  Json j = Json::Object();
  j.Add("validator_updates", std::move(updates));
  j.Add("valset_update_id", Json::Str(absl::StrCat(p.valset_update_id)));
  j.Add("slash_acks", std::move(acks));
  if (p.unbonding_waits_for_maturity.has_value()) {
    j.Add("unbonding_waits_for_maturity", Json::Bool(*p.unbonding_waits_for_maturity));
  }
  return j.Write();
}

absl::StatusOr<VscPacket> DecodeVsc(std::string_view bytes) {
  MESH_ASSIGN_OR_RETURN(Json j, Json::Parse(bytes));
  MESH_ASSIGN_OR_RETURN(JsonFields f, JsonFields::Of(j, "validator_set_change_packet_data"));
  VscPacket p;
  MESH_ASSIGN_OR_RETURN(std::vector<const Json*> updates, Items(f, "validator_updates"));
  for (const Json* u : updates) {
    MESH_ASSIGN_OR_RETURN(ValidatorUpdate up, UpdateOf(*u));
    p.validator_updates.push_back(std::move(up));
  }
  MESH_ASSIGN_OR_RETURN(p.valset_update_id, U64Text(f, "valset_update_id"));
  if (p.valset_update_id == 0) {
    return f.FieldError("valset_update_id", absl::InvalidArgumentError("must be > 0"));
  }
  if (f.Optional("slash_acks") != nullptr) {
    MESH_ASSIGN_OR_RETURN(std::vector<std::string> acks, f.StringList("slash_acks"));
    for (const std::string& a : acks) {
      absl::StatusOr<std::string> raw = AddressFromText(a);
      if (!raw.ok()) return f.FieldError("slash_acks", raw.status());
      p.slash_acks.push_back(*std::move(raw));
    }
  }
  if (const Json* w = f.Optional("unbonding_waits_for_maturity")) {
    absl::StatusOr<bool> b = w->AsBool();
    if (!b.ok()) return f.FieldError("unbonding_waits_for_maturity", b.status());
    p.unbonding_waits_for_maturity = *b;
  }
  MESH_RETURN_IF_ERROR(f.Finish());
  return p;
}

std::string EncodeConsumerPacket(const ConsumerPacket& packet) {
  Json j = Json::Object();
  std::visit(Overloaded{
                 [&](const SlashPacket& p) {
                   Json v = Json::Object();
                   v.Add("address", Json::Str(Base64Encode(p.address)));
                   v.Add("power", Json::Str(absl::StrCat(p.power)));
                   Json d = Json::Object();
                   d.Add("validator", std::move(v));
                   d.Add("valset_update_id", Json::Str(absl::StrCat(p.valset_update_id)));
                   d.Add("infraction", Json::Str(p.infraction == Infraction::kDowntime
                                                     ? "INFRACTION_DOWNTIME"
                                                     : "INFRACTION_DOUBLE_SIGN"));
                   j.Add("type", Json::Str("CONSUMER_PACKET_TYPE_SLASH"));
                   j.Add("slashPacketData", std::move(d));
                 },
                 [&](const VscMaturedPacket& p) {
                   Json d = Json::Object();
                   d.Add("valset_update_id", Json::Str(absl::StrCat(p.valset_update_id)));
                   j.Add("type", Json::Str("CONSUMER_PACKET_TYPE_VSCM"));
                   j.Add("vscMaturedPacketData", std::move(d));
                 },
             },
             packet);
  return j.Write();
}

absl::StatusOr<ConsumerPacket> DecodeConsumerPacket(std::string_view bytes) {
  MESH_ASSIGN_OR_RETURN(Json j, Json::Parse(bytes));
  MESH_ASSIGN_OR_RETURN(JsonFields f, JsonFields::Of(j, "consumer_packet_data"));
  MESH_ASSIGN_OR_RETURN(std::string type, f.String("type"));
  ConsumerPacket out;
  if (type == "CONSUMER_PACKET_TYPE_SLASH") {
    MESH_ASSIGN_OR_RETURN(const Json* d, f.Required("slashPacketData"));
    MESH_ASSIGN_OR_RETURN(out, SlashOf(*d));
  } else if (type == "CONSUMER_PACKET_TYPE_VSCM") {
    MESH_ASSIGN_OR_RETURN(const Json* d, f.Required("vscMaturedPacketData"));
    MESH_ASSIGN_OR_RETURN(JsonFields m, JsonFields::Of(*d, "vsc_matured_packet_data"));
    VscMaturedPacket p;
    MESH_ASSIGN_OR_RETURN(p.valset_update_id, U64Text(m, "valset_update_id"));
    MESH_RETURN_IF_ERROR(m.Finish());
    out = p;
  } else {
    return f.FieldError("type", absl::InvalidArgumentError("unknown consumer packet type " + type));
  }
  MESH_RETURN_IF_ERROR(f.Finish());
  return out;
}

std::string ResultAck(uint8_t result) {
  return Ack::Success(std::string(1, static_cast<char>(result))).Encode();
}

absl::StatusOr<uint8_t> DecodeResultAck(std::string_view bytes) {
  MESH_ASSIGN_OR_RETURN(Ack ack, Ack::Decode(bytes));
  if (!ack.ok()) return absl::InvalidArgumentError("error acknowledgement: " + ack.error());
  if (ack.payload().size() != 1) {
    return absl::InvalidArgumentError("a CCV result must be exactly one byte");
  }
  return static_cast<uint8_t>(ack.payload()[0]);
}

}  // namespace mesh::packets::ccv
