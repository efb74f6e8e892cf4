// Differentiable matrix operations. Each computes its result with the lib/ kernels, records
// one node, and has a backward that uses lib/ kernels too (the gradients are in
// docs/autograd.md). All inputs must come from the same tape and step.
#pragma once

#include "simdgrad/autograd/tape.h"
#include "simdgrad/gemm.h"

namespace simdgrad::autograd {

// op(a) * op(b).
template <class T>
Var<T> matmul(Var<T> a, Var<T> b, Transpose transpose_a = Transpose::kNo,
              Transpose transpose_b = Transpose::kNo);
// act(x * weightᵀ + bias): x is batch x in, weight is out x in (PyTorch's layout; Keras'
// kernel is its transpose), bias is 1 x out. One fused GEMM forward.
template <class T>
Var<T> linear(Var<T> x, Var<T> weight, Var<T> bias, Activation activation = Activation::kNone);

template <class T>
Var<T> add(Var<T> a, Var<T> b);
template <class T>
Var<T> sub(Var<T> a, Var<T> b);
template <class T>
Var<T> mul(Var<T> a, Var<T> b);  // elementwise
template <class T>
Var<T> scale(Var<T> x, T s);
// x + bias on every row; bias is 1 x x.cols().
template <class T>
Var<T> add_bias(Var<T> x, Var<T> bias);
template <class T>
Var<T> relu(Var<T> x);
template <class T>
Var<T> tanh(Var<T> x);
template <class T>
Var<T> sigmoid(Var<T> x);
template <class T>
Var<T> square(Var<T> x);
// Reductions to 1 x 1.
template <class T>
Var<T> sum(Var<T> x);
template <class T>
Var<T> mean(Var<T> x);

// Keras' mean_squared_error over all elements: mean((prediction - target)^2).
template <class T>
Var<T> mse_loss(Var<T> prediction, Var<T> target);
// Keras' mean_absolute_percentage_error: 100 * mean(|target - prediction| /
// max(|target|, 1e-7)). A metric: its gradient flows to the prediction only.
template <class T>
Var<T> mape(Var<T> prediction, Var<T> target);
// mse_loss and the value of mape from one pass over memory (a training step's loss and its
// metric): `loss` is bitwise mse_loss(prediction, target) and differentiable like it, `mape` is
// bitwise mape(prediction, target)'s value (a number: no gradient), `diff` is prediction - target
// (valid until the tape's reset()).
template <class T>
struct LossWithMape {
  Var<T> loss;
  double mape = 0;
  MatrixView<const T> diff;
};
template <class T>
LossWithMape<T> mse_loss_with_mape(Var<T> prediction, Var<T> target);
// Mean over rows of -sum(target * log_softmax(logits)); target rows are probabilities
// (one-hot for class labels).
template <class T>
Var<T> softmax_cross_entropy(Var<T> logits, Var<T> target);

template <class T>
Var<T> operator+(Var<T> a, Var<T> b) {
  return add(a, b);
}
template <class T>
Var<T> operator-(Var<T> a, Var<T> b) {
  return sub(a, b);
}
template <class T>
Var<T> operator*(Var<T> a, Var<T> b) {
  return mul(a, b);
}
template <class T>
Var<T> operator*(T s, Var<T> x) {
  return scale(x, s);
}

}  // namespace simdgrad::autograd
