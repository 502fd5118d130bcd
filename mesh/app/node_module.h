// Node integration of mesh security: signed-tx messages for the users'
// actions and the end blockers that run the roles and send their packets.
//
// Messages: the meshsec.v1 protobuf messages of proto/meshsec/v1/msgs.proto,
// registered by type URL, decoded strictly (unknown fields are an error).
// Each carries its signer (`sender`, or `authority` for the consumer's admin
// messages), which must be the tx signer (PermissionDenied otherwise).
// Amounts are u128 decimal strings, prices 18-place decimals.
// Provider (InstallProvider):
//   /meshsec.v1.MsgVaultBond                {sender, amount}
//   /meshsec.v1.MsgVaultUnbond              {sender, amount}
//   /meshsec.v1.MsgVaultStakeLocal          {sender, validator, amount}
//   /meshsec.v1.MsgVaultStakeRemote         {sender, consumer, validator, amount}
//   /meshsec.v1.MsgLocalUnstake             {sender, validator, amount}
//   /meshsec.v1.MsgLocalWithdrawUnbonded    {sender}
//   /meshsec.v1.MsgLocalWithdrawRewards     {sender}
//   /meshsec.v1.MsgExternalUnstake          {sender, consumer, validator, amount}
//   /meshsec.v1.MsgExternalWithdrawUnbonded {sender, consumer}
//   /meshsec.v1.MsgExternalWithdrawRewards  {sender, consumer, validator,
//                                            remote_recipient}
//   /meshsec.v1.MsgAssignConsumerKey        {sender (the validator's operator),
//                                            consumer, validator, key (32 bytes)}
//   /meshsec.v1.MsgSubmitConsumerDoubleVote {sender (anyone), consumer,
//                                            vote_a, vote_b: tendermint.types.Vote}
//                                            (shared_security.h)
//   /meshsec.v1.MsgSubmitSlashProposal      {sender, consumer, validator,
//                                            infraction_height, fraction, deposit,
//                                            jail_only (provider validators)}
//   /meshsec.v1.MsgVoteSlashProposal        {sender, proposal_id, option}
//                                            (provider/governance.h)
//   /meshsec.v1.MsgSubmitLinkUpdateProposal {sender, consumer, deposit, power_shaping?, infraction?}
//   /meshsec.v1.MsgSubmitConsumerRemovalProposal {sender, consumer, deposit}
//     (provider governance of replicated / opt-in links; provider::Governance::SubmitLink)
// Consumer (InstallConsumer; the signer must be the module authority or, for
// prices, the provider's oracle):
//   /meshsec.v1.MsgConsumerSetPrice         {authority, provider, price}
//   /meshsec.v1.MsgConsumerSetMaxCap        {authority, provider, cap}
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
