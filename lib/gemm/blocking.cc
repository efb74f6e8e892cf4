#include "lib/gemm/blocking.h"

#include <algorithm>

namespace simdgrad::detail {
namespace {

const CacheSizes* overridden_sizes = nullptr;

size_t round_down(size_t value, size_t multiple) {
  return std::max(multiple, value / multiple * multiple);
}

}  // namespace

std::atomic<uint64_t> blocking_cache_generation{0};

const CacheSizes& blocking_cache_sizes() {
  return overridden_sizes ? *overridden_sizes : detected_cache_sizes();
}

void override_blocking_cache_sizes(const CacheSizes* sizes) {
  static CacheSizes stored;
  if (sizes) stored = *sizes;
  overridden_sizes = sizes ? &stored : nullptr;
  blocking_cache_generation.fetch_add(1, std::memory_order_relaxed);
}

Blocking blocking_limits(size_t mr, size_t nr, size_t element_size, const CacheSizes& caches) {
  const size_t kc = kDepthBlockLimit;
  const size_t mc = std::clamp(round_down(caches.l2.bytes * 3 / 16 / (kc * element_size), mr), mr,
                               size_t{4096} / mr * mr);
  const size_t nc = std::clamp(round_down(caches.l3.bytes / 4 / (kc * element_size), nr), nr,
                               size_t{8192} / nr * nr);
  return Blocking{kc, mc, nc};
}

}  // namespace simdgrad::detail
