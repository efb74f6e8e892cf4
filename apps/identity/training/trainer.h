// The training loop of the identity experiment (Keras semantics): every epoch a fresh shuffle,
// batches of `batch` (the last one smaller), one forward / MSE / backward / optimizer step per
// batch, the epoch loss as the sample-weighted mean of the batch losses (each taken before its
// update), then validation on the test set with the diagnostics that explain the run.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "apps/identity/data/input_transform.h"
#include "apps/identity/data/mnist.h"
#include "apps/identity/files/checkpoint.h"
#include "apps/identity/training/config.h"
#include "simdgrad/autograd/layers.h"
#include "simdgrad/autograd/optimizers.h"
#include "simdgrad/autograd/random.h"
#include "simdgrad/distributed/communicator.h"
#include "simdgrad/distributed/data_parallel_step.h"

namespace simdgrad::identity {

class PhaseClock;  // trainer.cc: the step's phase times, when asked for

struct LayerDiagnostics {
  bool relu = true;  // dead-unit figures apply to ReLU layers only
  int units = 0;
  int dead_units = 0;                 // never active on the validation set
  int dead_zero_pixel = 0;            // of those, units whose pixel is 0 in every validation image:
                                      // even the exact solution W = I never activates them
  int revived_units = 0;              // dead at the previous validation of this process, alive now
  double dead_excess_fraction = 0;    // (dead - dead_zero_pixel) / (units - zero pixels)
  double grad_norm = 0;               // RMS over the epoch's steps of ||dL/dW||_F
  double distance_from_identity = 0;  // ||W - I||_F / ||I||_F
};

struct EpochRecord {
  int epoch = 0;
  double loss = 0, mape = 0, val_loss = 0, val_mape = 0;  // losses in raw-pixel units
  double seconds = 0, samples_per_s = 0;
  double zero_output_fraction = 0;  // of validation output pixels exactly 0
  // Share of the validation loss on pixels whose output unit is dead (ReLU output layer):
  // error the network cannot reduce without reviving those units.
  double dead_output_loss_share = 0;
  std::vector<LayerDiagnostics> layers;
};
nlohmann::json to_json(const EpochRecord& r);
EpochRecord epoch_record_from_json(const nlohmann::json& j);

struct Evaluation {
  double loss = 0, mape = 0;  // raw-pixel units
  double zero_output_fraction = 0;
  std::vector<Matrix<float>> activity;  // per layer, 1 x units: column sums of the activations
  Matrix<float> pixel_squared_error;    // 1 x pixels: summed squared error per output pixel
};

// Training stopped on a non-finite loss, or with check_numerics on a non-finite activation or
// gradient (exit code 3). The message names the tensor, its layer, the epoch and the step.
struct NumericalFault : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// A signal asked the run to stop (exit code 128 + signal).
struct Interrupted : std::runtime_error {
  explicit Interrupted(int signal) : std::runtime_error("interrupted"), signal(signal) {}
  int signal;
};

// Wall time of the parts of training steps, summed over `steps` (bench_train's breakdown).
struct StepPhases {
  double gather = 0;     // the batch copied from the data set
  double forward = 0;    // the layers' forward passes (one GEMM each, bias and ReLU fused)
  double loss = 0;       // the MSE loss and the MAPE metric
  double backward = 0;   // the tape's backward pass (GEMMs, bias gradients), with a data-parallel
                         // run's gradient sums started (and moved along) on the way; without
                         // the updates one process runs inside it (in `optimizer`)
  double sums = 0;       // a data-parallel run's wait for its shares of the gradient sums, the
                         // batch's figures summed, and the updated values gathered
  double optimizer = 0;  // the updates, the gradient norms of the diagnostics, the zeroing
  size_t steps = 0;
};

struct StepResult {
  double loss = 0;      // the batch's MSE before the update, in training units
  double metric = 0;    // its MAPE
  int stop_signal = 0;  // a signal that asked any process to stop, agreed by all after the step
};

// The configuration a checkpoint was trained with (std::runtime_error naming the file if absent).
TrainConfig config_from_checkpoint(const Checkpoint& checkpoint, const std::filesystem::path& file);

// This process alone: a training run of one process.
inline const distributed::Communicator& one_process() {
  static const distributed::Communicator alone;
  return alone;
}

class Trainer {
 public:
  // With several `processes`, each takes its share of every batch and of the validation set
  // (contiguous, in rank order); the data-parallel step sums the gradients, losses and figures
  // over the processes and updates as `parallel` says: every process holds the same model
  // after every step, and the whole optimizer state at the end of every epoch.
  Trainer(const TrainConfig& config, const Mnist& data,
          const distributed::Communicator& processes = one_process(),
          distributed::DataParallelOptions parallel = {});

  // Continues from a checkpoint: weights, optimizer state, epoch, RNG state and history.
  void restore(const Checkpoint& checkpoint, const std::filesystem::path& file);
  void save(const std::filesystem::path& file);

  // Trains one epoch, validates, records and returns the epoch's figures. `progress` is called
  // after every step with (samples done, samples in the epoch, running mean loss).
  using Progress = std::function<void(size_t, size_t, double)>;
  const EpochRecord& train_epoch(const Progress& progress = {});

  // The pieces of an epoch, for benchmarks: a fresh shuffle, then one optimizer step on the
  // shuffled samples [start, start + size) (of which this process computes its share). Adds the
  // step's phase times to `phases` if given.
  void shuffle();
  StepResult train_step(size_t start, size_t size, StepPhases* phases = nullptr);
  // Checks, every step, each layer's activations after the forward pass and each parameter's
  // gradient (from the optimizer's sum of squares, before anything is saved), and throws
  // NumericalFault naming the first one that is not finite. Off by default: it adds a pass
  // over the activations.
  void set_check_numerics(bool on) { check_numerics_ = on; }
  // Multiply-adds x 2 of one training sample: forward, input gradients (all but the first
  // layer) and weight gradients.
  double flops_per_sample();

  // Loss, MAPE and activity statistics over `images`, in batches of 128, each process taking
  // its share and the figures summed over the processes.
  Evaluation evaluate(const LabeledImages& images);
  // The model's outputs for the first `count` test images (count x pixels).
  Matrix<float> reconstruct(size_t count);
  // Every layer's outputs for images [first, first + count): one count x units matrix per layer.
  std::vector<Matrix<float>> layer_outputs(const LabeledImages& images, size_t first, size_t count);

  // A hash of everything the processes of one run must hold alike: the configuration, the
  // training and validation images, the epoch, the parameters and the optimizer's state.
  uint64_t fingerprint();

  int epoch() const { return epoch_; }
  const std::vector<EpochRecord>& history() const { return history_; }
  const TrainConfig& config() const { return config_; }
  const InputTransform& input_transform() const { return input_transform_; }
  // The learning rate the next step will use.
  double next_learning_rate() const;
  size_t train_samples() const { return train_rows_; }
  const distributed::Communicator& processes() const { return processes_; }
  autograd::Sequential<float>& model() { return model_; }

 private:
  void gather_batch(size_t start, size_t size);
  // The step's forward pass, loss and backward pass on this process's `rows` of the batch,
  // whose mean weighs `weight` in the whole batch's; the loss and metric go into `result`.
  void forward_and_backward(IndexRange rows, float weight, StepResult& result, PhaseClock& clock);
  // The rest of the step: the update, with the batch's figures summed over the processes.
  void update(float weight, StepResult& result, PhaseClock& clock);
  // Throws NumericalFault naming the first parameter whose gradient's sum of squares is not
  // finite, in the order the backward pass made them.
  void require_finite_gradients();
  // BiasInit::kActive: each unit of a ReLU output layer gets the bias that makes its
  // pre-activation just positive on every one of the first kActivationImages training images.
  void activate_units();
  // The network's input for `pixels` (rows at the run's scale): the pixels themselves, or their
  // preconditioned copy in the tape's arena.
  autograd::Var<float> network_input(autograd::Var<float> pixels);
  // Sums an evaluation's figures over the processes, each having evaluated its share.
  void sum_over_processes(Evaluation& evaluation, double& squared_sum, double& mape_sum,
                          double& nonzero);
  // "epoch E, step S" of the step under way, for fault messages.
  std::string when() const;
  // "dense_2 (layer 3 of 4)".
  std::string layer_name(size_t layer);
  // Throws NumericalFault naming `what` of `layer` and its first non-finite element, if any.
  void require_finite(MatrixView<const float> values, const char* what, size_t layer);
  std::vector<LayerDiagnostics> diagnose(const Evaluation& validation,
                                         const std::vector<double>& grad_square_sums, size_t steps);
  // The parameters and the optimizer state, by name: what a checkpoint holds.
  std::vector<autograd::NamedTensor<float>> checkpoint_tensors();

  TrainConfig config_;
  const Mnist& data_;
  const distributed::Communicator& processes_;
  size_t train_rows_;
  float pixel_factor_;              // stored pixel -> network input
  autograd::Random rng_;            // shuffling; its state goes into checkpoints
  InputTransform input_transform_;  // fitted on the training images; saved in checkpoints
  autograd::Sequential<float> model_;
  std::unique_ptr<autograd::Optimizer<float>> optimizer_;
  distributed::DataParallelStep step_;  // over the optimizer's parameters
  autograd::LearningRateSchedule schedule_;
  autograd::Tape<float> tape_;
  Matrix<float> batch_;
  std::vector<uint32_t> order_;
  std::vector<bool> zero_pixel_;                // pixel is 0 in every validation image
  std::vector<std::vector<bool>> dead_before_;  // per layer, per unit: dead at the last validation
  std::vector<double> grad_square_sums_;  // per layer, ||dL/dW||² summed over the epoch's steps
  std::vector<float> parameter_square_sums_;  // per parameter, of the last step
  size_t step_in_epoch_ = 0;
  bool check_numerics_ = false;
  int epoch_ = 0;
  std::vector<EpochRecord> history_;
};

}  // namespace simdgrad::identity
