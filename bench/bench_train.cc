// Training throughput of the identity network (the app's own training step, Trainer::train_step)
// in samples/s and as a fraction of the machine's FMA peak, measured in the same binary for the
// same thread count just before each benchmark.
//
//   build/release/bench/bench_train --benchmark_repetitions=3
//   build/release/bench/bench_train --breakdown [--steps=200]
//
// Names: train/layers:<1|4>/batch:128/threads:<n>. Counters: samples_per_s, GFLOPS (13.52
// MFLOP per sample for 4 layers: 4 forward, 3 input-gradient and 4 weight-gradient GEMMs of
// 784 x 784), peak_fraction (GFLOPS over the FMA peak of the same threads).
//
// --breakdown prints, instead, a table of the time per phase of a step (gather, forward,
// loss, backward, optimizer, the rest) for each configuration, the forward, backward and
// optimizer phases on the roofline this binary measures (phase_work.h), then the step in situ,
// and its forward and backward phases, against the same GEMMs run standalone by this binary
// (step_gemms.h), in interleaved rounds, and the samples/s of 2 threads over 1. The data are
// synthetic MNIST-shaped images (identity_workload.h).
#include <benchmark/benchmark.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "apps/identity/training/trainer.h"
#include "bench/bench_main.h"
#include "bench/identity_workload.h"
#include "bench/phase_work.h"
#include "bench/step_gemms.h"
#include "simdgrad/fma_peak.h"
#include "simdgrad/threading.h"

namespace simdgrad::bench {
namespace {

using identity::TrainConfig;
using identity::Trainer;
using Clock = std::chrono::steady_clock;

void run_train(benchmark::State& state, int layers, int threads) {
  set_num_threads(threads);
  const double peak = measure_fma_peak_gflops(threads);
  Trainer trainer(config_for(layers), synthetic_mnist());
  StepLoop loop(trainer);
  for (int i = 0; i < 3; ++i) loop.step();  // warm: the tape's arena and the packing buffers
  for (auto _ : state) loop.step();
  const double batch = double(trainer.config().batch);
  const double flops = batch * trainer.flops_per_sample();
  state.counters["samples_per_s"] =
      benchmark::Counter(batch, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["GFLOPS"] =
      benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  // A rate divided by the peak: GFLOPS / peak, computed per iteration like the others.
  state.counters["peak_fraction"] =
      benchmark::Counter(flops * 1e-9 / peak, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["peak_GFLOPS"] = peak;
}

// The step in situ against its GEMMs standalone, at the current thread count: 7 rounds, each
// 20 steps then a round of every GEMM, best of the rounds on both sides. Interleaved, the two
// sides see the same machine: on a shared machine whose speed drifts by a fifth within minutes,
// a step timed apart from its GEMMs made the ratio drift with it. The forward and backward
// phases are compared with their own GEMMs the same way, each phase's best round.
void print_in_situ_ratio(int layers, StepLoop& loop) {
  constexpr int kRounds = 7, kStepsPerRound = 20;
  std::vector<StepGemm> gemms = step_gemms(layers, 128, 784);
  StandaloneGemms standalone_gemms(gemms);
  double best_step = 1e30, best_forward = 1e30, best_backward = 1e30;
  for (int round = 0; round < kRounds; ++round) {
    identity::StepPhases phases;
    const auto start = Clock::now();
    for (int i = 0; i < kStepsPerRound; ++i) loop.step(&phases);
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    best_step = std::min(best_step, seconds / kStepsPerRound);
    best_forward = std::min(best_forward, phases.forward / kStepsPerRound);
    best_backward = std::min(best_backward, phases.backward / kStepsPerRound);
    standalone_gemms.time_round();
  }
  std::printf("the step's GEMMs standalone (best of %d rounds):", kRounds);
  for (const StepGemm& g : gemms) {
    if (g.count > 0)
      std::printf(" %d x %s %.3f ms;", g.count, g.name.c_str(), 1e3 * g.best_seconds);
  }
  const double standalone = step_seconds(gemms);
  const double forward = phase_seconds(gemms, StepPhase::kForward);
  const double backward = phase_seconds(gemms, StepPhase::kBackward);
  std::printf(
      " sum %.2f ms\nthe step in situ (best of %d rounds of %d steps, interleaved with the "
      "GEMMs' rounds): %.2f ms = %.2fx its GEMMs standalone\n",
      1e3 * standalone, kRounds, kStepsPerRound, 1e3 * best_step, best_step / standalone);
  std::printf(
      "per phase (best round of each): forward %.2f ms = %.2fx its GEMMs standalone, backward "
      "%.2f ms = %.2fx its GEMMs standalone\n",
      1e3 * best_forward, best_forward / forward, 1e3 * best_backward, best_backward / backward);
}

// The breakdown table: phases of `steps` steps after 10 warm ones. Returns samples/s.
double print_breakdown(int layers, int threads, int steps) {
  set_num_threads(threads);
  const double peak = measure_fma_peak_gflops(threads);
  Trainer trainer(config_for(layers), synthetic_mnist());
  StepLoop loop(trainer);
  for (int i = 0; i < 10; ++i) loop.step();
  identity::StepPhases phases;
  const auto start = Clock::now();
  for (int i = 0; i < steps; ++i) loop.step(&phases);
  const double total = std::chrono::duration<double>(Clock::now() - start).count();
  const double batch = double(trainer.config().batch);
  const double gflops = batch * trainer.flops_per_sample() * steps / total * 1e-9;
  std::printf(
      "\n%d layer%s, batch %.0f, %d thread%s, SIMD target %s: %.0f samples/s, %.1f GFLOP/s, "
      "%.1f%% of the FMA peak (%.1f GFLOP/s)\n",
      layers, layers > 1 ? "s" : "", batch, threads, threads > 1 ? "s" : "",
      active_target().name.c_str(), batch * steps / total, gflops, 100 * gflops / peak, peak);
  print_phase_table("phase",
                    {{"gather the batch", phases.gather},
                     {"forward (GEMM + bias + ReLU per layer)", phases.forward},
                     {"loss and metric", phases.loss},
                     {"backward (GEMMs, bias gradients)", phases.backward},
                     {"optimizer (updates, gradient norms, zeroing)", phases.optimizer}},
                    total, steps);
  print_phases_on_roofline(trainer.config(), threads, phases.forward / steps,
                           phases.backward / steps, phases.optimizer / steps);
  print_in_situ_ratio(layers, loop);
  return batch * steps / total;
}

}  // namespace
}  // namespace simdgrad::bench

int main(int argc, char** argv) {
  using namespace simdgrad::bench;
  std::string steps_text = "200";
  const bool breakdown = take_flag(argc, argv, "--breakdown", nullptr);
  take_flag(argc, argv, "--steps", &steps_text);
  std::vector<int> thread_counts = benchmark_thread_counts();
  if (thread_counts.back() != 2 && omp_get_num_procs() > 2)
    thread_counts.insert(thread_counts.begin() + 1, 2);

  if (breakdown) {
    const int steps = std::atoi(steps_text.c_str());
    if (steps < 1 || argc > 1) {
      std::fprintf(stderr, "usage: bench_train --breakdown [--steps=N]\n");
      return 2;
    }
    for (int layers : {4, 1}) {
      std::vector<double> rates;
      for (int threads : thread_counts) rates.push_back(print_breakdown(layers, threads, steps));
      if (thread_counts.size() > 1 && thread_counts[0] == 1 && thread_counts[1] == 2) {
        std::printf("\n%d layer%s: samples/s on 2 threads / 1 thread = %.2f\n", layers,
                    layers > 1 ? "s" : "", rates[1] / rates[0]);
      }
    }
    return 0;
  }
  for (int layers : {4, 1}) {
    for (int threads : thread_counts) {
      const std::string name = "train/layers:" + std::to_string(layers) +
                               "/batch:128/threads:" + std::to_string(threads);
      benchmark::RegisterBenchmark(name.c_str(), run_train, layers, threads)
          ->UseRealTime()
          ->Unit(benchmark::kMillisecond);
    }
  }
  return run_benchmarks(argc, argv);
}
