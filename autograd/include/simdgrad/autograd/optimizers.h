// Optimizers over a fixed list of Parameters, each step one fused lib/ kernel per parameter.
// State (accumulators, moments, the step count) is enumerable by name for checkpoints:
// "<parameter name>.<slot>", e.g. "dense_0.weight.rms".
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "simdgrad/autograd/parameter.h"

namespace simdgrad::autograd {

template <class T>
class Optimizer {
 public:
  Optimizer(std::vector<Parameter<T>*> parameters, T lr)
      : parameters_(std::move(parameters)),
        lr_(lr),
        updated_early_(parameters_.size(), 0),
        early_square_sums_(parameters_.size()) {}
  virtual ~Optimizer() = default;

  // One update from the parameters' current gradients; counts the step.
  void step();
  // Sets every parameter's gradient to zero (gradients accumulate until then).
  void zero_grad();
  // step() then zero_grad() without a pass writing zeros: each gradient is flagged zero
  // (Parameter::grad_is_zero) and the next backward writes it instead of adding to it, bitwise
  // the same as the two calls. When given, grad_square_sums receives per parameter the sum of
  // its squared gradient elements, from the update's own pass (bitwise sum_squares(grad)), for
  // diagnostics that would otherwise read every gradient once more.
  void step_and_zero_grad(std::vector<T>* grad_square_sums = nullptr);
  // The same for the elements parts[i] of each parameter i alone (contiguous storage): the
  // share of the update one process of a sharded data-parallel run owns. Only those elements of
  // each gradient are read, and grad_square_sums sums over them. Element by element the update
  // is bitwise the whole step's.
  void step_and_zero_grad(std::span<const IndexRange> parts,
                          std::vector<T>* grad_square_sums = nullptr);
  // Updates p now, from its gradient as it stands, as part of the step that the next
  // step_and_zero_grad() ends: that call skips p, flags its gradient zero and reports the sum
  // of squares of this update's gradient. Called from Tape::backward's gradient_final, each
  // parameter is updated while its gradient is fresh in cache, and parameters can take turns
  // in one gradient memory (SharedGradientMemory). Element by element the step is bitwise the
  // same. Throws std::invalid_argument for a parameter this optimizer does not own and
  // std::logic_error for one already updated in this step.
  void update_early(Parameter<T>& p);

  // The rate the next step uses; a schedule (schedules.h) sets it before each step.
  T learning_rate() const { return lr_; }
  // Throws std::logic_error for a new rate while a step begun by update_early() is open: its
  // first updates used the old one (set the rate before the backward pass).
  void set_learning_rate(T lr);
  long iterations() const { return iterations_; }
  void set_iterations(long n) { iterations_ = n; }
  // Every state tensor, named "<parameter>.<slot>": slot by slot, each in parameters()' order.
  std::vector<NamedTensor<T>> state();
  const std::vector<Parameter<T>*>& parameters() const { return parameters_; }
  virtual std::string name() const = 0;

 protected:
  // Adds a state tensor per parameter, zero-filled, called `slot`; returns its index.
  size_t add_slot(const std::string& slot);
  Matrix<T>& slot(size_t slot_index, size_t parameter_index) {
    return slots_[slot_index].tensors[parameter_index];
  }
  // One parameter's update; with `square_sum` it also returns the sum of the squared gradient
  // elements from the same pass (0 otherwise). It reads and writes its tensors through part().
  virtual T update(size_t parameter_index, Parameter<T>& p, bool square_sum) = 0;
  // The tensor, or during a partial step its elements of the update under way, as one row.
  MatrixView<T> part(Matrix<T>& m) const {
    if (!part_) return m.view();
    return elements_view(m.data(), *part_);
  }

  std::vector<Parameter<T>*> parameters_;
  T lr_;

 private:
  struct Slot {
    std::string name;
    std::vector<Matrix<T>> tensors;  // one per parameter, same shape
  };
  std::vector<Slot> slots_;
  long iterations_ = 0;
  const IndexRange* part_ = nullptr;  // set during a partial step
  // update_early(): which parameters the step under way has updated, and their sums of squares.
  std::vector<char> updated_early_;
  std::vector<T> early_square_sums_;
  // Whether update_early() has begun (and counted) a step that step_and_zero_grad() has not ended.
  bool early_step_open() const;
  void require_no_early_updates(const char* caller) const;
};

// Keras 2 SGD: v = momentum*v - lr*g; p += v (Nesterov: p += momentum*v - lr*g).
template <class T>
class Sgd : public Optimizer<T> {
 public:
  Sgd(std::vector<Parameter<T>*> parameters, T lr = T(0.01), T momentum = T(0),
      bool nesterov = false);
  std::string name() const override { return "sgd"; }

 private:
  T update(size_t i, Parameter<T>& p, bool square_sum) override;
  T momentum_;
  bool nesterov_;
  size_t velocity_;
};

// Keras 2 RMSprop: a = rho*a + (1-rho)*g^2; p -= lr*g / (sqrt(a) + eps); a starts at 0.
template <class T>
class Rmsprop : public Optimizer<T> {
 public:
  Rmsprop(std::vector<Parameter<T>*> parameters, T lr = T(1e-3), T rho = T(0.9),
          T epsilon = T(1e-7));
  std::string name() const override { return "rmsprop"; }

 private:
  T update(size_t i, Parameter<T>& p, bool square_sum) override;
  T rho_, epsilon_;
  size_t accumulator_;
};

// Adam as Keras 2 (eps outside the square root, bias correction folded into the rate).
template <class T>
class Adam : public Optimizer<T> {
 public:
  Adam(std::vector<Parameter<T>*> parameters, T lr = T(1e-3), T beta1 = T(0.9), T beta2 = T(0.999),
       T epsilon = T(1e-7));
  std::string name() const override { return "adam"; }

 private:
  T update(size_t i, Parameter<T>& p, bool square_sum) override;
  T beta1_, beta2_, epsilon_;
  size_t m_, v_;
};

}  // namespace simdgrad::autograd
