// 64-byte aligned heap arrays: the one place simdgrad asks the system for memory (matrices,
// GEMM packing buffers, the autograd arena), so tests can prove a training step allocates
// nothing once it is warm.
#pragma once

#include <cstddef>
#include <new>

#include "hwy/aligned_allocator.h"

namespace simdgrad {

namespace detail {
void count_aligned_allocation();
}

// Total allocations made through allocate_aligned since the program started.
size_t aligned_allocation_count();

// An uninitialized array of n elements (n > 0); throws std::bad_alloc on failure.
template <class T>
hwy::AlignedFreeUniquePtr<T[]> allocate_aligned(size_t n) {
  auto data = hwy::AllocateAligned<T>(n);
  if (!data) throw std::bad_alloc();
  detail::count_aligned_allocation();
  return data;
}

}  // namespace simdgrad
