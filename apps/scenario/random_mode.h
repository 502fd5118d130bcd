// Random mode: a seeded simulation of a full mesh of chains (every chain
// provides to and consumes from every other one; with link_modes, two more
// chains on replicated / opt-in links) with many users doing
// random actions, random relayer misbehaviour and random validator
// misbehaviour, block after block. After every block the harness checks its
// invariants (supply per chain except injected slashes, vault invariants,
// provider/consumer agreement on every link with nothing in flight).
//
// Deterministic for a given RandomOptions: the generator is a SplitMix64
// seeded with `seed`, and the seed is printed first so a failure can be
// replayed. User rejections (InvalidArgument, NotFound, FailedPrecondition,
// OutOfRange, ...) are expected and counted; an Internal / DataLoss / Unknown
// error from an action, or any error from a block, fails the run.
#ifndef MESHSEC_APPS_SCENARIO_RANDOM_MODE_H_
#define MESHSEC_APPS_SCENARIO_RANDOM_MODE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "core/amount.h"
#include "core/dec.h"

namespace mesh::scenario {

struct RandomOptions {
  uint64_t seed = 1;
  int blocks = 1000;
  int chains = 3;
  int users = 6;              // per chain
  std::string data_dir;       // empty: memory stores
  int progress_every = 1000;  // blocks between progress lines (0: none)
  bool price_changes = true;  // random price updates
  // Random jail / unjail / downtime / double sign, and validators joining
  // the chains (pushing the weakest out of the active set).
  bool misbehaviour = true;
  bool trace = false;         // log every action as it happens
  // Adds two chains secured by replicated / opt-in links (docs/shared-security.md):
  // "zrep" runs on chaina's validators (replicated), "zopt" on chainb's opted-in
  // ones (top N 0, power cap 40 %). Random opt-ins / opt-outs and validators
  // that stop signing on zrep (slash packets jail them on chaina); the
  // invariants then also cover those links (every consumer validator backed
  // on its provider, power caps hold, no VSC lost).
  bool link_modes = false;
  // link_modes: the replicated link's `downtime_slash_fraction` (chaina's
  // validators lose this share of their stake, not only jailed, when zrep
  // reports them down). The ICS default is 0 (jail only).
  Dec ccv_downtime_slash_fraction;
  // The harness's link agreement tolerance (provider excess over the
  // consumer's records on a quiet link). Unset: 0, exact agreement;
  // `link_tolerance` nullopt: unbounded (only "consumer never above").
  bool tolerance_set = false;
  std::optional<Amount> link_tolerance;
  // Called after every block that held the invariants (e.g. a progress
  // line on a terminal); not part of the log.
  std::function<void(int block)> on_block;
};

// Sets blocks, chains and users from 64-bit counts (command-line values),
// checking their ranges: blocks 1..2^31-1, chains 2..26, users 1..1000.
// InvalidArgument naming the flag otherwise (nothing is truncated).
absl::Status SetRandomCounts(uint64_t blocks, uint64_t chains, uint64_t users,
                             RandomOptions& options);

struct RandomStats {
  int blocks = 0;
  std::map<std::string, int> ok;        // action -> successes
  std::map<std::string, int> rejected;  // action -> deterministic rejections
  // link_modes: jailings of chaina validators for downtime reported by its
  // replicated consumer (slash packets), the tokens they burned (0: the link
  // jails only), and the consumers' final consensus-set sizes.
  Amount ccv_burned;
  uint64_t ccv_jailings = 0;
  size_t replicated_set = 0;
  size_t opt_in_set = 0;
};

// Runs the simulation, logging to `log`. Returns the first failure, naming
// the seed and the block.
absl::Status RunRandom(const RandomOptions& options, std::ostream& log, RandomStats* stats);

}  // namespace mesh::scenario

#endif  // MESHSEC_APPS_SCENARIO_RANDOM_MODE_H_
