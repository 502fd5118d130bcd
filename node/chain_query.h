// ChainQueryFn: how a gRPC query service reads the node's state. The owner
// (GrpcServer) runs `fn` on the committed block the call asks for (the
// latest, or the one named by its `x-cosmos-block-height` metadata; the
// served height is sent back in the same header) and maps its status to
// gRPC.
#ifndef MESHSEC_NODE_CHAIN_QUERY_H_
#define MESHSEC_NODE_CHAIN_QUERY_H_

#include <grpcpp/grpcpp.h>

#include <functional>

#include "absl/status/status.h"
#include "node/chain.h"

namespace mesh::node {

using ChainQueryFn = std::function<grpc::Status(
    grpc::ServerContext* call, const std::function<absl::Status(const Chain&)>& fn)>;

}  // namespace mesh::node

#endif  // MESHSEC_NODE_CHAIN_QUERY_H_
