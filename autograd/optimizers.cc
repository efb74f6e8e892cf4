#include "simdgrad/autograd/optimizers.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "simdgrad/elementwise.h"
#include "simdgrad/optimizer_updates.h"

namespace simdgrad::autograd {

namespace {
// A gradient flagged zero holds stale memory: make it real zeros before an update reads it.
template <class T>
void materialize_zero_grad(Parameter<T>& p) {
  if (!p.grad_is_zero) return;
  fill(p.grad.view(), T(0));
  p.grad_is_zero = false;
}
}  // namespace

template <class T>
bool Optimizer<T>::early_step_open() const {
  return std::find(updated_early_.begin(), updated_early_.end(), 1) != updated_early_.end();
}

template <class T>
void Optimizer<T>::require_no_early_updates(const char* caller) const {
  if (early_step_open()) {
    throw std::logic_error(std::string("Optimizer::") + caller +
                           ": parameters were updated early in this step; end it with "
                           "step_and_zero_grad()");
  }
}

template <class T>
void Optimizer<T>::step() {
  require_no_early_updates("step");
  ++iterations_;
  for (size_t i = 0; i < parameters_.size(); ++i) {
    materialize_zero_grad(*parameters_[i]);
    update(i, *parameters_[i], false);
  }
}

template <class T>
void Optimizer<T>::set_learning_rate(T lr) {
  if (lr != lr_ && early_step_open()) {
    throw std::logic_error(
        "Optimizer::set_learning_rate: parameters were already updated in this step at the "
        "rate " +
        std::to_string(lr_) + "; set the rate before the backward pass");
  }
  lr_ = lr;
}

template <class T>
void Optimizer<T>::update_early(Parameter<T>& p) {
  const auto at = std::find(parameters_.begin(), parameters_.end(), &p);
  if (at == parameters_.end()) {
    throw std::invalid_argument("Optimizer::update_early: " + p.name +
                                " is not one of this optimizer's parameters");
  }
  const size_t i = size_t(at - parameters_.begin());
  if (updated_early_[i]) {
    throw std::logic_error("Optimizer::update_early: " + p.name +
                           " was already updated in this step");
  }
  if (!early_step_open()) ++iterations_;  // an update reads the count of the step it belongs to
  materialize_zero_grad(p);
  early_square_sums_[i] = update(i, p, true);
  updated_early_[i] = 1;
}

template <class T>
void Optimizer<T>::step_and_zero_grad(std::vector<T>* grad_square_sums) {
  if (!early_step_open()) ++iterations_;
  if (grad_square_sums) grad_square_sums->resize(parameters_.size());
  for (size_t i = 0; i < parameters_.size(); ++i) {
    Parameter<T>& p = *parameters_[i];
    T squares = early_square_sums_[i];
    if (!updated_early_[i]) {
      materialize_zero_grad(p);
      squares = update(i, p, true);
    }
    updated_early_[i] = 0;
    if (grad_square_sums) (*grad_square_sums)[i] = squares;
    p.grad_is_zero = true;  // instead of a pass writing zeros: the next backward overwrites
  }
}

template <class T>
void Optimizer<T>::step_and_zero_grad(std::span<const IndexRange> parts,
                                      std::vector<T>* grad_square_sums) {
  require_no_early_updates("step_and_zero_grad");
  if (parts.size() != parameters_.size()) {
    throw std::invalid_argument("Optimizer::step_and_zero_grad: " + std::to_string(parts.size()) +
                                " parts for " + std::to_string(parameters_.size()) + " parameters");
  }
  for (size_t i = 0; i < parameters_.size(); ++i) {
    const Matrix<T>& g = parameters_[i]->grad;
    if (parts[i].begin > parts[i].end || parts[i].end > g.size()) {  // storage is contiguous
      throw std::invalid_argument("Optimizer::step_and_zero_grad: the part of " +
                                  parameters_[i]->name + " lies outside it");
    }
  }
  ++iterations_;
  if (grad_square_sums) grad_square_sums->resize(parameters_.size());
  for (size_t i = 0; i < parameters_.size(); ++i) {
    Parameter<T>& p = *parameters_[i];
    materialize_zero_grad(p);
    part_ = &parts[i];
    const T squares = update(i, p, true);
    part_ = nullptr;
    if (grad_square_sums) (*grad_square_sums)[i] = squares;
    p.grad_is_zero = true;
  }
}

template <class T>
void Optimizer<T>::zero_grad() {
  for (Parameter<T>* p : parameters_) {
    fill(p->grad.view(), T(0));
    p->grad_is_zero = false;
  }
}

template <class T>
size_t Optimizer<T>::add_slot(const std::string& slot) {
  Slot s{slot, {}};
  for (Parameter<T>* p : parameters_) s.tensors.emplace_back(p->value.rows(), p->value.cols());
  slots_.push_back(std::move(s));
  return slots_.size() - 1;
}

template <class T>
std::vector<NamedTensor<T>> Optimizer<T>::state() {
  std::vector<NamedTensor<T>> out;
  for (Slot& s : slots_) {
    for (size_t i = 0; i < parameters_.size(); ++i) {
      out.push_back({parameters_[i]->name + "." + s.name, s.tensors[i].view()});
    }
  }
  return out;
}

template <class T>
Sgd<T>::Sgd(std::vector<Parameter<T>*> parameters, T lr, T momentum, bool nesterov)
    : Optimizer<T>(std::move(parameters), lr),
      momentum_(momentum),
      nesterov_(nesterov),
      velocity_(this->add_slot("velocity")) {}

template <class T>
T Sgd<T>::update(size_t i, Parameter<T>& p, bool square_sum) {
  if (square_sum) {
    return sgd_momentum_update_and_square_sum<T>(this->part(p.value), this->part(p.grad),
                                                 this->part(this->slot(velocity_, i)), this->lr_,
                                                 momentum_, nesterov_);
  }
  sgd_momentum_update<T>(this->part(p.value), this->part(p.grad),
                         this->part(this->slot(velocity_, i)), this->lr_, momentum_, nesterov_);
  return T(0);
}

template <class T>
Rmsprop<T>::Rmsprop(std::vector<Parameter<T>*> parameters, T lr, T rho, T epsilon)
    : Optimizer<T>(std::move(parameters), lr),
      rho_(rho),
      epsilon_(epsilon),
      accumulator_(this->add_slot("rms")) {}

template <class T>
T Rmsprop<T>::update(size_t i, Parameter<T>& p, bool square_sum) {
  if (square_sum) {
    return rmsprop_update_and_square_sum<T>(this->part(p.value), this->part(p.grad),
                                            this->part(this->slot(accumulator_, i)), this->lr_,
                                            rho_, epsilon_);
  }
  rmsprop_update<T>(this->part(p.value), this->part(p.grad),
                    this->part(this->slot(accumulator_, i)), this->lr_, rho_, epsilon_);
  return T(0);
}

template <class T>
Adam<T>::Adam(std::vector<Parameter<T>*> parameters, T lr, T beta1, T beta2, T epsilon)
    : Optimizer<T>(std::move(parameters), lr),
      beta1_(beta1),
      beta2_(beta2),
      epsilon_(epsilon),
      m_(this->add_slot("m")),
      v_(this->add_slot("v")) {}

template <class T>
T Adam<T>::update(size_t i, Parameter<T>& p, bool square_sum) {
  if (square_sum) {
    return adam_update_and_square_sum<T>(
        this->part(p.value), this->part(p.grad), this->part(this->slot(m_, i)),
        this->part(this->slot(v_, i)), this->lr_, beta1_, beta2_, epsilon_, this->iterations());
  }
  adam_update<T>(this->part(p.value), this->part(p.grad), this->part(this->slot(m_, i)),
                 this->part(this->slot(v_, i)), this->lr_, beta1_, beta2_, epsilon_,
                 this->iterations());
  return T(0);
}

template class Optimizer<float>;
template class Optimizer<double>;
template class Sgd<float>;
template class Sgd<double>;
template class Rmsprop<float>;
template class Rmsprop<double>;
template class Adam<float>;
template class Adam<double>;

}  // namespace simdgrad::autograd
