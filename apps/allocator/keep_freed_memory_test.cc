// The programs' tcmalloc keeps the memory they free (keep_freed_memory.cc).
#include <cstdlib>
#include <memory>
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

}  // namespace
