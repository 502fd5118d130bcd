// ChainQueryFn: how a gRPC query service reads the node's state. The owner
// (GrpcServer) runs `fn` on the committed block the call asks for (the
// latest, or the one named by its `x-cosmos-block-height` metadata; the
// served height is sent back in the same header) and maps its status to
// gRPC.
//
// The read-only query services use gRPC's callback API: a query runs inline
// on gRPC's event threads (it reads an immutable committed snapshot and
// takes no lock that block production holds), with no thread per call.
// RunUnaryQuery is the shared handler body.
#ifndef MESHSEC_NODE_CHAIN_QUERY_H_
#define MESHSEC_NODE_CHAIN_QUERY_H_

#include <grpcpp/grpcpp.h>

#include <functional>

#include "absl/status/status.h"
#include "node/chain.h"

namespace mesh::node {

// `call` is a grpc::CallbackServerContext (or a grpc::ServerContext); may be
// null (no metadata: the latest height, nothing sent back).
using ChainQueryFn = std::function<grpc::Status(
    grpc::ServerContextBase* call, const std::function<absl::Status(const Chain&)>& fn)>;

// Runs `fn` through `query` and finishes the call with its status. A failed
// query returns no partial response.
template <typename Req, typename Resp>
grpc::ServerUnaryReactor* RunUnaryQuery(const ChainQueryFn& query,
                                        grpc::CallbackServerContext* call,
                                        absl::Status (*fn)(const Chain&, const Req&, Resp*),
                                        const Req* q, Resp* r) {
  grpc::Status s = query(call, [&](const Chain& chain) { return fn(chain, *q, r); });
  if (!s.ok()) r->Clear();
  grpc::ServerUnaryReactor* reactor = call->DefaultReactor();
  reactor->Finish(s);
  return reactor;
}

}  // namespace mesh::node

#endif  // MESHSEC_NODE_CHAIN_QUERY_H_
