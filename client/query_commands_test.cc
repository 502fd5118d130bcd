#include "client/query_commands.h"

#include <google/protobuf/descriptor.h>

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "cosmos/bank/v1beta1/query.pb.h"
#include "cosmos/staking/v1beta1/query.pb.h"
#include "cosmos/tx/v1beta1/service.pb.h"
#include "meshsec/v1/cosmos_tx_compat.pb.h"
#include "meshsec/v1/mesh_query.pb.h"
#include "meshsec/v1/query.pb.h"
#include "gtest/gtest.h"

namespace mesh::client {
namespace {

// Every entry names a real method whose input type is what its builder
// makes; names are unique; paginated entries fill the PageRequest.
TEST(QueryCommandsTest, TableIsConsistentWithTheProtos) {
  std::set<std::string> names;
  for (const QueryCommand& c : QueryCommands()) {
    SCOPED_TRACE(c.group + " " + c.name);
    EXPECT_TRUE(names.insert(c.group + " " + c.name).second);
    EXPECT_FALSE(c.help.empty());
    EXPECT_LE(c.min_args, c.max_args);
    ASSERT_TRUE(c.build && c.call);
    QueryArgs a;
    // Digits: also a valid uint64 field (slash-proposal ID).
    for (size_t i = 0; i < c.max_args; ++i) a.args.push_back(std::to_string(100 + i));
    a.page.limit = 7;
    a.page.key = "k";
    a.page.reverse = !c.page_key_limit_only;
    if (c.group == "tx" && c.name == "search") {
      // The one request the pinned protos lack: SDK 0.50's GetTxsEventRequest
      // (cosmos_tx_compat.proto), checked in TxSearchPagesByOffset.
      continue;
    }
    auto req = c.build(a);
    ASSERT_TRUE(req.ok()) << req.status();
    const size_t slash = c.method.rfind('/');
    ASSERT_NE(slash, std::string::npos);
    const auto* service = google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
        c.method.substr(1, slash - 1));
    ASSERT_NE(service, nullptr) << c.method;
    const auto* method = service->FindMethodByName(c.method.substr(slash + 1));
    ASSERT_NE(method, nullptr) << c.method;
    EXPECT_EQ(method->input_type(), (*req)->GetDescriptor());
    const auto* page_field = (*req)->GetDescriptor()->FindFieldByName("pagination");
    EXPECT_EQ(c.paginated, page_field != nullptr);
    if (page_field != nullptr) {
      const auto& page = (*req)->GetReflection()->GetMessage(**req, page_field);
      EXPECT_EQ(page.ShortDebugString(), c.page_key_limit_only ? "key: \"k\" limit: 7"
                                                               : "key: \"k\" limit: 7 reverse: true");
      // key/limit-only pages are exactly meshsec.v1.PageRequest.
      EXPECT_EQ(c.page_key_limit_only,
                page.GetDescriptor()->FindFieldByName("offset") == nullptr);
    } else {
      EXPECT_FALSE(c.page_key_limit_only);
    }
    // Every request flag names a string (or uint64) field of the request,
    // which the flag fills (alone, with the positional arguments left out).
    using FD = google::protobuf::FieldDescriptor;
    for (const std::string& f : c.fields) {
      const auto* field = (*req)->GetDescriptor()->FindFieldByName(f);
      ASSERT_NE(field, nullptr) << f;
      EXPECT_TRUE(field->type() == FD::TYPE_STRING || field->type() == FD::TYPE_UINT64) << f;
    }
    if (!c.fields.empty()) {
      QueryArgs flags_only;
      for (const std::string& f : c.fields) {
        const bool u64 = (*req)->GetDescriptor()->FindFieldByName(f)->type() == FD::TYPE_UINT64;
        flags_only.fields[f] = u64 ? "42" : "v-" + f;
      }
      auto freq = c.build(flags_only);
      ASSERT_TRUE(freq.ok()) << freq.status();
      for (const std::string& f : c.fields) {
        const auto* field = (*freq)->GetDescriptor()->FindFieldByName(f);
        if (field->type() == FD::TYPE_UINT64) {
          EXPECT_EQ((*freq)->GetReflection()->GetUInt64(**freq, field), 42u);
        } else {
          EXPECT_EQ((*freq)->GetReflection()->GetString(**freq, field), "v-" + f);
        }
      }
    }
  }
  for (const char* want : {"bank balance", "bank balances", "bank total-supply", "auth account",
                           "staking validators", "staking validator", "staking delegation",
                           "staking delegations", "staking unbonding-delegation",
                           "staking unbonding-delegations", "staking redelegations",
                           "staking pool", "staking params", "staking validator-delegations",
                           "tendermint node-info", "tendermint latest-block", "tendermint syncing",
                           "tx get", "tx search", "tx block"}) {
    EXPECT_EQ(names.count(want), 1u) << want;
  }
}

// Every RPC of the meshsec.v1 query services has exactly one entry, under
// its kebab-case name.
TEST(QueryCommandsTest, EveryMeshsecQueryRpcHasAnEntry) {
  const std::vector<std::pair<std::string, std::string>> services = {
      {"meshsec.v1.ProviderQuery", "provider"},
      {"meshsec.v1.ConsumerQuery", "consumer"},
      {"meshsec.v1.SharedSecurityQuery", "shared-security"},
      {"meshsec.v1.Query", "mesh"}};
  size_t rpcs = 0;
  for (const auto& [service_name, group] : services) {
    const auto* service =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(service_name);
    ASSERT_NE(service, nullptr) << service_name;
    for (int i = 0; i < service->method_count(); ++i) {
      const std::string full = "/" + service_name + "/" + service->method(i)->name();
      int entries = 0;
      for (const QueryCommand& c : QueryCommands()) {
        if (c.method != full) continue;
        ++entries;
        EXPECT_EQ(c.group, group) << full;
      }
      EXPECT_EQ(entries, 1) << full;
      ++rpcs;
    }
  }
  EXPECT_EQ(rpcs, 12u + 6u + 17u + 8u);
  // Names are the RPC names in kebab case (meshsec.v1.Query's delegator
  // delegations keep the short name of `staking delegations`).
  for (const char* want :
       {"provider vault-params", "provider vault-account", "provider vault-accounts",
        "provider vault-claims", "provider vault-pending-txs", "provider links", "provider link",
        "provider external-pending-txs", "provider external-stakes", "provider pending-rewards",
        "provider remote-validators", "provider packets-in-flight", "consumer params",
        "consumer providers", "consumer provider", "consumer virtual-stakes",
        "consumer delegation-records", "consumer packets-in-flight", "mesh validator",
        "mesh validators", "mesh delegation", "mesh delegations", "mesh validator-delegations",
        "mesh unbonding-delegation", "mesh balance", "mesh account",
        "shared-security ccv-consumers", "shared-security ccv-consumer",
        "shared-security ccv-consumer-set", "shared-security ccv-pending-vscs",
        "shared-security ccv-opt-ins", "shared-security key-assignments",
        "shared-security validator-consumer-key",
        "shared-security validator-by-consumer-address", "shared-security slash-proposals",
        "shared-security slash-proposal", "shared-security slash-meter",
        "shared-security throttled-slashes", "shared-security waiting-slashes",
        "shared-security evidence-punishments",
        "shared-security consumer-ccv-state", "shared-security consumer-ccv-validators",
        "shared-security consumer-ccv-slash-requests"}) {
    const std::string w = want;
    const size_t sp = w.find(' ');
    EXPECT_NE(FindQueryCommand(w.substr(0, sp), w.substr(sp + 1)), nullptr) << want;
  }
}

// Request fields: positional arguments, the same fields as flags, optional
// filters, and the usage errors (missing, given twice).
TEST(QueryCommandsTest, MeshFieldsFromArgumentsAndFlags) {
  const QueryCommand* stakes = FindQueryCommand("provider", "external-stakes");
  ASSERT_NE(stakes, nullptr);
  EXPECT_EQ(stakes->min_args, 0u);
  EXPECT_EQ(stakes->max_args, 1u);
  EXPECT_EQ(stakes->fields, (std::vector<std::string>{"consumer", "user", "validator"}));
  QueryArgs a;
  a.args = {"chainb"};
  a.fields["validator"] = "chainbvaloper1x";
  a.page.offset = 2;
  a.page.count_total = true;
  auto req = stakes->build(a);
  ASSERT_TRUE(req.ok()) << req.status();
  const auto& r = static_cast<const ::meshsec::v1::QueryExternalStakesRequest&>(**req);
  EXPECT_EQ(r.consumer(), "chainb");
  EXPECT_EQ(r.user(), "");
  EXPECT_EQ(r.validator(), "chainbvaloper1x");
  EXPECT_EQ(r.pagination().offset(), 2u);
  EXPECT_TRUE(r.pagination().count_total());

  a = QueryArgs();
  a.fields = {{"consumer", "chainb"}, {"user", "chaina1u"}};
  req = stakes->build(a);
  ASSERT_TRUE(req.ok()) << req.status();
  const auto& r2 = static_cast<const ::meshsec::v1::QueryExternalStakesRequest&>(**req);
  EXPECT_EQ(r2.consumer() + "," + r2.user(), "chainb,chaina1u");

  a = QueryArgs();  // no consumer at all
  EXPECT_TRUE(absl::IsInvalidArgument(stakes->build(a).status()));
  a.args = {"chainb"};
  a.fields["consumer"] = "chainc";  // both ways
  EXPECT_TRUE(absl::IsInvalidArgument(stakes->build(a).status()));

  // Two positionals; the second may come as a flag.
  const QueryCommand* rewards = FindQueryCommand("provider", "pending-rewards");
  a = QueryArgs();
  a.args = {"chainb"};
  a.fields["user"] = "chaina1u";
  req = rewards->build(a);
  ASSERT_TRUE(req.ok()) << req.status();
  const auto& pr = static_cast<const ::meshsec::v1::QueryPendingRewardsRequest&>(**req);
  EXPECT_EQ(pr.consumer() + "," + pr.user(), "chainb,chaina1u");

  // meshsec.v1.Query: positional only; Validators takes --status and a
  // key/limit page.
  const QueryCommand* vals = FindQueryCommand("mesh", "validators");
  EXPECT_TRUE(vals->paginated);
  EXPECT_TRUE(vals->page_key_limit_only);
  a = QueryArgs();
  a.fields["status"] = "BOND_STATUS_BONDED";
  a.page.limit = 2;
  req = vals->build(a);
  ASSERT_TRUE(req.ok()) << req.status();
  const auto& v = static_cast<const ::meshsec::v1::QueryValidatorsRequest&>(**req);
  EXPECT_EQ(v.status(), "BOND_STATUS_BONDED");
  EXPECT_EQ(v.pagination().limit(), 2u);
  const QueryCommand* del = FindQueryCommand("mesh", "delegation");
  EXPECT_EQ(del->min_args, 2u);
  EXPECT_TRUE(del->fields.empty());
  a = QueryArgs();
  a.args = {"chaina1d", "chainavaloper1v"};
  req = del->build(a);
  ASSERT_TRUE(req.ok()) << req.status();
  const auto& d = static_cast<const ::meshsec::v1::QueryDelegationRequest&>(**req);
  EXPECT_EQ(d.delegator_addr() + "," + d.validator_addr(), "chaina1d,chainavaloper1v");

  // A uint64 field (the proposal id): digits only.
  const QueryCommand* prop = FindQueryCommand("shared-security", "slash-proposal");
  ASSERT_NE(prop, nullptr);
  EXPECT_FALSE(prop->paginated);
  a = QueryArgs();
  a.args = {"7"};
  req = prop->build(a);
  ASSERT_TRUE(req.ok()) << req.status();
  EXPECT_EQ(static_cast<const ::meshsec::v1::QuerySlashProposalRequest&>(**req).id(), 7u);
  a.args = {"seven"};
  EXPECT_TRUE(absl::IsInvalidArgument(prop->build(a).status()));
  a.args = {"-1"};
  EXPECT_TRUE(absl::IsInvalidArgument(prop->build(a).status()));
  a = QueryArgs();
  a.fields["id"] = "12";
  req = prop->build(a);
  ASSERT_TRUE(req.ok()) << req.status();
  EXPECT_EQ(static_cast<const ::meshsec::v1::QuerySlashProposalRequest&>(**req).id(), 12u);
}

TEST(QueryCommandsTest, BuildersPutArgumentsInTheirFields) {
  QueryArgs a;
  a.args = {"mesh1abc", "umesh"};
  auto req = FindQueryCommand("bank", "balance")->build(a);
  ASSERT_TRUE(req.ok());
  const auto& b = static_cast<const ::cosmos::bank::v1beta1::QueryBalanceRequest&>(**req);
  EXPECT_EQ(b.address(), "mesh1abc");
  EXPECT_EQ(b.denom(), "umesh");
  a.args = {"d", "s", "t"};
  req = FindQueryCommand("staking", "redelegations")->build(a);
  const auto& r = static_cast<const ::cosmos::staking::v1beta1::QueryRedelegationsRequest&>(**req);
  EXPECT_EQ(r.delegator_addr() + r.src_validator_addr() + r.dst_validator_addr(), "dst");
  EXPECT_EQ(FindQueryCommand("staking", "nope"), nullptr);
}

// `tx search` sends SDK 0.50's GetTxsEventRequest: the query, and pages
// from --limit / --offset (a multiple of the limit) / --reverse.
TEST(QueryCommandsTest, TxSearchPagesByOffset) {
  const QueryCommand* c = FindQueryCommand("tx", "search");
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(c->paginated);
  QueryArgs a;
  a.args = {"message.sender='mesh1abc' AND tx.height>=5"};
  a.page.limit = 10;
  a.page.offset = 20;
  a.page.reverse = true;
  auto req = c->build(a);
  ASSERT_TRUE(req.ok()) << req.status();
  ASSERT_EQ((*req)->GetDescriptor()->full_name(), "meshsec.v1.cosmos_compat.GetTxsEventRequest");
  const auto& r = static_cast<const ::meshsec::v1::cosmos_compat::GetTxsEventRequest&>(**req);
  EXPECT_EQ(r.query(), "message.sender='mesh1abc' AND tx.height>=5");
  EXPECT_EQ(r.page(), 3u);
  EXPECT_EQ(r.limit(), 10u);
  EXPECT_EQ(r.order_by(), ::cosmos::tx::v1beta1::ORDER_BY_DESC);
  // Field numbers as the SDK 0.50 proto has them (the wire is what counts).
  EXPECT_EQ(r.GetDescriptor()->FindFieldByName("query")->number(), 6);
  EXPECT_EQ(r.GetDescriptor()->FindFieldByName("page")->number(), 4);
  EXPECT_EQ(r.GetDescriptor()->FindFieldByName("limit")->number(), 5);
  a.page = {};
  req = c->build(a);
  ASSERT_TRUE(req.ok());
  const auto& d = static_cast<const ::meshsec::v1::cosmos_compat::GetTxsEventRequest&>(**req);
  EXPECT_EQ(d.page(), 1u);
  EXPECT_EQ(d.limit(), 100u);
  EXPECT_EQ(d.order_by(), ::cosmos::tx::v1beta1::ORDER_BY_ASC);
  a.page.limit = 10;
  a.page.offset = 15;
  EXPECT_TRUE(absl::IsInvalidArgument(c->build(a).status()));
  a.page = {};
  a.page.key = "k";
  EXPECT_TRUE(absl::IsInvalidArgument(c->build(a).status()));
  a.page = {};
  a.args = {""};
  EXPECT_TRUE(absl::IsInvalidArgument(c->build(a).status()));
  // tx block takes a positive height.
  const QueryCommand* b = FindQueryCommand("tx", "block");
  ASSERT_NE(b, nullptr);
  for (const char* bad : {"0", "-1", "x", ""}) {
    QueryArgs q;
    q.args = {bad};
    EXPECT_TRUE(absl::IsInvalidArgument(b->build(q).status())) << bad;
  }
  QueryArgs q;
  q.args = {"7"};
  auto breq = b->build(q);
  ASSERT_TRUE(breq.ok());
  EXPECT_EQ(static_cast<const ::cosmos::tx::v1beta1::GetBlockWithTxsRequest&>(**breq).height(), 7);
}

TEST(QueryCommandsTest, JsonUsesProtoNamesAndDefaults) {
  ::cosmos::staking::v1beta1::QueryPoolResponse pool;
  pool.mutable_pool()->set_bonded_tokens("30");
  auto json = ToProtoJson(pool);
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_EQ(*json, R"({"pool":{"not_bonded_tokens":"","bonded_tokens":"30"}})");
}

TEST(QueryCommandsTest, TextForm) {
  auto text = JsonToText(
      R"({"a":"x","n":"12","b":true,"o":{"@type":"/t","k":""},"l":[{"p":"1","q":"2"},"s"],"e":[],"z":{}})");
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text,
            "a: x\n"
            "n: \"12\"\n"  // a JSON string that looks like a number stays a string
            "b: true\n"
            "o:\n"
            "  \"@type\": /t\n"
            "  k: \"\"\n"
            "l:\n"
            "- p: \"1\"\n"
            "  q: \"2\"\n"
            "- s\n"
            "e: []\n"
            "z: {}\n");
  EXPECT_FALSE(JsonToText("{bad").ok());
}

}  // namespace
}  // namespace mesh::client
