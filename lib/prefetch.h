// The attribute of every function and lambda in lib/ whose work is software prefetching.
//
// GCC counts __builtin_prefetch as free of side effects, so to its interprocedural analysis a
// function or lambda that only prefetches is const, and it deletes the calls, prefetches and
// all (GCC 12, from -O1): the helper compiles to nothing. Whether the optimizer inlines it
// first is a heuristic (the packing's prefetching lambda was inlined at -O3 and deleted at
// -O2); inlined always, into a caller whose other work has effects, the prefetches stay.
// tests/lib/check_prefetches_compiled.sh checks the compiled library's line tables.
#pragma once

#include <cstddef>

#define SIMDGRAD_PREFETCHING __attribute__((always_inline))

namespace simdgrad {

// Asks for the cache lines of the `bytes` bytes from `first`, as __builtin_prefetch does:
// kWrite 1 with intent to write; kLocality 3 into every level, 2 into L2 and beyond.
template <int kWrite = 0, int kLocality = 3>
SIMDGRAD_PREFETCHING inline void prefetch_lines(const void* first, size_t bytes) {
  const char* const bytes_from = static_cast<const char*>(first);
  for (size_t byte = 0; byte < bytes; byte += 64) {
    __builtin_prefetch(bytes_from + byte, kWrite, kLocality);
  }
}

}  // namespace simdgrad
