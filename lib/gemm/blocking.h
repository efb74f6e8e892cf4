// Cache blocking of the GEMM driver: how op(A), op(B) and C are cut into blocks.
//
// KC (depth of a packed block), MC (rows of the packed A block), NC (columns of the packed B
// block). The packed B micro-panel (KC x NR) is reused by every A panel of the MC block, the A
// block (MC x KC) by every B panel of the NC block. Blocks are balanced (a dimension of 784
// with KC 256 becomes 4 blocks of 196, not 3 of 256 and one of 16), and depend on the shape
// and the tile only, never on the thread count.
#pragma once

#include <cstddef>

namespace simdgrad::detail {

struct Blocking {
  size_t kc;
  size_t mc;
  size_t nc;
};

// Cuts `extent` into the fewest blocks of at most `limit`, of equal size rounded up to a
// multiple of `multiple`.
inline size_t balanced_block(size_t extent, size_t limit, size_t multiple) {
  if (extent == 0) return multiple;
  const size_t blocks = (extent + limit - 1) / limit;
  const size_t even = (extent + blocks - 1) / blocks;
  return (even + multiple - 1) / multiple * multiple;
}

inline Blocking choose_blocking(size_t m, size_t n, size_t k, size_t mr, size_t nr,
                                size_t element_size) {
  // Targets: KC x NR of B and MR x KC of A in L1 (32 KiB), MC x KC of A in L2 (>= 512 KiB),
  // KC x NC of B in the shared L3.
#ifndef SIMDGRAD_KC_F32
#define SIMDGRAD_KC_F32 256
#endif
  const size_t kc_limit = element_size == 4 ? SIMDGRAD_KC_F32 : 192;
  const size_t mc_limit = 192;
  const size_t nc_limit = 3072;
  return Blocking{balanced_block(k, kc_limit, 1), balanced_block(m, mc_limit, mr),
                  balanced_block(n, nc_limit, nr)};
}

}  // namespace simdgrad::detail
