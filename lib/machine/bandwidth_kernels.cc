// The five passes bandwidth is measured with, on the SIMD target in use: read (a sum), write
// (a fill), copy, triad (the writes optionally non-temporal) and an update in place. n is a
// multiple of kBandwidthBlock and the arrays are vector-aligned.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "lib/machine/bandwidth_kernels.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include "hwy/highway.h"
#include "lib/machine/bandwidth_kernels.h"
#include "simdgrad/targets.h"

HWY_BEFORE_NAMESPACE();
namespace simdgrad::detail {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

template <class D, class V>
HWY_INLINE void Put(D d, V v, float* HWY_RESTRICT at, bool stream) {
  stream ? hn::Stream(v, d, at) : hn::Store(v, d, at);
}

// Eight independent sums: enough loads in flight for two loads per cycle whatever the add
// latency. Named variables: SVE vectors cannot form an array.
float ReadPass(const float* HWY_RESTRICT a, size_t n) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  auto s0 = hn::Zero(d), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
  for (size_t i = 0; i < n; i += 8 * N) {
    s0 = hn::Add(s0, hn::Load(d, a + i));
    s1 = hn::Add(s1, hn::Load(d, a + i + N));
    s2 = hn::Add(s2, hn::Load(d, a + i + 2 * N));
    s3 = hn::Add(s3, hn::Load(d, a + i + 3 * N));
    s4 = hn::Add(s4, hn::Load(d, a + i + 4 * N));
    s5 = hn::Add(s5, hn::Load(d, a + i + 5 * N));
    s6 = hn::Add(s6, hn::Load(d, a + i + 6 * N));
    s7 = hn::Add(s7, hn::Load(d, a + i + 7 * N));
  }
  const auto total =
      hn::Add(hn::Add(hn::Add(s0, s1), hn::Add(s2, s3)), hn::Add(hn::Add(s4, s5), hn::Add(s6, s7)));
  return hn::GetLane(hn::SumOfLanes(d, total));
}

void WritePass(float* HWY_RESTRICT a, size_t n, float value, bool stream) {
  const hn::ScalableTag<float> d;
  const auto v = hn::Set(d, value);
  for (size_t i = 0; i < n; i += hn::Lanes(d)) Put(d, v, a + i, stream);
}

void CopyPass(const float* HWY_RESTRICT a, float* HWY_RESTRICT b, size_t n, bool stream) {
  const hn::ScalableTag<float> d;
  for (size_t i = 0; i < n; i += hn::Lanes(d)) Put(d, hn::Load(d, a + i), b + i, stream);
}

void TriadPass(float* HWY_RESTRICT a, const float* HWY_RESTRICT b, const float* HWY_RESTRICT c,
               float s, size_t n, bool stream) {
  const hn::ScalableTag<float> d;
  const auto scale = hn::Set(d, s);
  for (size_t i = 0; i < n; i += hn::Lanes(d))
    Put(d, hn::MulAdd(hn::Load(d, c + i), scale, hn::Load(d, b + i)), a + i, stream);
}

// In place, as an optimizer updates its parameters: a = a + s·b, the written lines already
// in the cache from their read (no read for ownership, no non-temporal store needed).
void UpdatePass(float* HWY_RESTRICT a, const float* HWY_RESTRICT b, float s, size_t n) {
  const hn::ScalableTag<float> d;
  const auto scale = hn::Set(d, s);
  for (size_t i = 0; i < n; i += hn::Lanes(d))
    hn::Store(hn::MulAdd(hn::Load(d, b + i), scale, hn::Load(d, a + i)), d, a + i);
}

}  // namespace HWY_NAMESPACE
}  // namespace simdgrad::detail
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace simdgrad::detail {
HWY_EXPORT(ReadPass);
HWY_EXPORT(WritePass);
HWY_EXPORT(CopyPass);
HWY_EXPORT(TriadPass);
HWY_EXPORT(UpdatePass);

float read_pass(const float* a, size_t n) { return HWY_DYNAMIC_DISPATCH(ReadPass)(a, n); }
void write_pass(float* a, size_t n, float value, bool stream) {
  HWY_DYNAMIC_DISPATCH(WritePass)(a, n, value, stream);
}
void copy_pass(const float* a, float* b, size_t n, bool stream) {
  HWY_DYNAMIC_DISPATCH(CopyPass)(a, b, n, stream);
}
void triad_pass(float* a, const float* b, const float* c, float s, size_t n, bool stream) {
  HWY_DYNAMIC_DISPATCH(TriadPass)(a, b, c, s, n, stream);
}
void update_pass(float* a, const float* b, float s, size_t n) {
  HWY_DYNAMIC_DISPATCH(UpdatePass)(a, b, s, n);
}
}  // namespace simdgrad::detail
#endif
