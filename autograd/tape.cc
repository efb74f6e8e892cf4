#include "simdgrad/autograd/tape.h"

#include <algorithm>

#include "simdgrad/autograd/shared_gradient_memory.h"
#include "simdgrad/elementwise.h"

namespace simdgrad::autograd {

template <class T>
MatrixView<const T> Var<T>::value() const {
  tape().check(*this);
  return tape_->value(id_);
}

template <class T>
MatrixView<const T> Var<T>::grad() const {
  tape().check(*this);
  return tape_->grad(id_);
}

template <class T>
bool Var<T>::requires_grad() const {
  tape().check(*this);
  return tape_->needs_grad(id_);
}

template <class T>
Tape<T>& Var<T>::tape() const {
  if (tape_ == nullptr) throw std::logic_error("autograd: use of an empty Var");
  return *tape_;
}

template <class T>
void Tape<T>::check(const Var<T>& v) const {
  if (v.tape_ != this) throw std::logic_error("autograd: Var belongs to another tape");
  if (v.step_ != step_) {
    throw std::logic_error("autograd: Var recorded before the last Tape::reset() (step " +
                           std::to_string(v.step_) + ", tape is at step " + std::to_string(step_) +
                           ")");
  }
}

template <class T>
MatrixView<T> Tape<T>::allocate(size_t rows, size_t cols) {
  return MatrixView<T>(arena_.allocate_array<T>(rows * cols), rows, cols, cols);
}

template <class T>
uint32_t Tape<T>::add_value(MatrixView<T> value) {
  slots_.push_back(Slot{value, MatrixView<T>(), false, false});
  return uint32_t(slots_.size() - 1);
}

template <class T>
Var<T> Tape<T>::parameter(Parameter<T>& p) {
  // The gradient view is the parameter's own: contributions accumulate into it.
  slots_.push_back(Slot{p.value.view(), p.grad.view(), grad_enabled_, true, &p});
  return make_var(uint32_t(slots_.size() - 1));
}

template <class T>
Var<T> Tape<T>::constant(MatrixView<const T> x) {
  // Never written through: the slot's value type is mutable only for the tape's own results.
  slots_.push_back(Slot{
      MatrixView<T>(const_cast<T*>(x.data()), x.rows(), x.cols(), x.stride()), {}, false, false});
  return make_var(uint32_t(slots_.size() - 1));
}

template <class T>
Var<T> Tape<T>::record(MatrixView<T> value, std::initializer_list<Var<T>> inputs, Node<T>** node) {
  bool any_requires_grad = false;
  for (const Var<T>& in : inputs) {
    check(in);
    any_requires_grad |= slots_[in.id_].requires_grad;
  }
  const uint32_t id = add_value(value);
  *node = nullptr;
  if (grad_enabled_ && any_requires_grad) {
    slots_[id].requires_grad = true;
    nodes_.emplace_back();
    Node<T>& n = nodes_.back();
    n.output = id;
    size_t i = 0;
    for (const Var<T>& in : inputs) n.inputs[i++] = in.id_;
    *node = &n;
  }
  return make_var(id);
}

template <class T>
MatrixView<T> Tape<T>::grad_target(uint32_t id, T* beta) {
  Slot& slot = slots_[id];
  if (slot.grad.data() == nullptr) slot.grad = allocate(slot.value.rows(), slot.value.cols());
  *beta = take_first_contribution(slot) ? T(0) : T(1);
  return slot.grad;
}

template <class T>
void Tape<T>::add_into_grad(uint32_t id, MatrixView<const T> contribution) {
  Slot& slot = slots_[id];
  add<T>(slot.grad, contribution, slot.grad);
}

template <class T>
void Tape<T>::backward(Var<T> loss) {
  backward(loss, {});
}

template <class T>
void Tape<T>::collect_parameter_readers() {
  readers_.clear();
  const auto entry = [&](Parameter<T>* p) {
    return std::find_if(readers_.begin(), readers_.end(),
                        [&](const ParameterReaders& r) { return r.parameter == p; });
  };
  for (size_t i = 0; i < nodes_.size(); ++i) {
    for (uint32_t in : nodes_[i].inputs) {
      if (in == kNoValue || !slots_[in].parameter) continue;
      Parameter<T>* p = slots_[in].parameter;
      const auto at = entry(p);
      if (at == readers_.end()) {
        readers_.push_back({p, i, i, true});
      } else {
        at->last = i;
      }
    }
  }
  for (const Slot& slot : slots_) {
    if (slot.parameter && entry(slot.parameter) == readers_.end())
      readers_.push_back({slot.parameter, 0, 0, false});
  }
}

template <class T>
void Tape<T>::check_shared_gradients(bool handed_out) const {
  const auto refuse = [](const Parameter<T>& a, const Parameter<T>& b, const char* why) {
    throw std::logic_error("autograd: " + a.name + " and " + b.name +
                           " share gradient memory but " + why);
  };
  if (!handed_out) {  // every gradient stays until backward() returns
    for (size_t i = 0; i < slots_.size(); ++i) {
      for (size_t j = i + 1; slots_[i].parameter && j < slots_.size(); ++j) {
        if (slots_[j].parameter &&
            share_gradient_memory(*slots_[i].parameter, *slots_[j].parameter))
          refuse(*slots_[i].parameter, *slots_[j].parameter,
                 "backward() keeps every gradient; call backward(loss, gradient_final)");
      }
    }
    return;
  }
  for (size_t i = 0; i < readers_.size(); ++i) {
    for (size_t j = i + 1; j < readers_.size(); ++j) {
      const ParameterReaders &a = readers_[i], &b = readers_[j];
      const bool apart = !a.read || !b.read || a.first > b.last || b.first > a.last;
      if (!apart && share_gradient_memory(*a.parameter, *b.parameter))
        refuse(*a.parameter, *b.parameter, "would hold gradients at the same time");
    }
  }
}

template <class T>
void Tape<T>::backward(Var<T> loss, const std::function<void(Parameter<T>&)>& gradient_final) {
  check(loss);
  if (backward_done_) {
    throw std::logic_error(
        "autograd: backward() already ran on this tape; call reset() before the next step");
  }
  const Slot& out = slots_[loss.id_];
  if (out.value.rows() != 1 || out.value.cols() != 1) {
    throw std::invalid_argument("autograd: backward() needs a 1x1 loss, got " +
                                shape_string(out.value));
  }
  // Each parameter with the first node that reads it: once the reverse loop has run that
  // node, nothing else adds to its gradient. Latest first, the order the loop reaches them.
  readers_.clear();
  if (gradient_final) collect_parameter_readers();
  check_shared_gradients(bool(gradient_final));
  std::stable_sort(
      readers_.begin(), readers_.end(),
      [](const ParameterReaders& a, const ParameterReaders& b) { return a.first > b.first; });
  backward_done_ = true;
  size_t next_final = 0;
  auto release_through = [&](size_t node) {  // every parameter whose earliest reader is >= node
    for (; next_final < readers_.size() && readers_[next_final].first >= node; ++next_final) {
      gradient_final(*readers_[next_final].parameter);
    }
  };
  if (out.requires_grad) {
    accumulate(loss.id_, [](MatrixView<T> g) { fill(g, T(1)); });
    for (size_t i = nodes_.size(); i-- > 0;) {
      const Node<T>& node = nodes_[i];
      if (slots_[node.output].has_grad) node.backward(*this, node);
      release_through(i);
    }
  }
  release_through(0);
  // A parameter no contribution reached keeps a gradient of zero: make its memory say so.
  for (Slot& slot : slots_) {
    if (slot.parameter && slot.parameter->grad_is_zero) {
      fill(slot.parameter->grad.view(), T(0));
      slot.parameter->grad_is_zero = false;
    }
  }
}

template <class T>
void Tape<T>::reset() {
  ++step_;
  slots_.clear();
  nodes_.clear();
  kink_pattern_.clear();
  arena_.reset();
  backward_done_ = false;
}

template <class T>
void Tape<T>::record_kinks(MatrixView<const T> x, T at) {
  if (!track_kinks_) return;
  for (size_t r = 0; r < x.rows(); ++r) {
    for (size_t c = 0; c < x.cols(); ++c) {
      const T v = x(r, c);
      kink_pattern_.push_back(v > at ? 2 : (v < at ? 0 : 1));
    }
  }
}

template class Var<float>;
template class Var<double>;
template class Tape<float>;
template class Tape<double>;

}  // namespace simdgrad::autograd
