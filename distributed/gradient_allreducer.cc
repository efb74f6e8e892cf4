#include "simdgrad/distributed/gradient_allreducer.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace simdgrad::distributed {

GradientAllReducer::GradientAllReducer(const Communicator& communicator,
                                       std::vector<autograd::Parameter<float>*> parameters,
                                       size_t bucket_bytes)
    : communicator_(communicator), parameters_(std::move(parameters)) {
  size_t bytes = 0;
  for (size_t i = 0; i < parameters_.size(); ++i) {
    if (buckets_.empty() || bytes >= bucket_bytes) {
      buckets_.emplace_back();
      bytes = 0;
    }
    buckets_.back().members.push_back(i);
    bytes += parameters_[i]->grad.rows() * parameters_[i]->grad.cols() * sizeof(float);
    bucket_of_.push_back(buckets_.size() - 1);
  }
  for (Bucket& b : buckets_) {
    size_t elements = 0;
    for (size_t i : b.members) elements += parameters_[i]->grad.rows() * parameters_[i]->grad.cols();
    b.buffer.resize(elements);
    b.waiting = b.members.size();
  }
  ready_.assign(parameters_.size(), false);
}

size_t GradientAllReducer::started() const {
  return size_t(std::count_if(buckets_.begin(), buckets_.end(), [](const Bucket& b) { return b.started; }));
}

void GradientAllReducer::ready(const autograd::Parameter<float>& p) {
  const auto it = std::find(parameters_.begin(), parameters_.end(), &p);
  if (it == parameters_.end()) {
    throw std::invalid_argument("GradientAllReducer: '" + p.name + "' is not one of its parameters");
  }
  const size_t i = size_t(it - parameters_.begin());
  if (ready_[i]) throw std::invalid_argument("GradientAllReducer: '" + p.name + "' was marked ready twice in a step");
  ready_[i] = true;
  Bucket& b = buckets_[bucket_of_[i]];
  if (--b.waiting == 0) start(b);
}

void GradientAllReducer::start(Bucket& b) {
  // Gradients may have padded rows: the buffer packs them, row by row.
  float* out = b.buffer.data();
  for (size_t i : b.members) {
    const autograd::Parameter<float>& p = *parameters_[i];
    for (size_t r = 0; r < p.grad.rows(); ++r) {
      if (p.grad_is_zero) {
        std::fill(out, out + p.grad.cols(), 0.0f);
      } else {
        std::copy(&p.grad(r, 0), &p.grad(r, 0) + p.grad.cols(), out);
      }
      out += p.grad.cols();
    }
  }
  b.request = communicator_.start_allreduce_sum(b.buffer);
  b.started = true;
}

void GradientAllReducer::finish() {
  for (Bucket& b : buckets_) {
    if (!b.started) start(b);
  }
  for (Bucket& b : buckets_) {
    b.request.wait();
    const float* in = b.buffer.data();
    for (size_t i : b.members) {
      autograd::Parameter<float>& p = *parameters_[i];
      for (size_t r = 0; r < p.grad.rows(); ++r) {
        std::copy(in, in + p.grad.cols(), &p.grad(r, 0));
        in += p.grad.cols();
      }
      p.grad_is_zero = false;
    }
    b.started = false;
    b.waiting = b.members.size();
  }
  ready_.assign(parameters_.size(), false);
}

}  // namespace simdgrad::distributed
