// Gradient memory that parameters take turns in. A training loop that updates each parameter
// as soon as its gradient is final (Tape::backward's gradient_final calling
// Optimizer::update_early) never needs all the gradients at once: in a stack of Dense layers a
// layer's weight gradient is written by its own backward and consumed right after, before the
// layer below writes its own. Parameters of one shape can then share one buffer, and a step's
// memory shrinks by all gradients but one per shape: for the identity experiment's 4 layers of
// 784 x 784, from 9.8 to 2.5 MB of weight gradients, which keeps the weights, the optimizer
// state and the activations in a 32 MiB L3 (docs/performance.md).
//
// For the object's lifetime the parameters' `grad` borrow the shared buffers, flagged zero
// (Parameter::grad_is_zero); when it ends, each gets memory of its own back, flagged zero. The
// parameters must outlive it. Tape::backward refuses a tape on which two parameters sharing
// memory would hold gradients at once, or whose gradients are not handed out as they become
// final (std::logic_error).
#pragma once

#include <vector>

#include "simdgrad/autograd/parameter.h"

namespace simdgrad::autograd {

template <class T>
class SharedGradientMemory {
 public:
  // One buffer per shape that at least two of `parameters` have; the others keep their own.
  explicit SharedGradientMemory(const std::vector<Parameter<T>*>& parameters);
  ~SharedGradientMemory();
  SharedGradientMemory(const SharedGradientMemory&) = delete;
  SharedGradientMemory& operator=(const SharedGradientMemory&) = delete;

  // The parameters whose gradients now live in shared memory.
  const std::vector<Parameter<T>*>& sharing() const { return sharing_; }

 private:
  std::vector<Matrix<T>> buffers_;
  std::vector<Parameter<T>*> sharing_;
};

// Whether two parameters' gradients are in the same memory.
template <class T>
bool share_gradient_memory(const Parameter<T>& a, const Parameter<T>& b) {
  return &a != &b && a.grad.size() != 0 && a.grad.data() == b.grad.data();
}

}  // namespace simdgrad::autograd
