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

struct Derived {
  AmountRange max_lien;
  AmountRange total_slashable;
  AmountRange used;  // max_range(max_lien, total_slashable)
};

std::string UserKey(std::string_view user);
inline std::string UserKey(const AccountAddress& user) { return UserKey(user.value()); }
// Takes from `info`, `user`'s record as stored, the cuts that stake slashes
// left to it (docs/provider.md, "Deferred vault cuts"): per external lien
// whose holder counts a deferring slash since the lien was settled, what
// the user's stakes there took beyond what the lien absorbed comes off the
// lien and the collateral, as the slash would have cut them. Only reads.
absl::Status Settle(const Context& ctx, const AccountAddress& user, UserInfo& info);
// The user's record (collateral and liens), settled; empty for a user
// without one. The slash alone reads records as stored (vault_slash.cc).
absl::StatusOr<UserInfo> LoadUser(const Context& ctx, const AccountAddress& user);
absl::Status SaveUser(const Context& ctx, const AccountAddress& user, const UserInfo& info);
// The user's lien toward `holder`, or null.
const Lien* FindLien(const LienList& liens, const LienHolder& holder);
// Sets the lien toward `holder` in `liens` (kept in holder-key order), or
// removes it when its high end is zero (docs/compatibility.md).
void SetLien(LienList& liens, const LienHolder& holder, const Lien& lien);
// Removes the liens cut to zero (a record keeps no empty lien,
// docs/compatibility.md).
void DropEmptyLiens(LienList& liens);
absl::StatusOr<Derived> Derive(const LienList& liens);
// Whether the usage of `liens` (Derived::used, high end) is at most `limit`.
// Liens whose high ends add up within it need no ratio multiplied: both
// parts of the usage (the largest lien, and the slashable total, every
// ratio being at most 1) are at most that sum.
absl::StatusOr<bool> UsageWithin(const LienList& liens, Amount limit);
// Whether `lien` (held by `info`) is its only lien, within the collateral:
// its cuts never propagate and add up in any order.
bool LoneLienWithin(const UserInfo& info, const Lien& lien);

}  // namespace mesh::provider::vault_internal

#endif  // MESHSEC_MESH_PROVIDER_VAULT_INTERNAL_H_
