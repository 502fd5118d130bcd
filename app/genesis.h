// GenesisDoc: everything needed to start one chain — its identity, genesis
// time, native staking parameters, funded accounts, genesis validators and
// its mesh-security links (the provider role towards each consumer, the
// consumer role towards each provider) — as plain data with a strict JSON
// form (`genesis.json`, docs/application.md).
//
// The same document configures a chain again at every restart: which roles
// are installed and which IBC connection each link uses are configuration,
// not state, and are read from it; genesis state is written only once, when
// the store is empty (Application::InitChain).
//
// Deterministic; no I/O (callers read and write the file).
#ifndef MESHSEC_APP_GENESIS_H_
#define MESHSEC_APP_GENESIS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/amount.h"
#include "core/dec.h"
#include "core/ids.h"
#include "core/json.h"
#include "mesh/provider/ccv.h"
#include "staking/staking.h"

namespace mesh::app {

struct GenesisAccount {
  AccountAddress address;
  Amount balance;  // of the chain's denom
};

struct GenesisValidator {
  AccountAddress operator_account;  // funded with self_bond at genesis, self-delegates it
  Amount self_bond;
  Dec commission;
  std::string consensus_pubkey;     // 32 bytes (ed25519) or empty: derived from the operator
};

// This chain lends stake to `consumer` (provider role).
struct ConsumerLink {
  std::string consumer;             // the consumer's chain id
  ConnectionId connection;          // this chain's IBC connection to it
  Denom remote_denom;               // the consumer's staking denom (reward label)
  uint64_t unbonding_period_s = 1814400;
  Dec slash_dsign = Dec::FromRaw(Dec::kOne / 10);
  Dec slash_offline = Dec::FromRaw(Dec::kOne / 100);
  // Reported double-sign slashes wait for verified evidence
  // (provider::ExternalConfig::require_verified_evidence). On by default: a
  // consumer's word alone never slashes a double sign (compatibility.md
  // P-38); false gives the reference's behaviour.
  bool require_verified_evidence = true;
  // "mesh" (default: the fields above), or "replicated" / "opt_in": the
  // provider supplies the consumer's consensus set (docs/shared-security.md;
  // remote_denom is then optional and the mesh fields are unused).
  provider::LinkMode mode = provider::LinkMode::kMesh;
  uint64_t blocks_per_epoch = 600;
  provider::PowerShaping shaping;           // replicated: top_n 100
  std::vector<ValidatorAddress> opted_in;   // genesis opt-ins (valoper)
  Dec downtime_slash_fraction;              // ICS default 0: jail only
  uint64_t downtime_jail_s = 600;
  // Provider unbondings wait for the consumer's VSCMatured (ICS v1-v4;
  // default false: ADR-018, docs/shared-security.md).
  bool unbonding_waits_for_maturity = false;
  // The CcvProvider configuration of a replicated / opt-in link.
  provider::CcvConfig Ccv() const;
};

// This chain receives virtual stake from `provider` (consumer role).
struct ProviderLink {
  std::string provider;             // the provider's chain id
  ConnectionId connection;          // this chain's IBC connection to it
  Denom remote_denom;               // the provider's vault denom
  Dec price = Dec::One();           // local tokens per provider token, posted at genesis
  Dec discount = Dec::Zero();
  AccountAddress oracle;            // may post prices
  uint64_t price_ttl_s = 100ULL * 365 * 86400;
  uint32_t max_retrieve = 50;
  Amount max_cap;
  // "mesh" (default) or "replicated" / "opt_in" (the same on this side: the
  // provider's VSCs set this chain's consensus validators; at most one such
  // link; remote_denom, oracle and max_cap are then optional and unused).
  provider::LinkMode mode = provider::LinkMode::kMesh;
  uint64_t retry_delay_s = 3600;    // slash-packet resend delay after a bounce
  // Send VSCMatured once each VSC is one staking unbonding period of this
  // chain old. The provider's VSCs carry its own setting and win (true turns
  // this on at the first such VSC); this value applies to VSCs without it
  // (docs/shared-security.md, compatibility.md L-13).
  bool unbonding_waits_for_maturity = false;
};

struct ProviderRole {
  bool local_staking = true;
  Dec local_slash_dsign = Dec::FromRaw(Dec::kOne / 20);
  Dec local_slash_offline = Dec::FromRaw(Dec::kOne / 100);
  // Slash meter (provider::SlashThrottle; ICS defaults 5 % per hour).
  Dec slash_meter_fraction = Dec::FromRaw(Dec::kOne / 20);
  uint64_t slash_meter_period_s = 3600;
  // Governance slashing (provider::Governance; SDK defaults 2 days, 10^7).
  uint64_t gov_voting_period_s = 172800;
  Amount gov_min_deposit = Amount(10000000);
  std::vector<ConsumerLink> consumers;
};

struct ConsumerRole {
  AccountAddress authority;         // governance: registers providers, sets caps
  Amount total_max_cap = Amount(1000000000000);
  uint64_t epoch_length = 10;
  std::vector<ProviderLink> providers;
};

// Liveness (Cosmos SDK x/slashing): a bonded validator that signed fewer
// than min_signed_per_window of the last signed_blocks_window blocks is
// slashed (staking's downtime fraction) and jailed.
struct LivenessParams {
  uint64_t signed_blocks_window = 100;
  Dec min_signed_per_window = Dec::FromRaw(Dec::kOne / 2);
};

struct GenesisDoc {
  std::string chain_id;
  std::string bech32_prefix = "mesh";
  uint64_t genesis_time_ns = 0;
  Denom denom{"stake"};
  staking::Params staking;          // bond_denom is forced to `denom`
  LivenessParams liveness;
  std::vector<GenesisAccount> accounts;
  std::vector<GenesisValidator> validators;
  std::optional<ProviderRole> provider;   // present iff the chain provides to some chain
  std::optional<ConsumerRole> consumer;   // present iff the chain consumes from some chain
  // An exported chain (meshd export): {"height","time_ns","app_hash",
  // "entries":[[hex key, hex value], ...]} — every key of the store in
  // order. When present, InitChain restores it instead of writing genesis
  // state, so export → init → export is byte-identical and the chain goes
  // on from the exported block with the same app hash.
  std::optional<Json> state;

  // Strict: unknown keys, missing required keys and bad numbers are
  // InvalidArgument naming the field.
  static absl::StatusOr<GenesisDoc> FromJson(const Json& json);
  static absl::StatusOr<GenesisDoc> Parse(std::string_view text);
  Json ToJson() const;
  // Structural checks beyond parsing: non-empty chain id, positive powers,
  // no duplicate accounts/validators/links, fractions in [0, 1].
  absl::Status Validate() const;
};

}  // namespace mesh::app

#endif  // MESHSEC_APP_GENESIS_H_
