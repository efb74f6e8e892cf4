// Cache blocking of the GEMM driver: how op(A), op(B) and C are cut into blocks.
//
// KC (depth of a packed block), MC (rows of the packed A block), NC (columns of the packed B
// block). Every element of C adds its products depth by depth inside a block, then block after
// block, so KC alone sets the order of its sums: KC is a constant, the same for every element
// type, SIMD target, tile and cache size, and results are the same bits on every machine. MC
// and NC only choose which tiles share a packed block, so they follow the caches: the A block
// (MC x KC) is reused by every B panel of the NC block and should stay in L2, the B block
// (KC x NC) in the shared L3. Blocks are balanced: a depth of 784 under the KC limit of 256
// becomes 4 blocks of 200, 200, 200, 184 (KC a multiple of 8), not 3 of 256 and one of 16.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "simdgrad/cache_sizes.h"
#include "simdgrad/index_range.h"

namespace simdgrad::detail {

// The largest depth of a block. Its KC x NR B micro-panel is reused by every A panel of the
// block and should stay in L1: 256 x 32 floats (the AVX-512 tile) is 32 KiB, two thirds of a
// 48 KiB L1d (Zen 5, Sapphire Rapids), the value tuned by hand on Zen 5. The training shapes'
// depth of 784 is cut to 200, which fits a 32 KiB L1d as well.
inline constexpr size_t kDepthBlockLimit = 256;

struct Blocking {
  size_t kc;
  size_t mc;
  size_t nc;
};

// The cache sizes blocking follows: the detected ones, or those a test put in their place.
const CacheSizes& blocking_cache_sizes();
// Replaces the cache sizes blocking follows (nullptr: back to the detected ones). For tests
// that prove the results do not depend on them; not thread-safe, call between GEMMs.
void override_blocking_cache_sizes(const CacheSizes* sizes);
// Counts the overrides, so that per-thread memos of the limits know to recompute them.
extern std::atomic<uint64_t> blocking_cache_generation;

// The largest MC and NC for this tile and element size under `caches`, KC = kDepthBlockLimit:
// MC x KC x size <= 3/16 of L2, KC x NC x size <= 1/4 of L3.
Blocking blocking_limits(size_t mr, size_t nr, size_t element_size, const CacheSizes& caches);

// Cuts `extent` into the fewest blocks of at most `limit`, of equal size rounded up to a
// multiple of `multiple`.
inline size_t balanced_block(size_t extent, size_t limit, size_t multiple) {
  if (extent == 0) return multiple;
  if (extent <= limit) return round_up(extent, multiple);
  const size_t blocks = div_ceil(extent, limit);
  const size_t even = div_ceil(extent, blocks);
  return round_up(even, multiple);
}

inline Blocking choose_blocking(size_t m, size_t n, size_t k, size_t mr, size_t nr,
                                size_t element_size) {
  // The limits depend on the tile and the caches only; remembered per thread for the last tile
  // asked for (their divisions were 8% of a 16x16x16 GEMM).
  struct Memo {
    size_t mr = 0, nr = 0, element_size = 0;
    uint64_t generation = ~uint64_t{0};
    Blocking limit{};
  };
  thread_local Memo memo;
  const uint64_t generation = blocking_cache_generation.load(std::memory_order_relaxed);
  if (memo.mr != mr || memo.nr != nr || memo.element_size != element_size ||
      memo.generation != generation) {
    memo = Memo{mr, nr, element_size, generation,
                blocking_limits(mr, nr, element_size, blocking_cache_sizes())};
  }
  const Blocking limit = memo.limit;
  // KC a multiple of 8: the transposing pack works in square blocks of up to 8 depths.
  return Blocking{balanced_block(k, limit.kc, 8), balanced_block(m, limit.mc, mr),
                  balanced_block(n, limit.nc, nr)};
}

}  // namespace simdgrad::detail
