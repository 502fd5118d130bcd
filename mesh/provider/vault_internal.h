// Private helpers shared by vault.cc and vault_slash.cc. Not part of the
// provider's API.
#ifndef MESHSEC_MESH_PROVIDER_VAULT_INTERNAL_H_
#define MESHSEC_MESH_PROVIDER_VAULT_INTERNAL_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "core/context.h"
#include "core/ids.h"
#include "mesh/provider/types.h"

namespace mesh::provider::vault_internal {

using LienList = std::vector<std::pair<LienHolder, Lien>>;

struct Derived {
  AmountRange max_lien;
  AmountRange total_slashable;
  AmountRange used;  // max_range(max_lien, total_slashable)
};

std::string LienKey(const AccountAddress& user, const LienHolder& holder);
std::string UserKey(const AccountAddress& user);
absl::StatusOr<UserInfo> LoadUser(const Context& ctx, const AccountAddress& user);
absl::Status SaveUser(const Context& ctx, const AccountAddress& user, const UserInfo& info);
// The user's liens ascending by holder key.
absl::StatusOr<LienList> LoadLiens(const Context& ctx, const AccountAddress& user);
// The user's liens ascending by holder key, as LoadLiens returns them, by
// one point read per holder in `info.holders` (recorded: a superset of the
// liens' holders). REQUIRES: info.holders has a value.
absl::StatusOr<LienList> LoadRecordedLiens(const Context& ctx, const AccountAddress& user,
                                           const UserInfo& info);
// Saves the lien, or deletes it when its high end is zero.
absl::Status SaveLien(const Context& ctx, const AccountAddress& user, const LienHolder& holder,
                      const Lien& lien);
absl::StatusOr<Derived> Derive(const LienList& liens);

}  // namespace mesh::provider::vault_internal

#endif  // MESHSEC_MESH_PROVIDER_VAULT_INTERNAL_H_
