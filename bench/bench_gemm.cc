// GEMM throughput (GFLOP/s, wall clock) of simdgrad next to OpenBLAS in the same run, plus the
// measured FMA peak of the machine.
//
//   build/release/bench/bench_gemm --benchmark_repetitions=5
//     --benchmark_enable_random_interleaving=true --benchmark_filter=128x784x784
//
// Names: gemm/<f32|f64>/<NN|NT|TN>/<M>x<N>x<K>/threads:<n>[/openblas]; peak/f32/fma/threads:<n>.
#include <benchmark/benchmark.h>
#include <omp.h>

#include <random>
#include <string>
#include <vector>

#include "bench/fma_peak.h"
#include "bench/openblas_reference.h"
#include "simdgrad/gemm.h"
#include "bench/bench_main.h"
#include "simdgrad/threading.h"

namespace simdgrad::bench {
namespace {

struct Shape {
  size_t m, n, k;
};

template <class T>
Matrix<T> random_matrix(size_t rows, size_t cols) {
  Matrix<T> out(rows, cols);
  std::mt19937 rng(17);
  std::uniform_real_distribution<double> dist(-1.0, 1.0);
  for (size_t i = 0; i < out.size(); ++i) out.data()[i] = T(dist(rng));
  return out;
}

void set_gflops(benchmark::State& state, double flop_per_iteration) {
  state.counters["GFLOPS"] =
      benchmark::Counter(flop_per_iteration * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

template <class T, bool kOpenBlas>
void run_gemm(benchmark::State& state, Transpose ta, Transpose tb, Shape s, int threads) {
  Matrix<T> a = ta == Transpose::kYes ? random_matrix<T>(s.k, s.m) : random_matrix<T>(s.m, s.k);
  Matrix<T> b = tb == Transpose::kYes ? random_matrix<T>(s.n, s.k) : random_matrix<T>(s.k, s.n);
  Matrix<T> c(s.m, s.n);
  set_num_threads(threads);
#ifdef SIMDGRAD_HAVE_OPENBLAS
  openblas_set_num_threads(threads);
#endif
  for (auto _ : state) {
    if constexpr (kOpenBlas) {
#ifdef SIMDGRAD_HAVE_OPENBLAS
      openblas_gemm(ta, tb, T(1), a.view(), b.view(), T(0), c.view());
#endif
    } else {
      gemm<T>(ta, tb, T(1), a, b, T(0), c);
    }
    benchmark::DoNotOptimize(c.data());
    benchmark::ClobberMemory();
  }
  set_gflops(state, 2.0 * double(s.m) * double(s.n) * double(s.k));
}

void run_fma_peak(benchmark::State& state, int threads) {
  constexpr size_t kIterations = 1 << 20;
  double flops = 0;
  for (auto _ : state) {
#pragma omp parallel num_threads(threads) reduction(+ : flops)
    flops += run_fma_loop(kIterations);
  }
  state.counters["GFLOPS"] = benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsRate);
}

const char* transpose_name(Transpose ta, Transpose tb) {
  if (ta == Transpose::kNo) return tb == Transpose::kNo ? "NN" : "NT";
  return tb == Transpose::kNo ? "TN" : "TT";
}

template <class T>
void register_gemm(const char* precision, const std::vector<Shape>& shapes,
                   const std::vector<int>& thread_counts) {
  const std::pair<Transpose, Transpose> pairs[] = {{Transpose::kNo, Transpose::kNo},
                                                   {Transpose::kNo, Transpose::kYes},
                                                   {Transpose::kYes, Transpose::kNo}};
  for (const Shape& s : shapes) {
    for (auto [ta, tb] : pairs) {
      for (int threads : thread_counts) {
        const std::string name = std::string("gemm/") + precision + "/" + transpose_name(ta, tb) +
                                 "/" + std::to_string(s.m) + "x" + std::to_string(s.n) + "x" +
                                 std::to_string(s.k) + "/threads:" + std::to_string(threads);
        benchmark::RegisterBenchmark(name.c_str(), run_gemm<T, false>, ta, tb, s, threads)
            ->UseRealTime()
            ->Unit(benchmark::kMillisecond);
#ifdef SIMDGRAD_HAVE_OPENBLAS
        benchmark::RegisterBenchmark((name + "/openblas").c_str(), run_gemm<T, true>, ta, tb, s,
                                     threads)
            ->UseRealTime()
            ->Unit(benchmark::kMillisecond);
#endif
      }
    }
  }
}

}  // namespace
}  // namespace simdgrad::bench

int main(int argc, char** argv) {
  using namespace simdgrad;
  using namespace simdgrad::bench;
  const std::vector<int> thread_counts = benchmark_thread_counts();

  for (int threads : thread_counts) {
    benchmark::RegisterBenchmark(("peak/f32/fma/threads:" + std::to_string(threads)).c_str(),
                                 run_fma_peak, threads)
        ->UseRealTime();
  }
  // The identity network's training GEMMs (forward, input gradient: 128x784x784; weight
  // gradient: 784x784x128), squares, then small shapes where packing and set-up weigh most
  // (and a thin classifier head, 128 x 10 from 784 inputs).
  const std::vector<Shape> shapes = {{128, 784, 784},    {784, 784, 128},  {256, 256, 256},
                                     {512, 512, 512},    {1024, 1024, 1024}, {2048, 2048, 2048},
                                     {16, 16, 16},       {32, 32, 32},     {64, 64, 64},
                                     {128, 10, 784}};
  register_gemm<float>("f32", shapes, thread_counts);
  register_gemm<double>("f64", shapes, thread_counts);

#ifdef SIMDGRAD_HAVE_OPENBLAS
  benchmark::AddCustomContext("openblas_core", openblas_core());
#else
  benchmark::AddCustomContext("openblas_core", "not built (libopenblas-dev missing)");
#endif
  return run_benchmarks(argc, argv);
}
