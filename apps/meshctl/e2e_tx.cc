// meshctl_e2e_tx: a test-only tx sender for apps/meshctl/meshctl_query_test.sh
// (meshctl has no tx commands yet). Signs one tx with a raw key from a
// devnet's config/keys.json and broadcasts it in BROADCAST_MODE_BLOCK.
//
//   meshctl_e2e_tx NODE CHAIN_ID ADDRESS PRIVATE_KEY_HEX MSG_JSON [MSG_JSON]...
//
// Each MSG_JSON is a message in the protobuf JSON mapping with "@type"; an
// empty signer field is filled with ADDRESS. The account number and
// sequence come from cosmos.auth.v1beta1.Query/Account. Prints
// "code=<n> height=<h> log=<log>"; exits 0 when the tx was delivered with
// code 0, 1 otherwise, 2 on a usage error.
#include <chrono>
#include <iostream>
#include <string>

#include <grpcpp/grpcpp.h>

#include "core/crypto.h"
#include "cosmos/auth/v1beta1/auth.pb.h"
#include "cosmos/auth/v1beta1/query.grpc.pb.h"
#include "meshsec/v1/tx.grpc.pb.h"
#include "node/tx.h"

namespace {

namespace pb = ::meshsec::v1;
namespace auth = ::cosmos::auth::v1beta1;

void Deadline(grpc::ClientContext* ctx, int seconds) {
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 6) {
    std::cerr << "usage: meshctl_e2e_tx NODE CHAIN_ID ADDRESS PRIVATE_KEY_HEX MSG_JSON "
                 "[MSG_JSON]...\n";
    return 2;
  }
  auto bytes = mesh::FromHex(argv[4]);
  if (!bytes.ok()) return std::cerr << "bad key hex\n", 2;
  auto key = mesh::PrivateKey::FromBytes(*bytes);
  if (!key.ok()) return std::cerr << "bad key: " << key.status() << "\n", 2;
  auto channel = grpc::CreateChannel(argv[1], grpc::InsecureChannelCredentials());

  auth::QueryAccountRequest areq;
  areq.set_address(argv[3]);
  auth::QueryAccountResponse aresp;
  {
    grpc::ClientContext ctx;
    Deadline(&ctx, 10);
    grpc::Status s = auth::Query::NewStub(channel)->Account(&ctx, areq, &aresp);
    if (!s.ok()) return std::cerr << "Account: " << s.error_message() << "\n", 1;
  }
  auth::BaseAccount acc;
  if (!aresp.account().UnpackTo(&acc)) return std::cerr << "Account: not a BaseAccount\n", 1;
  mesh::node::TxSpec tx;
  tx.chain_id = argv[2];
  tx.account_number = acc.account_number();
  tx.sequence = acc.sequence();
  for (int i = 5; i < argc; ++i) {
    auto msg = mesh::node::MsgFromJson(argv[i], argv[3]);
    if (!msg.ok()) return std::cerr << "message " << (i - 4) << ": " << msg.status() << "\n", 2;
    tx.msgs.push_back(*std::move(msg));
  }

  pb::BroadcastTxRequest req;
  req.set_signed_tx(mesh::node::SignTx(*key, tx).Encode());
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
