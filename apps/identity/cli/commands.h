// The identity app's subcommands. Each returns the process exit code:
// 0 done, 1 internal failure (or gradcheck FAIL), 2 bad input, 3 non-finite loss,
// 130/143 interrupted by SIGINT/SIGTERM (after a checkpoint).
#pragma once

#include <exception>
#include <stdexcept>
#include <string>

#include "apps/identity/training/config.h"
#include "apps/identity/training/trainer.h"
#include "simdgrad/distributed/communicator.h"
#include "simdgrad/distributed/data_parallel_step.h"

namespace simdgrad::identity {

// The exit code of a command ended by an exception: 2 for bad input (flags, data, checkpoints,
// output folders: std::invalid_argument and std::runtime_error, whose messages name the file and
// the fault), 1 for anything else.
inline int exit_code_of(const std::exception& e) {
  const bool input =
      dynamic_cast<const std::invalid_argument*>(&e) || dynamic_cast<const std::runtime_error*>(&e);
  return input ? 2 : 1;
}

struct TrainOptions {
  TrainConfig config;
  std::string out;     // empty: runs/<date-time>/
  std::string resume;  // checkpoint to continue from
  bool epochs_given = false, data_given = false;
  bool verbose = false;
  bool check_numerics = false;  // every step: activations and gradients finite, per layer
  distributed::DataParallelOptions parallel;  // under mpiexec: who updates what, and how
  // Under mpiexec: how long a process waits for another before it ends the run.
  double peer_timeout_seconds = distributed::Communicator::kDefaultPeerTimeoutSeconds;
};
// With several `processes`, they train one model together; the first prints and writes the
// files.
int run_train(const TrainOptions& options,
              const distributed::Communicator& processes = one_process());

struct EvalOptions {
  std::string checkpoint;
  std::string data;  // empty: the folder the checkpoint was trained on
  std::string out;   // empty: no files
};
int run_eval(const EvalOptions& options);

struct GradcheckCommandOptions {
  int layers = 4;
  int width = 8;
  uint64_t seed = 1;
  Activation output_activation = Activation::kRelu;
};
int run_gradcheck(const GradcheckCommandOptions& options);

}  // namespace simdgrad::identity
