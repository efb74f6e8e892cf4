#include "simdgrad/autograd/shared_gradient_memory.h"

#include <map>
#include <utility>

namespace simdgrad::autograd {

template <class T>
SharedGradientMemory<T>::SharedGradientMemory(const std::vector<Parameter<T>*>& parameters) {
  std::map<std::pair<size_t, size_t>, std::vector<Parameter<T>*>> by_shape;
  for (Parameter<T>* p : parameters) {
    if (p->grad.size() != 0) by_shape[{p->grad.rows(), p->grad.cols()}].push_back(p);
  }
  for (auto& [shape, group] : by_shape) {
    if (group.size() < 2) continue;
    buffers_.push_back(Matrix<T>::uninitialized(shape.first, shape.second));
    for (Parameter<T>* p : group) {
      p->grad = Matrix<T>::borrowing(buffers_.back().data(), shape.first, shape.second);
      p->grad_is_zero = true;  // the buffer holds no gradient yet
      sharing_.push_back(p);
    }
  }
}

template <class T>
SharedGradientMemory<T>::~SharedGradientMemory() {
  // Flagged zero rather than zero-filled: a pass writing zeros would make the memory resident
  // as the step's other memory is still held, and raise a run's peak by what sharing saved.
  buffers_.clear();
  for (Parameter<T>* p : sharing_) {
    p->grad = Matrix<T>::uninitialized(p->grad.rows(), p->grad.cols());
    p->grad_is_zero = true;
  }
}

template class SharedGradientMemory<float>;
template class SharedGradientMemory<double>;

}  // namespace simdgrad::autograd
