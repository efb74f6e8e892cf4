// GEMM throughput (GFLOP/s, wall clock) of simdgrad next to OpenBLAS in the same run, plus the
// measured FMA peak of the machine; each float GEMM also placed on the roofline measured by the
// same binary (arithmetic_intensity, roofline_fraction: the share of what the peak and the
// level its operands fit in allow).
//
//   build/release/bench/bench_gemm --benchmark_repetitions=5
//     --benchmark_enable_random_interleaving=true --benchmark_filter=128x784x784
//
// Names: gemm/<f32|f64>/<NN|NT|TN>/<M>x<N>x<K>/threads:<n>[/openblas]; peak/f32/fma/threads:<n>.
//
// --simd_targets=AVX3,AVX2 (or =all) measures simdgrad's GEMM and the FMA peak once per SIMD
// target, pinned for that benchmark alone, in one binary and one run: the names gain
// /target:<name>. Without it the target in use runs (the best one, or SIMDGRAD_TARGET's).
#include <benchmark/benchmark.h>
#include <omp.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "bench/bench_main.h"
#include "bench/openblas_reference.h"
#include "bench/random_matrix.h"
#include "simdgrad/bench/roofline_counters.h"
#include "simdgrad/fma_peak.h"
#include "simdgrad/gemm.h"
#include "simdgrad/targets.h"
#include "simdgrad/threading.h"

namespace simdgrad::bench {
namespace {

struct Shape {
  size_t m, n, k;
};

void set_gflops(benchmark::State& state, double flop_per_iteration) {
  state.counters["GFLOPS"] =
      benchmark::Counter(flop_per_iteration * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

// Pins `target` (a Highway bit; 0: none) while one benchmark runs.
struct BenchmarkTargetPin {
  explicit BenchmarkTargetPin(int64_t target) : pinned(target != 0) {
    if (pinned) pin_target(target);
  }
  ~BenchmarkTargetPin() {
    if (pinned) unpin_target();
  }
  bool pinned;
};

template <class T, bool kOpenBlas>
void run_gemm(benchmark::State& state, Transpose ta, Transpose tb, Shape s, int threads,
              int64_t target) {
  const BenchmarkTargetPin pin(target);
  Matrix<T> a = ta == Transpose::kYes ? random_matrix<T>(s.k, s.m) : random_matrix<T>(s.m, s.k);
  Matrix<T> b = tb == Transpose::kYes ? random_matrix<T>(s.n, s.k) : random_matrix<T>(s.k, s.n);
  Matrix<T> c(s.m, s.n);
  set_num_threads(threads);
#ifdef SIMDGRAD_HAVE_OPENBLAS
  openblas_set_num_threads(threads);
#endif
  const auto call = [&] {
    if constexpr (kOpenBlas) {
#ifdef SIMDGRAD_HAVE_OPENBLAS
      openblas_gemm(ta, tb, T(1), a.view(), b.view(), T(0), c.view());
#endif
    } else {
      gemm<T>(ta, tb, T(1), a, b, T(0), c);
    }
    benchmark::DoNotOptimize(c.data());
    benchmark::ClobberMemory();
  };
  const double flops = 2.0 * double(s.m) * double(s.n) * double(s.k);
  if constexpr (sizeof(T) == 4) {
    // On the float roofline: A, B and C each moved once, in the level they fit in together.
    const double bytes = double(s.m * s.k + s.k * s.n + s.m * s.n) * sizeof(T);
    run_on_roofline(state, flops, bytes, level_of(size_t(bytes) / size_t(threads), threads),
                    threads, call);
  } else {
    for (auto _ : state) call();
  }
  set_gflops(state, flops);
}

void run_fma_peak(benchmark::State& state, int threads, int64_t target) {
  const BenchmarkTargetPin pin(target);
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

// The targets to measure one by one: {0, ""} (the one in use) unless --simd_targets is given.
struct TargetChoice {
  int64_t bit;
  std::string suffix;  // "/target:AVX2", or empty
};

template <class T>
void register_gemm(const char* precision, const std::vector<Shape>& shapes,
                   const std::vector<int>& thread_counts,
                   const std::vector<TargetChoice>& targets) {
  const std::pair<Transpose, Transpose> pairs[] = {{Transpose::kNo, Transpose::kNo},
                                                   {Transpose::kNo, Transpose::kYes},
                                                   {Transpose::kYes, Transpose::kNo}};
  for (const Shape& s : shapes) {
    for (auto [ta, tb] : pairs) {
      for (int threads : thread_counts) {
        const std::string name = std::string("gemm/") + precision + "/" + transpose_name(ta, tb) +
                                 "/" + std::to_string(s.m) + "x" + std::to_string(s.n) + "x" +
                                 std::to_string(s.k) + "/threads:" + std::to_string(threads);
        for (const TargetChoice& target : targets) {
          benchmark::RegisterBenchmark((name + target.suffix).c_str(), run_gemm<T, false>, ta, tb,
                                       s, threads, target.bit)
              ->UseRealTime()
              ->Unit(benchmark::kMillisecond);
        }
#ifdef SIMDGRAD_HAVE_OPENBLAS
        benchmark::RegisterBenchmark((name + "/openblas").c_str(), run_gemm<T, true>, ta, tb, s,
                                     threads, int64_t{0})
            ->UseRealTime()
            ->Unit(benchmark::kMillisecond);
#endif
      }
    }
  }
}

// Takes --simd_targets=LIST out of argv (Google Benchmark rejects flags it does not know).
// Throws std::invalid_argument for a name this CPU cannot run.
std::vector<TargetChoice> take_target_flag(int& argc, char** argv) {
  std::string list;
  if (!take_flag(argc, argv, "--simd_targets", &list)) return {{0, ""}};
  std::vector<std::string> names;
  if (list == "all") {
    for (const SimdTarget& t : runnable_targets()) names.push_back(t.name);
  } else {
    for (size_t start = 0; start <= list.size();) {
      const size_t comma = std::min(list.find(',', start), list.size());
      names.push_back(list.substr(start, comma - start));
      start = comma + 1;
    }
  }
  std::vector<TargetChoice> out;
  for (const std::string& name : names) {
    pin_target(name);  // validates the name
    const SimdTarget t = active_target();
    unpin_target();
    out.push_back({t.bit, "/target:" + t.name});
  }
  return out;
}

}  // namespace
}  // namespace simdgrad::bench

int main(int argc, char** argv) {
  using namespace simdgrad;
  using namespace simdgrad::bench;
  const std::vector<int> thread_counts = benchmark_thread_counts();
  std::vector<TargetChoice> targets;
  try {
    targets = take_target_flag(argc, argv);
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "bench_gemm: %s\n", e.what());
    return 2;
  }

  for (const TargetChoice& target : targets) {
    for (int threads : thread_counts) {
      benchmark::RegisterBenchmark(
          ("peak/f32/fma/threads:" + std::to_string(threads) + target.suffix).c_str(), run_fma_peak,
          threads, target.bit)
          ->UseRealTime();
    }
  }
  // The identity network's training GEMMs (forward, input gradient: 128x784x784; weight
  // gradient: 784x784x128), squares, then small shapes where packing and set-up weigh most
  // (and a thin classifier head, 128 x 10 from 784 inputs).
  const std::vector<Shape> shapes = {
      {128, 784, 784},    {784, 784, 128}, {256, 256, 256}, {512, 512, 512}, {1024, 1024, 1024},
      {2048, 2048, 2048}, {16, 16, 16},    {32, 32, 32},    {64, 64, 64},    {128, 10, 784}};
  register_gemm<float>("f32", shapes, thread_counts, targets);
  register_gemm<double>("f64", shapes, thread_counts, targets);

#ifdef SIMDGRAD_HAVE_OPENBLAS
  benchmark::AddCustomContext("openblas_core", openblas_core());
#else
  benchmark::AddCustomContext("openblas_core", "not built (libopenblas-dev missing)");
#endif
  return run_benchmarks(argc, argv);
}
