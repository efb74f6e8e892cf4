// Reductions over matrix views, float and double.
//
// Deterministic for any thread count: the view is cut into fixed segments (threading.h), each
// segment is reduced by the SIMD kernel of the running target, and the per-segment results are
// combined in segment order, in double. Results still differ between SIMD targets (a different
// vector width sums in a different order), never between thread counts.
#pragma once

#include "simdgrad/matrix.h"

namespace simdgrad {

template <class T>
T sum(MatrixView<const T> x);
template <class T>
T sum_squares(MatrixView<const T> x);
// Largest |x|; 0 for an empty view.
template <class T>
T max_abs(MatrixView<const T> x);

template <class T>
struct ErrorSums {
  T squared = 0;   // sum((prediction - target)^2)
  T relative = 0;  // sum(|prediction - target| / max(|target|, eps))
};
// A loss and a metric in one pass: writes diff = prediction - target and returns the two sums,
// bitwise sum_squares(diff) and sum(|diff| / max(|target|, eps)) computed apart (MSE and
// Keras' MAPE without their constant factors).
template <class T>
ErrorSums<T> squared_and_relative_errors(MatrixView<const T> prediction, MatrixView<const T> target,
                                         T eps, MatrixView<T> diff);

}  // namespace simdgrad
