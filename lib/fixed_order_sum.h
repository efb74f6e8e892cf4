// The one order in which simdgrad adds up n elements, the same on every SIMD target.
//
// A sum keeps kPartialSums<T> partial sums (2048 bits: 64 floats, 32 doubles). Element i goes
// to partial i mod P, each partial adds its elements in index order, and the P partials are
// folded by one fixed tree. A vector of any width that divides P realises exactly this: AVX-512
// keeps 4 accumulators of 16 floats, AVX2 8 of 8, NEON 16 of 4, SVE 1 to 16 (Highway 1.0.3 uses
// the largest power-of-two part of an SVE vector, so its lane count always divides P). So every
// target with FMA gives the same bits, where a sum in Lanes(d)-wide accumulators would change
// with the width. P is the widest vector any target has (SVE's 2048 bits), so no width needs
// lanes that straddle partials.
//
// The fold is the order AVX-512 used before there was a fixed order (Highway's SumOfLanes on
// AVX3 is gcc's _mm512_reduce_add_ps), so AVX-512 results did not move: with L the lanes of a
// 512-bit vector, add partial i + L to i in the first and third quarter, then i + 2L to i, then
// halve L lanes down to one: i + L/2, ..., i + 1.
#pragma once

#include <cstddef>

namespace simdgrad::detail {

template <class T>
inline constexpr size_t kPartialSums = 256 / sizeof(T);

// Folds partials[0, kPartialSums<T>) into partials[0] with `combine` (+ for sums), in the fixed
// tree above; overwrites the partials. Plain scalar code: the same arithmetic on every target.
template <class T, class Combine>
T fold_partials(T* partials, const Combine& combine) {
  constexpr size_t kLanes512 = 64 / sizeof(T);
  for (size_t i = 0; i < kLanes512; ++i) {
    partials[i] = combine(partials[i], partials[i + kLanes512]);
    partials[i + 2 * kLanes512] = combine(partials[i + 2 * kLanes512], partials[i + 3 * kLanes512]);
  }
  for (size_t i = 0; i < kLanes512; ++i) {
    partials[i] = combine(partials[i], partials[i + 2 * kLanes512]);
  }
  for (size_t half = kLanes512 / 2; half >= 1; half /= 2) {
    for (size_t i = 0; i < half; ++i) partials[i] = combine(partials[i], partials[i + half]);
  }
  return partials[0];
}

}  // namespace simdgrad::detail
