#include "client/query_commands.h"

#include <google/protobuf/descriptor.h>

#include <set>
#include <string>

#include "cosmos/bank/v1beta1/query.pb.h"
#include "cosmos/staking/v1beta1/query.pb.h"
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
    for (size_t i = 0; i < c.max_args; ++i) a.args.push_back("arg" + std::to_string(i));
    a.page.limit = 7;
    a.page.key = "k";
    a.page.reverse = true;
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
      EXPECT_EQ(page.ShortDebugString(), "key: \"k\" limit: 7 reverse: true");
    }
  }
  for (const char* want : {"bank balance", "bank balances", "bank total-supply", "auth account",
                           "staking validators", "staking validator", "staking delegation",
                           "staking delegations", "staking unbonding-delegation",
                           "staking unbonding-delegations", "staking redelegations",
                           "staking pool", "staking params", "staking validator-delegations",
                           "tendermint node-info", "tendermint latest-block", "tendermint syncing"}) {
    EXPECT_EQ(names.count(want), 1u) << want;
  }
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
