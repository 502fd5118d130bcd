// cosmos.staking.v1beta1.Query served over the node's chain, wire-identical
// to the Cosmos SDK (messages generated from the SDK's own staking .proto
// files, target mesh_cosmos_proto; user guide in docs/grpc.md "Cosmos
// services").
//
// Mapping of our staking module onto the SDK messages:
//  - Dec fields (delegator_shares, shares, commission rates,
//    min_commission_rate) are written as the SDK's LegacyDec writes them on
//    the protobuf wire: the integer value * 10^18 in decimal, no point
//    ("100000000000000000" for 0.1). Int fields (tokens, balances) are
//    plain decimal integers.
//  - consensus_pubkey is an Any of /cosmos.crypto.ed25519.PubKey.
//  - Fields we do not keep are written as the SDK writes zero values:
//    description empty, commission update_time at the Unix epoch,
//    historical_entries 0; max_rate and max_change_rate are 1 (our
//    commission may be edited to any rate in [0, 1]).
//  - Pagination follows the SDK's query.Paginate: key or offset (not both),
//    limit 0 = 100 with count_total, total only for offset pagination and
//    only with count_total, reverse. next_key is opaque (the length-prefixed
//    address bytes of the next item, the SDK store key's last component).
//
// Every method reads the last committed state through `query`, which the
// owner (GrpcServer) runs on its committed view (a store snapshot).
#ifndef MESHSEC_NODE_COSMOS_STAKING_SERVICE_H_
#define MESHSEC_NODE_COSMOS_STAKING_SERVICE_H_

#include <grpcpp/grpcpp.h>

#include <cstddef>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "core/amount.h"
#include "core/dec.h"
#include "node/chain.h"
#include "node/chain_query.h"

namespace mesh::node {

// The cosmos.staking.v1beta1.Query service. HistoricalInfo (not kept)
// answers UNIMPLEMENTED.
std::unique_ptr<grpc::Service> NewCosmosStakingQueryService(ChainQueryFn query);

// `d` as the SDK's LegacyDec marshals it on the protobuf wire: the integer
// d * 10^18 in decimal ("-" for negative values, "0" for zero).
std::string LegacyDecWire(Dec d);
// The same written into `buf` (a sign and up to 39 digits), as a view into it.
inline constexpr size_t kLegacyDecWireChars = kU128DecimalChars + 1;
std::string_view LegacyDecWireChars(Dec d, std::span<char, kLegacyDecWireChars> buf);

}  // namespace mesh::node

#endif  // MESHSEC_NODE_COSMOS_STAKING_SERVICE_H_
