// meshctl_e2e_tx: a test-only tx sender for apps/meshctl/meshctl_query_test.sh
// (meshctl has no tx commands yet). Signs one tx with a raw key from a
// devnet's config/keys.json and broadcasts it in BROADCAST_MODE_BLOCK.
//
//   meshctl_e2e_tx NODE CHAIN_ID ADDRESS PRIVATE_KEY_HEX TYPE BODY [TYPE BODY]...
//
// The nonce is the account's sequence from meshsec.v1.Query/Account. Prints
// "code=<n> height=<h> log=<log>"; exits 0 when the tx was delivered with
// code 0, 1 otherwise, 2 on a usage error.
#include <chrono>
#include <iostream>
#include <string>

#include <grpcpp/grpcpp.h>

#include "core/crypto.h"
#include "meshsec/v1/query.grpc.pb.h"
#include "meshsec/v1/tx.grpc.pb.h"
#include "node/tx.h"

namespace {

namespace pb = ::meshsec::v1;

void Deadline(grpc::ClientContext* ctx, int seconds) {
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 7 || (argc - 5) % 2 != 0) {
    std::cerr << "usage: meshctl_e2e_tx NODE CHAIN_ID ADDRESS PRIVATE_KEY_HEX TYPE BODY "
                 "[TYPE BODY]...\n";
    return 2;
  }
  auto bytes = mesh::FromHex(argv[4]);
  if (!bytes.ok()) return std::cerr << "bad key hex\n", 2;
  auto key = mesh::PrivateKey::FromBytes(*bytes);
  if (!key.ok()) return std::cerr << "bad key: " << key.status() << "\n", 2;
  auto channel = grpc::CreateChannel(argv[1], grpc::InsecureChannelCredentials());

  pb::QueryAccountRequest areq;
  areq.set_address(argv[3]);
  pb::QueryAccountResponse acc;
  {
    grpc::ClientContext ctx;
    Deadline(&ctx, 10);
    grpc::Status s = pb::Query::NewStub(channel)->Account(&ctx, areq, &acc);
    if (!s.ok()) return std::cerr << "Account: " << s.error_message() << "\n", 1;
  }
  mesh::node::Tx tx;
  tx.chain_id = argv[2];
  tx.pubkey = key->PublicKey();
  tx.nonce = acc.sequence();
  for (int i = 5; i + 1 < argc; i += 2) tx.msgs.push_back({argv[i], argv[i + 1]});

  pb::BroadcastTxRequest req;
  req.set_signed_tx(mesh::node::SignTx(*key, std::move(tx)).Encode());
  req.set_mode(pb::BROADCAST_MODE_BLOCK);
  pb::BroadcastTxResponse resp;
  grpc::ClientContext ctx;
  Deadline(&ctx, 60);
  grpc::Status s = pb::Tx::NewStub(channel)->BroadcastTx(&ctx, req, &resp);
  if (!s.ok()) return std::cerr << "BroadcastTx: " << s.error_message() << "\n", 1;
  std::cout << "code=" << resp.code() << " height=" << resp.height() << " log=" << resp.log()
            << "\n";
  return resp.code() == 0 ? 0 : 1;
}
