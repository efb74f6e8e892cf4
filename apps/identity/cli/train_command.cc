#include <unistd.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <ctime>

#include "apps/identity/cli/commands.h"
#include "apps/identity/cli/progress_bar.h"
#include "apps/identity/files/checkpoint.h"
#include "apps/identity/training/interrupt.h"
#include "apps/identity/training/run_files.h"
#include "apps/identity/training/trainer.h"
#include "simdgrad/targets.h"
#include "simdgrad/threading.h"

namespace simdgrad::identity {
namespace {

std::string default_run_folder() {
  const std::time_t now = std::time(nullptr);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", std::localtime(&now));
  return std::string("runs/") + stamp;
}

void print_epoch(const EpochRecord& r, int epochs, bool verbose) {
  std::printf(
      "Epoch %d/%d - %.1fs - loss: %.4f - mean_absolute_percentage_error: %.4f - "
      "val_loss: %.4f - val_mean_absolute_percentage_error: %.4f\n",
      r.epoch, epochs, r.seconds, r.loss, r.mape, r.val_loss, r.val_mape);
  if (verbose) {
    std::printf("  %.0f samples/s; %.2f%% of output pixels exactly 0\n", r.samples_per_s,
                100 * r.zero_output_fraction);
    for (size_t l = 0; l < r.layers.size(); ++l) {
      const auto& d = r.layers[l];
      std::printf("  layer %zu: ", l + 1);
      if (d.relu) {
        std::printf("dead %d/%d (%d of them on always-0 pixels, %.2f%% excess)", d.dead_units,
                    d.units, d.dead_zero_pixel, 100 * d.dead_excess_fraction);
      } else {
        std::printf("linear output");
      }
      std::printf(", grad norm %.4g, ||W - I||/||I|| %.4f\n", d.grad_norm,
                  d.distance_from_identity);
    }
  }
  std::fflush(stdout);
}

// "2 threads", or "3 processes x 2 threads" for a data-parallel run.
std::string workers(int processes) {
  const std::string threads =
      std::to_string(num_threads()) + (num_threads() == 1 ? " thread" : " threads");
  return processes == 1 ? threads : std::to_string(processes) + " processes x " + threads;
}

std::string describe(const TrainConfig& c, size_t train, size_t test, int processes) {
  // The recipe's departures from the seed experiment, named only when taken.
  std::string changes;
  if (c.schedule != autograd::ScheduleShape::kConstant)
    changes += ", " + to_string(c.schedule) + " schedule";
  if (c.warmup_epochs > 0) {
    char warmup[64];
    std::snprintf(warmup, sizeof warmup, ", %g epochs of warm-up", c.warmup_epochs);
    changes += warmup;
  }
  if (c.precondition != Precondition::kNone)
    changes += ", inputs " + to_string(c.precondition) + "ed";
  if (c.bias_init != BiasInit::kZero) changes += ", " + to_string(c.bias_init) + " output biases";
  char text[768];
  std::snprintf(text, sizeof text,
                "%d x Dense(%d), %s output; %s lr %g, batch %d, %s pixels, %s init%s, seed %llu; "
                "%zu train / %zu test images from %s; %s, %s",
                c.layers, c.width, to_string(c.output_activation).c_str(),
                to_string(c.optimizer).c_str(), learning_rate(c), c.batch,
                to_string(c.scale).c_str(), to_string(c.init).c_str(), changes.c_str(),
                static_cast<unsigned long long>(c.seed), train, test, c.data.c_str(),
                workers(processes).c_str(), active_target().name.c_str());
  return text;
}

// The run's configuration: the flags', or with --resume the checkpoint's, where --epochs and
// --data may change the number of epochs and the data's folder.
TrainConfig run_configuration(const TrainOptions& options, Checkpoint* checkpoint) {
  TrainConfig config = options.config;
  if (!options.resume.empty()) {
    *checkpoint = load_checkpoint(options.resume);
    TrainConfig saved = config_from_checkpoint(*checkpoint, options.resume);
    if (options.epochs_given) saved.epochs = config.epochs;
    if (options.data_given) saved.data = config.data;
    config = saved;
  }
  validate(config);
  return config;
}

struct RunFolder {
  std::filesystem::path out, checkpoint;
};

// The first process's header, and the epoch-0 checkpoint, so an interrupted first epoch still
// leaves one.
void announce(Trainer& trainer, const Mnist& data, int processes, const RunFolder& folder) {
  const TrainConfig& config = trainer.config();
  std::printf("identity: %s\n",
              describe(config, trainer.train_samples(), data.test.count, processes).c_str());
  std::printf("Train on %zu samples, validate on %zu samples\n", trainer.train_samples(),
              data.test.count);
  if (trainer.epoch() >= config.epochs) {
    std::printf("The checkpoint already holds epoch %d of %d: nothing to train (raise --epochs)\n",
                trainer.epoch(), config.epochs);
  }
  std::fflush(stdout);
  trainer.save(folder.checkpoint);
}

// Every process stops after the same step; the checkpoint holds the last whole epoch.
int stop_interrupted(const Interrupted& e, const Trainer& trainer,
                     const distributed::Communicator& processes, const RunFolder& folder) {
  if (processes.leads()) {
    std::printf("\n");
    std::fprintf(stderr,
                 "identity: interrupted by %s; %s holds epoch %d (resume with: identity train "
                 "--resume %s)\n",
                 e.signal == SIGINT ? "SIGINT" : "SIGTERM", folder.checkpoint.c_str(),
                 trainer.epoch(), folder.checkpoint.c_str());
  }
  // No process leaves before the first has said so: mpiexec kills the rest of a run as soon
  // as one process has exited with a failure code.
  double said = 0;
  processes.allreduce_sum(std::span<double>(&said, 1));
  return 128 + e.signal;
}

// A fault in one process's share of a batch is that process's alone: it ends the run.
int stop_numerical_fault(const NumericalFault& e, const Trainer& trainer,
                         const distributed::Communicator& processes, const RunFolder& folder) {
  const std::string message = std::string("numerical fault: ") + e.what() + "; " +
                              folder.checkpoint.string() + " holds epoch " +
                              std::to_string(trainer.epoch());
  if (processes.size() > 1) processes.abort(3, message);
  std::fprintf(stderr, "identity: %s\n", message.c_str());
  return 3;
}

// Trains the remaining epochs; the first process prints each and saves the checkpoint and the
// run's files after it. 0 when done, else the exit code of the stop.
int train_epochs(Trainer& trainer, const TrainOptions& options,
                 const distributed::Communicator& processes, const RunFolder& folder) {
  // Open MPI gives every process a pseudo-terminal whatever mpiexec writes to, so a
  // data-parallel run cannot tell a log from a terminal: it prints the epoch lines only.
  const bool tty = processes.leads() && processes.size() == 1 && isatty(fileno(stdout));
  try {
    while (trainer.epoch() < trainer.config().epochs) {
      ProgressBar bar(tty);
      const EpochRecord& record = trainer.train_epoch(
          [&](size_t done, size_t total, double loss) { bar.update(done, total, loss); });
      bar.finish();
      if (processes.leads()) {
        print_epoch(record, trainer.config().epochs, options.verbose);
        trainer.save(folder.checkpoint);
        write_run_files(folder.out, trainer, {{"epoch", record.epoch}});
      }
    }
  } catch (const Interrupted& e) {
    return stop_interrupted(e, trainer, processes, folder);
  } catch (const NumericalFault& e) {
    return stop_numerical_fault(e, trainer, processes, folder);
  } catch (const std::exception& e) {
    // Of several processes, one that fails mid-step ends the run here, before unwinding tears
    // down what the others are still waiting on (the checkpoint is the last epoch's).
    if (processes.size() > 1) processes.abort(exit_code_of(e), e.what());
    throw;
  }
  return 0;
}

// Keras' model.evaluate(x_test, x_test) after training: the last epoch's validation figures,
// then the reconstructions and the run's files.
void write_results(Trainer& trainer, const Mnist& data, const RunFolder& folder) {
  const EpochRecord& last = trainer.history().back();
  std::printf("Test loss: %.4f\nTest MAPE: %.4f\n", last.val_loss, last.val_mape);
  write_reconstructions(folder.out / "reconstructions.png", trainer, data);
  write_run_files(folder.out, trainer,
                  {{"epoch", last.epoch},
                   {"loss", last.loss},
                   {"val_loss", last.val_loss},
                   {"mape", last.mape},
                   {"val_mape", last.val_mape},
                   {"test_loss", last.val_loss},
                   {"test_mape", last.val_mape}});
  std::printf(
      "Wrote %s/{metrics.csv, run.json, model.safetensors, reconstructions.png, loss.svg}\n",
      folder.out.c_str());
}

}  // namespace

int run_train(const TrainOptions& options, const distributed::Communicator& processes) {
  // From the start: a signal during loading is honoured after the first step, once the
  // epoch-0 checkpoint is on disk.
  install_interrupt_handlers();
  Checkpoint checkpoint;
  const TrainConfig config = run_configuration(options, &checkpoint);
  const Mnist data = load_mnist(config.data);
  // The data-parallel step's set-up is collective and depends on these: the same everywhere,
  // or stop before it starts.
  const distributed::DataParallelOptions& parallel = options.parallel;
  processes.require_same_everywhere(uint64_t(parallel.update) * 3 + uint64_t(parallel.exchange),
                                    "the --update and --exchange");
  Trainer trainer(config, data, processes, parallel);
  trainer.set_check_numerics(options.check_numerics);
  if (!options.resume.empty()) trainer.restore(checkpoint, options.resume);
  // Processes that start apart would train apart: same configuration, data and state, or stop.
  if (processes.size() > 1) {
    processes.require_same_everywhere(trainer.fingerprint(),
                                      "this process's configuration, data or checkpoint");
  }
  const std::filesystem::path out = options.out.empty() ? default_run_folder() : options.out;
  const RunFolder folder{out, out / "model.safetensors"};
  if (processes.leads()) announce(trainer, data, processes.size(), folder);
  if (const int stop = train_epochs(trainer, options, processes, folder); stop != 0) return stop;
  if (!trainer.history().empty() && processes.leads()) write_results(trainer, data, folder);
  return 0;
}

}  // namespace simdgrad::identity
