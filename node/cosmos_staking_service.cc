#include "node/cosmos_staking_service.h"

#include <algorithm>
#include <array>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "core/crypto.h"
#include "core/status.h"
#include "node/cosmos_pagination.h"
#include "node/proto_wire.h"
#include "cosmos/crypto/ed25519/keys.pb.h"
#include "cosmos/staking/v1beta1/query.grpc.pb.h"
#include "staking/bank.h"
#include "staking/staking.h"

namespace mesh::node {
namespace {

using cosmos_page::Paginate;
using cosmos_page::PaginateOrdered;
using cosmos_page::PaginateOrderedInto;

namespace sk = ::cosmos::staking::v1beta1;
namespace qpb = ::cosmos::base::query::v1beta1;
using staking::Bank;
using staking::Staking;

constexpr char kEd25519PubKeyType[] = "/cosmos.crypto.ed25519.PubKey";

void SetTime(uint64_t ns, google::protobuf::Timestamp* t) {
  t->set_seconds(static_cast<int64_t>(ns / kNanosPerSecond));
  t->set_nanos(static_cast<int32_t>(ns % kNanosPerSecond));
}

// ---- request fields ---------------------------------------------------------

// A per-thread direct-mapped memo of a pure function of an address string
// (and the prefix it is read under): wallets and explorers ask about the
// same few accounts and validators call after call, as the SDK's own bech32
// address caches assume. Never stale; a slot holds the last input that
// hashed to it.
template <typename V, size_t kSlots>
class AddressMemo {
 public:
  // The remembered value for (hrp, input), or null.
  const V* Find(std::string_view hrp, std::string_view input) {
    const Slot& slot = SlotOf(input);
    return slot.set && slot.input == input && slot.hrp == hrp ? &slot.value : nullptr;
  }
  const V& Keep(std::string_view hrp, std::string_view input, V value) {
    Slot& slot = SlotOf(input);
    slot.hrp = hrp;
    slot.input = input;
    slot.value = std::move(value);
    slot.set = true;
    return slot.value;
  }

 private:
  struct Slot {
    std::string hrp;
    std::string input;
    V value{};
    bool set = false;
  };
  Slot& SlotOf(std::string_view input) {
    return slots_[absl::Hash<std::string_view>{}(input) % slots_.size()];
  }
  std::array<Slot, kSlots> slots_;
};

// The canonical bech32 of `s` (an address under `hrp`): decoding is strict
// (checksum, zero padding, lower-case prefix match), so it is the input
// lower-cased, with no re-encoding. Remembered per thread when valid, for
// as many accounts as a busy explorer polls (about 0.5 MB per thread).
absl::StatusOr<std::string> CanonicalAddress(const std::string& field, const std::string& hrp,
                                             const std::string& s) {
  thread_local AddressMemo<std::string, 4096> memo;
  if (const std::string* known = memo.Find(hrp, s)) return *known;
  if (s.empty()) return absl::InvalidArgumentError(absl::StrCat(field, " cannot be empty"));
  absl::StatusOr<std::string> bytes = AddressFromBech32(hrp, s);
  if (!bytes.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": ", bytes.status().message()));
  }
  return memo.Keep(hrp, s, absl::AsciiStrToLower(s));
}

absl::StatusOr<AccountAddress> Delegator(const Chain& chain, const std::string& s) {
  MESH_ASSIGN_OR_RETURN(std::string a,
                        CanonicalAddress("delegator address", chain.config().bech32_prefix, s));
  return AccountAddress(std::move(a));
}

absl::StatusOr<ValidatorAddress> Valoper(const Chain& chain, const std::string& s) {
  thread_local std::string hrp;  // the prefix + "valoper", without an allocation per call
  hrp.assign(chain.config().bech32_prefix).append("valoper");
  MESH_ASSIGN_OR_RETURN(std::string a, CanonicalAddress("validator address", hrp, s));
  return ValidatorAddress(std::move(a));
}

// AddressOrderKey (the SDK's store-key component of an address, by which
// its lists are ordered), remembered per thread (AddressMemo): a delegator's
// pages sort the same few validators again and again.
std::string AddressKey(const std::string& bech32) {
  thread_local AddressMemo<std::string, 256> memo;
  if (const std::string* known = memo.Find("", bech32)) return *known;
  return memo.Keep("", bech32, AddressOrderKey(bech32));
}

// ---- state -> SDK messages ---------------------------------------------------

void FillValidator(const staking::Validator& v, sk::Validator* out) {
  out->set_operator_address(v.operator_address.value());
  if (!v.consensus_pubkey.empty()) {
    ::cosmos::crypto::ed25519::PubKey pk;
    pk.set_key(v.consensus_pubkey);
    out->mutable_consensus_pubkey()->set_type_url(kEd25519PubKeyType);
    out->mutable_consensus_pubkey()->set_value(pk.SerializeAsString());
  }
  out->set_jailed(v.jailed);
  out->set_status(static_cast<sk::BondStatus>(v.status));
  out->set_tokens(v.tokens.ToString());
  out->set_delegator_shares(LegacyDecWire(v.delegator_shares));
  sk::Description* d = out->mutable_description();  // non-nullable in the SDK: always present
  d->set_moniker(v.description.moniker);
  d->set_identity(v.description.identity);
  d->set_website(v.description.website);
  d->set_details(v.description.details);
  out->set_unbonding_height(static_cast<int64_t>(v.unbonding_height));
  SetTime(v.unbonding_time_ns, out->mutable_unbonding_time());
  sk::Commission* c = out->mutable_commission();
  c->mutable_commission_rates()->set_rate(LegacyDecWire(v.commission_rate));
  c->mutable_commission_rates()->set_max_rate(LegacyDecWire(Dec::One()));
  c->mutable_commission_rates()->set_max_change_rate(LegacyDecWire(Dec::One()));
  SetTime(0, c->mutable_update_time());
  out->set_min_self_delegation(v.min_self_delegation.ToString());
}

// ---- answers written as wire bytes ------------------------------------------
//
// A page of delegations built as messages costs five strings per entry
// (each a heap allocation past 15 bytes, and a destructor at the arena's
// reset), then a walk to size them and one to serialize them: filling the
// messages, serializing them and resetting the arena took 14 %, 5.9 % and
// 4.7 % of ValidatorDelegations' callback handler at 64 calls in flight
// (docs/perf-history.md, "Delegation answers written as wire bytes"). These
// answers are written straight into the response bytes (node/proto_wire.h,
// RunRawQuery), as the generated serializer would write them (checked byte
// for byte in the tests).

// A DelegationResponse {delegation {delegator, validator, shares},
// balance {denom, amount}}, as field `field` of the message `out` encodes.
// `rate` is the validator's (read once per query: Staking::DelegationTokens
// over the records in hand reads neither again).
absl::Status PutDelegationResponse(std::string& out, int field, const staking::ShareRate& rate,
                                   std::string_view delegator, std::string_view validator,
                                   Dec shares, const Denom& denom) {
  using sk::Delegation;
  using Coin = ::cosmos::base::v1beta1::Coin;
  MESH_ASSIGN_OR_RETURN(Amount tokens, Staking::DelegationTokens(rate, shares));
  char shares_buf[kLegacyDecWireChars];
  const std::string_view shares_wire = LegacyDecWireChars(shares, shares_buf);
  char amount_buf[kU128DecimalChars];
  const std::string_view amount = U128ToDecimalChars(tokens.raw(), amount_buf);
  const size_t delegation =
      wire::StringSize(Delegation::kDelegatorAddressFieldNumber, delegator) +
      wire::StringSize(Delegation::kValidatorAddressFieldNumber, validator) +
      wire::StringSize(Delegation::kSharesFieldNumber, shares_wire);
  const size_t balance = wire::StringSize(Coin::kDenomFieldNumber, denom.value()) +
                         wire::StringSize(Coin::kAmountFieldNumber, amount);
  const size_t response =
      wire::LengthDelimitedSize(sk::DelegationResponse::kDelegationFieldNumber, delegation) +
      wire::LengthDelimitedSize(sk::DelegationResponse::kBalanceFieldNumber, balance);
  wire::Append(out, wire::LengthDelimitedSize(field, response), [&](wire::Cursor& c) {
    c.Header(field, response);
    c.Header(sk::DelegationResponse::kDelegationFieldNumber, delegation);
    c.String(Delegation::kDelegatorAddressFieldNumber, delegator);
    c.String(Delegation::kValidatorAddressFieldNumber, validator);
    c.String(Delegation::kSharesFieldNumber, shares_wire);
    c.Header(sk::DelegationResponse::kBalanceFieldNumber, balance);
    c.String(Coin::kDenomFieldNumber, denom.value());
    c.String(Coin::kAmountFieldNumber, amount);
  });
  return absl::OkStatus();
}

// A PageResponse as field `field` of the message `out` encodes (always
// present, as the message-built answers set it).
void PutPageResponse(std::string& out, int field, const qpb::PageResponse& page) {
  const size_t size = page.ByteSizeLong();
  wire::PutHeader(out, field, size);
  page.AppendToString(&out);
}

void FillUnbonding(const staking::UnbondingDelegation& u, sk::UnbondingDelegation* out) {
  out->set_delegator_address(u.delegator.value());
  out->set_validator_address(u.validator.value());
  for (const staking::UnbondingEntry& e : u.entries) {
    sk::UnbondingDelegationEntry* pe = out->add_entries();
    pe->set_creation_height(static_cast<int64_t>(e.creation_height));
    SetTime(e.completion_time_ns, pe->mutable_completion_time());
    pe->set_initial_balance(e.initial_balance.ToString());
    pe->set_balance(e.balance.ToString());
  }
}

// Status filter of Validators: "" = all; otherwise one of the three SDK
// status names (the SDK refuses BOND_STATUS_UNSPECIFIED and anything else).
absl::StatusOr<std::optional<staking::BondStatus>> StatusFilter(const std::string& name) {
  if (name.empty()) return std::optional<staking::BondStatus>();
  sk::BondStatus s = sk::BOND_STATUS_UNSPECIFIED;
  if (!sk::BondStatus_Parse(name, &s) || s == sk::BOND_STATUS_UNSPECIFIED) {
    return absl::InvalidArgumentError("invalid validator status " + name);
  }
  return std::optional<staking::BondStatus>(static_cast<staking::BondStatus>(s));
}

// ---- queries (committed state: the server's committed view) ---------------

absl::Status Validators(const Chain& chain, const sk::QueryValidatorsRequest& req,
                        sk::QueryValidatorsResponse* resp) {
  MESH_ASSIGN_OR_RETURN(std::optional<staking::BondStatus> filter, StatusFilter(req.status()));
  Context ctx = chain.QueryContext();
  MESH_ASSIGN_OR_RETURN(std::vector<staking::Validator> vals, Staking::AllValidators(ctx));
  std::erase_if(
      vals, [&](const staking::Validator& v) { return filter.has_value() && v.status != *filter; });
  auto key = [](const staking::Validator& v) { return AddressKey(v.operator_address.value()); };
  MESH_ASSIGN_OR_RETURN(std::vector<size_t> page,
                        Paginate(vals, key, req.pagination(), resp->mutable_pagination()));
  for (size_t i : page) FillValidator(vals[i], resp->add_validators());
  return absl::OkStatus();
}

absl::Status Validator(const Chain& chain, const sk::QueryValidatorRequest& req,
                       sk::QueryValidatorResponse* resp) {
  MESH_ASSIGN_OR_RETURN(ValidatorAddress val, Valoper(chain, req.validator_addr()));
  MESH_ASSIGN_OR_RETURN(std::optional<staking::Validator> v,
                        Staking::GetValidator(chain.QueryContext(), val));
  if (!v.has_value()) return absl::NotFoundError("validator " + val.value() + " not found");
  FillValidator(*v, resp->mutable_validator());
  return absl::OkStatus();
}

// What delegations are valued with: the bond denom and the validators'
// share rates. A committed view never changes, so each thread keeps them
// for the last view it read (Chain::view_serial: never reused); the live
// chain (serial 0) is read every time.
class Valuation {
 public:
  explicit Valuation(const Chain& chain) : ctx_(chain.QueryContext()) {
    if (chain.view_serial() == 0) return;
    thread_local Memo memo;
    if (memo.serial != chain.view_serial()) {
      memo.serial = chain.view_serial();
      memo.denom.reset();
      memo.rates.clear();
    }
    memo_ = &memo;
  }
  const Context& ctx() const { return ctx_; }

  absl::StatusOr<Denom> BondDenom() {
    if (memo_ != nullptr && memo_->denom.has_value()) return *memo_->denom;
    MESH_ASSIGN_OR_RETURN(staking::Params params, Staking::GetParams(ctx_));
    if (memo_ != nullptr) memo_->denom = params.bond_denom;
    return std::move(params.bond_denom);
  }

  absl::StatusOr<staking::ShareRate> Rate(const ValidatorAddress& val) {
    if (memo_ != nullptr) {
      auto it = memo_->rates.find(val.value());
      if (it != memo_->rates.end()) return it->second;
    }
    MESH_ASSIGN_OR_RETURN(staking::ShareRate rate, Staking::GetShareRate(ctx_, val));
    if (memo_ != nullptr) {
      if (memo_->rates.size() >= kMaxRates) memo_->rates.clear();
      memo_->rates.emplace(val.value(), rate);
    }
    return rate;
  }

 private:
  static constexpr size_t kMaxRates = 1024;
  struct Memo {
    uint64_t serial = 0;
    std::optional<Denom> denom;
    absl::flat_hash_map<std::string, staking::ShareRate> rates;
  };
  Context ctx_;
  Memo* memo_ = nullptr;
};

// The delegations `page` picks from `all`, each as field `field` of `out`.
absl::Status PutDelegationPage(Valuation& value, const std::vector<staking::Delegation>& all,
                               const std::vector<size_t>& page, int field, std::string& out) {
  if (page.empty()) return absl::OkStatus();
  MESH_ASSIGN_OR_RETURN(Denom denom, value.BondDenom());
  const ValidatorAddress* last = nullptr;  // the last validator valued (pages often share it)
  staking::ShareRate rate;
  for (size_t i : page) {
    if (last == nullptr || *last != all[i].validator) {
      MESH_ASSIGN_OR_RETURN(rate, value.Rate(all[i].validator));
      last = &all[i].validator;
    }
    MESH_RETURN_IF_ERROR(PutDelegationResponse(out, field, rate, all[i].delegator.value(),
                                               all[i].validator.value(), all[i].shares, denom));
  }
  return absl::OkStatus();
}

// The records of a page of a validator's delegators (or unbonders), read
// in the committed view the page was listed in; `find` is the staking
// lookup (InternalError for an entry of the index without its record).
template <typename T, typename Find>
absl::StatusOr<std::vector<T>> PageRecords(const Context& ctx, const ValidatorAddress& val,
                                           const std::vector<AccountAddress>& dels, Find find) {
  std::vector<T> out;
  out.reserve(dels.size());
  for (const AccountAddress& del : dels) {
    MESH_ASSIGN_OR_RETURN(std::optional<T> t, find(ctx, del, val));
    if (!t.has_value()) return absl::InternalError("a by-validator index entry without its record");
    out.push_back(*std::move(t));
  }
  return out;
}

// A page of `val`'s delegators (or unbonders: `visit` is
// Staking::VisitValidatorUnbonders), read from the by-validator index: it
// costs the page, not the validator's list.
absl::StatusOr<std::vector<AccountAddress>> DelegatorPage(
    const Context& ctx, const ValidatorAddress& val, const qpb::PageRequest& req,
    qpb::PageResponse* resp,
    absl::Status (*visit)(const Context&, const ValidatorAddress&, std::string_view, bool,
                          Staking::IndexVisitor)) {
  return PaginateOrdered<AccountAddress>(
      req, resp, [&](std::string_view from, bool reverse, const auto& on_entry) {
        return visit(ctx, val, from, reverse, on_entry);
      });
}

// A page of `val`'s delegations, read from the by-validator index alone
// (its entries hold the shares, Staking::VisitValidatorDelegations), written
// as the response's wire bytes.
absl::Status ValidatorDelegations(const Chain& chain,
                                  const sk::QueryValidatorDelegationsRequest& req,
                                  std::string* out) {
  using Resp = sk::QueryValidatorDelegationsResponse;
  MESH_ASSIGN_OR_RETURN(ValidatorAddress val, Valoper(chain, req.validator_addr()));
  Valuation value(chain);
  // Each delegation of the page goes into the response as the walk reaches
  // its index entry (whose views it holds), valued at the validator's rate,
  // read at the page's first delegation (none for an empty page).
  struct Entry {
    std::string_view delegator;
    Dec shares;
  };
  std::optional<staking::ShareRate> rate;
  std::optional<Denom> denom;
  qpb::PageResponse page;
  MESH_RETURN_IF_ERROR(PaginateOrderedInto<Entry>(
      req.pagination(), &page,
      [&](std::string_view from, bool reverse, const auto& on_entry) {
        return Staking::VisitValidatorDelegations(
            value.ctx(), val, from, reverse,
            [&](std::string_view key, std::string_view del, Dec shares) {
              return on_entry(key, Entry{del, shares});
            });
      },
      [&](const Entry& e) -> absl::Status {
        if (!rate.has_value()) {
          MESH_ASSIGN_OR_RETURN(rate, value.Rate(val));
          MESH_ASSIGN_OR_RETURN(denom, value.BondDenom());
        }
        return PutDelegationResponse(*out, Resp::kDelegationResponsesFieldNumber, *rate,
                                     e.delegator, val.value(), e.shares, *denom);
      }));
  PutPageResponse(*out, Resp::kPaginationFieldNumber, page);
  return absl::OkStatus();
}

// Written as the response's wire bytes.
absl::Status DelegatorDelegations(const Chain& chain,
                                  const sk::QueryDelegatorDelegationsRequest& req,
                                  std::string* out) {
  using Resp = sk::QueryDelegatorDelegationsResponse;
  MESH_ASSIGN_OR_RETURN(AccountAddress del, Delegator(chain, req.delegator_addr()));
  Valuation value(chain);
  MESH_ASSIGN_OR_RETURN(std::vector<staking::Delegation> all,
                        Staking::DelegatorDelegations(value.ctx(), del));
  auto key = [](const staking::Delegation& d) { return AddressKey(d.validator.value()); };
  qpb::PageResponse page_resp;
  MESH_ASSIGN_OR_RETURN(std::vector<size_t> page,
                        Paginate(all, key, req.pagination(), &page_resp));
  MESH_RETURN_IF_ERROR(
      PutDelegationPage(value, all, page, Resp::kDelegationResponsesFieldNumber, *out));
  PutPageResponse(*out, Resp::kPaginationFieldNumber, page_resp);
  return absl::OkStatus();
}

// Written as the response's wire bytes.
absl::Status Delegation(const Chain& chain, const sk::QueryDelegationRequest& req,
                        std::string* out) {
  MESH_ASSIGN_OR_RETURN(AccountAddress del, Delegator(chain, req.delegator_addr()));
  MESH_ASSIGN_OR_RETURN(ValidatorAddress val, Valoper(chain, req.validator_addr()));
  Valuation value(chain);
  MESH_ASSIGN_OR_RETURN(std::optional<staking::Delegation> d,
                        Staking::GetDelegation(value.ctx(), del, val));
  if (!d.has_value()) {
    return absl::NotFoundError(absl::StrCat("delegation with delegator ", del.value(),
                                            " not found for validator ", val.value()));
  }
  MESH_ASSIGN_OR_RETURN(staking::ShareRate rate, value.Rate(val));
  MESH_ASSIGN_OR_RETURN(Denom denom, value.BondDenom());
  return PutDelegationResponse(*out, sk::QueryDelegationResponse::kDelegationResponseFieldNumber,
                               rate, d->delegator.value(), d->validator.value(), d->shares,
                               denom);
}

absl::Status UnbondingDelegation(const Chain& chain, const sk::QueryUnbondingDelegationRequest& req,
                                 sk::QueryUnbondingDelegationResponse* resp) {
  MESH_ASSIGN_OR_RETURN(AccountAddress del, Delegator(chain, req.delegator_addr()));
  MESH_ASSIGN_OR_RETURN(ValidatorAddress val, Valoper(chain, req.validator_addr()));
  MESH_ASSIGN_OR_RETURN(std::optional<staking::UnbondingDelegation> u,
                        Staking::GetUnbondingDelegation(chain.QueryContext(), del, val));
  if (!u.has_value()) {
    return absl::NotFoundError(absl::StrCat("unbonding delegation with delegator ", del.value(),
                                            " not found for validator ", val.value()));
  }
  FillUnbonding(*u, resp->mutable_unbond());
  return absl::OkStatus();
}

absl::Status DelegatorUnbondingDelegations(const Chain& chain,
                                           const sk::QueryDelegatorUnbondingDelegationsRequest& req,
                                           sk::QueryDelegatorUnbondingDelegationsResponse* resp) {
  MESH_ASSIGN_OR_RETURN(AccountAddress del, Delegator(chain, req.delegator_addr()));
  MESH_ASSIGN_OR_RETURN(std::vector<staking::UnbondingDelegation> all,
                        Staking::DelegatorUnbondingDelegations(chain.QueryContext(), del));
  auto key = [](const staking::UnbondingDelegation& u) { return AddressKey(u.validator.value()); };
  MESH_ASSIGN_OR_RETURN(std::vector<size_t> page,
                        Paginate(all, key, req.pagination(), resp->mutable_pagination()));
  for (size_t i : page) FillUnbonding(all[i], resp->add_unbonding_responses());
  return absl::OkStatus();
}

absl::Status ValidatorUnbondingDelegations(const Chain& chain,
                                           const sk::QueryValidatorUnbondingDelegationsRequest& req,
                                           sk::QueryValidatorUnbondingDelegationsResponse* resp) {
  MESH_ASSIGN_OR_RETURN(ValidatorAddress val, Valoper(chain, req.validator_addr()));
  Context ctx = chain.QueryContext();
  MESH_ASSIGN_OR_RETURN(std::vector<AccountAddress> dels,
                        DelegatorPage(ctx, val, req.pagination(), resp->mutable_pagination(),
                                      &Staking::VisitValidatorUnbonders));
  MESH_ASSIGN_OR_RETURN(std::vector<staking::UnbondingDelegation> page,
                        PageRecords<staking::UnbondingDelegation>(
                            ctx, val, dels, &Staking::GetUnbondingDelegation));
  for (const staking::UnbondingDelegation& u : page) {
    FillUnbonding(u, resp->add_unbonding_responses());
  }
  return absl::OkStatus();
}

// The validators `del` delegates to (SDK DelegatorValidators).
absl::Status DelegatorValidators(const Chain& chain, const sk::QueryDelegatorValidatorsRequest& req,
                                 sk::QueryDelegatorValidatorsResponse* resp) {
  MESH_ASSIGN_OR_RETURN(AccountAddress del, Delegator(chain, req.delegator_addr()));
  Context ctx = chain.QueryContext();
  MESH_ASSIGN_OR_RETURN(std::vector<staking::Delegation> all,
                        Staking::DelegatorDelegations(ctx, del));
  auto key = [](const staking::Delegation& d) { return AddressKey(d.validator.value()); };
  MESH_ASSIGN_OR_RETURN(std::vector<size_t> page,
                        Paginate(all, key, req.pagination(), resp->mutable_pagination()));
  for (size_t i : page) {
    MESH_ASSIGN_OR_RETURN(std::optional<staking::Validator> v,
                          Staking::GetValidator(ctx, all[i].validator));
    if (!v.has_value()) return absl::InternalError("delegation to a missing validator");
    FillValidator(*v, resp->add_validators());
  }
  return absl::OkStatus();
}

absl::Status DelegatorValidator(const Chain& chain, const sk::QueryDelegatorValidatorRequest& req,
                                sk::QueryDelegatorValidatorResponse* resp) {
  MESH_ASSIGN_OR_RETURN(AccountAddress del, Delegator(chain, req.delegator_addr()));
  MESH_ASSIGN_OR_RETURN(ValidatorAddress val, Valoper(chain, req.validator_addr()));
  Context ctx = chain.QueryContext();
  MESH_ASSIGN_OR_RETURN(std::optional<staking::Delegation> d,
                        Staking::GetDelegation(ctx, del, val));
  if (!d.has_value()) return absl::NotFoundError("no delegation for (address, validator) tuple");
  MESH_ASSIGN_OR_RETURN(std::optional<staking::Validator> v, Staking::GetValidator(ctx, val));
  if (!v.has_value()) return absl::NotFoundError("validator " + val.value() + " not found");
  FillValidator(*v, resp->mutable_validator());
  return absl::OkStatus();
}

// Tokens worth `shares` of `v`: floor(shares * tokens / delegator_shares).
absl::StatusOr<Amount> TokensOf(const staking::Validator& v, Dec shares) {
  if (v.delegator_shares.IsZero() || shares.IsNegative()) return Amount();
  MESH_ASSIGN_OR_RETURN(u128 t,
                        MulDivU128(static_cast<u128>(shares.raw()), v.tokens.raw(),
                                   static_cast<u128>(v.delegator_shares.raw()), Rounding::kDown));
  return Amount(t);
}

absl::Status FillRedelegation(const Context& ctx, const staking::Redelegation& r,
                              sk::RedelegationResponse* out) {
  MESH_ASSIGN_OR_RETURN(std::optional<staking::Validator> dst, Staking::GetValidator(ctx, r.dst));
  sk::Redelegation* red = out->mutable_redelegation();
  red->set_delegator_address(r.delegator.value());
  red->set_validator_src_address(r.src.value());
  red->set_validator_dst_address(r.dst.value());
  for (const staking::RedelegationEntry& e : r.entries) {
    sk::RedelegationEntry* pe = red->add_entries();
    pe->set_creation_height(static_cast<int64_t>(e.creation_height));
    SetTime(e.completion_time_ns, pe->mutable_completion_time());
    pe->set_initial_balance(e.initial_balance.ToString());
    pe->set_shares_dst(LegacyDecWire(e.shares_dst));
    sk::RedelegationEntryResponse* resp = out->add_entries();
    *resp->mutable_redelegation_entry() = *pe;
    Amount balance;
    if (dst.has_value()) {
      MESH_ASSIGN_OR_RETURN(balance, TokensOf(*dst, e.shares_dst));
    }
    resp->set_balance(balance.ToString());
  }
  return absl::OkStatus();
}

// As the SDK: delegator + src + dst = that one redelegation (NOT_FOUND if
// none); src alone = every redelegation from src; otherwise the delegator's
// redelegations (src/dst ignored).
absl::Status Redelegations(const Chain& chain, const sk::QueryRedelegationsRequest& req,
                           sk::QueryRedelegationsResponse* resp) {
  Context ctx = chain.QueryContext();
  std::vector<staking::Redelegation> all;
  bool single = false;
  if (!req.delegator_addr().empty() && !req.src_validator_addr().empty() &&
      !req.dst_validator_addr().empty()) {
    MESH_ASSIGN_OR_RETURN(AccountAddress del, Delegator(chain, req.delegator_addr()));
    MESH_ASSIGN_OR_RETURN(ValidatorAddress src, Valoper(chain, req.src_validator_addr()));
    MESH_ASSIGN_OR_RETURN(ValidatorAddress dst, Valoper(chain, req.dst_validator_addr()));
    MESH_ASSIGN_OR_RETURN(std::vector<staking::Redelegation> mine,
                          Staking::DelegatorRedelegations(ctx, del));
    for (staking::Redelegation& r : mine) {
      if (r.src == src && r.dst == dst) all.push_back(std::move(r));
    }
    if (all.empty()) {
      return absl::NotFoundError(absl::StrCat("redelegation not found for delegator address ",
                                              del.value(), " from validator address ",
                                              src.value()));
    }
    single = true;
  } else if (req.delegator_addr().empty() && !req.src_validator_addr().empty() &&
             req.dst_validator_addr().empty()) {
    MESH_ASSIGN_OR_RETURN(ValidatorAddress src, Valoper(chain, req.src_validator_addr()));
    MESH_ASSIGN_OR_RETURN(all, Staking::RedelegationsFrom(ctx, src));
  } else {
    MESH_ASSIGN_OR_RETURN(AccountAddress del, Delegator(chain, req.delegator_addr()));
    MESH_ASSIGN_OR_RETURN(all, Staking::DelegatorRedelegations(ctx, del));
  }
  std::vector<size_t> page;
  if (single) {
    page.push_back(0);
  } else {
    // (delegator, src, dst) address bytes: the last components of the SDK key.
    auto key = [](const staking::Redelegation& r) {
      return AddressKey(r.delegator.value()) + AddressKey(r.src.value()) +
             AddressKey(r.dst.value());
    };
    MESH_ASSIGN_OR_RETURN(page, Paginate(all, key, req.pagination(), resp->mutable_pagination()));
  }
  for (size_t i : page) {
    MESH_RETURN_IF_ERROR(FillRedelegation(ctx, all[i], resp->add_redelegation_responses()));
  }
  return absl::OkStatus();
}

absl::Status Pool(const Chain& chain, const sk::QueryPoolRequest&, sk::QueryPoolResponse* resp) {
  Context ctx = chain.QueryContext();
  MESH_ASSIGN_OR_RETURN(staking::Params params, Staking::GetParams(ctx));
  MESH_ASSIGN_OR_RETURN(Amount not_bonded,
                        Bank::Balance(ctx, staking::kNotBondedPool, params.bond_denom));
  MESH_ASSIGN_OR_RETURN(Amount bonded, Bank::Balance(ctx, staking::kBondedPool, params.bond_denom));
  resp->mutable_pool()->set_not_bonded_tokens(not_bonded.ToString());
  resp->mutable_pool()->set_bonded_tokens(bonded.ToString());
  return absl::OkStatus();
}

absl::Status Params(const Chain& chain, const sk::QueryParamsRequest&,
                    sk::QueryParamsResponse* resp) {
  MESH_ASSIGN_OR_RETURN(staking::Params p, Staking::GetParams(chain.QueryContext()));
  sk::Params* out = resp->mutable_params();
  out->mutable_unbonding_time()->set_seconds(static_cast<int64_t>(p.unbonding_time_s));
  out->set_max_validators(p.max_validators);
  out->set_max_entries(p.max_entries);
  out->set_historical_entries(0);  // no HistoricalInfo is kept
  out->set_bond_denom(p.bond_denom.value());
  out->set_min_commission_rate(LegacyDecWire(Dec::Zero()));
  return absl::OkStatus();
}

// ---- the service ---------------------------------------------------------------

// The methods answered as messages; Delegation, DelegatorDelegations and
// ValidatorDelegations are registered raw (their answers written as wire
// bytes, RunRawQuery).
#define MESH_COSMOS_METHODS(X)                                                          \
  X(Validators)                                                                         \
  X(Validator)                                                                          \
  X(ValidatorUnbondingDelegations)                                                      \
  X(UnbondingDelegation)                                                                \
  X(DelegatorUnbondingDelegations)                                                      \
  X(DelegatorValidators)                                                                \
  X(DelegatorValidator)                                                                 \
  X(Redelegations)                                                                      \
  X(Pool)                                                                               \
  X(Params)

// Every method's messages on a pooled arena (ArenaMessages).
#define MESH_COSMOS_RAW_METHODS(X) \
  X(ValidatorDelegations)          \
  X(Delegation)                    \
  X(DelegatorDelegations)

class CosmosStakingQuery final
    : public sk::Query::WithRawCallbackMethod_ValidatorDelegations<
          sk::Query::WithRawCallbackMethod_Delegation<
              sk::Query::WithRawCallbackMethod_DelegatorDelegations<sk::Query::CallbackService>>> {
 public:
  explicit CosmosStakingQuery(ChainQueryFn query) : query_(std::move(query)) {
#define MESH_COSMOS_ALLOCATOR(Name) SetMessageAllocatorFor_##Name(&Name##_messages_);
    MESH_COSMOS_METHODS(MESH_COSMOS_ALLOCATOR)
#undef MESH_COSMOS_ALLOCATOR
  }
  using C = grpc::CallbackServerContext;
#define MESH_COSMOS_METHOD(Name)                                                         \
  grpc::ServerUnaryReactor* Name(C* ctx, const sk::Query##Name##Request* q,             \
                                 sk::Query##Name##Response* r) override {                \
    return RunUnaryQuery(query_, ctx, ::mesh::node::Name, q, r);                         \
  }
  MESH_COSMOS_METHODS(MESH_COSMOS_METHOD)
#undef MESH_COSMOS_METHOD
#define MESH_COSMOS_RAW_METHOD(Name)                                                     \
  grpc::ServerUnaryReactor* Name(C* ctx, const grpc::ByteBuffer* q, grpc::ByteBuffer* r) \
      override {                                                                        \
    return RunRawQuery(query_, ctx, ::mesh::node::Name, q, r);                          \
  }
  MESH_COSMOS_RAW_METHODS(MESH_COSMOS_RAW_METHOD)
#undef MESH_COSMOS_RAW_METHOD

 private:
  ChainQueryFn query_;
#define MESH_COSMOS_MESSAGES(Name) \
  ArenaMessages<sk::Query##Name##Request, sk::Query##Name##Response> Name##_messages_;
  MESH_COSMOS_METHODS(MESH_COSMOS_MESSAGES)
#undef MESH_COSMOS_MESSAGES
};
#undef MESH_COSMOS_METHODS
#undef MESH_COSMOS_RAW_METHODS

}  // namespace

std::string_view LegacyDecWireChars(Dec d, std::span<char, kLegacyDecWireChars> buf) {
  const i128 raw = d.raw();
  const bool negative = raw < 0;
  // |raw| as unsigned (well defined for the minimum value too).
  const u128 mag = negative ? u128{0} - static_cast<u128>(raw) : static_cast<u128>(raw);
  const std::string_view digits = U128ToDecimalChars(mag, buf.subspan<1>());
  if (!negative) return digits;
  // At most 39 digits, at the end of the 40 after buf[0]: the sign fits before.
  char* const sign = buf.data() + (digits.data() - buf.data()) - 1;
  *sign = '-';
  return std::string_view(sign, digits.size() + 1);
}

std::string LegacyDecWire(Dec d) {
  char buf[kLegacyDecWireChars];
  return std::string(LegacyDecWireChars(d, buf));
}

std::unique_ptr<grpc::Service> NewCosmosStakingQueryService(ChainQueryFn query) {
  return std::make_unique<CosmosStakingQuery>(std::move(query));
}

}  // namespace mesh::node
