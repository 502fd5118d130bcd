// Scenario: a parsed scenario file (docs/scenarios.md) — the network to
// build (chains, validators, funded accounts, mesh links) and the list of
// steps to run on it (user actions, relayer actions, time, misbehaviour,
// expectations).
//
// ParseScenario is strict: unknown top-level keys, unknown actions or
// queries, missing or unknown step fields and malformed amounts or decimals
// are InvalidArgument errors naming the offending place ("steps[3]
// (stake_remote): missing field `amount`"). A parsed scenario is therefore
// well-formed; running it can still fail (a rejected tx, an unmet
// expectation), which is the runner's business (runner.h).
//
// Value types; deterministic.
#ifndef MESHSEC_APPS_SCENARIO_SCENARIO_H_
#define MESHSEC_APPS_SCENARIO_SCENARIO_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/amount.h"
#include "core/dec.h"
#include "core/json.h"
#include "tests/harness/network.h"

namespace mesh::scenario {

// One step. `action` is the action name, or "expect" for an expectation
// (then `query` names what is queried). `args` is the step's JSON object as
// written; the parser has checked every field against the action's table.
struct Step {
  int index = 0;        // position in the file's "steps" array
  std::string action;   // e.g. "stake_remote", "advance", "expect"
  std::string query;    // expectations only: e.g. "stake", "balance"
  Json args;            // the step object

  // Typed field reads (the parser guarantees presence and syntax of the
  // required fields; optional ones fall back to `def`).
  std::string Str(std::string_view key, std::string_view def = "") const;
  Amount Amt(std::string_view key) const;
  Dec Decimal(std::string_view key) const;
  uint64_t U64(std::string_view key, uint64_t def = 0) const;
  bool Has(std::string_view key) const;
  // One-line human description ("stake_remote osmo/user -> juno/alice 1000").
  std::string Describe() const;
};

struct Scenario {
  std::string name;
  std::string description;
  harness::NetworkSpec network;
  std::vector<Step> steps;
};

// Parses and validates a scenario file (see the file comment).
absl::StatusOr<Scenario> ParseScenario(std::string_view json_text);

// Names of every action and of every expectation query, for docs and tests.
std::vector<std::string> ActionNames();
std::vector<std::string> QueryNames();
// The result fields a query reports (in the order they are printed).
std::vector<std::string> QueryFields(std::string_view query);

// OK for a bech32 prefix the harness can use: 1..44 characters of ASCII
// 33..126 without upper case (room for "valoper" and a 20-byte address
// within bech32's 90 characters); InvalidArgument saying what is wrong.
absl::Status CheckBech32Prefix(std::string_view prefix);
// The status code named `name` ("NOT_FOUND", case-insensitive; not OK).
std::optional<absl::StatusCode> StatusCodeFromName(std::string_view name);

// Reads an amount written as a JSON string or an integer number.
absl::StatusOr<Amount> JsonAmount(const Json& v);
// Reads a decimal written as a JSON string or a number ("0.5" or 0.5).
absl::StatusOr<Dec> JsonDec(const Json& v);

}  // namespace mesh::scenario

#endif  // MESHSEC_APPS_SCENARIO_SCENARIO_H_
