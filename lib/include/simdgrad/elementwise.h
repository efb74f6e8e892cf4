// Elementwise kernels on matrix views, float and double, vectorized per SIMD target and
// threaded over fixed segments (results are the same for any thread count).
//
// Shapes must match exactly (std::invalid_argument names both otherwise). The output may be
// the same view as an input; partially overlapping views are not supported.
#pragma once

#include "simdgrad/matrix.h"

namespace simdgrad {

template <class T>
void fill(MatrixView<T> y, T value);
template <class T>
void copy(MatrixView<const T> x, MatrixView<T> y);
template <class T>
void add(MatrixView<const T> a, MatrixView<const T> b, MatrixView<T> y);
template <class T>
void sub(MatrixView<const T> a, MatrixView<const T> b, MatrixView<T> y);
template <class T>
void mul(MatrixView<const T> a, MatrixView<const T> b, MatrixView<T> y);
// y = s * x
template <class T>
void scale(T s, MatrixView<const T> x, MatrixView<T> y);
// y += a * x
template <class T>
void axpy(T a, MatrixView<const T> x, MatrixView<T> y);
// y = max(x, 0)
template <class T>
void relu(MatrixView<const T> x, MatrixView<T> y);
// y = g * [x > 0]: the gradient through a ReLU whose input (or output) was x.
template <class T>
void relu_backward(MatrixView<const T> x, MatrixView<const T> g, MatrixView<T> y);
// y = a / b
template <class T>
void div(MatrixView<const T> a, MatrixView<const T> b, MatrixView<T> y);
// y = |x|
template <class T>
void abs(MatrixView<const T> x, MatrixView<T> y);
// y = -1, 0 or +1 as x is negative, zero or positive
template <class T>
void sign(MatrixView<const T> x, MatrixView<T> y);
// y = max(x, low)
template <class T>
void clamp_min(T low, MatrixView<const T> x, MatrixView<T> y);
// y = e^x (Highway's Exp: <= 1 ulp float)
template <class T>
void exp(MatrixView<const T> x, MatrixView<T> y);
// y = tanh(x)
template <class T>
void tanh(MatrixView<const T> x, MatrixView<T> y);
// y = 1 / (1 + e^-x), without overflow for any x
template <class T>
void sigmoid(MatrixView<const T> x, MatrixView<T> y);
// out = g * (1 - y^2): the gradient through a tanh whose output was y.
template <class T>
void tanh_backward(MatrixView<const T> y, MatrixView<const T> g, MatrixView<T> out);
// out = g * y * (1 - y): the gradient through a sigmoid whose output was y.
template <class T>
void sigmoid_backward(MatrixView<const T> y, MatrixView<const T> g, MatrixView<T> out);
// Row by row: y = softmax(x) and y = log(softmax(x)), each stable (computed from x - max).
template <class T>
void softmax_rows(MatrixView<const T> x, MatrixView<T> y);
template <class T>
void log_softmax_rows(MatrixView<const T> x, MatrixView<T> y);
// y[r][c] += bias[c] for every row r: bias is 1 x y.cols().
template <class T>
void add_row_vector(MatrixView<const T> bias, MatrixView<T> y);
// out[c] = sum over r of x[r][c]: out is 1 x x.cols() (the gradient of a bias).
template <class T>
void column_sums(MatrixView<const T> x, MatrixView<T> out);
// out[c] = sum over r of g[r][c]*[x[r][c] > 0]: the bias gradient of a ReLU layer from its
// output x and output gradient g, bitwise column_sums(relu_backward(x, g)) without forming it.
template <class T>
void relu_backward_column_sums(MatrixView<const T> x, MatrixView<const T> g, MatrixView<T> out);

}  // namespace simdgrad
