#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "lib/machine/fma_peak.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include "simdgrad/fma_peak.h"

#include <omp.h>

#include <algorithm>
#include <chrono>

#include "hwy/highway.h"
#include "simdgrad/targets.h"
#include "simdgrad/threading.h"

HWY_BEFORE_NAMESPACE();
namespace simdgrad {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// 16 independent accumulator chains: enough to cover FMA latency x throughput (4 cycles x 2
// pipes on Zen 4/5) with room to spare, and few enough to stay in 16 registers on AVX2. Named
// variables, not an array: SVE vectors are sizeless and cannot form one.
double FmaLoop(size_t iterations) {
  const hn::ScalableTag<float> d;
  constexpr size_t kChains = 16;
  const auto a = hn::Set(d, 0.999999f), b = hn::Set(d, 1e-7f);
  const auto start = [&](int chain) HWY_ATTR { return hn::Set(d, float(chain) * 1e-3f); };
  auto c0 = start(0), c1 = start(1), c2 = start(2), c3 = start(3), c4 = start(4), c5 = start(5),
       c6 = start(6), c7 = start(7), c8 = start(8), c9 = start(9), c10 = start(10), c11 = start(11),
       c12 = start(12), c13 = start(13), c14 = start(14), c15 = start(15);
  const auto step = [&](auto&... chains) HWY_ATTR { ((chains = hn::MulAdd(chains, a, b)), ...); };
  for (size_t i = 0; i < iterations; ++i) {
    step(c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15);
  }
  auto total = hn::Zero(d);
  const auto add_up = [&](const auto&... chains)
                          HWY_ATTR { ((total = hn::Add(total, chains)), ...); };
  add_up(c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15);
  // Keep the result observable so the loop is not removed.
  volatile float sink = hn::GetLane(total);
  (void)sink;
  return 2.0 * double(iterations) * kChains * hn::Lanes(d);
}

}  // namespace HWY_NAMESPACE
}  // namespace simdgrad
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace simdgrad {
HWY_EXPORT(FmaLoop);

double run_fma_loop(size_t iterations) {
  detail::apply_environment_target();
  return HWY_DYNAMIC_DISPATCH(FmaLoop)(iterations);
}

double measure_fma_peak_gflops(int threads, int repetitions) {
  if (threads < 1) threads = num_threads();
  // About 20 ms per run at 100 GFLOP/s per core, whatever the vector width.
  const size_t iterations = size_t(2e9 / run_fma_loop(1));
  double best = 0;
  for (int r = 0; r < std::max(1, repetitions); ++r) {
    double flops = 0;
    const auto start = std::chrono::steady_clock::now();
#pragma omp parallel num_threads(threads) reduction(+ : flops)
    flops += run_fma_loop(iterations);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    best = std::max(best, flops / seconds * 1e-9);
  }
  return best;
}

}  // namespace simdgrad
#endif
