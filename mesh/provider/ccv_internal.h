// Helpers shared by the CCV provider's translation units (ccv.cc,
// ccv_maturity.cc). Not part of the module's interface.
#ifndef MESHSEC_MESH_PROVIDER_CCV_INTERNAL_H_
#define MESHSEC_MESH_PROVIDER_CCV_INTERNAL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/context.h"
#include "mesh/provider/ccv.h"

namespace mesh::provider::ccv_internal {

// The leading Str of every key under `prefix` (the key after it), in key
// order.
absl::StatusOr<std::vector<std::string>> StrsKeyedUnder(const Context& ctx,
                                                        const std::string& prefix);

// The consumer ids of table `table` whose keys are `table ‖ Str(consumer)
// ‖ ...`, one per key, in key order (a table with one key per consumer
// gives each consumer once).
absl::StatusOr<std::vector<ConsumerId>> ConsumersKeyedUnder(const Context& ctx, uint8_t table);

}  // namespace mesh::provider::ccv_internal

#endif  // MESHSEC_MESH_PROVIDER_CCV_INTERNAL_H_
