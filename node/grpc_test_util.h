// Test helpers: unary gRPC calls by full method name over raw bytes (no
// generated stub), for services grpc_cpp_plugin has no stub for here
// (grpc.health.v1, cosmos.base.tendermint.v1beta1.Service) and for
// requests built from other protos than the server's (SDK 0.50 fields).
#ifndef MESHSEC_NODE_GRPC_TEST_UTIL_H_
#define MESHSEC_NODE_GRPC_TEST_UTIL_H_

#include <google/protobuf/message.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace mesh::node::test_util {

// Calls `method` ("/pkg.Service/Method") with `request` bytes; `response`
// gets the answer's bytes. Returns the call's status.
inline grpc::Status RawCall(const std::shared_ptr<grpc::Channel>& channel,
                            const std::string& method, const std::string& request,
                            std::string* response) {
  grpc::GenericStub stub(channel);
  grpc::Slice slice(request);
  grpc::ByteBuffer req(&slice, 1);
  grpc::ByteBuffer resp;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  grpc::Status status;
  stub.UnaryCall(&ctx, method, grpc::StubOptions(), &req, &resp, [&](grpc::Status s) {
    std::lock_guard<std::mutex> l(mu);
    status = s;
    done = true;
    cv.notify_one();
  });
  std::unique_lock<std::mutex> l(mu);
  cv.wait(l, [&] { return done; });
  response->clear();
  if (!status.ok()) return status;
  std::vector<grpc::Slice> slices;
  if (!resp.Dump(&slices).ok()) return grpc::Status(grpc::StatusCode::INTERNAL, "dump");
  for (const auto& s : slices) response->append(reinterpret_cast<const char*>(s.begin()), s.size());
  return status;
}

// RawCall with messages: `resp` parsed from the answer (DATA_LOSS if it
// does not parse).
template <typename Resp>
grpc::Status MessageCall(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                         const google::protobuf::Message& req, Resp* resp) {
  std::string bytes;
  grpc::Status s = RawCall(channel, method, req.SerializeAsString(), &bytes);
  if (s.ok() && !resp->ParseFromString(bytes)) {
    return grpc::Status(grpc::StatusCode::DATA_LOSS, "cannot parse " + method);
  }
  return s;
}

}  // namespace mesh::node::test_util

#endif  // MESHSEC_NODE_GRPC_TEST_UTIL_H_
