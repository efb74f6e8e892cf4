#include "simdgrad/distributed/data_parallel_step.h"

#include <algorithm>
#include <chrono>

#include "simdgrad/autograd/ops.h"

namespace simdgrad::distributed {
namespace {

using Clock = std::chrono::steady_clock;

// Adds the seconds since the last mark to one of the times, when they are asked for.
class Stopwatch {
 public:
  explicit Stopwatch(UpdateTimes* times) : times_(times) {
    if (times_) last_ = Clock::now();
  }
  void mark(double UpdateTimes::*part) {
    if (!times_) return;
    const Clock::time_point now = Clock::now();
    times_->*part += std::chrono::duration<double>(now - last_).count();
    last_ = now;
  }

 private:
  UpdateTimes* times_;
  Clock::time_point last_;
};

}  // namespace

DataParallelStep::DataParallelStep(const Communicator& communicator,
                                   autograd::Optimizer<float>& optimizer,
                                   DataParallelOptions options)
    : communicator_(communicator), optimizer_(optimizer), update_(options.update) {
  GradientReducer::check_options(update_, options.exchange);  // also without a reducer
  if (communicator_.size() == 1) {
    if (options.update_during_backward) {
      shared_gradients_ =
          std::make_unique<autograd::SharedGradientMemory<float>>(optimizer_.parameters());
    }
    return;
  }
  const std::vector<autograd::Parameter<float>*>& parameters = optimizer_.parameters();
  // The backward pass finishes the last layer's gradients first.
  std::vector<autograd::Parameter<float>*> backward_order(parameters.rbegin(), parameters.rend());
  reducer_ = std::make_unique<GradientReducer>(communicator_, std::move(backward_order), update_,
                                               options.bucket_bytes, options.exchange);
  if (update_ == Update::kShared) {
    for (autograd::Parameter<float>* p : parameters) shares_.push_back(reducer_->share(*p));
  }
}

DataParallelStep::~DataParallelStep() = default;

Exchange DataParallelStep::exchange() const {
  return reducer_ ? reducer_->exchange() : Exchange::kMessages;
}

IndexRange DataParallelStep::rows(IndexRange batch) const {
  return balanced_part(batch, size_t(communicator_.rank()), size_t(communicator_.size()));
}

float DataParallelStep::weight(IndexRange batch) const {
  return float(rows(batch).size()) / float(batch.size());
}

void DataParallelStep::backward(autograd::Tape<float>& tape, autograd::Var<float> loss,
                                float weight, UpdateTimes* times) {
  const autograd::Var<float> weighted = weight == 1 ? loss : autograd::scale(loss, weight);
  if (!reducer_) {
    if (!shared_gradients_) return tape.backward(weighted);
    // Each update while its gradient (and, for a weight, the layer's input gradient's reads of
    // it) is still in cache, and the next layer's gradient then reuses the memory.
    return tape.backward(weighted, [&](autograd::Parameter<float>& p) {
      Stopwatch stopwatch(times);
      optimizer_.update_early(p);
      stopwatch.mark(&UpdateTimes::optimizer);
    });
  }
  reducer_->begin_backward();
  tape.backward(weighted, [&](autograd::Parameter<float>& p) { reducer_->ready(p); });
}

void DataParallelStep::update(std::span<double> figures, std::vector<float>* grad_square_sums,
                              UpdateTimes* times) {
  Stopwatch stopwatch(times);
  if (!reducer_) {
    optimizer_.step_and_zero_grad(grad_square_sums);
    stopwatch.mark(&UpdateTimes::optimizer);
    return;
  }
  reducer_->finish();  // starts the sums of a process that had no rows: its zeros
  stopwatch.mark(&UpdateTimes::communication);
  if (update_ == Update::kShared) {
    optimizer_.step_and_zero_grad(shares_, grad_square_sums);
  } else {
    optimizer_.step_and_zero_grad(grad_square_sums);
  }
  stopwatch.mark(&UpdateTimes::optimizer);
  sum_figures(figures, grad_square_sums);
  if (update_ == Update::kShared) reducer_->gather_values();
  stopwatch.mark(&UpdateTimes::communication);
}

void DataParallelStep::sum_figures(std::span<double> figures,
                                   std::vector<float>* grad_square_sums) {
  // One message: the figures, then (shared updates) each share's squared norm. Replicated
  // updates computed every norm whole, the same on every process.
  const bool norms = grad_square_sums && update_ == Update::kShared;
  sums_.assign(figures.begin(), figures.end());
  if (norms) sums_.insert(sums_.end(), grad_square_sums->begin(), grad_square_sums->end());
  communicator_.allreduce_sum(sums_);
  std::copy_n(sums_.begin(), figures.size(), figures.begin());
  if (norms) {
    for (size_t i = 0; i < grad_square_sums->size(); ++i)
      (*grad_square_sums)[i] = float(sums_[figures.size() + i]);
  }
}

void DataParallelStep::gather_optimizer_state() {
  if (!reducer_ || update_ != Update::kShared) return;
  // state() lists the slots one after another, each in the optimizer's parameter order.
  const std::vector<autograd::NamedTensor<float>> state = optimizer_.state();
  const std::vector<autograd::Parameter<float>*>& parameters = optimizer_.parameters();
  for (size_t slot = 0; slot < state.size() / parameters.size(); ++slot) {
    reducer_->gather_shares([&](autograd::Parameter<float>& p) {
      const size_t i =
          size_t(std::find(parameters.begin(), parameters.end(), &p) - parameters.begin());
      return state[slot * parameters.size() + i].view;
    });
  }
}

}  // namespace simdgrad::distributed
