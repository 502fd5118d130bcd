// Strong identifier types. A ValidatorAddress cannot be passed where an
// AccountAddress is expected, although both are strings underneath.
#ifndef MESHSEC_CORE_IDS_H_
#define MESHSEC_CORE_IDS_H_

#include <compare>
#include <string>
#include <string_view>
#include <utility>

namespace mesh {

template <typename Tag>
class StrongString {
 public:
  StrongString() = default;
  explicit StrongString(std::string v) : v_(std::move(v)) {}
  explicit StrongString(std::string_view v) : v_(v) {}
  explicit StrongString(const char* v) : v_(v) {}
  const std::string& value() const { return v_; }
  bool empty() const { return v_.empty(); }
  friend bool operator==(const StrongString&, const StrongString&) = default;
  friend std::strong_ordering operator<=>(const StrongString& a, const StrongString& b) {
    return a.v_.compare(b.v_) <=> 0;
  }

 private:
  std::string v_;
};

// Bech32 account address, e.g. "cosmos1...".
using AccountAddress = StrongString<struct AccountAddressTag>;
// Bech32 validator operator address, e.g. "cosmosvaloper1...".
using ValidatorAddress = StrongString<struct ValidatorAddressTag>;
using Denom = StrongString<struct DenomTag>;
using ChainId = StrongString<struct ChainIdTag>;
using PortId = StrongString<struct PortIdTag>;
using ChannelId = StrongString<struct ChannelIdTag>;
using ConnectionId = StrongString<struct ConnectionIdTag>;

}  // namespace mesh

#endif  // MESHSEC_CORE_IDS_H_
