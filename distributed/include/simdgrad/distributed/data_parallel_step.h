// One training step of a data-parallel run, for the loop that owns the model: every process
// holds the same model and computes the loss of its rows of each batch; this object does the
// rest. Its backward pass starts each gradient's sum over the processes as soon as the tape has
// finished it (GradientReducer), while the layers below are still being differentiated; then
// update() waits for the sums, updates the parameters (each process its share, or all of them),
// sums the step's figures over the processes, and gives every process the updated values.
// Every process then holds the same model to the bit.
//
//   DataParallelStep step(communicator, optimizer);
//   for each batch:
//     IndexRange mine = step.rows(batch);          // this process's rows
//     tape.reset(); loss = ... the mean loss over `mine` ...
//     step.backward(tape, loss, step.weight(batch));
//     double figures[] = {loss.value()(0, 0) * step.weight(batch)};
//     step.update(figures);                        // figures[0]: the whole batch's loss
//
// With one process (a Communicator not started by mpiexec) nothing is summed: backward()
// updates each parameter as soon as its gradient is final (Optimizer::update_early) and
// parameters of one shape share gradient memory (SharedGradientMemory), and update() ends the
// step (Optimizer::step_and_zero_grad); the bits are those of tape.backward() followed by
// step_and_zero_grad(). Set the learning rate before backward() then, and read no gradient
// after it. DataParallelOptions::update_during_backward = false gives those two plain calls.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <vector>

#include "simdgrad/autograd/optimizers.h"
#include "simdgrad/autograd/shared_gradient_memory.h"
#include "simdgrad/autograd/tape.h"
#include "simdgrad/distributed/communicator.h"
#include "simdgrad/distributed/gradient_reducer.h"
#include "simdgrad/index_range.h"

namespace simdgrad::distributed {

struct DataParallelOptions {
  Update update = Update::kShared;
  Exchange exchange = Exchange::kAuto;  // kSharedMemory needs Update::kShared
  size_t bucket_bytes = GradientReducer::kDefaultBucketBytes;
  // One process only: the update of each parameter inside backward(), with shared gradient
  // memory (above).
  bool update_during_backward = true;
};

// Seconds spent in update() (and, with one process, in the updates inside backward()), when
// asked for: waiting for sums, figures and gathers, and updating.
struct UpdateTimes {
  double communication = 0;
  double optimizer = 0;
};

class DataParallelStep {
 public:
  // Over the optimizer's parameters, in its order. Collective. With Exchange::kSharedMemory
  // the parameters' storage moves into memory the processes share (see GradientReducer): use
  // them only while this object lives. Throws std::invalid_argument for kSharedMemory with
  // Update::kReplicated.
  DataParallelStep(const Communicator& communicator, autograd::Optimizer<float>& optimizer,
                   DataParallelOptions options = {});
  ~DataParallelStep();

  const Communicator& communicator() const { return communicator_; }
  Update update_mode() const { return update_; }
  // The exchange in use (never kAuto; kMessages for one process).
  Exchange exchange() const;

  // This process's rows of a batch: a contiguous share, in rank order, possibly empty.
  IndexRange rows(IndexRange batch) const;
  // The weight of this process's rows' mean loss in the batch's: rows / batch rows. Summed
  // over the processes, the weighted losses and their gradients are the whole batch's.
  float weight(IndexRange batch) const;

  // The backward pass of `weight` x `loss` (this process's rows' mean, weighted by weight()),
  // the gradient sums under way as it goes. A process with no rows in the batch does not call
  // it: update() sums its zeros. `times`, if given, receives the seconds spent in the updates
  // that one process runs inside the backward pass (UpdateTimes::optimizer).
  void backward(autograd::Tape<float>& tape, autograd::Var<float> loss, float weight = 1,
                UpdateTimes* times = nullptr);
  // Ends the step: the gradient sums, the optimizer's update at its current learning rate (of
  // this process's shares under Update::kShared, else of everything), the gradients zeroed,
  // `figures` summed over the processes in place, and the updated values to every process.
  // With grad_square_sums, each parameter's squared gradient norm, summed over the elements
  // every process updated. `times`, if given, receives the seconds spent.
  void update(std::span<double> figures, std::vector<float>* grad_square_sums = nullptr,
              UpdateTimes* times = nullptr);
  // Every process's shares of the optimizer's state to every process, which each kept current
  // in its shares only (Update::kShared): before a checkpoint, or comparing the processes.
  void gather_optimizer_state();

 private:
  void sum_figures(std::span<double> figures, std::vector<float>* grad_square_sums);

  const Communicator& communicator_;
  autograd::Optimizer<float>& optimizer_;
  Update update_;
  std::unique_ptr<GradientReducer> reducer_;                                 // none for one process
  std::unique_ptr<autograd::SharedGradientMemory<float>> shared_gradients_;  // one process
  std::vector<IndexRange> shares_;  // per parameter, the elements this process updates
  std::vector<double> sums_;        // the figures and the squared norms, summed in one message
};

}  // namespace simdgrad::distributed
