// The meshctl query table: one entry per `meshctl query <group> <command>`,
// each a name, its help, a request builder and the gRPC call. Adding a query
// is one entry in query_commands.cc (see docs/meshctl.md).
//
// Also the two output forms: protobuf JSON (proto field names, default
// values printed, like the SDK's `--output json`) and a YAML-like text form
// derived from it.
#ifndef MESHSEC_CLIENT_QUERY_COMMANDS_H_
#define MESHSEC_CLIENT_QUERY_COMMANDS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <google/protobuf/message.h>
#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace mesh::client {

// Pagination flags (cosmos.base.query.v1beta1.PageRequest).
struct PageFlags {
  uint64_t limit = 0;
  uint64_t offset = 0;
  std::string key;  // raw bytes (the flag takes base64, as next_key is printed)
  bool count_total = false;
  bool reverse = false;
};

struct QueryArgs {
  std::vector<std::string> args;  // positional arguments after the command name
  // Request-field flags given (--user X): field name -> value. Only the
  // names in the command's `fields` are looked at.
  std::map<std::string, std::string> fields;
  PageFlags page;
};

struct RpcResult {
  grpc::Status status;
  std::unique_ptr<google::protobuf::Message> response;
};

struct QueryCommand {
  using BuildFn =
      std::function<absl::StatusOr<std::unique_ptr<google::protobuf::Message>>(const QueryArgs&)>;
  using CallFn = std::function<RpcResult(const google::protobuf::Message& request,
                                         const std::shared_ptr<grpc::Channel>& channel,
                                         grpc::ClientContext* context)>;

  std::string group;      // "bank"
  std::string name;       // "balance"
  std::string usage;      // "ADDRESS DENOM"
  std::string help;       // one line
  std::string method;     // full gRPC method, for the help: "/cosmos.bank.v1beta1.Query/Balance"
  size_t min_args = 0;
  size_t max_args = 0;
  bool paginated = false;
  BuildFn build;          // InvalidArgument = usage error
  CallFn call;
  // String (or uint64) fields of the request that may be given as --<field> flags (the
  // proto field names: "user", "consumer", ...). A field listed here and in
  // `usage` as a positional may be given either way, not both; the builder
  // refuses a missing required field (InvalidArgument).
  std::vector<std::string> fields;
  // The request's page is meshsec.v1.PageRequest {key, limit}: only --limit
  // and --page-key apply.
  bool page_key_limit_only = false;
};

const std::vector<QueryCommand>& QueryCommands();
// The groups in table order ("bank", "auth", ...), and a one-line summary.
std::vector<std::string> QueryGroups();
std::string QueryGroupSummary(const std::string& group);
const QueryCommand* FindQueryCommand(const std::string& group, const std::string& name);

// Protobuf JSON of `m` (proto field names, defaults printed, Any expanded).
absl::StatusOr<std::string> ToProtoJson(const google::protobuf::Message& m);
// YAML-like text of a JSON document: "key: value" lines, nested objects
// indented by two spaces, list items as "- ".
absl::StatusOr<std::string> JsonToText(const std::string& json);

// Asks the node for its account address prefix: cosmos.auth Bech32Prefix,
// else the prefix of the first validator's operator address ("<p>valoper").
absl::StatusOr<std::string> FetchBech32Prefix(const std::shared_ptr<grpc::Channel>& channel,
                                              int timeout_ms);

}  // namespace mesh::client

#endif  // MESHSEC_CLIENT_QUERY_COMMANDS_H_
