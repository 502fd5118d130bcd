// Node integration of mesh security: signed-tx messages for the users'
// actions and the end blockers that run the roles and send their packets.
//
// Provider messages (InstallProvider; JSON bodies, strict, amounts are u128
// decimal strings, the signer is the user):
//   "vault/bond"                 {"amount":"<u128>"}
//   "vault/unbond"               {"amount":"<u128>"}
//   "vault/stake_local"          {"validator":"<valoper>","amount":"<u128>"}
//   "vault/stake_remote"         {"consumer":"<id>","validator":"<remote valoper>",
//                                 "amount":"<u128>"}
//   "local/unstake"              {"validator":"<valoper>","amount":"<u128>"}
//   "local/withdraw_unbonded"    {}
//   "local/withdraw_rewards"     {}
//   "external/unstake"           {"consumer":"<id>","validator":"<remote valoper>",
//                                 "amount":"<u128>"}
//   "external/withdraw_unbonded" {"consumer":"<id>"}
//   "external/withdraw_rewards"  {"consumer":"<id>","validator":"<remote valoper>",
//                                 "remote_recipient":"<consumer-chain address>"}
//   "provider/assign_consumer_key" {"consumer":"<id>","validator":"<provider valoper>",
//                                 "key":"<base64 32-byte ed25519>"}  (signer: the
//                                 validator's operator account; shared_security.h)
//   "provider/submit_consumer_double_vote"
//                                {"consumer":"<id>","vote_a":V,"vote_b":V} (any signer)
//     V = {"type":1|2,"height":N,"round":N,"block_hash":"<hex>","part_total":N,
//          "part_hash":"<hex>","timestamp_seconds":N,"timestamp_nanos":N,
//          "validator_address":"<hex 20 bytes>","validator_index":N,
//          "signature":"<base64>"}  (a nil vote: empty hashes, part_total 0)
//   "provider/submit_slash_proposal" {"consumer":"<id>","validator":"<consumer valoper or
//                                 base64/hex consensus key>","infraction_height":N,
//                                 "fraction":"<dec>","deposit":"<u128>"} (the signer
//                                 deposits; provider/governance.h)
//   "provider/vote"              {"proposal_id":N,"option":"yes|abstain|no|no_with_veto"}
// Consumer messages (InstallConsumer; the signer must be the module
// authority or, for prices, the provider's oracle):
//   "consumer/set_price"         {"provider":"<id>","price":"<dec>"}
//   "consumer/set_max_cap"       {"provider":"<id>","cap":"<u128>"}
//
// End blockers (added after whatever is installed before, so install the
// staking module first): InstallConsumer adds Consumer::EndBlock then
// ConsumerApp::EndBlock (outbox -> packets); InstallProvider adds
// ProviderApp::EndBlock. Do not install the same role twice on a chain.
#ifndef MESHSEC_MESH_APP_NODE_MODULE_H_
#define MESHSEC_MESH_APP_NODE_MODULE_H_

#include "mesh/app/consumer_app.h"
#include "mesh/app/provider_app.h"
#include "node/chain.h"

namespace mesh::app {

// REQUIRES: `app` outlives `chain`.
void InstallProvider(node::Chain& chain, const ProviderApp& app);
// REQUIRES: `app` outlives `chain`.
void InstallConsumer(node::Chain& chain, const ConsumerApp& app);

}  // namespace mesh::app

#endif  // MESHSEC_MESH_APP_NODE_MODULE_H_
