// Reductions over matrix views, float and double.
//
// Deterministic for any thread count: the view is cut into fixed segments (threading.h), each
// segment is reduced by the SIMD kernel of the running target, and the per-segment results are
// combined in segment order, in double. Results still differ between SIMD targets (a different
// vector width sums in a different order), never between thread counts.
#pragma once

#include "simdgrad/matrix.h"

namespace simdgrad {

template <class T> T sum(MatrixView<const T> x);
template <class T> T sum_squares(MatrixView<const T> x);
// Largest |x|; 0 for an empty view.
template <class T> T max_abs(MatrixView<const T> x);

}  // namespace simdgrad
