// A trainable tensor: its value and its gradient, owned outside the tape so they outlive
// every step. Gradients accumulate across backward passes until the optimizer's zero_grad().
#pragma once

#include <string>

#include "simdgrad/matrix.h"

namespace simdgrad::autograd {

template <class T>
struct Parameter {
  Parameter() = default;
  Parameter(std::string name, size_t rows, size_t cols)
      : name(std::move(name)), value(rows, cols), grad(rows, cols) {}

  std::string name;  // unique within a model, e.g. "dense_0.weight"
  Matrix<T> value;
  Matrix<T> grad;
  // The gradient is zero whatever `grad` holds: set by Optimizer::step_and_zero_grad() instead
  // of writing zeros, so the next backward writes its first contribution straight into `grad`
  // (a GEMM with beta 0) rather than adding to zeros. backward() always leaves `grad` valid
  // and this false for every parameter on its tape; zero_grad() writes real zeros. Code that
  // writes `grad` itself, not through a tape, sets it false.
  bool grad_is_zero = false;
};

// A named view of a tensor, for saving and loading parameters and optimizer state.
template <class T>
struct NamedTensor {
  std::string name;
  MatrixView<T> view;
};

}  // namespace simdgrad::autograd
