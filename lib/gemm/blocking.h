// Cache blocking of the GEMM driver: how op(A), op(B) and C are cut into blocks.
//
// KC (depth of a packed block), MC (rows of the packed A block), NC (columns of the packed B
// block). The B micro-panel (KC x NR) is reused by every A panel of the MC block and should
// stay in L1; the A block (MC x KC) is reused by every B panel of the NC block and should stay
// in L2; the B block (KC x NC) in the shared L3. The limits come from the cache sizes the
// machine reports (cache_sizes()), so they depend on the machine, the shape and the tile, never
// on the thread count. Blocks are balanced: a dimension of 784 with a KC limit of 256 becomes 4
// blocks of about 196 (200, 200, 200, 184 with KC a multiple of 8), not 3 of 256 and one of 16.
#pragma once

#include <cstddef>

namespace simdgrad::detail {

struct Blocking {
  size_t kc;
  size_t mc;
  size_t nc;
};

struct CacheSizes {
  size_t l1d = size_t{32} << 10;  // defaults where the machine does not say
  size_t l2 = size_t{512} << 10;
  size_t l3 = size_t{8} << 20;
};

// The data cache sizes of CPU 0, read once (Linux sysfs); the defaults where unreadable.
const CacheSizes& cache_sizes();

// The largest KC, MC and NC for this tile and element size under `caches`:
// KC x NR x size <= 2/3 of L1d, MC x KC x size <= 3/16 of L2, KC x NC x size <= 1/4 of L3.
// (Measured on Zen 5 — 48 KiB L1d, 1 MiB L2, 32 MiB L3 — the float limits come out at
// KC 256, MC 192, the values tuned by hand there.)
Blocking blocking_limits(size_t mr, size_t nr, size_t element_size, const CacheSizes& caches);

// Cuts `extent` into the fewest blocks of at most `limit`, of equal size rounded up to a
// multiple of `multiple`.
inline size_t balanced_block(size_t extent, size_t limit, size_t multiple) {
  if (extent == 0) return multiple;
  if (extent <= limit) return (extent + multiple - 1) / multiple * multiple;
  const size_t blocks = (extent + limit - 1) / limit;
  const size_t even = (extent + blocks - 1) / blocks;
  return (even + multiple - 1) / multiple * multiple;
}

inline Blocking choose_blocking(size_t m, size_t n, size_t k, size_t mr, size_t nr,
                                size_t element_size) {
  // The limits depend on the tile only; remembered per thread for the last tile asked for
  // (their divisions were 8% of a 16x16x16 GEMM).
  struct Memo {
    size_t mr = 0, nr = 0, element_size = 0;
    Blocking limit{};
  };
  thread_local Memo memo;
  if (memo.mr != mr || memo.nr != nr || memo.element_size != element_size) {
    memo = Memo{mr, nr, element_size, blocking_limits(mr, nr, element_size, cache_sizes())};
  }
  const Blocking limit = memo.limit;
  // KC a multiple of 8: the transposing pack works in square blocks of up to 8 depths.
  return Blocking{balanced_block(k, limit.kc, 8), balanced_block(m, limit.mc, mr),
                  balanced_block(n, limit.nc, nr)};
}

}  // namespace simdgrad::detail
