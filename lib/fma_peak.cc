#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "lib/fma_peak.cc"
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
// pipes on Zen 4/5) with room to spare, and few enough to stay in 16 registers on AVX2.
double FmaLoop(size_t iterations) {
  const hn::ScalableTag<float> d;
  constexpr size_t kChains = 16;
  hn::Vec<decltype(d)> acc[kChains];
  for (size_t c = 0; c < kChains; ++c) acc[c] = hn::Set(d, float(c) * 1e-3f);
  const auto a = hn::Set(d, 0.999999f), b = hn::Set(d, 1e-7f);
  for (size_t i = 0; i < iterations; ++i) {
#pragma GCC unroll 16
    for (size_t c = 0; c < kChains; ++c) acc[c] = hn::MulAdd(acc[c], a, b);
  }
  auto total = acc[0];
  for (size_t c = 1; c < kChains; ++c) total = hn::Add(total, acc[c]);
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
