#include "simdgrad/distributed/gradient_reducer.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <limits>
#include <new>
#include <numeric>
#include <stdexcept>
#include <string>

#include "distributed/peer_wait.h"
#include "simdgrad/elementwise.h"
#include "simdgrad/index_range.h"

namespace simdgrad::distributed {
namespace {

std::span<float> storage_of(MatrixView<float> m) {
  if (!m.contiguous()) throw std::invalid_argument("GradientReducer: a tensor with padded rows");
  return {m.data(), m.rows() * m.cols()};
}

MatrixView<float> gradient_of(autograd::Parameter<float>& p) { return p.grad.view(); }
MatrixView<float> value_of(autograd::Parameter<float>& p) { return p.value.view(); }

// What a rank tells the others through its segment, each counter on a cache line of its own.
struct Counters {
  alignas(64) std::atomic<uint64_t> buckets_published{0};  // over all steps
  alignas(64) std::atomic<uint64_t> values_published{0};   // gather_values() calls
};
static_assert(std::atomic<uint64_t>::is_always_lock_free,
              "the counters must work across processes");

// A rank's counters, at the start of its segment.
Counters& counters_in(std::byte* segment) {
  return *std::launder(reinterpret_cast<Counters*>(segment));
}

// What a rank waits for in the shared segment of rank q: "rank q: <what> of step <s> (its
// count <seen>, expected <value>)".
std::string shared_wait(int q, const char* what, uint64_t step,
                        const std::atomic<uint64_t>& counter, uint64_t value) {
  return "rank " + std::to_string(q) + ": " + what + " of step " + std::to_string(step + 1) +
         " (its count " + std::to_string(counter.load(std::memory_order_acquire)) + ", expected " +
         std::to_string(value) + ")";
}

}  // namespace

Exchange GradientReducer::best_exchange(const Communicator& communicator) {
  return communicator.size() > 1 && SharedSegments::available(communicator)
             ? Exchange::kSharedMemory
             : Exchange::kMessages;
}

void GradientReducer::check_options(Update update, Exchange exchange) {
  if (exchange == Exchange::kSharedMemory && update != Update::kShared) {
    throw std::invalid_argument(
        "the shared-memory exchange sums shares only (Update::kShared); replicated updates "
        "sum whole gradients with messages");
  }
}

GradientReducer::GradientReducer(const Communicator& communicator,
                                 std::vector<autograd::Parameter<float>*> parameters, Update update,
                                 size_t bucket_bytes, Exchange exchange)
    : communicator_(communicator),
      update_(update),
      parameters_(std::move(parameters)),
      exchange_(exchange) {
  check_options(update_, exchange_);
  plan_buckets(bucket_bytes);
  choose_exchange();
  for (Bucket& b : buckets_) {
    if (b.packed) b.buffer.resize(b.elements);
    if (update_ == Update::kShared && exchange_ == Exchange::kMessages) {
      b.arrivals.resize(communicator_.reduce_scatter_scratch(b.elements));
    }
    b.waiting = b.members.size();
  }
  ready_.assign(parameters_.size(), false);
  if (exchange_ == Exchange::kSharedMemory) share_parameters();
}

GradientReducer::~GradientReducer() = default;

void GradientReducer::choose_exchange() {
  const bool automatic = exchange_ == Exchange::kAuto;
  if (automatic) {
    exchange_ = update_ == Update::kShared ? best_exchange(communicator_) : Exchange::kMessages;
  }
  if (exchange_ != Exchange::kSharedMemory) return;
  const std::string shortage = SharedSegments::room_shortage(communicator_, plan_shared_layout());
  if (shortage.empty()) return;
  if (!automatic) {
    throw std::runtime_error("the shared-memory exchange cannot start: " + shortage +
                             "; exchange the gradients by messages, or make room");
  }
  exchange_ = Exchange::kMessages;
  if (communicator_.leads())
    std::fprintf(stderr, "simdgrad: %s; exchanging gradients by messages\n", shortage.c_str());
}

void GradientReducer::plan_buckets(size_t bucket_bytes) {
  // A gradient of bucket_bytes or more is summed where it lies. Smaller ones are packed
  // together, in backward order, into a shared bucket until it holds bucket_bytes; that bucket
  // stays open across the large gradients between its members.
  std::vector<Bucket> buckets;
  std::vector<size_t> last_member;  // per bucket: the backward position of its last member
  const size_t none = size_t(-1);
  size_t open = none;
  for (size_t i = 0; i < parameters_.size(); ++i) {
    const size_t n = parameters_[i]->grad.size();
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
    if (buckets[b].elements + n > size_t(std::numeric_limits<int>::max())) {
      throw std::length_error("GradientReducer: '" + parameters_[i]->name + "' would make a " +
                              "bucket of more than 2^31 - 1 elements, MPI's largest count");
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
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return last_member[a] < last_member[b]; });
  bucket_of_.resize(parameters_.size());
  for (size_t b : order) {
    for (size_t i : buckets[b].members) bucket_of_[i] = buckets_.size();
    buckets_.push_back(std::move(buckets[b]));
  }
}

size_t GradientReducer::plan_shared_layout() {
  value_offset_.clear();
  gradient_offset_.clear();
  size_t offset = round_up(sizeof(Counters), 64);
  for (autograd::Parameter<float>* p : parameters_) {
    value_offset_.push_back(offset);
    offset += round_up(p->value.size() * sizeof(float), 64);
    gradient_offset_.push_back(offset);
    offset += round_up(p->grad.size() * sizeof(float), 64);
  }
  return offset;
}

void GradientReducer::share_parameters() {
  segments_ = std::make_unique<SharedSegments>(communicator_, plan_shared_layout());
  new (segments_->segment(communicator_.rank())) Counters;
  for (size_t i = 0; i < parameters_.size(); ++i) {
    autograd::Parameter<float>& p = *parameters_[i];
    float* value = shared_tensor(communicator_.rank(), i, false);
    float* gradient = shared_tensor(communicator_.rank(), i, true);
    std::copy(p.value.data(), p.value.data() + p.value.size(), value);
    std::copy(p.grad.data(), p.grad.data() + p.grad.size(), gradient);
    p.value = Matrix<float>::borrowing(value, p.value.rows(), p.value.cols());
    p.grad = Matrix<float>::borrowing(gradient, p.grad.rows(), p.grad.cols());
  }
  segments_->sync();
  communicator_.barrier();  // every rank's counters exist before any rank reads them
  segments_->sync();
}

float* GradientReducer::shared_tensor(int rank, size_t parameter, bool gradient) const {
  const size_t offset = gradient ? gradient_offset_[parameter] : value_offset_[parameter];
  return reinterpret_cast<float*>(segments_->segment(rank) + offset);
}

size_t GradientReducer::index_of(const autograd::Parameter<float>& p) const {
  const auto it = std::find(parameters_.begin(), parameters_.end(), &p);
  if (it == parameters_.end()) {
    throw std::invalid_argument("GradientReducer: '" + p.name + "' is not one of its parameters");
  }
  return size_t(it - parameters_.begin());
}

void GradientReducer::begin_backward() const {
  if (exchange_ == Exchange::kSharedMemory && values_published_ < steps_finished_) {
    throw std::logic_error(
        "GradientReducer: with the shared-memory exchange, gather_values() must end every step "
        "(the other ranks may still be reading this rank's gradients)");
  }
}

void GradientReducer::ready(const autograd::Parameter<float>& p) {
  const size_t i = index_of(p);
  if (ready_[i])
    throw std::invalid_argument("GradientReducer: '" + p.name +
                                "' was marked ready twice in a step");
  ready_[i] = true;
  --buckets_[bucket_of_[i]].waiting;
  // Most MPIs move a non-blocking sum along only inside MPI calls: each gradient the backward
  // pass finishes is a chance to.
  for (size_t k = 0; k < next_to_start_; ++k) {
    buckets_[k].request.test();
    buckets_[k].reduce_scatter.test();
  }
  // In order: a bucket complete before an earlier one waits for it.
  while (next_to_start_ < buckets_.size() && buckets_[next_to_start_].waiting == 0)
    start(buckets_[next_to_start_++]);
  if (exchange_ == Exchange::kSharedMemory) sum_published(false);
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
    if (p.grad_is_zero) fill<float>(p.grad.view(), 0.0f);
    p.grad_is_zero = false;
  }
  if (exchange_ == Exchange::kSharedMemory) {
    begin_backward();  // for loops that did not call it: late, but the run still stops
    // Bucket k of step s is the (s B + k + 1)th this rank publishes; the gradients' stores
    // before the count.
    segments_->sync();
    counters_in(segments_->segment(communicator_.rank()))
        .buckets_published.fetch_add(1, std::memory_order_release);
    return;
  }
  pack(b, gradient_of);
  const std::span<float> values = elements_of(b, gradient_of);
  if (update_ == Update::kShared) {
    communicator_.start_reduce_scatter_sum(values, b.arrivals, b.reduce_scatter);
  } else {
    b.request = communicator_.start_allreduce_sum(values);
  }
}

void GradientReducer::sum_published(bool wait) {
  const uint64_t before_this_step = steps_finished_ * buckets_.size();
  for (; next_to_sum_ < next_to_start_; ++next_to_sum_) {
    const uint64_t published = before_this_step + next_to_sum_ + 1;
    for (int q = 0; q < communicator_.size(); ++q) {
      const auto& counter = counters_in(segments_->segment(q)).buckets_published;
      if (wait) {
        wait_for_peer(
            communicator_, [&] { return counter.load(std::memory_order_acquire) >= published; },
            [&] {
              return shared_wait(q, "the published gradients", steps_finished_, counter, published);
            });
      } else if (counter.load(std::memory_order_acquire) < published) {
        return;
      }
    }
    segments_->sync();  // the others' gradients, as they were when they counted them
    sum_bucket(buckets_[next_to_sum_]);
  }
}

void GradientReducer::sum_bucket(Bucket& b) {
  // This rank's gradient first, then the others' in rank order: the arithmetic of the message
  // exchange's ReduceScatter::wait(), so both give the same bits.
  for (size_t i : b.members) {
    const IndexRange mine = share_of(i, communicator_.rank());
    if (mine.empty()) continue;
    const MatrixView<float> sum = elements_view(parameters_[i]->grad.data(), mine);
    for (int q = 0; q < communicator_.size(); ++q) {
      if (q == communicator_.rank()) continue;
      add<float>(sum, elements_view<const float>(shared_tensor(q, i, true), mine), sum);
    }
  }
}

void GradientReducer::finish() {
  // Every wait of a step comes from here on (ready() only starts sums and looks at counters):
  // the sums, the figures and the gather, until the next step's finish().
  communicator_.name_step(steps_finished_ + 1);
  while (next_to_start_ < buckets_.size()) start(buckets_[next_to_start_++]);
  if (exchange_ == Exchange::kSharedMemory) {
    sum_published(true);
    next_to_sum_ = 0;
  }
  for (Bucket& b : buckets_) {
    b.request.wait();
    b.reduce_scatter.wait();
    if (exchange_ == Exchange::kMessages) unpack(b, gradient_of);  // shared memory sums in place
    b.waiting = b.members.size();
  }
  ++steps_finished_;
  next_to_start_ = 0;
  ready_.assign(parameters_.size(), false);
}

IndexRange GradientReducer::share(const autograd::Parameter<float>& p) const {
  return share_of(index_of(p), communicator_.rank());
}

IndexRange GradientReducer::share_of(size_t i, int rank) const {
  const size_t n = parameters_[i]->grad.size();
  if (update_ == Update::kReplicated) return {0, n};
  // The rank's share of the bucket, cut to the member's elements.
  const Bucket& b = buckets_[bucket_of_[i]];
  const size_t offset =
      b.offsets[size_t(std::find(b.members.begin(), b.members.end(), i) - b.members.begin())];
  return communicator_.share_of(b.elements, rank)
      .clamped_to({offset, offset + n})
      .relative_to(offset);
}

void GradientReducer::gather_values() {
  if (exchange_ == Exchange::kMessages) return gather_shares(value_of);
  const int rank = communicator_.rank();
  segments_->sync();  // this rank's updated values before its count
  counters_in(segments_->segment(rank))
      .values_published.store(++values_published_, std::memory_order_release);
  for (int q = 0; q < communicator_.size(); ++q) {
    if (q == rank) continue;
    const auto& counter = counters_in(segments_->segment(q)).values_published;
    wait_for_peer(
        communicator_, [&] { return counter.load(std::memory_order_acquire) >= values_published_; },
        [&] {
          return shared_wait(q, "the updated values", values_published_ - 1, counter,
                             values_published_);
        });
    segments_->sync();
    for (size_t i = 0; i < parameters_.size(); ++i) {
      // The library's copy: split over the process's threads when the share is large.
      const IndexRange theirs = share_of(i, q);
      copy<float>(elements_view<const float>(shared_tensor(q, i, false), theirs),
                  elements_view(parameters_[i]->value.data(), theirs));
    }
  }
}

void GradientReducer::gather_shares(const TensorOf& tensor_of) {
  if (update_ == Update::kReplicated) return;  // every rank made every update: all hold all
  for (Bucket& b : buckets_) {
    pack(b, tensor_of);
    communicator_.allgather_shares(elements_of(b, tensor_of));
    unpack(b, tensor_of);
  }
}

}  // namespace simdgrad::distributed
