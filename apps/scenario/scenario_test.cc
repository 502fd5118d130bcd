// Scenario runner tests: every examples/*.json passes; parse errors are
// precise; a failed expectation reports expected vs actual; expect_error;
// RocksDB runs; the random mode holds its invariants and is deterministic.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "apps/scenario/random_mode.h"
#include "apps/scenario/runner.h"
#include "apps/scenario/scenario.h"
#include "gtest/gtest.h"

namespace mesh::scenario {
namespace {

namespace fs = std::filesystem;

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

std::vector<fs::path> Examples() {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(MESH_EXAMPLES_DIR)) {
    if (e.path().extension() == ".json") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// A two-chain network (osmo provides to juno) followed by `steps`.
std::string TwoChains(const std::string& steps) {
  return R"({"name":"t","chains":[
    {"id":"osmo","denom":"uosmo","validators":[{"name":"alice","self_bond":"1000000"}],
     "accounts":{"user":"100000"}},
    {"id":"juno","denom":"ujuno","validators":[{"name":"alice","self_bond":"1000000"}],
     "accounts":{"user":"100000"},"epoch_length":5}],
    "links":[{"provider":"osmo","consumer":"juno","price":"0.5","discount":"0.4"}],
    "steps":[)" + steps + "]}";
}

std::string ParseError(const std::string& text) {
  absl::StatusOr<Scenario> s = ParseScenario(text);
  EXPECT_FALSE(s.ok());
  if (s.ok()) return "";
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(s.status().message());
}

TEST(ScenarioExamples, EveryExamplePasses) {
  const std::vector<fs::path> files = Examples();
  ASSERT_GE(files.size(), 8u) << "one example per flow is expected in " << MESH_EXAMPLES_DIR;
  for (const fs::path& f : files) {
    SCOPED_TRACE(f.string());
    absl::StatusOr<Scenario> sc = ParseScenario(ReadFile(f));
    ASSERT_TRUE(sc.ok()) << sc.status();
    ASSERT_FALSE(sc->steps.empty());
    Report r = RunScenario(*sc, RunOptions{});
    EXPECT_TRUE(r.passed()) << FormatText(r);
  }
}

TEST(ScenarioParse, RejectsInvalidJson) {
  EXPECT_NE(ParseError("{\"chains\":[").find("not valid JSON"), std::string::npos);
}

TEST(ScenarioParse, RejectsUnknownTopLevelKey) {
  std::string text = TwoChains("");
  text.insert(1, R"("bogus":1,)");
  EXPECT_NE(ParseError(text).find("bogus"), std::string::npos);
}

TEST(ScenarioParse, RejectsUnknownAction) {
  EXPECT_NE(ParseError(TwoChains(R"({"action":"fly"})")).find("steps[0]: unknown action `fly`"),
            std::string::npos);
}

TEST(ScenarioParse, RejectsMissingField) {
  const std::string e =
      ParseError(TwoChains(R"({"action":"advance"},{"action":"bond","chain":"osmo","user":"u"})"));
  EXPECT_NE(e.find("steps[1] (bond): missing field `amount`"), std::string::npos) << e;
}

TEST(ScenarioParse, RejectsUnknownFieldAndBadAmount) {
  EXPECT_NE(ParseError(TwoChains(R"({"action":"relay_all","colour":"red"})"))
                .find("unknown field `colour`"),
            std::string::npos);
  const std::string e =
      ParseError(TwoChains(R"({"action":"bond","chain":"osmo","user":"u","amount":"-5"})"));
  EXPECT_NE(e.find("field `amount`"), std::string::npos) << e;
}

TEST(ScenarioParse, RejectsAdvanceWithBlocksAndSeconds) {
  EXPECT_NE(ParseError(TwoChains(R"({"action":"advance","blocks":2,"seconds":10})"))
                .find("steps[0] (advance): give `blocks` or `seconds`, not both"),
            std::string::npos);
}

TEST(ScenarioParse, AcceptsNumbersOrStringsForAmountsAndDecimals) {
  absl::StatusOr<Scenario> sc = ParseScenario(TwoChains(
      R"({"action":"bond","chain":"osmo","user":"u","amount":5},
         {"action":"set_price","consumer":"juno","provider":"osmo","price":0.25})"));
  ASSERT_TRUE(sc.ok()) << sc.status();
  EXPECT_EQ(sc->steps[0].Amt("amount"), Amount(5));
  EXPECT_EQ(sc->steps[1].Decimal("price").ToString(), "0.25");
  EXPECT_EQ(sc->network.chains[0].accounts.back().first, "oracle");  // service accounts added
}

TEST(ScenarioParse, RejectsUnknownChainAndValidator) {
  EXPECT_NE(ParseError(TwoChains(R"({"action":"bond","chain":"atom","user":"u","amount":1})"))
                .find("unknown chain `atom`"),
            std::string::npos);
  EXPECT_NE(ParseError(TwoChains(R"({"action":"stake_remote","provider":"osmo","user":"u",
                                    "consumer":"juno","validator":"zed","amount":1})"))
                .find("no validator `zed` on chain `juno`"),
            std::string::npos);
}

TEST(ScenarioParse, RejectsBadCreateValidatorSteps) {
  // Missing self-bond, malformed commission, an existing name (genesis or
  // created earlier), a name used before the step creating it.
  std::string e = ParseError(TwoChains(R"({"action":"create_validator","chain":"juno",
                                          "validator":"dave"})"));
  EXPECT_NE(e.find("steps[0] (create_validator): missing field `self_bond`"), std::string::npos)
      << e;
  e = ParseError(TwoChains(R"({"action":"create_validator","chain":"juno","validator":"dave",
                              "self_bond":"10","commission":"lots"})"));
  EXPECT_NE(e.find("field `commission`"), std::string::npos) << e;
  e = ParseError(TwoChains(R"({"action":"create_validator","chain":"juno","validator":"alice",
                              "self_bond":"10"})"));
  EXPECT_NE(e.find("validator `alice` already exists on chain `juno`"), std::string::npos) << e;
  e = ParseError(TwoChains(R"({"action":"create_validator","chain":"juno","validator":"dave",
                              "self_bond":"10"},
                             {"action":"create_validator","chain":"juno","validator":"dave",
                              "self_bond":"20"})"));
  EXPECT_NE(e.find("steps[1] (create_validator): validator `dave` already exists"),
            std::string::npos)
      << e;
  e = ParseError(TwoChains(R"({"expect":"validator","chain":"juno","validator":"dave",
                              "status":"bonded"},
                             {"action":"create_validator","chain":"juno","validator":"dave",
                              "self_bond":"10"})"));
  EXPECT_NE(e.find("steps[0] (expect validator): no validator `dave` on chain `juno`"),
            std::string::npos)
      << e;
  e = ParseError(TwoChains(R"({"action":"create_validator","chain":"atom","validator":"dave",
                              "self_bond":"10"})"));
  EXPECT_NE(e.find("unknown chain `atom`"), std::string::npos) << e;
  e = ParseError(TwoChains(R"({"action":"set_max_validators","chain":"juno",
                              "max_validators":5000000000})"));
  EXPECT_NE(e.find("field `max_validators`: too large"), std::string::npos) << e;
  // The same name on another chain is a different validator.
  EXPECT_TRUE(ParseScenario(TwoChains(R"({"action":"create_validator","chain":"juno",
                                          "validator":"dave","self_bond":"10"},
                                         {"action":"create_validator","chain":"osmo",
                                          "validator":"dave","self_bond":"10"})"))
                  .ok());
}

TEST(ScenarioParse, RejectsExpectationWithoutExpectedValues) {
  const std::string e = ParseError(TwoChains(R"({"expect":"balance","chain":"osmo","user":"u"})"));
  EXPECT_NE(e.find("give at least one of: amount"), std::string::npos) << e;
  EXPECT_NE(ParseError(TwoChains(R"({"expect":"weather","chain":"osmo"})"))
                .find("unknown query `weather`"),
            std::string::npos);
}

TEST(ScenarioRun, FailedExpectationShowsTheDifference) {
  absl::StatusOr<Scenario> sc = ParseScenario(TwoChains(
      R"({"expect":"balance","chain":"osmo","user":"user","amount":"100000"},
         {"expect":"balance","chain":"osmo","user":"user","amount":"99999"},
         {"action":"advance"})"));
  ASSERT_TRUE(sc.ok()) << sc.status();
  Report r = RunScenario(*sc, RunOptions{});
  EXPECT_FALSE(r.passed());
  ASSERT_EQ(r.steps.size(), 2u);  // stops at the failed step
  EXPECT_TRUE(r.steps[0].ok);
  ASSERT_EQ(r.steps[1].mismatches.size(), 1u);
  EXPECT_EQ(r.steps[1].mismatches[0].field, "amount");
  EXPECT_EQ(r.steps[1].mismatches[0].expected, "99999");
  EXPECT_EQ(r.steps[1].mismatches[0].actual, "100000");
  const std::string text = FormatText(r);
  EXPECT_NE(text.find("amount: expected 99999, actual 100000"), std::string::npos) << text;
  EXPECT_NE(text.find("FAILED"), std::string::npos);
  const std::string json = FormatJson(r);
  EXPECT_NE(json.find(R"("passed":false)"), std::string::npos) << json;
  EXPECT_NE(json.find(R"({"field":"amount","expected":"99999","actual":"100000"})"),
            std::string::npos)
      << json;
}

TEST(ScenarioRun, ExpectErrorPassesOnRejectionAndFailsOnSuccess) {
  absl::StatusOr<Scenario> sc = ParseScenario(TwoChains(
      R"({"action":"bond","chain":"osmo","user":"user","amount":"200000","expect_error":true},
         {"action":"bond","chain":"osmo","user":"user","amount":"1000","expect_error":true})"));
  ASSERT_TRUE(sc.ok()) << sc.status();
  Report r = RunScenario(*sc, RunOptions{});
  ASSERT_EQ(r.steps.size(), 2u);
  EXPECT_TRUE(r.steps[0].ok) << r.steps[0].error;
  EXPECT_FALSE(r.steps[1].ok);
  EXPECT_NE(r.steps[1].error.find("expected an error"), std::string::npos);
}

// juno's only validator is pushed out of a one-seat active set by a new,
// larger one; the provider follows (dave active, alice unbonded) and an
// unstake from alice is released at its ack.
TEST(ScenarioRun, CreateValidatorJoinsAndPushesOut) {
  absl::StatusOr<Scenario> sc = ParseScenario(TwoChains(R"(
    {"action":"advance"},
    {"action":"bond","chain":"osmo","user":"user","amount":"5000"},
    {"action":"stake_remote","provider":"osmo","user":"user","consumer":"juno",
     "validator":"alice","amount":"1000"},
    {"action":"advance"},
    {"action":"create_validator","chain":"juno","validator":"dave","self_bond":"2000000",
     "commission":"0.1"},
    {"action":"set_max_validators","chain":"juno","max_validators":1},
    {"expect":"validator","chain":"juno","validator":"dave","status":"unbonded",
     "tokens":"2000000"},
    {"expect":"remote_validator","provider":"osmo","consumer":"juno","validator":"dave",
     "state":"unknown","history":""},
    {"action":"advance"},
    {"expect":"validator","chain":"juno","validator":"dave","status":"bonded"},
    {"expect":"validator","chain":"juno","validator":"alice","status":"unbonding"},
    {"expect":"remote_validator","provider":"osmo","consumer":"juno","validator":"dave",
     "state":"active","history":"active@3"},
    {"expect":"remote_validator","provider":"osmo","consumer":"juno","validator":"alice",
     "state":"unbonded","history":"active@1,unbonded@3"},
    {"action":"stake_remote","provider":"osmo","user":"user","consumer":"juno",
     "validator":"alice","amount":"1","expect_error":true},
    {"action":"stake_remote","provider":"osmo","user":"user","consumer":"juno",
     "validator":"dave","amount":"300"},
    {"action":"unstake","provider":"osmo","user":"user","consumer":"juno",
     "validator":"alice","amount":"1000"},
    {"action":"advance"},
    {"expect":"stake","provider":"osmo","user":"user","consumer":"juno","validator":"dave",
     "stake":"300"},
    {"expect":"stake","provider":"osmo","user":"user","consumer":"juno","validator":"alice",
     "stake":"0","unbonding":"1000"},
    {"action":"withdraw_unbonded","provider":"osmo","user":"user","consumer":"juno"},
    {"expect":"stake","provider":"osmo","user":"user","consumer":"juno","validator":"alice",
     "unbonding":"0","unbonding_count":"0"},
    {"expect":"lien","chain":"osmo","user":"user","holder":"juno","amount":"300"},
    {"action":"create_validator","chain":"juno","validator":"erin","self_bond":"0",
     "expect_error":true}
  )"));
  ASSERT_TRUE(sc.ok()) << sc.status();
  Report r = RunScenario(*sc, RunOptions{});
  EXPECT_TRUE(r.passed()) << FormatText(r);
  ASSERT_GE(r.steps.size(), 6u);
  EXPECT_NE(r.steps[4].detail.find("validator dave created on juno"), std::string::npos)
      << r.steps[4].detail;
}

TEST(ScenarioRun, RunsOnRocksDb) {
  const std::string dir = ::testing::TempDir() + "/scenario_rocks";
  fs::remove_all(dir);
  absl::StatusOr<Scenario> sc = ParseScenario(TwoChains(
      R"({"action":"advance"},
         {"action":"bond","chain":"osmo","user":"user","amount":"5000"},
         {"action":"advance","blocks":2},
         {"expect":"vault_account","chain":"osmo","user":"user","collateral":"5000"})"));
  ASSERT_TRUE(sc.ok()) << sc.status();
  for (int run = 0; run < 2; ++run) {  // the second run replaces the first's data
    Report r = RunScenario(*sc, RunOptions{dir});
    EXPECT_TRUE(r.passed()) << FormatText(r);
  }
  EXPECT_TRUE(fs::exists(fs::path(dir) / "osmo" / "CURRENT"));
  EXPECT_TRUE(fs::exists(fs::path(dir) / "juno" / "CURRENT"));
}

// Everything on (price changes, misbehaviour, joining validators, relayer
// meddling) with exact provider/consumer agreement on every quiet link.
// 1000 blocks keep the suite fast; the 10,000-block runs are in
// docs/scenarios.md.
TEST(RandomMode, HoldsEveryInvariantExactlyAndIsDeterministic) {
  RandomOptions o;
  o.seed = 1;
  o.blocks = 1000;
  o.chains = 3;
  o.progress_every = 0;
  std::ostringstream log1, log2;
  RandomStats s1, s2;
  absl::Status st = RunRandom(o, log1, &s1);
  ASSERT_TRUE(st.ok()) << st << "\n" << log1.str();
  ASSERT_TRUE(RunRandom(o, log2, &s2).ok());
  EXPECT_EQ(s1.blocks, 1000);
  EXPECT_EQ(log1.str(), log2.str());
  EXPECT_NE(log1.str().find("seed 1,"), std::string::npos);
  EXPECT_NE(log1.str().find("link agreement tolerance: 0 "), std::string::npos);
  // The run exercised every kind of event.
  for (const char* kind : {"stake_remote", "unstake", "withdraw_unbonded", "set_price",
                           "set_max_cap", "downtime", "double_sign", "create_validator",
                           "error_ack", "reorder", "unjail"}) {
    EXPECT_GT(s1.ok[kind], 0) << kind << "\n" << log1.str();
  }
}

// The same seed with price changes and misbehaviour off: a quieter run.
TEST(RandomMode, QuietRunHoldsInvariants) {
  RandomOptions o;
  o.seed = 2;
  o.blocks = 300;
  o.progress_every = 0;
  o.price_changes = false;
  o.misbehaviour = false;
  std::ostringstream log;
  RandomStats s;
  absl::Status st = RunRandom(o, log, &s);
  ASSERT_TRUE(st.ok()) << st << "\n" << log.str();
  EXPECT_EQ(s.ok["double_sign"], 0);
  EXPECT_EQ(s.ok["set_price"], 0);
  EXPECT_GT(s.ok["stake_remote"], 0);
}

TEST(RandomMode, RejectsBadChainCount) {
  RandomOptions o;
  o.chains = 1;
  std::ostringstream log;
  EXPECT_EQ(RunRandom(o, log, nullptr).code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mesh::scenario
