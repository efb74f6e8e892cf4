// Layers: Dense and a Sequential stack of them. A layer owns its Parameters; forward() records
// its ops on the tape of its input.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "simdgrad/autograd/initializers.h"
#include "simdgrad/autograd/ops.h"
#include "simdgrad/autograd/parameter.h"

namespace simdgrad::autograd {

// y = act(x Wᵀ + b), W out x in, b 1 x out: one fused GEMM forward (ops.h linear()).
template <class T>
class Dense {
 public:
  Dense(std::string name, size_t in, size_t out, Activation activation);

  Var<T> forward(Tape<T>& tape, Var<T> x);
  // Weights by `kind`, biases zero (Keras' defaults when kind is glorot).
  void initialize(Initializer kind, Random& rng);

  Parameter<T>& weight() { return weight_; }
  Parameter<T>& bias() { return bias_; }
  Activation activation() const { return activation_; }
  size_t inputs() const { return weight_.value.cols(); }
  size_t outputs() const { return weight_.value.rows(); }
  std::vector<Parameter<T>*> parameters() { return {&weight_, &bias_}; }

 private:
  Parameter<T> weight_;
  Parameter<T> bias_;
  Activation activation_;
};

template <class T>
class Sequential {
 public:
  // Adds a Dense layer named "dense_<index>" taking the previous layer's outputs.
  Dense<T>& add_dense(size_t in, size_t out, Activation activation);
  Var<T> forward(Tape<T>& tape, Var<T> x);
  void initialize(Initializer kind, Random& rng);

  size_t size() const { return layers_.size(); }
  Dense<T>& layer(size_t i) { return *layers_.at(i); }
  // Stable pointers: layers live on the heap, so adding a layer never moves a Parameter.
  std::vector<Parameter<T>*> parameters();

 private:
  std::vector<std::unique_ptr<Dense<T>>> layers_;
};

}  // namespace simdgrad::autograd
