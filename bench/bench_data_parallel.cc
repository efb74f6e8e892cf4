// Data-parallel training throughput of the identity network: the app's own training step on P
// processes (each its share of every batch of 128, gradients summed over MPI) or on one. Run it
// alone, or under mpiexec; the first process reports samples/s over the whole run and where a
// step's time goes.
//
//   OMP_NUM_THREADS=2 build/release/bench/bench_data_parallel
//   mpiexec -n 2 --bind-to core -x OMP_NUM_THREADS=1 build/release/bench/bench_data_parallel
//   bench/compare_data_parallel.sh   (the two, interleaved, with the ratio)
//
// Flags: --steps=N (default 300, after 10 warm-up steps), --layers=L (default 4), --batch=B
// (default 128; two lone processes of --batch=64 at once give the step's cost without the
// sums), --update=shared|replicated (each process updates its share of the parameters, the
// default, or all of them), --exchange=auto|shared-memory|messages (how a shared update's
// shares travel; auto: shared memory when every process runs on this machine). Output: one
// line "processes P threads T update U exchange E samples_per_s S ms_per_step M" and the phase
// table.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "apps/identity/training/trainer.h"
#include "bench/bench_main.h"
#include "bench/identity_workload.h"
#include "simdgrad/threading.h"

int main(int argc, char** argv) {
  using namespace simdgrad;
  using namespace simdgrad::bench;
  std::string update_text = "shared";
  take_flag(argc, argv, "--update", &update_text);
  std::string exchange_text = "auto";
  take_flag(argc, argv, "--exchange", &exchange_text);
  distributed::DataParallelOptions parallel;
  if (update_text == "replicated") parallel.update = distributed::Update::kReplicated;
  if (exchange_text == "shared-memory") parallel.exchange = distributed::Exchange::kSharedMemory;
  if (exchange_text == "messages") parallel.exchange = distributed::Exchange::kMessages;
  const distributed::Communicator processes(&argc, &argv);
  std::string steps_text = "300", layers_text = "4", batch_text = "128";
  take_flag(argc, argv, "--steps", &steps_text);
  take_flag(argc, argv, "--layers", &layers_text);
  take_flag(argc, argv, "--batch", &batch_text);
  const int steps = std::atoi(steps_text.c_str()), layers = std::atoi(layers_text.c_str());
  identity::TrainConfig config = config_for(layers);
  config.batch = std::atoi(batch_text.c_str());
  if (argc > 1 || steps < 1 || layers < 1 || config.batch < 1 ||
      (update_text != "shared" && update_text != "replicated") ||
      (exchange_text != "auto" && exchange_text != "shared-memory" &&
       exchange_text != "messages")) {
    if (processes.leads()) {
      std::fprintf(stderr,
                   "usage: bench_data_parallel [--steps=N] [--layers=L] [--batch=B] "
                   "[--update=shared|replicated] "
                   "[--exchange=auto|shared-memory|messages]\n");
    }
    return 2;
  }
  identity::Trainer trainer(config, synthetic_mnist(), processes, parallel);
  StepLoop loop(trainer);
  for (int i = 0; i < 10; ++i) loop.step();  // warm: the tape's arena, packing buffers, MPI's
  identity::StepPhases phases;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < steps; ++i) loop.step(&phases);
  const double total =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!processes.leads()) return 0;

  const double batch = double(trainer.config().batch);
  std::printf("processes %d threads %d update %s exchange %s samples_per_s %.0f ms_per_step %.3f\n",
              processes.size(), num_threads(), update_text.c_str(), exchange_text.c_str(),
              batch * steps / total, 1e3 * total / steps);
  print_phase_table(
      "phase (first process)",
      {{"gather its rows of the batch", phases.gather},
       {"forward", phases.forward},
       {"loss and metric", phases.loss},
       {"backward (gradient sums started on the way)", phases.backward},
       {"wait for the gradient sums, sum the figures, gather updated values", phases.sums},
       {"optimizer (all parameters; with --update=shared, this process's share)",
        phases.optimizer}},
      total, steps);
  return 0;
}
