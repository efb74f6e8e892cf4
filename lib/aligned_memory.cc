#include "simdgrad/aligned_memory.h"

#include <atomic>

namespace simdgrad {
namespace {
std::atomic<size_t> g_aligned_allocations{0};
}

void detail::count_aligned_allocation() {
  g_aligned_allocations.fetch_add(1, std::memory_order_relaxed);
}

size_t aligned_allocation_count() { return g_aligned_allocations.load(std::memory_order_relaxed); }

}  // namespace simdgrad
