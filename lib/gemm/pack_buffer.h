// A growing, aligned buffer of one thread's GEMM scratch (packed panels, partial products).
#pragma once

#include <cstddef>

#include "simdgrad/aligned_memory.h"

namespace simdgrad::detail {

// Only grows, so steady-state training does not allocate in the GEMM.
template <class T>
class PackBuffer {
 public:
  T* reserve(size_t elements) {
    if (elements > capacity_) {
      data_ = allocate_aligned<T>(elements);
      capacity_ = elements;
    }
    return data_.get();
  }

 private:
  hwy::AlignedFreeUniquePtr<T[]> data_;
  size_t capacity_ = 0;
};

}  // namespace simdgrad::detail
