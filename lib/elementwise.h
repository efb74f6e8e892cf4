// Elementwise kernels on matrix views, float and double, vectorized per SIMD target and
// threaded over fixed segments (results are the same for any thread count).
//
// Shapes must match exactly (std::invalid_argument names both otherwise). The output may be
// the same view as an input; partially overlapping views are not supported.
#pragma once

#include "lib/matrix.h"

namespace simdgrad {

template <class T> void fill(MatrixView<T> y, T value);
template <class T> void copy(MatrixView<const T> x, MatrixView<T> y);
template <class T> void add(MatrixView<const T> a, MatrixView<const T> b, MatrixView<T> y);
template <class T> void sub(MatrixView<const T> a, MatrixView<const T> b, MatrixView<T> y);
template <class T> void mul(MatrixView<const T> a, MatrixView<const T> b, MatrixView<T> y);
// y = s * x
template <class T> void scale(T s, MatrixView<const T> x, MatrixView<T> y);
// y += a * x
template <class T> void axpy(T a, MatrixView<const T> x, MatrixView<T> y);
// y = max(x, 0)
template <class T> void relu(MatrixView<const T> x, MatrixView<T> y);
// y = g * [x > 0]: the gradient through a ReLU whose input (or output) was x.
template <class T> void relu_backward(MatrixView<const T> x, MatrixView<const T> g, MatrixView<T> y);
// y[r][c] += bias[c] for every row r: bias is 1 x y.cols().
template <class T> void add_row_vector(MatrixView<const T> bias, MatrixView<T> y);
// out[c] = sum over r of x[r][c]: out is 1 x x.cols() (the gradient of a bias).
template <class T> void column_sums(MatrixView<const T> x, MatrixView<T> out);

}  // namespace simdgrad
