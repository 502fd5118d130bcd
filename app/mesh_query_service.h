// meshsec.v1.ProviderQuery, meshsec.v1.ConsumerQuery and
// meshsec.v1.SharedSecurityQuery
// (proto/meshsec/v1/mesh_query.proto; user guide in docs/grpc.md "Mesh
// queries"): every piece of mesh-security state of a node, read through the
// modules' public read functions on one committed block.
//
// ProviderQuery: vault params, accounts (collateral, free, max lien, total
// slashable as value ranges) and their claims (liens), the vault's pending
// remote stakes; per consumer link: the external-staking configuration and
// the IBC channel, pending external txs, stakes (per user, per validator or
// all) with their unbonding entries and release times and the rewards owed,
// the remote validator set with each validator's state history. Both
// services list the IBC packets this chain sent that are still neither
// acknowledged nor timed out.
// ConsumerQuery: module params, per provider the whole record (config,
// discount, state with max cap and epoch, price with validity, channel),
// virtual stakes per validator (bond request, epoch target, actual
// delegation, pending rewards) and the delegation records.
// SharedSecurityQuery: the replicated / opt-in links on both ends (consumers
// with mode, power shaping and state, the set last sent, pending VSCs,
// opt-ins; the consumer's CCV state, set and slash packets), consumer key
// assignments both ways, governance slash proposals with their tally, the
// slash meter and its queue, and the mesh slashes waiting for acks (0x6A).
//
// Lists paginate as the Cosmos SDK's query.Paginate (node/pagination.h).
// A chain without the role answers FAILED_PRECONDITION; an unknown consumer
// or provider NOT_FOUND; a missing required field INVALID_ARGUMENT.
// The composition root registers them on a node's server through
// node::GrpcServerOptions::query_services (Devnet::Serve, meshd start).
#ifndef MESHSEC_APP_MESH_QUERY_SERVICE_H_
#define MESHSEC_APP_MESH_QUERY_SERVICE_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <vector>

#include "node/chain_query.h"

namespace mesh::app {

// The three services, ProviderQuery, ConsumerQuery, SharedSecurityQuery
// (shared_security_query_service.cc), over `query`.
std::vector<std::unique_ptr<grpc::Service>> NewMeshQueryServices(node::ChainQueryFn query);

}  // namespace mesh::app

#endif  // MESHSEC_APP_MESH_QUERY_SERVICE_H_
