// meshsec_scenario: runs scenario files (docs/scenarios.md) on an in-process
// mesh of chains, or a seeded random simulation.
//
//   meshsec_scenario [--json] [--keep-going] [--data_dir DIR] FILE.json...
//   meshsec_scenario --random [--seed N] [--blocks B] [--chains C] [--users U]
//                    [--no-price-changes] [--no-misbehaviour] [--trace]
//                    [--link_tolerance N|none] [--link_modes] [--data_dir DIR]
//                    [--ccv_downtime_fraction F]
//
// Flags are Abseil flags (`--flag=value` or `--flag value`; booleans also
// `--noflag`); `--no-price-changes` / `--no-misbehaviour` / `--data-dir` /
// `--link-tolerance` / `--keep-going` are accepted as spelled in older docs.
//
// Exit status: 0 when every scenario passed (or the random run held every
// invariant) and for --help; 1 on a failed step or invariant; 2 on a usage
// error (unknown flag, bad flag value, out-of-range count) or a parse error.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "apps/scenario/random_mode.h"
#include "apps/scenario/runner.h"
#include "apps/scenario/scenario.h"

ABSL_FLAG(bool, json, false, "print one JSON report object per scenario");
ABSL_FLAG(bool, keep_going, false,
          "run every step and report every mismatch instead of stopping at the first failure");
ABSL_FLAG(std::string, data_dir, "",
          "run chain <id> on a fresh RocksDB under DIR/<id> (default: memory stores)");
ABSL_FLAG(bool, random, false, "run the seeded random simulation instead of scenario files");
ABSL_FLAG(uint64_t, seed, 1, "random mode: generator seed");
ABSL_FLAG(uint64_t, blocks, 1000, "random mode: blocks to run (1..2147483647)");
ABSL_FLAG(uint64_t, chains, 3, "random mode: chains in the full mesh (2..26)");
ABSL_FLAG(uint64_t, users, 6, "random mode: users per chain (1..1000)");
ABSL_FLAG(bool, price_changes, true, "random mode: random price updates (--noprice_changes)");
ABSL_FLAG(bool, link_modes, false,
          "random mode: add chains on replicated and opt-in links (--link_modes)");
ABSL_FLAG(std::string, ccv_downtime_fraction, "0",
          "random mode with --link_modes: the replicated link's downtime_slash_fraction "
          "(0, the ICS default: jail only)");
ABSL_FLAG(bool, misbehaviour, true,
          "random mode: jail/unjail/downtime/double sign and joining validators "
          "(--nomisbehaviour)");
ABSL_FLAG(bool, trace, false, "random mode: log every action as it happens");
ABSL_FLAG(std::string, link_tolerance, "",
          "random mode: link agreement tolerance, an amount or `none` (default 0)");
ABSL_FLAG(bool, progress, true,
          "random mode: show a progress line on stderr when it is a terminal");

namespace {

constexpr char kUsage[] =
    "runs mesh-security scenario files, or a seeded random simulation.\n"
    "usage: meshsec_scenario [--json] [--keep_going] [--data_dir DIR] FILE.json...\n"
    "       meshsec_scenario --random [--seed N] [--blocks B] [--chains C] [--users U]\n"
    "                        [--noprice_changes] [--nomisbehaviour] [--trace] [--link_modes]\n"
    "                        [--ccv_downtime_fraction F]\n"
    "                        [--link_tolerance N|none] [--data_dir DIR]\n"
    "exit status: 0 passed (or --help), 1 a step or invariant failed, 2 usage or parse error";

// Exit code used if Abseil's parser exits (it exits on --help and on a flag
// error): 0 for help, 2 for a usage error.
int g_parse_exit_code = -1;

void ExitOverride() {
  if (g_parse_exit_code < 0) return;
  std::fflush(stdout);
  std::fflush(stderr);
  std::_Exit(g_parse_exit_code);
}

int Usage(const std::string& why) {
  std::cerr << "meshsec_scenario: " << why << "\n"
            << "run meshsec_scenario --help for usage\n";
  return 2;
}

// Abseil's usage flags (it prints and exits for them).
bool IsHelpArg(std::string_view a) {
  if (!a.starts_with("--")) return false;
  a.remove_prefix(2);
  return a == "help" || a == "helpfull" || a == "helpshort" || a == "helppackage" ||
         a.starts_with("helpmatch=") || a == "version";
}

// Older spellings (hyphenated, `--no-x`) mapped to Abseil's names.
std::string Canonical(const std::string& arg) {
  if (arg == "-h" || arg == "-help") return "--help";
  if (!arg.starts_with("--") || arg == "--") return arg;
  std::string name = arg.substr(2);
  std::string value;
  if (size_t eq = name.find('='); eq != std::string::npos) {
    value = name.substr(eq);
    name = name.substr(0, eq);
  }
  if (name == "no-price-changes") return "--noprice_changes" + value;
  if (name == "no-misbehaviour") return "--nomisbehaviour" + value;
  std::replace(name.begin(), name.end(), '-', '_');
  return "--" + name + value;
}

// Parses the flags with Abseil; returns the positional arguments. Exits 0
// on --help and 2 on an unknown flag or a bad value (Abseil exits 1 on its
// own; ExitOverride turns that into our codes).
std::vector<std::string> ParseFlags(int argc, char** argv) {
  absl::SetProgramUsageMessage(kUsage);
  absl::FlagsUsageConfig config;
  config.contains_help_flags = [](absl::string_view path) {
    return absl::StrContains(path, "apps/scenario");
  };
  config.contains_helpshort_flags = config.contains_help_flags;
  config.normalize_filename = [](absl::string_view f) { return std::string(f); };
  absl::SetFlagsUsageConfig(config);
  std::vector<std::string> storage;
  bool help = false;
  for (int i = 0; i < argc; ++i) {
    storage.push_back(i == 0 ? argv[0] : Canonical(argv[i]));
    if (i > 0 && IsHelpArg(storage.back())) help = true;
  }
  std::vector<char*> args;
  for (std::string& s : storage) args.push_back(s.data());
  args.push_back(nullptr);
  g_parse_exit_code = help ? 0 : 2;
  std::atexit(ExitOverride);
  std::vector<char*> rest = absl::ParseCommandLine(static_cast<int>(storage.size()), args.data());
  g_parse_exit_code = -1;
  std::vector<std::string> files;
  for (size_t i = 1; i < rest.size(); ++i) files.push_back(rest[i]);
  return files;
}

int RunRandomMode() {
  mesh::scenario::RandomOptions o;
  o.seed = absl::GetFlag(FLAGS_seed);
  o.data_dir = absl::GetFlag(FLAGS_data_dir);
  o.price_changes = absl::GetFlag(FLAGS_price_changes);
  o.misbehaviour = absl::GetFlag(FLAGS_misbehaviour);
  o.link_modes = absl::GetFlag(FLAGS_link_modes);
  o.trace = absl::GetFlag(FLAGS_trace);
  absl::Status range = mesh::scenario::SetRandomCounts(
      absl::GetFlag(FLAGS_blocks), absl::GetFlag(FLAGS_chains), absl::GetFlag(FLAGS_users), o);
  if (!range.ok()) return Usage(std::string(range.message()));
  absl::StatusOr<mesh::Dec> fraction = mesh::Dec::Parse(absl::GetFlag(FLAGS_ccv_downtime_fraction));
  if (!fraction.ok() || fraction->IsNegative() || mesh::Dec::One() < *fraction) {
    return Usage("--ccv_downtime_fraction must be a decimal in [0, 1]");
  }
  o.ccv_downtime_slash_fraction = *fraction;
  const std::string tol = absl::GetFlag(FLAGS_link_tolerance);
  if (!tol.empty()) {
    o.tolerance_set = true;
    if (tol != "none") {
      absl::StatusOr<mesh::Amount> t = mesh::Amount::Parse(tol);
      if (!t.ok()) return Usage("--link_tolerance: " + std::string(t.status().message()));
      o.link_tolerance = *t;
    }
  }
  if (absl::GetFlag(FLAGS_progress) && isatty(STDERR_FILENO)) {
    const int total = o.blocks;
    const int step = std::max(1, total / 200);
    o.on_block = [total, step](int b) {
      if (b % step != 0 && b != total) return;
      std::fprintf(stderr, "\rblock %d of %d (%d%%)", b, total,
                   static_cast<int>(100LL * b / total));
      if (b == total) std::fputc('\n', stderr);
      std::fflush(stderr);
    };
  }
  absl::Status s = mesh::scenario::RunRandom(o, std::cout, nullptr);
  if (!s.ok()) std::cerr << "\n" << s << "\n";
  return s.ok() ? 0 : 1;
}

int RunFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Usage("cannot read " + path);
  std::stringstream buf;
  buf << in.rdbuf();
  absl::StatusOr<mesh::scenario::Scenario> sc = mesh::scenario::ParseScenario(buf.str());
  if (!sc.ok()) {
    std::cerr << path << ": " << sc.status().message() << "\n";
    return 2;
  }
  if (sc->name.empty()) sc->name = path;
  mesh::scenario::RunOptions opts;
  opts.data_dir = absl::GetFlag(FLAGS_data_dir);
  opts.keep_going = absl::GetFlag(FLAGS_keep_going);
  mesh::scenario::Report r = mesh::scenario::RunScenario(*sc, opts);
  std::cout << (absl::GetFlag(FLAGS_json) ? mesh::scenario::FormatJson(r)
                                          : mesh::scenario::FormatText(r));
  return r.passed() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> files = ParseFlags(argc, argv);
  if (absl::GetFlag(FLAGS_random)) {
    if (!files.empty()) return Usage("--random takes no scenario file");
    return RunRandomMode();
  }
  if (files.empty()) return Usage("no scenario file given");
  int rc = 0;
  for (const std::string& f : files) rc = std::max(rc, RunFile(f));
  return rc;
}
