#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "bench/fma_peak.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include "bench/fma_peak.h"
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace simdgrad::bench {
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
}  // namespace simdgrad::bench
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace simdgrad::bench {
HWY_EXPORT(FmaLoop);
double run_fma_loop(size_t iterations) { return HWY_DYNAMIC_DISPATCH(FmaLoop)(iterations); }
}  // namespace simdgrad::bench
#endif
