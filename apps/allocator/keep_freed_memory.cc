// Part of every program that links tcmalloc (mesh_link_allocator in the top
// CMakeLists.txt; docs/architecture.md, "Allocator"): the allocator keeps
// the memory the program freed instead of handing it back to the kernel,
// and asks the kernel for transparent huge pages for the memory it takes.
//
// A block's overlay, batch and decoded records are built, written and
// freed; the next large block needs as much again. gperftools returns freed
// page-heap spans to the kernel gradually (release rate 1 by default), so
// that block faulted every page in anew, each one zeroed by the kernel: 61 %
// of a provider's slash of 10^5 cross-delegators (docs/perf.md). A node's
// resident memory is therefore its peak heap, which it reaches every large
// block anyway.
//
// The heap's first growth to that peak still faults its pages in: a slash
// of 10^6 cross-delegators takes gigabytes it never had. Every span the
// allocator takes from the system is marked MADV_HUGEPAGE, so where the
// kernel's transparent huge pages are "madvise" (Debian's default) such a
// growth faults 2 MiB at a time instead of 4 KiB.
//
// TCMALLOC_RELEASE_RATE, when set, is left as the operator chose it;
// MESH_HUGE_PAGES=0 leaves the system allocator as it is.
#include <sys/mman.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>

#include <gperftools/malloc_extension.h>

namespace {

// Wraps the allocator's system allocator; called with the allocator's lock
// held, so it allocates nothing itself.
class HugePageSysAllocator final : public SysAllocator {
 public:
  explicit HugePageSysAllocator(SysAllocator* next) : next_(next) {}
  void* Alloc(size_t size, size_t* actual_size, size_t alignment) override {
    size_t got = 0;
    void* p = next_->Alloc(size, &got, alignment);
    if (actual_size != nullptr) *actual_size = got;
    if (p != nullptr && got != 0) {
      constexpr uintptr_t kPage = 4096;
      const uintptr_t begin = reinterpret_cast<uintptr_t>(p) & ~(kPage - 1);
      const uintptr_t end = reinterpret_cast<uintptr_t>(p) + got;
      (void)madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);  // advice only
    }
    return p;
  }

 private:
  SysAllocator* next_;
};

const bool kKeepsFreedMemory = [] {
  MallocExtension* ext = MallocExtension::instance();
  if (std::getenv("TCMALLOC_RELEASE_RATE") == nullptr) ext->SetMemoryReleaseRate(0);
  const char* huge = std::getenv("MESH_HUGE_PAGES");
  if (huge == nullptr || std::strcmp(huge, "0") != 0) {
    if (SysAllocator* next = ext->GetSystemAllocator()) {
      // Static storage: constructed without the heap, never destroyed.
      alignas(HugePageSysAllocator) static unsigned char storage[sizeof(HugePageSysAllocator)];
      ext->SetSystemAllocator(new (storage) HugePageSysAllocator(next));
    }
  }
  return true;
}();

}  // namespace
