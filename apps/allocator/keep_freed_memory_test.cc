// The programs' tcmalloc keeps the memory they free, and marks the memory
// it takes for transparent huge pages (keep_freed_memory.cc).
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"

#ifdef MESH_KEEPS_FREED_MEMORY
#include <gperftools/malloc_extension.h>
#endif

namespace {

#ifdef MESH_KEEPS_FREED_MEMORY
size_t UnmappedBytes() {
  size_t v = 0;
  EXPECT_TRUE(MallocExtension::instance()->GetNumericProperty(
      "tcmalloc.pageheap_unmapped_bytes", &v));
  return v;
}

// Frees 64 MiB of 256 KiB spans, then allocates and frees 1 MiB spans for a
// while (what makes tcmalloc scavenge its page heap): the bytes it handed
// back to the kernel meanwhile.
size_t ReleasedByChurn() {
  const size_t before = UnmappedBytes();
  {
    std::vector<std::unique_ptr<char[]>> spans;
    for (int i = 0; i < 256; ++i) {
      spans.emplace_back(new char[256 << 10]);
      spans.back()[0] = static_cast<char>(i);
    }
  }
  for (int i = 0; i < 4000; ++i) {
    std::unique_ptr<char[]> span(new char[1 << 20]);
    span[0] = static_cast<char>(i);
  }
  const size_t after = UnmappedBytes();
  return after > before ? after - before : 0;
}
#endif

TEST(AllocatorTest, ProgramsKeepTheMemoryTheyFree) {
#ifndef MESH_KEEPS_FREED_MEMORY
  GTEST_SKIP() << "built without tcmalloc or its extension header (libgoogle-perftools-dev)";
#else
  if (std::getenv("TCMALLOC_RELEASE_RATE") != nullptr) {
    GTEST_SKIP() << "TCMALLOC_RELEASE_RATE is set: the operator's rate applies";
  }
  MallocExtension* m = MallocExtension::instance();
  EXPECT_EQ(m->GetMemoryReleaseRate(), 0.0);
  EXPECT_EQ(ReleasedByChurn(), 0u);
  // The measure sees a release when there is one: with gperftools' default
  // rate the same churn hands memory back.
  m->SetMemoryReleaseRate(10);
  EXPECT_GT(ReleasedByChurn(), 0u);
  m->SetMemoryReleaseRate(0);
#endif
}

#ifdef MESH_KEEPS_FREED_MEMORY
// The VmFlags of the mapping of this process that holds `p` (/proc/self/smaps),
// or "" when none does.
std::string VmFlagsAt(const void* p) {
  const uintptr_t at = reinterpret_cast<uintptr_t>(p);
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool inside = false;
  while (std::getline(smaps, line)) {
    uintptr_t begin = 0, end = 0;
    char dash = 0;
    std::istringstream head(line);
    if (head >> std::hex >> begin >> dash >> end && dash == '-') {
      inside = begin <= at && at < end;
      continue;
    }
    if (inside && line.rfind("VmFlags:", 0) == 0) return line;
  }
  return "";
}
#endif

TEST(AllocatorTest, TheHeapItTakesIsMarkedForHugePages) {
#ifndef MESH_KEEPS_FREED_MEMORY
  GTEST_SKIP() << "built without tcmalloc or its extension header (libgoogle-perftools-dev)";
#else
  const char* huge = std::getenv("MESH_HUGE_PAGES");
  if (huge != nullptr && std::strcmp(huge, "0") == 0) GTEST_SKIP() << "MESH_HUGE_PAGES=0";
  if (!std::filesystem::exists("/sys/kernel/mm/transparent_hugepage/enabled")) {
    GTEST_SKIP() << "the kernel has no transparent huge pages";
  }
  // More than the heap holds yet: the allocator takes it from the system.
  // (Its start may lie in free heap taken before, which the new memory
  // extends: its last byte is in memory taken now.)
  constexpr size_t kBytes = size_t{96} << 20;
  std::unique_ptr<char[]> big(new char[kBytes]);
  big[kBytes - 1] = 1;
  const std::string flags = VmFlagsAt(big.get() + kBytes - 1);
  ASSERT_FALSE(flags.empty()) << "no mapping holds the allocation";
  EXPECT_NE(flags.find(" hg"), std::string::npos) << flags;
#endif
}

}  // namespace
