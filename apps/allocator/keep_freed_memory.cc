// Part of every program that links tcmalloc (mesh_link_allocator in the top
// CMakeLists.txt; docs/architecture.md, "Allocator"): the allocator keeps
// the memory the program freed instead of handing it back to the kernel.
//
// A block's overlay, batch and decoded records are built, written and
// freed; the next large block needs as much again. gperftools returns freed
// page-heap spans to the kernel gradually (release rate 1 by default), so
// that block faulted every page in anew, each one zeroed by the kernel: 61 %
// of a provider's slash of 10^5 cross-delegators (docs/perf.md). A node's
// resident memory is therefore its peak heap, which it reaches every large
// block anyway.
//
// TCMALLOC_RELEASE_RATE, when set, is left as the operator chose it.
#include <cstdlib>

#include <gperftools/malloc_extension.h>

namespace {

const bool kKeepsFreedMemory = [] {
  if (std::getenv("TCMALLOC_RELEASE_RATE") == nullptr) {
    MallocExtension::instance()->SetMemoryReleaseRate(0);
  }
  return true;
}();

}  // namespace
