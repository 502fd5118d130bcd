// meshsec_scenario: runs scenario files (docs/scenarios.md) on an in-process
// mesh of chains, or a seeded random simulation.
//
//   meshsec_scenario [--json] [--data-dir DIR] FILE.json...
//   meshsec_scenario --random [--seed N] [--blocks B] [--chains C] [--users U]
//                    [--no-price-changes] [--no-misbehaviour] [--trace]
//                    [--link-tolerance N|none] [--data-dir DIR]
//
// Exit status: 0 when every scenario passed (or the random run held every
// invariant), 1 on a failed step or invariant, 2 on a usage or parse error.
#include <charconv>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "apps/scenario/random_mode.h"
#include "apps/scenario/runner.h"
#include "apps/scenario/scenario.h"

namespace {

int Usage(const std::string& why) {
  std::cerr << "meshsec_scenario: " << why << "\n"
            << "usage: meshsec_scenario [--json] [--data-dir DIR] FILE.json...\n"
            << "       meshsec_scenario --random [--seed N] [--blocks B] [--chains C] "
               "[--users U]\n"
               "                        [--no-price-changes] [--no-misbehaviour] [--trace]\n"
               "                        [--link-tolerance N|none] [--data-dir DIR]\n";
  return 2;
}

bool ParseU64(std::string_view s, uint64_t& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

struct Args {
  bool json = false;
  bool random = false;
  bool price_changes = true;
  bool misbehaviour = true;
  bool trace = false;
  std::string link_tolerance;  // "" (default), "none" or an amount
  std::string data_dir;
  uint64_t seed = 1, blocks = 1000, chains = 3, users = 6;
  std::vector<std::string> files;
};

// Returns an error message, or "" when the arguments are fine.
std::string ParseArgs(int argc, char** argv, Args& a) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&](uint64_t& out) -> bool {
      return i + 1 < argc && ParseU64(argv[++i], out);
    };
    if (arg == "--json") a.json = true;
    else if (arg == "--random") a.random = true;
    else if (arg == "--no-price-changes") a.price_changes = false;
    else if (arg == "--no-misbehaviour") a.misbehaviour = false;
    else if (arg == "--trace") a.trace = true;
    else if (arg == "--link-tolerance") {
      if (i + 1 >= argc) return "--link-tolerance needs an amount or none";
      a.link_tolerance = argv[++i];
    }
    else if (arg == "--data-dir") {
      if (i + 1 >= argc) return "--data-dir needs a directory";
      a.data_dir = argv[++i];
    } else if (arg == "--seed") { if (!value(a.seed)) return "--seed needs a number"; }
    else if (arg == "--blocks") { if (!value(a.blocks)) return "--blocks needs a number"; }
    else if (arg == "--chains") { if (!value(a.chains)) return "--chains needs a number"; }
    else if (arg == "--users") { if (!value(a.users)) return "--users needs a number"; }
    else if (arg.starts_with("--")) return "unknown option " + arg;
    else a.files.push_back(arg);
  }
  if (!a.random && a.files.empty()) return "no scenario file given";
  if (a.random && !a.files.empty()) return "--random takes no scenario file";
  return "";
}

int RunRandomMode(const Args& a) {
  mesh::scenario::RandomOptions o;
  o.seed = a.seed;
  o.blocks = static_cast<int>(a.blocks);
  o.chains = static_cast<int>(a.chains);
  o.users = static_cast<int>(a.users);
  o.data_dir = a.data_dir;
  o.price_changes = a.price_changes;
  o.misbehaviour = a.misbehaviour;
  o.trace = a.trace;
  if (!a.link_tolerance.empty()) {
    o.tolerance_set = true;
    if (a.link_tolerance != "none") {
      absl::StatusOr<mesh::Amount> t = mesh::Amount::Parse(a.link_tolerance);
      if (!t.ok()) return Usage("--link-tolerance: " + std::string(t.status().message()));
      o.link_tolerance = *t;
    }
  }
  absl::Status s = mesh::scenario::RunRandom(o, std::cout, nullptr);
  if (!s.ok()) std::cerr << s << "\n";
  return s.ok() ? 0 : 1;
}

int RunFile(const Args& a, const std::string& path) {
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
  if (!a.data_dir.empty()) opts.data_dir = a.data_dir;
  mesh::scenario::Report r = mesh::scenario::RunScenario(*sc, opts);
  std::cout << (a.json ? mesh::scenario::FormatJson(r) : mesh::scenario::FormatText(r));
  return r.passed() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  const std::string err = ParseArgs(argc, argv, a);
  if (!err.empty()) return Usage(err);
  if (a.random) return RunRandomMode(a);
  int rc = 0;
  for (const std::string& f : a.files) rc = std::max(rc, RunFile(a, f));
  return rc;
}
