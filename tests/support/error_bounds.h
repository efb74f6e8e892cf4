// Rounding-error bounds from the algorithm's structure rather than a chosen tolerance
// (Higham, Accuracy and Stability of Numerical Algorithms, 2nd ed.: §3.1 for γₙ, §3.5 for
// inner and matrix products, §4.2 for summation), and a reference precise enough that its own
// error is negligible next to them.
#pragma once

#include <cmath>
#include <cstddef>
#include <limits>

namespace simdgrad::testing {

// The reference precision: x87's 64-bit significand on x86-64, at least double elsewhere.
using Reference = long double;
static_assert(std::numeric_limits<Reference>::digits >= 64,
              "the bound tests need a reference more precise than double");

// Unit roundoff u = 2^-p of a type with p significand bits.
template <class T>
constexpr double unit_roundoff() {
  return std::numeric_limits<T>::epsilon() / 2;
}

// γₙ = n·u / (1 − n·u): a value that went through n roundings in sequence (each a factor
// 1 + δ, |δ| ≤ u) is within γₙ of the exact one, relatively.
template <class T>
double gamma_n(size_t n) {
  const double nu = double(n) * unit_roundoff<T>();
  return nu / (1 - nu);
}

// ⌈log2 n⌉ for n ≥ 1: the depth of a pairwise tree over n values.
inline size_t ceil_log2(size_t n) {
  size_t depth = 0;
  while ((size_t{1} << depth) < n) ++depth;
  return depth;
}

}  // namespace simdgrad::testing
