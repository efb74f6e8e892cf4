// The reverse-mode tape: one node per matrix operation, recorded in execution order, run
// backwards by a plain reverse loop.
//
// Lifetime rules:
//  - Values (activations) and gradients of non-parameters live in the tape's arena and are
//    valid until reset(). A Var used after reset() throws std::logic_error; so does a second
//    backward() without a reset() between.
//  - Parameters live outside the tape (parameter.h); backward() adds into Parameter::grad.
//  - constant(x) records a view, not a copy: x must outlive the step.
// A training loop calls reset() once per step; after the first step it allocates nothing.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "simdgrad/autograd/arena.h"
#include "simdgrad/autograd/parameter.h"
#include "simdgrad/matrix.h"

namespace simdgrad::autograd {

template <class T>
class Tape;

// A matrix value recorded on a tape.
template <class T>
class Var {
 public:
  Var() = default;
  MatrixView<const T> value() const;
  // The gradient after backward(); an empty view if none reached this value.
  MatrixView<const T> grad() const;
  size_t rows() const { return value().rows(); }
  size_t cols() const { return value().cols(); }
  bool requires_grad() const;
  Tape<T>& tape() const;
  uint32_t id() const { return id_; }

 private:
  friend class Tape<T>;
  Var(Tape<T>* tape, uint32_t id, uint64_t step) : tape_(tape), id_(id), step_(step) {}
  Tape<T>* tape_ = nullptr;
  uint32_t id_ = 0;
  uint64_t step_ = 0;
};

inline constexpr uint32_t kNoValue = std::numeric_limits<uint32_t>::max();

// One recorded operation. backward() reads the output's gradient and adds the inputs'
// gradients through the Tape's accumulate helpers.
template <class T>
struct Node {
  using Backward = void (*)(Tape<T>& tape, const Node& node);
  Backward backward = nullptr;
  uint32_t output = kNoValue;
  uint32_t inputs[3] = {kNoValue, kNoValue, kNoValue};
  uint32_t saved[2] = {kNoValue, kNoValue};  // values kept for backward only
  T scalar = T(0);                           // an op parameter (a scale, a count ...)
  uint32_t flags = 0;                        // op parameter bits (transposes, activation ...)
};

template <class T>
class Tape {
 public:
  Tape() = default;
  Tape(const Tape&) = delete;
  Tape& operator=(const Tape&) = delete;

  // Leaves.
  Var<T> parameter(Parameter<T>& p);
  Var<T> constant(MatrixView<const T> x);

  // Runs the recorded nodes backwards from `loss` (1x1), seeding its gradient with 1.
  void backward(Var<T> loss);
  // The same, calling gradient_final(p) for each parameter on the tape as soon as no node left
  // to run reads it: its gradient is then final for this step (a data-parallel run starts
  // summing it over processes while the layers below are still differentiated). Parameters
  // come last layer first; one that no contribution reached comes with grad_is_zero set.
  // Parameters may share gradient memory (SharedGradientMemory) only here, where
  // gradient_final consumes each gradient, and only when no two of them would hold a gradient
  // at once: both backward() calls throw std::logic_error otherwise, before running a node.
  void backward(Var<T> loss, const std::function<void(Parameter<T>&)>& gradient_final);
  // Starts a new step: every Var recorded so far becomes invalid; memory is kept.
  void reset();

  bool grad_enabled() const { return grad_enabled_; }
  ArenaStats arena_stats() const { return arena_.stats(); }
  size_t node_count() const { return nodes_.size(); }

  // --- For op implementations (ops.cc, or a user's own op) ---------------------------------
  // Uninitialized arena storage for a result or a scratch buffer, valid until reset().
  MatrixView<T> allocate(size_t rows, size_t cols);
  // A value computed outside the graph (saved for backward, or a result in NoGrad mode).
  uint32_t add_value(MatrixView<T> value);
  // Records `value` as the output of an op with these inputs. The node is kept (and the result
  // requires a gradient) only when gradients are enabled and some input requires one; the
  // returned node pointer is null otherwise. Fill node->backward, saved, scalar and flags.
  Var<T> record(MatrixView<T> value, std::initializer_list<Var<T>> inputs, Node<T>** node);

  MatrixView<const T> value(uint32_t id) const { return slots_[id].value; }
  MatrixView<const T> grad(uint32_t id) const { return slots_[id].grad; }
  bool needs_grad(uint32_t id) const { return id != kNoValue && slots_[id].requires_grad; }
  // Where to put a gradient contribution to value `id` computed by a GEMM: returns the
  // gradient view and the beta to use (0 for the first contribution, 1 to accumulate).
  MatrixView<T> grad_target(uint32_t id, T* beta);
  // Adds a contribution to value `id`'s gradient: write(dst) stores the contribution into dst.
  // The first contribution writes the gradient directly; later ones go through scratch + add.
  template <class Write>
  void accumulate(uint32_t id, Write&& write);

  // Gradient checking support: when on, ops with kinks (ReLU, |x|, clamps) append the side of
  // the kink each element is on, so gradcheck can tell whether a perturbation crossed one.
  void set_kink_tracking(bool on) { track_kinks_ = on; }
  void record_kinks(MatrixView<const T> x, T at);
  const std::vector<uint8_t>& kink_pattern() const { return kink_pattern_; }

  void check(const Var<T>& v) const;

 private:
  template <class U>
  friend class NoGrad;

  struct Slot {
    MatrixView<T> value;
    MatrixView<T> grad;
    bool requires_grad = false;
    bool has_grad = false;  // a contribution has been written (parameters: see below)
    // A parameter's slot: whether its gradient holds contributions is the parameter's own
    // state (Parameter::grad_is_zero), shared by every slot of the same parameter.
    Parameter<T>* parameter = nullptr;
  };
  // Whether the next contribution to `slot` is its first (to be written, not added); marks it
  // as having one from here.
  bool take_first_contribution(Slot& slot) {
    bool first;
    if (slot.parameter) {
      first = slot.parameter->grad_is_zero;
      slot.parameter->grad_is_zero = false;
    } else {
      first = !slot.has_grad;
    }
    slot.has_grad = true;
    return first;
  }
  // A parameter on the tape and the nodes that read it, first and last: backward() writes its
  // gradient from the last reader's node on, and it is final after the first's.
  struct ParameterReaders {
    Parameter<T>* parameter;
    size_t first, last;
    bool read;  // false: on the tape but read by no node
  };
  // Fills readers_: every parameter on the tape, in the order the nodes first read them.
  void collect_parameter_readers();
  // Throws std::logic_error for two parameters that share gradient memory and would hold
  // gradients at once: with gradients handed out as final (readers_ collected), when their
  // spans of nodes overlap; without, whenever both are on the tape.
  void check_shared_gradients(bool handed_out) const;
  Var<T> make_var(uint32_t id) { return Var<T>(this, id, step_); }
  void add_into_grad(uint32_t id, MatrixView<const T> contribution);

  Arena arena_;
  std::vector<Slot> slots_;
  std::vector<Node<T>> nodes_;
  std::vector<uint8_t> kink_pattern_;
  std::vector<ParameterReaders> readers_;  // backward()'s, kept so a step allocates none
  uint64_t step_ = 1;
  bool backward_done_ = false;
  bool grad_enabled_ = true;
  bool track_kinks_ = false;
};

// Turns gradient recording off for its lifetime (evaluation): ops compute their results but
// record no nodes.
template <class T>
class NoGrad {
 public:
  explicit NoGrad(Tape<T>& tape) : tape_(tape), saved_(tape.grad_enabled_) {
    tape.grad_enabled_ = false;
  }
  ~NoGrad() { tape_.grad_enabled_ = saved_; }
  NoGrad(const NoGrad&) = delete;
  NoGrad& operator=(const NoGrad&) = delete;

 private:
  Tape<T>& tape_;
  bool saved_;
};

template <class T>
template <class Write>
void Tape<T>::accumulate(uint32_t id, Write&& write) {
  Slot& slot = slots_[id];
  if (take_first_contribution(slot)) {
    if (slot.grad.data() == nullptr) slot.grad = allocate(slot.value.rows(), slot.value.cols());
    write(slot.grad);
    return;
  }
  MatrixView<T> scratch = allocate(slot.value.rows(), slot.value.cols());
  write(scratch);
  add_into_grad(id, scratch);
}

}  // namespace simdgrad::autograd
