// Bank, staking and slashing messages of the node (JSON bodies).
//
//   "bank/send"                {"to":"<addr>","denom":"<d>","amount":"<u128>"}
//   "staking/create_validator" {"amount":"<u128>","commission":"<dec>",
//                               "consensus_pubkey":"<32 bytes: 64 hex or base64>"?}
//                              (the operator address is the signer's valoper;
//                              without consensus_pubkey the validator gets
//                              staking::DefaultConsensusPubkey(valoper))
//   "staking/edit_validator"   {"commission":"<dec>"}  (the signer's validator;
//                              a consumer reports it in its valset `updated`)
//   "staking/delegate"         {"validator":"<valoper>","amount":"<u128>"}
//   "staking/undelegate"       {"validator":"<valoper>","amount":"<u128>"}
//   "staking/redelegate"       {"src":"<valoper>","dst":"<valoper>","amount":"<u128>"}
//   "staking/withdraw_rewards" {"validator":"<valoper>"}
//   "slashing/unjail"          {}   (the signer's validator)
//
// Unknown fields are rejected; amounts are decimal strings (u128).
#ifndef MESHSEC_NODE_STAKING_MSGS_H_
#define MESHSEC_NODE_STAKING_MSGS_H_

#include <string>

#include "absl/status/statusor.h"
#include "core/ids.h"
#include "node/chain.h"

namespace mesh::node {

// Registers the messages above (the application layer adds staking's end
// blocker itself, to collect the validator-set updates).
void InstallStakingMsgs(Chain& chain);

// Registers the messages above and adds staking's EndBlock (validator-set
// selection, maturity queues) as an end blocker.
void InstallStakingModule(Chain& chain);

// "<prefix>valoper1..." for the account "<prefix>1..." (same key bytes).
absl::StatusOr<ValidatorAddress> ValoperOfAccount(const AccountAddress& account);

}  // namespace mesh::node

#endif  // MESHSEC_NODE_STAKING_MSGS_H_
