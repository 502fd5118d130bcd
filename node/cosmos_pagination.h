// SDK-style pagination for the Cosmos query services: node/pagination.h
// over cosmos.base.query.v1beta1.PageRequest / PageResponse.
#ifndef MESHSEC_NODE_COSMOS_PAGINATION_H_
#define MESHSEC_NODE_COSMOS_PAGINATION_H_

#include "cosmos/base/query/v1beta1/pagination.pb.h"
#include "node/pagination.h"

namespace mesh::node::cosmos_page {

using page::kDefaultLimit;
using page::Paginate;
using page::PaginateOrdered;
using page::PaginateOrderedInto;

}  // namespace mesh::node::cosmos_page

#endif  // MESHSEC_NODE_COSMOS_PAGINATION_H_
