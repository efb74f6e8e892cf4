// The passes over memory that the roofline's bandwidths are measured with (bandwidth_kernels.cc),
// dispatched to the SIMD target in use.
#pragma once

#include <cstddef>

namespace simdgrad::detail {

// Every n is a multiple of this many floats (8 vectors of the widest target, 2048-bit SVE);
// every array is aligned for the target's vectors.
inline constexpr size_t kBandwidthBlock = 512;

// Σ a (to keep the reads observable).
float read_pass(const float* a, size_t n);
// a = value; `stream`: non-temporal stores.
void write_pass(float* a, size_t n, float value, bool stream);
// b = a.
void copy_pass(const float* a, float* b, size_t n, bool stream);
// a = b + s·c.
void triad_pass(float* a, const float* b, const float* c, float s, size_t n, bool stream);
// a = a + s·b, in place.
void update_pass(float* a, const float* b, float s, size_t n);

}  // namespace simdgrad::detail
