// Bank, staking, distribution and slashing messages of the node: the Cosmos
// SDK's own messages (generated from its .proto files), registered by type
// URL, decoded strictly (unknown fields are an error):
//
//   /cosmos.bank.v1beta1.MsgSend                    from_address = signer
//   /cosmos.staking.v1beta1.MsgCreateValidator      validator_address = the
//       signer's valoper; delegator_address empty or the signer; value in the
//       bond denom; commission.rate (max_rate / max_change_rate are not kept,
//       docs/compatibility.md); min_self_delegation (empty: 1); pubkey an
//       Any(/cosmos.crypto.ed25519.PubKey) or absent (then
//       staking::DefaultConsensusPubkey(valoper))
//   /cosmos.staking.v1beta1.MsgEditValidator        validator_address = the
//       signer's valoper; description fields "[do-not-modify]" are kept;
//       commission_rate empty = unchanged
//   /cosmos.staking.v1beta1.MsgDelegate             delegator_address = signer
//   /cosmos.staking.v1beta1.MsgUndelegate           delegator_address = signer
//   /cosmos.staking.v1beta1.MsgBeginRedelegate      delegator_address = signer
//   /cosmos.distribution.v1beta1.MsgWithdrawDelegatorReward
//                                                   delegator_address = signer
//   /cosmos.slashing.v1beta1.MsgUnjail              validator_addr = the
//                                                   signer's valoper
//
// Decimals (commission rates) are accepted in the SDK's wire form (an
// integer scaled by 10^18, as cosmjs sends them) or with a decimal point.
// A signer mismatch is PermissionDenied; a coin not in the bond denom is
// InvalidArgument.
#ifndef MESHSEC_NODE_STAKING_MSGS_H_
#define MESHSEC_NODE_STAKING_MSGS_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "core/dec.h"
#include "core/ids.h"
#include "node/chain.h"
#include "node/tx.h"

namespace mesh::node {

// Registers the messages above (the application layer adds staking's end
// blocker itself, to collect the validator-set updates).
void InstallStakingMsgs(Chain& chain);

// Registers the messages above and adds staking's EndBlock (validator-set
// selection, maturity queues) as an end blocker.
void InstallStakingModule(Chain& chain);

// "<prefix>valoper1..." for the account "<prefix>1..." (same key bytes).
absl::StatusOr<ValidatorAddress> ValoperOfAccount(const AccountAddress& account);

// A cosmos.Dec string: "0.1" or its wire form "100000000000000000".
absl::StatusOr<Dec> ParseSdkDec(std::string_view s);

// Builders of the common messages (node/tx.h Msg).
Msg BankSendMsg(const AccountAddress& from, const AccountAddress& to, const Denom& denom,
                Amount amount);
Msg DelegateMsg(const AccountAddress& delegator, const ValidatorAddress& validator,
                const Denom& denom, Amount amount);
Msg UndelegateMsg(const AccountAddress& delegator, const ValidatorAddress& validator,
                  const Denom& denom, Amount amount);

// The SDK's wire form of a cosmos.Dec (the value scaled by 10^18, no point).
std::string SdkDecString(Dec d);

// PermissionDenied unless `field` (the message's signer field) is `signer`.
absl::Status RequireSigner(std::string_view field_name, std::string_view field,
                           std::string_view signer);

}  // namespace mesh::node

#endif  // MESHSEC_NODE_STAKING_MSGS_H_
