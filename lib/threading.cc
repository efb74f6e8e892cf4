#include "simdgrad/threading.h"

#include <omp.h>

#include <atomic>
#include <stdexcept>
#include <string>

namespace simdgrad {
namespace {
std::atomic<int> g_last_team_size{1};
}

void set_num_threads(int n) {
  if (n < 1) {
    throw std::invalid_argument("set_num_threads: need at least 1 thread, got " +
                                std::to_string(n));
  }
  omp_set_num_threads(n);
}

int num_threads() { return omp_get_max_threads(); }

int last_team_size() { return g_last_team_size.load(std::memory_order_relaxed); }

void detail::record_team_size(int n) { g_last_team_size.store(n, std::memory_order_relaxed); }

}  // namespace simdgrad
