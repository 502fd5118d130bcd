// cosmos.bank.v1beta1.Query, cosmos.auth.v1beta1.Query and
// cosmos.base.tendermint.v1beta1.Service served over the node's chain,
// wire-identical to the Cosmos SDK (messages generated from the SDK's own
// .proto files, target mesh_cosmos_proto; user guide in docs/grpc.md "Cosmos
// services").
//
// Bank: Balance, AllBalances, TotalSupply, SupplyOf. Coins are ordered by
// denom bytes; pagination as the SDK's query.Paginate (key or offset, limit
// 0 = 100 with count_total, reverse); next_key is the next denom.
// Auth: Account answers an Any of /cosmos.auth.v1beta1.BaseAccount with the
// stored account (staking/auth.h): account_number, sequence and, once the
// account has signed a tx, pub_key = Any(/cosmos.crypto.secp256k1.PubKey).
// An address without an account (never funded, not in genesis): NOT_FOUND.
// Tendermint: GetNodeInfo (network = chain id, application_version name and
// app_name "meshd"), GetSyncing (false), GetLatestBlock (header chain_id,
// height, time and app_hash of the last committed block; G-8). Other
// methods answer UNIMPLEMENTED.
//
// Every method reads the last committed state through `query`, which the
// owner (GrpcServer) runs on its committed view (a store snapshot).
#ifndef MESHSEC_NODE_COSMOS_QUERY_SERVICES_H_
#define MESHSEC_NODE_COSMOS_QUERY_SERVICES_H_

#include <grpcpp/grpcpp.h>

#include <memory>

#include "node/cosmos_staking_service.h"
#include "tendermint/types/types.pb.h"

namespace mesh::node {

std::unique_ptr<grpc::Service> NewCosmosBankQueryService(ChainQueryFn query);
std::unique_ptr<grpc::Service> NewCosmosAuthQueryService(ChainQueryFn query);
std::unique_ptr<grpc::Service> NewCosmosTendermintService(ChainQueryFn query);

// The header GetLatestBlock answers for `chain`'s last committed block
// (chain_id, height, time, app_hash after that block; G-9). The tx index
// records it per block for cosmos.tx.v1beta1.Service/GetBlockWithTxs.
void FillBlockHeader(const Chain& chain, ::tendermint::types::Header* header);

// The application version meshd reports (GetNodeInfo application_version).
inline constexpr char kMeshdAppName[] = "meshd";

}  // namespace mesh::node

#endif  // MESHSEC_NODE_COSMOS_QUERY_SERVICES_H_
