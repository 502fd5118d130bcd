// Status helpers shared by the whole engine.
//
// Debian's Abseil (20220623) ships no RETURN_IF_ERROR / ASSIGN_OR_RETURN, so
// they live here once. The engine never throws; fallible code returns
// absl::Status / absl::StatusOr<T>.
//
// Two classes of failure (see docs/architecture.md):
//  - a deterministic rejection (bad input, insufficient funds): the tx/packet
//    overlay is discarded and the caller gets an error (or an error ack);
//  - an internal failure (store I/O, broken invariant): block processing stops.
#ifndef MESHSEC_CORE_STATUS_H_
#define MESHSEC_CORE_STATUS_H_

#include <cstdio>
#include <cstdlib>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define MESH_STATUS_CONCAT_INNER_(a, b) a##b
#define MESH_STATUS_CONCAT_(a, b) MESH_STATUS_CONCAT_INNER_(a, b)

// Evaluates `expr` (an absl::Status) and returns it from the enclosing
// function if it is not OK. The temporary is named by line, so a use inside
// a lambda inside another use's `expr` shadows nothing.
#define MESH_RETURN_IF_ERROR(expr) \
  MESH_RETURN_IF_ERROR_IMPL_(MESH_STATUS_CONCAT_(mesh_status_, __LINE__), expr)

#define MESH_RETURN_IF_ERROR_IMPL_(tmp, expr) \
  do {                                        \
    ::absl::Status tmp = (expr);              \
    if (!tmp.ok()) return tmp;                \
  } while (0)

// `lhs` = value of `rexpr` (an absl::StatusOr<T>), or returns its status.
// `lhs` may be a declaration (`auto x`, `Amount a`) or an existing lvalue.
#define MESH_ASSIGN_OR_RETURN(lhs, rexpr) \
  MESH_ASSIGN_OR_RETURN_IMPL_(MESH_STATUS_CONCAT_(mesh_sor_, __LINE__), lhs, rexpr)

#define MESH_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, rexpr) \
  auto tmp = (rexpr);                                \
  if (!tmp.ok()) return std::move(tmp).status();     \
  lhs = std::move(tmp).value()

// Aborts the process when `cond` is false. Only for conditions that indicate
// a programming error (never for anything input can trigger).
#define MESH_CHECK(cond)                                                  \
  do {                                                                    \
    if (!(cond)) {                                                        \
      std::fprintf(stderr, "%s:%d: MESH_CHECK failed: %s\n", __FILE__,    \
                   __LINE__, #cond);                                      \
      std::abort();                                                       \
    }                                                                     \
  } while (0)

// Aborts when `expr` (an absl::Status) is not OK; prints the status.
#define MESH_CHECK_OK(expr)                                                  \
  do {                                                                       \
    ::absl::Status mesh_chk_ = (expr);                                       \
    if (!mesh_chk_.ok()) {                                                   \
      std::fprintf(stderr, "%s:%d: MESH_CHECK_OK failed: %s\n", __FILE__,    \
                   __LINE__, mesh_chk_.ToString().c_str());                  \
      std::abort();                                                          \
    }                                                                        \
  } while (0)

#endif  // MESHSEC_CORE_STATUS_H_
