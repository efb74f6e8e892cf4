// Memory throughput (GB/s of bytes that must move) of the elementwise kernels and the fused
// RMSprop update, at one training batch (128 x 784) and at 16M elements.
//
//   build/release/bench/bench_elementwise --benchmark_repetitions=5
//
// Names: <kernel>/f32/<rows>x<cols>/threads:<n> (and RMSprop over a layer with dead units,
// <kernel>/f32/784x784/dead_units:1in7/threads:<n>); the reference is a plain C++ loop compiled
// with the same flags (auto-vectorized for the baseline target only), in the same binary.
// Each is placed on the roofline measured by the same binary (arithmetic_intensity,
// roofline_fraction against the level its arrays live in, named in the label).
#include <benchmark/benchmark.h>
#include <omp.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "bench/bench_main.h"
#include "simdgrad/bench/roofline_counters.h"
#include "simdgrad/elementwise.h"
#include "simdgrad/optimizer_updates.h"
#include "simdgrad/threading.h"

namespace simdgrad::bench {
namespace {

struct Shape {
  size_t rows, cols;
};

void set_bandwidth(benchmark::State& state, double bytes_per_iteration) {
  state.counters["GBps"] =
      benchmark::Counter(bytes_per_iteration * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

Matrix<float> filled(Shape s, float value) {
  Matrix<float> m(s.rows, s.cols);
  fill(m.view(), value);
  return m;
}

// What a call must move and compute, and the distinct bytes it touches (where they live).
struct Work {
  double bytes, flops, footprint;
};
// Floating-point operations per element of the RMSprop update: a = ρa + (1 − ρ)g² (3), then
// p −= lr·g / (√a + ε) (5, a square root and a division counted as one each).
constexpr double kRmspropFlops = 8;

// Kernel bodies: each returns the bytes it must move and the operations it does per call.
Work relu_kernel(Matrix<float>& x, Matrix<float>& y, Matrix<float>&, Matrix<float>&) {
  relu<float>(x, y);
  return {2.0 * x.size() * sizeof(float), double(x.size()), 2.0 * x.size() * sizeof(float)};
}
Work axpy_kernel(Matrix<float>& x, Matrix<float>& y, Matrix<float>&, Matrix<float>&) {
  axpy<float>(1e-3f, x, y);
  return {3.0 * x.size() * sizeof(float), 2.0 * x.size(), 2.0 * x.size() * sizeof(float)};
}
Work bias_kernel(Matrix<float>& x, Matrix<float>&, Matrix<float>& bias, Matrix<float>&) {
  add_row_vector<float>(bias, x);
  return {2.0 * x.size() * sizeof(float), double(x.size()), double(x.size() * sizeof(float))};
}
Work rmsprop_kernel(Matrix<float>& p, Matrix<float>& g, Matrix<float>&, Matrix<float>& a) {
  rmsprop_update<float>(p, g, a, 1e-3f, 0.9f, 1e-7f);
  // Read p, g, a; write p, a.
  return {5.0 * p.size() * sizeof(float), kRmspropFlops * p.size(), 3.0 * p.size() * sizeof(float)};
}
// The update training runs: the same pass also returns sum(g²) for the diagnostics.
Work rmsprop_and_square_sum_kernel(Matrix<float>& p, Matrix<float>& g, Matrix<float>&,
                                   Matrix<float>& a) {
  benchmark::DoNotOptimize(rmsprop_update_and_square_sum<float>(p, g, a, 1e-3f, 0.9f, 1e-7f));
  return {5.0 * p.size() * sizeof(float), (kRmspropFlops + 2) * p.size(),
          3.0 * p.size() * sizeof(float)};
}

// The plain scalar loop of the same RMSprop update, as the in-run reference.
Work rmsprop_scalar_loop(Matrix<float>& p, Matrix<float>& g, Matrix<float>&, Matrix<float>& a) {
  float* pp = p.data();
  const float* gg = g.data();
  float* aa = a.data();
  const size_t n = p.size();
#pragma omp parallel for schedule(static) if (n >= kParallelMinElements)
  for (size_t i = 0; i < n; ++i) {
    aa[i] = 0.9f * aa[i] + 0.1f * gg[i] * gg[i];
    pp[i] -= 1e-3f * gg[i] / (std::sqrt(aa[i]) + 1e-7f);
  }
  return {5.0 * n * sizeof(float), kRmspropFlops * n, 3.0 * n * sizeof(float)};
}

using Kernel = Work (*)(Matrix<float>&, Matrix<float>&, Matrix<float>&, Matrix<float>&);

// Runs kernel(x, y, bias, state) as the benchmark's iterations and reports its bytes per
// second, and its place on the roofline of the level its arrays live in.
void time_kernel(benchmark::State& state, Kernel kernel, int threads, Matrix<float>& x,
                 Matrix<float>& y, Matrix<float>& bias, Matrix<float>& state_m) {
  set_num_threads(threads);
  const Work work = kernel(x, y, bias, state_m);  // its figures, and a warm start
  const size_t per_thread = size_t(work.footprint) / size_t(threads);
  run_on_roofline(state, work.flops, work.bytes, level_of(per_thread, threads), threads, [&] {
    kernel(x, y, bias, state_m);
    benchmark::ClobberMemory();
  });
  set_bandwidth(state, work.bytes);
}

void run_kernel(benchmark::State& state, Kernel kernel, Shape s, int threads) {
  Matrix<float> x = filled(s, 0.5f), y = filled(s, 0.25f), state_m = filled(s, 0.0f);
  Matrix<float> bias = filled({1, s.cols}, 0.125f);
  time_kernel(state, kernel, threads, x, y, bias, state_m);
}

// The update of a layer with dead units, as training leaves it: a dead unit's gradients are zero
// and its accumulators decay into the subnormals (15% of the 4-layer identity network's after
// its 20 epochs). One element in seven here: g = 0, a = the smallest subnormal, where 0.9 a
// rounds back to itself, so every iteration sees the same state.
void run_dead_units(benchmark::State& state, Kernel kernel, Shape s, int threads) {
  Matrix<float> p = filled(s, 0.5f), g = filled(s, 0.25f), unused, a = filled(s, 0.01f);
  for (size_t i = 0; i < p.size(); i += 7) {
    g.data()[i] = 0.0f;
    a.data()[i] = std::numeric_limits<float>::denorm_min();
  }
  time_kernel(state, kernel, threads, p, g, unused, a);
}

}  // namespace
}  // namespace simdgrad::bench

int main(int argc, char** argv) {
  using namespace simdgrad;
  using namespace simdgrad::bench;
  const std::vector<int> thread_counts = benchmark_thread_counts();
  const std::pair<const char*, Kernel> kernels[] = {
      {"relu", relu_kernel},
      {"axpy", axpy_kernel},
      {"bias_add", bias_kernel},
      {"rmsprop", rmsprop_kernel},
      {"rmsprop_and_square_sum", rmsprop_and_square_sum_kernel},
      {"rmsprop_scalar_loop", rmsprop_scalar_loop}};
  const Shape shapes[] = {{128, 784}, {4096, 4096}};
  for (const Shape& s : shapes) {
    for (const auto& [name, kernel] : kernels) {
      for (int threads : thread_counts) {
        const std::string full = std::string(name) + "/f32/" + std::to_string(s.rows) + "x" +
                                 std::to_string(s.cols) + "/threads:" + std::to_string(threads);
        benchmark::RegisterBenchmark(full.c_str(), run_kernel, kernel, s, threads)->UseRealTime();
      }
    }
  }
  const Shape layer{784, 784};
  const std::pair<const char*, Kernel> rmsprop_kernels[] = {
      {"rmsprop", rmsprop_kernel}, {"rmsprop_scalar_loop", rmsprop_scalar_loop}};
  for (const auto& [name, kernel] : rmsprop_kernels) {
    for (int threads : thread_counts) {
      const std::string full =
          std::string(name) + "/f32/784x784/dead_units:1in7/threads:" + std::to_string(threads);
      benchmark::RegisterBenchmark(full.c_str(), run_dead_units, kernel, layer, threads)
          ->UseRealTime();
    }
  }
  return run_benchmarks(argc, argv);
}
