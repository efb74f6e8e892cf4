#include "simdgrad/distributed/gradient_reducer.h"

#include <algorithm>
#include <numeric>
#include <stdexcept>
#include <string>

namespace simdgrad::distributed {
namespace {

size_t elements_in(const Matrix<float>& m) { return m.rows() * m.cols(); }

std::span<float> storage_of(MatrixView<float> m) {
  if (!m.contiguous()) throw std::invalid_argument("GradientReducer: a tensor with padded rows");
  return {m.data(), m.rows() * m.cols()};
}

MatrixView<float> gradient_of(autograd::Parameter<float>& p) { return p.grad.view(); }

}  // namespace

GradientReducer::GradientReducer(const Communicator& communicator, std::vector<autograd::Parameter<float>*> parameters,
                                 Result result, size_t bucket_bytes)
    : communicator_(communicator), result_(result), parameters_(std::move(parameters)) {
  // A gradient of bucket_bytes or more is summed where it lies. Smaller ones are packed
  // together, in backward order, into a shared bucket until it holds bucket_bytes; that bucket
  // stays open across the large gradients between its members.
  std::vector<Bucket> buckets;
  std::vector<size_t> last_member;  // per bucket: the backward position of its last member
  const size_t none = size_t(-1);
  size_t open = none;
  for (size_t i = 0; i < parameters_.size(); ++i) {
    const size_t n = elements_in(parameters_[i]->grad);
    size_t b;
    if (n * sizeof(float) >= bucket_bytes) {
      b = buckets.size();
      buckets.emplace_back();
      last_member.push_back(i);
    } else {
      if (open == none) {
        open = buckets.size();
        buckets.emplace_back();
        buckets.back().packed = true;
        last_member.push_back(i);
      }
      b = open;
      last_member[b] = i;
    }
    buckets[b].members.push_back(i);
    buckets[b].offsets.push_back(buckets[b].elements);
    buckets[b].elements += n;
    if (b == open && buckets[b].elements * sizeof(float) >= bucket_bytes) open = none;
  }
  // Every rank must start the same sums in the same order: the order in which the backward
  // pass completes the buckets, that of their last members.
  std::vector<size_t> order(buckets.size());
  std::iota(order.begin(), order.end(), size_t(0));
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return last_member[a] < last_member[b]; });
  bucket_of_.resize(parameters_.size());
  for (size_t b : order) {
    for (size_t i : buckets[b].members) bucket_of_[i] = buckets_.size();
    buckets_.push_back(std::move(buckets[b]));
  }
  for (Bucket& b : buckets_) {
    if (b.packed) b.buffer.resize(b.elements);
    if (result_ == Result::kShares) b.arrivals.resize(communicator_.reduce_scatter_scratch(b.elements));
    b.waiting = b.members.size();
  }
  ready_.assign(parameters_.size(), false);
}

size_t GradientReducer::index_of(const autograd::Parameter<float>& p) const {
  const auto it = std::find(parameters_.begin(), parameters_.end(), &p);
  if (it == parameters_.end()) {
    throw std::invalid_argument("GradientReducer: '" + p.name + "' is not one of its parameters");
  }
  return size_t(it - parameters_.begin());
}

void GradientReducer::ready(const autograd::Parameter<float>& p) {
  const size_t i = index_of(p);
  if (ready_[i]) throw std::invalid_argument("GradientReducer: '" + p.name + "' was marked ready twice in a step");
  ready_[i] = true;
  --buckets_[bucket_of_[i]].waiting;
  // Most MPIs move a non-blocking sum along only inside MPI calls: each gradient the backward
  // pass finishes is a chance to.
  for (size_t k = 0; k < next_to_start_; ++k) {
    buckets_[k].request.test();
    buckets_[k].reduce_scatter.test();
  }
  // In order: a bucket complete before an earlier one waits for it.
  while (next_to_start_ < buckets_.size() && buckets_[next_to_start_].waiting == 0) start(buckets_[next_to_start_++]);
}

std::span<float> GradientReducer::elements_of(Bucket& b, const TensorOf& tensor_of) {
  if (!b.packed) return storage_of(tensor_of(*parameters_[b.members.front()]));
  return b.buffer;
}

void GradientReducer::pack(Bucket& b, const TensorOf& tensor_of) {
  if (!b.packed) return;
  for (size_t k = 0; k < b.members.size(); ++k) {
    const std::span<float> t = storage_of(tensor_of(*parameters_[b.members[k]]));
    std::copy(t.begin(), t.end(), b.buffer.data() + b.offsets[k]);
  }
}

void GradientReducer::unpack(Bucket& b, const TensorOf& tensor_of) {
  if (!b.packed) return;
  for (size_t k = 0; k < b.members.size(); ++k) {
    const std::span<float> t = storage_of(tensor_of(*parameters_[b.members[k]]));
    std::copy(b.buffer.data() + b.offsets[k], b.buffer.data() + b.offsets[k] + t.size(), t.begin());
  }
}

void GradientReducer::start(Bucket& b) {
  for (size_t i : b.members) {
    autograd::Parameter<float>& p = *parameters_[i];
    if (p.grad_is_zero) std::fill(p.grad.data(), p.grad.data() + elements_in(p.grad), 0.0f);
    p.grad_is_zero = false;
  }
  pack(b, gradient_of);
  const std::span<float> values = elements_of(b, gradient_of);
  if (result_ == Result::kShares) {
    communicator_.start_reduce_scatter_sum(values, b.arrivals, b.reduce_scatter);
  } else {
    b.request = communicator_.start_allreduce_sum(values);
  }
}

void GradientReducer::finish() {
  while (next_to_start_ < buckets_.size()) start(buckets_[next_to_start_++]);
  for (Bucket& b : buckets_) {
    b.request.wait();
    b.reduce_scatter.wait();
    unpack(b, gradient_of);
    b.waiting = b.members.size();
  }
  next_to_start_ = 0;
  ready_.assign(parameters_.size(), false);
}

autograd::ElementRange GradientReducer::share(const autograd::Parameter<float>& p) const {
  const size_t i = index_of(p);
  const size_t n = elements_in(p.grad);
  if (result_ == Result::kSums) return {0, n};
  // This rank's share of the bucket, cut to the member's elements.
  const Bucket& b = buckets_[bucket_of_[i]];
  const size_t offset = b.offsets[size_t(std::find(b.members.begin(), b.members.end(), i) - b.members.begin())];
  const Communicator::Share mine = communicator_.share_of(b.elements);
  const size_t first = std::clamp(mine.first, offset, offset + n), last = std::clamp(mine.first + mine.count, offset, offset + n);
  return {first - offset, last - first};
}

void GradientReducer::gather_shares(const TensorOf& tensor_of) {
  for (Bucket& b : buckets_) {
    pack(b, tensor_of);
    communicator_.allgather_shares(elements_of(b, tensor_of));
    unpack(b, tensor_of);
  }
}

}  // namespace simdgrad::distributed
