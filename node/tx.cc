#include "node/tx.h"

#include <cstdint>
#include <memory>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/json.h"
#include "core/status.h"
#include "cosmos/bank/v1beta1/tx.pb.h"
#include "cosmos/crypto/secp256k1/keys.pb.h"
#include "cosmos/distribution/v1beta1/tx.pb.h"
#include "cosmos/slashing/v1beta1/tx.pb.h"
#include "cosmos/staking/v1beta1/tx.pb.h"
#include "cosmos/tx/signing/v1beta1/signing.pb.h"
#include "cosmos/tx/v1beta1/tx.pb.h"
#include "google/protobuf/any.pb.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/message.h"
#include "google/protobuf/util/json_util.h"
#include "meshsec/v1/msgs.pb.h"
#include "node/proto_wire.h"

namespace mesh::node {
namespace {

namespace pb = ::google::protobuf;
namespace txpb = ::cosmos::tx::v1beta1;

// Unknown fields anywhere in `m` (set sub-messages included).
bool HasUnknownFields(const pb::Message& m) {
  const pb::Reflection* r = m.GetReflection();
  if (!r->GetUnknownFields(m).empty()) return true;
  std::vector<const pb::FieldDescriptor*> fields;
  r->ListFields(m, &fields);
  for (const pb::FieldDescriptor* f : fields) {
    if (f->cpp_type() != pb::FieldDescriptor::CPPTYPE_MESSAGE) continue;
    if (f->is_repeated()) {
      for (int i = 0; i < r->FieldSize(m, f); ++i) {
        if (HasUnknownFields(r->GetRepeatedMessage(m, f, i))) return true;
      }
    } else if (HasUnknownFields(r->GetMessage(m, f))) {
      return true;
    }
  }
  return false;
}

absl::Status Parse(std::string_view bytes, pb::Message* out, std::string_view what) {
  if (!out->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::InvalidArgumentError(std::string("tx decode: malformed ") + std::string(what));
  }
  if (HasUnknownFields(*out)) {
    return absl::InvalidArgumentError(std::string("tx decode: unknown field in ") +
                                      std::string(what));
  }
  return absl::OkStatus();
}

// A varint read by protobuf's own reader, taken only as short as its value
// allows (a longer encoding of the same value is another byte string for
// one tx).
bool ReadMinimalVarint(pb::io::CodedInputStream& in, uint64_t* value) {
  const int before = in.CurrentPosition();
  return in.ReadVarint64(value) &&
         static_cast<size_t>(in.CurrentPosition() - before) == wire::VarintSize(*value);
}

// The TxRaw envelope in its one canonical form (ADR-027, as the Cosmos SDK's
// decoder requires, and stricter where noted in docs/compatibility.md):
// only length-delimited fields, in ascending field order, body_bytes (1) and
// auth_info_bytes (2) at most once each (the SDK takes a repeated one, the
// last winning), tags and lengths as minimal varints. Otherwise one signed
// tx would have many byte strings, and so many tx hashes.
absl::Status CheckCanonicalTxRaw(std::string_view bytes) {
  pb::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()),
                              static_cast<int>(bytes.size()));
  uint64_t previous = 0;
  while (static_cast<size_t>(in.CurrentPosition()) < bytes.size()) {
    uint64_t tag = 0;
    uint64_t length = 0;
    if (!ReadMinimalVarint(in, &tag)) {
      return absl::InvalidArgumentError("tx decode: TxRaw: a field tag is malformed or not minimal");
    }
    const uint64_t field = tag >> 3;
    if ((tag & 7) != 2) {
      return absl::InvalidArgumentError(absl::StrCat("tx decode: TxRaw: field ", field,
                                                     " is not length-delimited"));
    }
    if (field < previous || (field == previous && field != 3)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "tx decode: TxRaw: field ", field, " after field ", previous,
          " (ADR-027: ascending order, body and auth info once each)"));
    }
    if (!ReadMinimalVarint(in, &length)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "tx decode: TxRaw: the length of field ", field, " is malformed or not minimal"));
    }
    if (length > bytes.size() - static_cast<size_t>(in.CurrentPosition()) ||
        !in.Skip(static_cast<int>(length))) {
      return absl::InvalidArgumentError(absl::StrCat("tx decode: TxRaw: field ", field,
                                                     " runs past the end"));
    }
    previous = field;
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status UnpackStrict(std::string_view bytes, pb::Message* out) {
  if (!out->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::InvalidArgumentError("malformed " + out->GetTypeName());
  }
  if (HasUnknownFields(*out)) {
    return absl::InvalidArgumentError("unknown field in " + out->GetTypeName());
  }
  return absl::OkStatus();
}

std::string SignDocBytes(std::string_view body_bytes, std::string_view auth_info_bytes,
                         std::string_view chain_id, uint64_t account_number) {
  txpb::SignDoc doc;
  doc.set_body_bytes(std::string(body_bytes));
  doc.set_auth_info_bytes(std::string(auth_info_bytes));
  doc.set_chain_id(std::string(chain_id));
  doc.set_account_number(account_number);
  return doc.SerializeAsString();
}

std::string SignedTx::SignBytes(std::string_view chain_id, uint64_t account_number) const {
  return SignDocBytes(body_bytes, auth_info_bytes, chain_id, account_number);
}

absl::StatusOr<SignedTx> SignedTx::Decode(std::string_view wire) {
  MESH_RETURN_IF_ERROR(CheckCanonicalTxRaw(wire));
  txpb::TxRaw raw;
  MESH_RETURN_IF_ERROR(Parse(wire, &raw, "TxRaw"));
  txpb::TxBody body;
  MESH_RETURN_IF_ERROR(Parse(raw.body_bytes(), &body, "TxBody"));
  txpb::AuthInfo auth;
  MESH_RETURN_IF_ERROR(Parse(raw.auth_info_bytes(), &auth, "AuthInfo"));
  if (body.extension_options_size() > 0 || body.non_critical_extension_options_size() > 0) {
    return absl::InvalidArgumentError("tx decode: extension options are not supported");
  }
  if (auth.signer_infos_size() != 1 || raw.signatures_size() != 1) {
    return absl::InvalidArgumentError(
        "tx decode: exactly one signer and one signature per tx are supported, got " +
        std::to_string(auth.signer_infos_size()) + " signer(s) and " +
        std::to_string(raw.signatures_size()) + " signature(s)");
  }
  const txpb::SignerInfo& si = auth.signer_infos(0);
  if (!si.has_mode_info() || !si.mode_info().has_single() ||
      si.mode_info().single().mode() != ::cosmos::tx::signing::v1beta1::SIGN_MODE_DIRECT) {
    return absl::InvalidArgumentError("tx decode: only single SIGN_MODE_DIRECT is supported");
  }
  if (!si.has_public_key() || si.public_key().type_url() != kSecp256k1PubKeyType) {
    return absl::InvalidArgumentError(std::string("tx decode: the signer's public key must be a ") +
                                      std::string(kSecp256k1PubKeyType));
  }
  ::cosmos::crypto::secp256k1::PubKey pk;
  MESH_RETURN_IF_ERROR(Parse(si.public_key().value(), &pk, "PubKey"));
  if (pk.key().size() != 33) {
    return absl::InvalidArgumentError("tx decode: public key must be 33 bytes (compressed)");
  }
  if (!auth.has_fee()) return absl::InvalidArgumentError("tx decode: missing fee");
  if (!auth.fee().payer().empty() || !auth.fee().granter().empty()) {
    return absl::InvalidArgumentError("tx decode: fee payer and granter are not supported");
  }
  if (auth.has_tip()) return absl::InvalidArgumentError("tx decode: tips are not supported");
  SignedTx out;
  out.wire = std::string(wire);
  out.body_bytes = raw.body_bytes();
  out.auth_info_bytes = raw.auth_info_bytes();
  out.signature = raw.signatures(0);
  out.memo = body.memo();
  out.timeout_height = body.timeout_height();
  for (const pb::Any& any : body.messages()) out.msgs.push_back(Msg{any.type_url(), any.value()});
  out.pubkey = pk.key();
  out.sequence = si.sequence();
  out.gas_limit = auth.fee().gas_limit();
  for (const auto& c : auth.fee().amount()) {
    absl::StatusOr<Amount> a = Amount::Parse(c.amount());
    if (!a.ok()) return absl::InvalidArgumentError("tx decode: bad fee amount " + c.amount());
    out.fee.push_back(FeeCoin{c.denom(), *a});
  }
  return out;
}

SignedTx SignedTx::WithSignature(std::string sig) const {
  txpb::TxRaw raw;
  raw.set_body_bytes(body_bytes);
  raw.set_auth_info_bytes(auth_info_bytes);
  raw.add_signatures(sig);
  SignedTx out = *this;
  out.signature = std::move(sig);
  out.wire = raw.SerializeAsString();
  return out;
}

SignedTx SignTx(const PrivateKey& key, const TxSpec& spec) {
  txpb::TxBody body;
  for (const Msg& m : spec.msgs) {
    pb::Any* any = body.add_messages();
    any->set_type_url(m.type_url);
    any->set_value(m.value);
  }
  body.set_memo(spec.memo);
  body.set_timeout_height(spec.timeout_height);
  txpb::AuthInfo auth;
  txpb::SignerInfo* si = auth.add_signer_infos();
  ::cosmos::crypto::secp256k1::PubKey pk;
  pk.set_key(key.PublicKey());
  si->mutable_public_key()->set_type_url(std::string(kSecp256k1PubKeyType));
  si->mutable_public_key()->set_value(pk.SerializeAsString());
  si->mutable_mode_info()->mutable_single()->set_mode(
      ::cosmos::tx::signing::v1beta1::SIGN_MODE_DIRECT);
  si->set_sequence(spec.sequence);
  for (const FeeCoin& c : spec.fee) {
    auto* coin = auth.mutable_fee()->add_amount();
    coin->set_denom(c.denom);
    coin->set_amount(c.amount.ToString());
  }
  auth.mutable_fee()->set_gas_limit(spec.gas_limit == 0 ? kDefaultGasLimit : spec.gas_limit);
  txpb::TxRaw raw;
  raw.set_body_bytes(body.SerializeAsString());
  raw.set_auth_info_bytes(auth.SerializeAsString());
  raw.add_signatures(
      key.Sign(SignDocBytes(raw.body_bytes(), raw.auth_info_bytes(), spec.chain_id,
                            spec.account_number)));
  absl::StatusOr<SignedTx> out = SignedTx::Decode(raw.SerializeAsString());
  MESH_CHECK_OK(out.status());
  return *std::move(out);
}

Msg PackMsg(const pb::Message& msg) {
  return Msg{"/" + msg.GetDescriptor()->full_name(), msg.SerializeAsString()};
}

namespace {

// Touches one message of each file of tx messages so that the linker keeps
// those files (and their descriptors reach the generated pool) in every
// program using the JSON builder, even one that never names a message type.
void LinkMessageFiles() {
  static const bool linked = [] {
    return ::cosmos::bank::v1beta1::MsgSend::descriptor() != nullptr &&
           ::cosmos::staking::v1beta1::MsgDelegate::descriptor() != nullptr &&
           ::cosmos::slashing::v1beta1::MsgUnjail::descriptor() != nullptr &&
           ::cosmos::distribution::v1beta1::MsgWithdrawDelegatorReward::descriptor() != nullptr &&
           ::meshsec::v1::MsgVaultBond::descriptor() != nullptr;
  }();
  (void)linked;
}

// A fresh message of the generated type named by `type_url` ("/pkg.Name").
absl::StatusOr<std::unique_ptr<pb::Message>> NewOfType(std::string_view type_url) {
  LinkMessageFiles();
  const std::string name(type_url.substr(type_url.rfind('/') + 1));
  const pb::Descriptor* desc = pb::DescriptorPool::generated_pool()->FindMessageTypeByName(name);
  if (desc == nullptr) {
    return absl::InvalidArgumentError("unknown message type " + std::string(type_url));
  }
  return std::unique_ptr<pb::Message>(
      pb::MessageFactory::generated_factory()->GetPrototype(desc)->New());
}

}  // namespace

absl::StatusOr<Msg> MsgFromJson(std::string_view json, std::string_view default_signer) {
  MESH_ASSIGN_OR_RETURN(Json parsed, Json::Parse(json));
  if (parsed.kind() != Json::Kind::kObject) {
    return absl::InvalidArgumentError("message JSON must be an object with \"@type\"");
  }
  const Json* type = parsed.Find("@type");
  if (type == nullptr || type->kind() != Json::Kind::kString || type->text().empty()) {
    return absl::InvalidArgumentError("message JSON without \"@type\"");
  }
  Json fields = Json::Object();
  for (const auto& [key, value] : parsed.members()) {
    if (key != "@type") fields.Add(key, value);
  }
  const std::string type_url = type->text();
  MESH_ASSIGN_OR_RETURN(std::unique_ptr<pb::Message> m, NewOfType(type_url));
  pb::util::JsonParseOptions opts;
  opts.ignore_unknown_fields = false;
  auto st = pb::util::JsonStringToMessage(fields.Write(), m.get(), opts);
  if (!st.ok()) {
    return absl::InvalidArgumentError("message JSON for " + type_url + ": " + st.ToString());
  }
  if (!default_signer.empty()) {
    const pb::Descriptor* desc = m->GetDescriptor();
    for (const char* field : {"sender", "authority", "from_address", "delegator_address"}) {
      const pb::FieldDescriptor* f = desc->FindFieldByName(field);
      if (f == nullptr || f->type() != pb::FieldDescriptor::TYPE_STRING || f->is_repeated()) {
        continue;
      }
      if (m->GetReflection()->GetString(*m, f).empty()) {
        m->GetReflection()->SetString(m.get(), f, std::string(default_signer));
      }
      break;
    }
  }
  return Msg{type_url, m->SerializeAsString()};
}

absl::StatusOr<std::string> MsgToJson(const Msg& msg) {
  MESH_ASSIGN_OR_RETURN(std::unique_ptr<pb::Message> m, NewOfType(msg.type_url));
  if (!m->ParseFromString(msg.value)) {
    return absl::InvalidArgumentError("malformed " + msg.type_url);
  }
  pb::util::JsonPrintOptions opts;
  opts.preserve_proto_field_names = true;
  std::string body;
  auto st = pb::util::MessageToJsonString(*m, &body, opts);
  if (!st.ok()) return absl::InvalidArgumentError(st.ToString());
  MESH_ASSIGN_OR_RETURN(Json fields, Json::Parse(body));
  Json out = Json::Object();
  out.Add("@type", Json::Str(msg.type_url));
  for (const auto& [key, value] : fields.members()) out.Add(key, value);
  return out.Write();
}

}  // namespace mesh::node
