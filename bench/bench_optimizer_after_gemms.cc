// The RMSprop pass of a 4-layer identity step (4 x 784 x 784 weights) timed right after the
// step's GEMMs, with the input-gradient GEMMs in several variants, to show what makes the pass
// slower on 2 threads in a step than alone: which core has read which lines of the weights.
//
//   build/release/bench/bench_optimizer_after_gemms --benchmark_repetitions=3
//
// Names: optimizer_after_gemms/<variant>/threads:<n>, the time of the optimizer pass alone
// (manual timing; the GEMMs run untimed before it). Variants of the input-gradient GEMMs
// dX = dY W (NN 128 x 784 x 784, W read in place):
//   reads_w           as in training: the library's GEMM, whose team splits the depth, so
//                     each core reads the rows of W the pass will have it update
//   split_by_columns  each of two cores multiplies by its half of W's columns (the split of
//                     C's tiles the GEMM would use otherwise): each reads some of every row
//                     of W (2 threads only; the same bits as the library's GEMM)
//   reads_a_copy      the library's GEMM on a copy of W: the same traffic, W itself left alone
//   none              no input-gradient GEMM
// plus no_gemms, the pass alone with its data warm.
#include <benchmark/benchmark.h>
#include <omp.h>

#include <chrono>
#include <string>
#include <vector>

#include "bench/bench_main.h"
#include "simdgrad/elementwise.h"
#include "simdgrad/gemm.h"
#include "simdgrad/optimizer_updates.h"
#include "simdgrad/threading.h"

namespace simdgrad::bench {
namespace {

constexpr size_t kLayers = 4, kWidth = 784, kBatch = 128;

enum class InputGradient { kReadsW, kSplitByColumns, kReadsACopy, kNone, kNoGemms };

struct Network {
  std::vector<Matrix<float>> weights, copies, gradients, accumulators, activations, deltas;
  Network() {
    for (size_t l = 0; l < kLayers; ++l) {
      for (auto* v : {&weights, &copies, &gradients, &accumulators}) {
        v->emplace_back(kWidth, kWidth);
        fill(v->back().view(), 1e-3f);
      }
    }
    for (size_t l = 0; l <= kLayers; ++l) {
      for (auto* v : {&activations, &deltas}) {
        v->emplace_back(kBatch, kWidth);
        fill(v->back().view(), 0.25f);
      }
    }
  }
};

// dX = dY W with each of two threads multiplying by its half of W's columns.
void input_gradient_split_by_columns(Network& net, size_t l) {
  const size_t half = kWidth / 2;
#pragma omp parallel num_threads(2)
  {
    const size_t id = size_t(omp_get_thread_num()), j0 = id * half;
    gemm<float>(Transpose::kNo, Transpose::kNo, 1.0f, net.deltas[l + 1].view(),
                net.weights[l].view().block(0, j0, kWidth, half), 0.0f,
                net.deltas[l].view().block(0, j0, kBatch, half));
  }
}

void input_gradient(Network& net, size_t l, InputGradient variant) {
  const auto nn = [&](const Matrix<float>& w) {
    gemm<float>(Transpose::kNo, Transpose::kNo, 1.0f, net.deltas[l + 1].view(), w.view(), 0.0f,
                net.deltas[l].view());
  };
  switch (variant) {
    case InputGradient::kReadsW:
      return nn(net.weights[l]);
    case InputGradient::kReadsACopy:
      return nn(net.copies[l]);
    case InputGradient::kSplitByColumns:
      return input_gradient_split_by_columns(net, l);
    default:
      return;
  }
}

// The step's GEMMs: forward (NT, as the layers run it), then per layer from the last the input
// gradient (none for the first layer) and the weight gradient (TN).
void step_gemms(Network& net, InputGradient variant) {
  if (variant == InputGradient::kNoGemms) return;
  for (size_t l = 0; l < kLayers; ++l) {
    gemm<float>(Transpose::kNo, Transpose::kYes, 1.0f, net.activations[l].view(),
                net.weights[l].view(), 0.0f, net.activations[l + 1].view());
  }
  for (size_t l = kLayers; l-- > 0;) {
    if (l > 0) input_gradient(net, l, variant);
    gemm<float>(Transpose::kYes, Transpose::kNo, 1.0f, net.deltas[l + 1].view(),
                net.activations[l].view(), 0.0f, net.gradients[l].view());
  }
}

void run(benchmark::State& state, InputGradient variant, int threads) {
  set_num_threads(threads);
  Network net;
  for (auto _ : state) {
    step_gemms(net, variant);
    const auto start = std::chrono::steady_clock::now();
    for (size_t l = 0; l < kLayers; ++l) {
      // A rate too small to move the weights: every iteration sees the same values.
      benchmark::DoNotOptimize(
          rmsprop_update_and_square_sum<float>(net.weights[l].view(), net.gradients[l].view(),
                                               net.accumulators[l].view(), 1e-30f, 0.9f, 1e-7f));
    }
    state.SetIterationTime(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
}

}  // namespace
}  // namespace simdgrad::bench

int main(int argc, char** argv) {
  using namespace simdgrad::bench;
  const std::pair<const char*, InputGradient> variants[] = {
      {"reads_w", InputGradient::kReadsW},
      {"split_by_columns", InputGradient::kSplitByColumns},
      {"reads_a_copy", InputGradient::kReadsACopy},
      {"none", InputGradient::kNone},
      {"no_gemms", InputGradient::kNoGemms}};
  for (int threads : benchmark_thread_counts()) {
    for (const auto& [name, variant] : variants) {
      if (variant == InputGradient::kSplitByColumns && threads != 2) continue;  // two halves
      const std::string full =
          std::string("optimizer_after_gemms/") + name + "/threads:" + std::to_string(threads);
      benchmark::RegisterBenchmark(full.c_str(), run, variant, threads)
          ->UseManualTime()
          ->Unit(benchmark::kMicrosecond);
    }
  }
  return run_benchmarks(argc, argv);
}
