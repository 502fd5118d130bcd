// For tests: an iterator that counts the entries it steps past (Next), to
// show how much of a store a read walked.
#ifndef MESHSEC_CORE_STEPPING_ITERATOR_H_
#define MESHSEC_CORE_STEPPING_ITERATOR_H_

#include <memory>
#include <string_view>
#include <utility>

#include "core/kv.h"

namespace mesh {

// Wraps `it`; adds one to *steps per Next.
template <typename Count>
class SteppingIterator : public KvIterator {
 public:
  SteppingIterator(std::unique_ptr<KvIterator> it, Count* steps)
      : it_(std::move(it)), steps_(steps) {}
  bool Valid() const override { return it_->Valid(); }
  void Next() override {
    ++*steps_;
    it_->Next();
  }
  std::string_view key() const override { return it_->key(); }
  std::string_view value() const override { return it_->value(); }
  absl::Status status() const override { return it_->status(); }

 private:
  std::unique_ptr<KvIterator> it_;
  Count* steps_;
};

}  // namespace mesh

#endif  // MESHSEC_CORE_STEPPING_ITERATOR_H_
