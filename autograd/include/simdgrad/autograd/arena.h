// A bump allocator for one training step's activations and scratch buffers.
//
// Allocation is a pointer bump inside a block; reset() rewinds to the first block and keeps
// every block. A training step that makes the same allocations in the same order as the step
// before therefore touches the system allocator only during its first step (Stan Math's arena,
// sized for matrices). Memory is 64-byte aligned and uninitialized.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "hwy/aligned_allocator.h"

namespace simdgrad::autograd {

struct ArenaStats {
  size_t blocks = 0;              // blocks obtained from the system so far
  size_t capacity_bytes = 0;      // their total size
  size_t used_bytes = 0;          // handed out since the last reset
  size_t system_allocations = 0;  // calls to the system allocator, ever
};

class Arena {
 public:
  explicit Arena(size_t block_bytes = size_t{4} << 20) : block_bytes_(block_bytes) {}
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  void* allocate(size_t bytes);
  template <class T>
  T* allocate_array(size_t count) {
    return static_cast<T*>(allocate(count * sizeof(T)));
  }
  void reset();
  ArenaStats stats() const;

 private:
  struct Block {
    hwy::AlignedFreeUniquePtr<uint8_t[]> data;
    size_t size;
  };
  size_t block_bytes_;
  std::vector<Block> blocks_;
  size_t current_ = 0;  // block in use
  size_t offset_ = 0;   // bytes used in it
  size_t used_ = 0;
  size_t system_allocations_ = 0;
};

}  // namespace simdgrad::autograd
