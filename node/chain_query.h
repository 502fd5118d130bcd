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

#include <google/protobuf/arena.h>
#include <grpcpp/support/message_allocator.h>

#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

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

// What a raw answer's buffer starts with: a page of ten delegations is
// about 1.5 KB (more: the string grows).
inline constexpr size_t kRawAnswerReserve = 2048;

// A method registered raw (the generated WithRawCallbackMethod_<Method>):
// the request is parsed here as gRPC would parse it, and `fn` writes the
// response's wire bytes itself (node/proto_wire.h) instead of building
// messages that are then serialized. A failed query returns no partial
// response.
template <typename Req>
grpc::ServerUnaryReactor* RunRawQuery(const ChainQueryFn& query,
                                      grpc::CallbackServerContext* call,
                                      absl::Status (*fn)(const Chain&, const Req&, std::string*),
                                      const grpc::ByteBuffer* in, grpc::ByteBuffer* out) {
  grpc::ServerUnaryReactor* reactor = call->DefaultReactor();
  // One request message per thread, cleared and parsed again: its strings
  // keep their buffers from call to call. The query runs here, on this
  // thread, and nothing it calls parses another request of this method.
  thread_local Req req;
  req.Clear();
  grpc::ByteBuffer request(*in);  // shares the slices; parsing consumes them
  grpc::Status s = grpc::SerializationTraits<Req>::Deserialize(&request, &req);
  if (!s.ok()) {  // as grpc-go (the Cosmos SDK's server) answers bytes it cannot parse
    s = grpc::Status(grpc::StatusCode::INTERNAL,
                     "grpc: error unmarshalling request: not a valid " + req.GetTypeName());
  } else {
    auto bytes = std::make_unique<std::string>();
    bytes->reserve(kRawAnswerReserve);
    s = query(call, [&](const Chain& chain) {
      bytes->clear();
      return fn(chain, req, bytes.get());
    });
    if (s.ok()) {
      // The slice owns the string: no copy of the answer.
      std::string* owned = bytes.release();
      grpc::Slice slice(owned->data(), owned->size(),
                        [](void* p) { delete static_cast<std::string*>(p); }, owned);
      *out = grpc::ByteBuffer(&slice, 1);
    }
  }
  reactor->Finish(s);
  return reactor;
}

// The request and response of each call of one callback method on a
// protobuf Arena whose first block is part of a pooled holder: the
// sub-messages and string objects a query builds come from that block (a
// string longer than std::string's inline buffer still takes its bytes from
// the heap), everything is dropped at once, and a finished call's holder is
// reused (and reset when reused). Register with the generated
// SetMessageAllocatorFor_<Method>; it must outlive the server (a service
// member does). Thread-safe.
template <typename Req, typename Resp>
class ArenaMessages final : public grpc::MessageAllocator<Req, Resp> {
 public:
  static constexpr size_t kBlockBytes = 4096;  // a query's messages fit (more: the arena grows)
  static constexpr size_t kMaxPooled = 256;

  ArenaMessages() = default;
  ArenaMessages(const ArenaMessages&) = delete;
  ArenaMessages& operator=(const ArenaMessages&) = delete;
  ~ArenaMessages() override {
    for (Holder* h : pool_) delete h;
  }

  grpc::MessageHolder<Req, Resp>* AllocateMessages() override {
    Holder* h = nullptr;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!pool_.empty()) {
        h = pool_.back();
        pool_.pop_back();
      }
    }
    if (h == nullptr) h = new Holder(this);
    h->Start();
    return h;
  }

 private:
  class Holder final : public grpc::MessageHolder<Req, Resp> {
   public:
    explicit Holder(ArenaMessages* owner) : owner_(owner), arena_(Options(block_)) {}
    // The previous call's messages are dropped here, on the thread that
    // builds the next call's (AllocateMessages runs on the thread that then
    // runs the handler), not in Release, which gRPC calls on whichever
    // thread completes the call: their strings' memory is then freed into
    // the allocator's cache of the thread that takes it again at once.
    void Start() {
      if (used_) arena_.Reset();  // keeps the first block
      used_ = true;
      this->set_request(google::protobuf::Arena::CreateMessage<Req>(&arena_));
      this->set_response(google::protobuf::Arena::CreateMessage<Resp>(&arena_));
    }
    void Release() override { owner_->Recycle(this); }

   private:
    static google::protobuf::ArenaOptions Options(char* block) {
      google::protobuf::ArenaOptions o;
      o.initial_block = block;
      o.initial_block_size = kBlockBytes;
      return o;
    }
    ArenaMessages* owner_;
    bool used_ = false;  // the arena holds a call's messages
    alignas(16) char block_[kBlockBytes];
    google::protobuf::Arena arena_;  // after block_: built over it
  };

  void Recycle(Holder* h) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (pool_.size() < kMaxPooled) {
        pool_.push_back(h);
        return;
      }
    }
    delete h;
  }

  std::mutex mu_;
  std::vector<Holder*> pool_;  // guarded by mu_
};

}  // namespace mesh::node

#endif  // MESHSEC_NODE_CHAIN_QUERY_H_
