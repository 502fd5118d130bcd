// Runner: executes a parsed Scenario on a harness::Network (the in-process
// multi-chain test bed of tests/harness/network.h) step by step, checks its
// expectations and records a Report.
//
// Step semantics (docs/scenarios.md):
// - a user, relayer or misbehaviour action that fails fails the step, unless
//   the step says `expect_error` (true, or a substring the error must
//   contain); an action that succeeds although an error was expected fails;
// - an `expect` step queries state a user could query and compares each
//   given field with the actual value as text; every differing field is
//   reported as (field, expected, actual);
// - the harness checks its invariants after every block (unless the
//   scenario turns that off); a violation fails the step that advanced.
// The run stops at the first failed step, unless RunOptions::keep_going:
// then every step runs and every failure is reported.
//
// With RunOptions::data_dir set, chain `<id>` runs on a fresh RocksDB under
// `<data_dir>/<id>` (an existing RocksDB there is removed first); otherwise
// every chain runs on a MemStore.
//
// Not thread-safe. Deterministic for a given scenario.
#ifndef MESHSEC_APPS_SCENARIO_RUNNER_H_
#define MESHSEC_APPS_SCENARIO_RUNNER_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "apps/scenario/scenario.h"
#include "tests/harness/network.h"

namespace mesh::scenario {

struct RunOptions {
  std::string data_dir;     // empty: memory stores
  bool keep_going = false;  // run every step, reporting every failure
};

struct Mismatch {
  std::string field;
  std::string expected;
  std::string actual;
};

using Fields = std::vector<std::pair<std::string, std::string>>;

struct StepResult {
  int index = 0;
  std::string description;  // Step::Describe()
  std::string note;         // the step's "note", if any
  bool ok = false;
  std::string detail;       // what happened ("ok", "rejected as expected: ...")
  std::string error;        // why the step failed
  Fields actual;            // expectations: every field of the query result
  std::vector<Mismatch> mismatches;
  uint64_t height = 0;      // height of the first chain's open block after the step
};

struct Report {
  std::string name;
  std::string setup_error;  // the network could not be built
  std::vector<StepResult> steps;
  int total_steps = 0;
  bool passed() const;
};

// The acknowledgement of the last packet a relayer step delivered
// (relay_one, deliver, error_ack, duplicate, reorder).
struct LastAck {
  bool set = false;
  uint64_t sequence = 0;
  bool success = false;
  std::string error;  // the error ack's text
};

// A packet sent by chain `from` to chain `to`.
struct SentPacket {
  std::string from;
  std::string to;
  ibc::InFlight packet;
};

class Runner {
 public:
  static absl::StatusOr<std::unique_ptr<Runner>> Create(const Scenario& scenario,
                                                        const RunOptions& options);
  // Runs one step (see the file comment).
  StepResult Execute(const Step& step);
  // Queries `step` (an expectation) and returns every field of the result.
  absl::StatusOr<Fields> Query(const Step& step);
  harness::Network& network() { return *net_; }

 private:
  Runner(std::unique_ptr<harness::Network> net, bool auto_relay, bool check_invariants)
      : net_(std::move(net)), auto_relay_(auto_relay), check_invariants_(check_invariants) {}
  absl::StatusOr<std::string> Act(const Step& s);
  absl::StatusOr<std::string> UserAct(const Step& s);
  absl::StatusOr<std::string> RelayAct(const Step& s);
  absl::StatusOr<std::string> MisbehaveAct(const Step& s);
  absl::StatusOr<std::string> ValidatorSetAct(const Step& s);
  absl::StatusOr<ibc::InFlight> PickPacket(const Step& s);
  absl::StatusOr<std::string> TimeOut(const Step& s);
  absl::StatusOr<std::string> Advance(const Step& s);
  absl::Status AdvanceOne(uint64_t seconds);
  absl::StatusOr<std::vector<SentPacket>> AllPending();
  absl::StatusOr<std::string> NewAct(const Step& s);
  absl::StatusOr<std::string> CcvAct(const Step& s);
  absl::StatusOr<Fields> QueryConsensusSet(const Step& s);
  absl::StatusOr<std::string> InjectSlash(const Step& s);
  absl::StatusOr<std::string> ConsumerDoubleVote(const Step& s);
  absl::StatusOr<std::string> GovAct(const Step& s);
  absl::StatusOr<std::string> OpenChannel(const Step& s);
  void RecordAck(const ibc::InFlight& p, const ibc::RecvResult& got);
  absl::StatusOr<Fields> QueryNew(const Step& s);
  absl::StatusOr<Fields> QueryCcvConsumer(const Step& s);
  absl::StatusOr<Fields> QueryEvents(const Step& s);
  absl::StatusOr<Fields> PendingTxs(const Step& s);
  absl::StatusOr<Fields> QueryConsumerExtra(const Step& s);
  std::string ValidatorName(const std::string& chain, const ValidatorAddress& v) const;
  void Expect(const Step& s, StepResult& r);
  absl::StatusOr<Fields> QueryVault(const Step& s);
  absl::StatusOr<Fields> QueryExternal(const Step& s);
  absl::StatusOr<Fields> QueryConsumer(const Step& s);
  absl::StatusOr<Fields> QueryChain(const Step& s);
  absl::StatusOr<Fields> QueryKeyAssignments(const Step& s);

  std::unique_ptr<harness::Network> net_;
  bool auto_relay_;  // the network's auto-relay setting (restored after a timeout step)
  bool check_invariants_;
  uint64_t block_seconds_ = 5;
  LastAck last_ack_;
  // Packets not yet received when the current block began, and those sent
  // during the last block that ended (`events`).
  std::vector<SentPacket> pending_at_begin_;
  std::vector<SentPacket> sent_last_block_;
  // Consumer keys assigned by `assign_consumer_key` steps that succeeded:
  // (consumer, raw 32-byte key) -> "<provider>/<validator>@<key_seed>" (how
  // the consensus_set and key_assignments queries name them).
  std::map<std::pair<std::string, std::string>, std::string> key_names_;
  // The name of `key` on `consumer` if a step assigned it, else nullptr.
  const std::string* KeyName(const std::string& consumer, const std::string& key) const;
};

// Builds the network and runs every step, stopping at the first failure
// (unless options.keep_going).
Report RunScenario(const Scenario& scenario, const RunOptions& options);

// Makes `dir` ready for a fresh RocksDB: removes a RocksDB left there by an
// earlier run (only a directory holding a RocksDB CURRENT file, or an empty
// one, is touched; anything else is FailedPrecondition) and creates parents.
absl::Status PrepareDir(const std::string& dir);

// The readable step-by-step report, and the machine one (one JSON object).
std::string FormatText(const Report& report);
std::string FormatJson(const Report& report);

}  // namespace mesh::scenario

#endif  // MESHSEC_APPS_SCENARIO_RUNNER_H_
