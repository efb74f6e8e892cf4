// GEMM throughput with simdgrad: times gemm() on a few shapes and prints GFLOP/s next to the
// machine's FMA peak, measured in the same run, and the SIMD target in use.
//
//   gemm_throughput [repetitions]      (SIMDGRAD_TARGET=AVX2 gemm_throughput compares targets)
#include <simdgrad/simdgrad.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>

namespace {

using namespace simdgrad;

Matrix<float> random_matrix(size_t rows, size_t cols, unsigned seed) {
  Matrix<float> m(rows, cols);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  for (size_t i = 0; i < m.size(); ++i) m.data()[i] = uniform(rng);
  return m;
}

// Best wall time of `repetitions` calls: the least disturbed run on a shared machine.
template <class Fn>
double best_seconds(int repetitions, Fn&& fn) {
  double best = 1e30;
  for (int i = 0; i < repetitions; ++i) {
    const auto start = std::chrono::steady_clock::now();
    fn();
    best = std::min(
        best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  const int repetitions = argc > 1 ? std::atoi(argv[1]) : 10;
  if (repetitions < 1) {
    std::fprintf(stderr, "usage: gemm_throughput [repetitions >= 1]\n");
    return 2;
  }
  try {
    const BuildInfo info = build_info();
    const double peak = measure_fma_peak_gflops(info.threads);
    std::printf("simdgrad %s, SIMD target %s (%s), %d threads\n", info.version.c_str(),
                info.active_target.name.c_str(), info.target_choice.c_str(), info.threads);
    std::printf("measured FMA peak: %.1f GFLOP/s (float)\n\n", peak);
    std::printf("%-6s %-16s %10s %12s %8s\n", "op", "M x N x K", "ms", "GFLOP/s", "of peak");

    struct Case {
      Transpose ta, tb;
      size_t m, n, k;
      const char* name;
    };
    const Case cases[] = {{Transpose::kNo, Transpose::kYes, 128, 784, 784, "NT"},
                          {Transpose::kNo, Transpose::kNo, 128, 784, 784, "NN"},
                          {Transpose::kYes, Transpose::kNo, 784, 784, 128, "TN"},
                          {Transpose::kNo, Transpose::kNo, 1024, 1024, 1024, "NN"}};
    for (const Case& c : cases) {
      // op(A) is M x K and op(B) is K x N: a transposed operand is stored the other way round.
      const Matrix<float> a =
          c.ta == Transpose::kNo ? random_matrix(c.m, c.k, 1) : random_matrix(c.k, c.m, 1);
      const Matrix<float> b =
          c.tb == Transpose::kNo ? random_matrix(c.k, c.n, 2) : random_matrix(c.n, c.k, 2);
      Matrix<float> out(c.m, c.n);
      const double seconds =
          best_seconds(repetitions, [&] { gemm<float>(c.ta, c.tb, 1.0f, a, b, 0.0f, out); });
      const double gflops = 2.0 * double(c.m) * double(c.n) * double(c.k) / seconds * 1e-9;
      char shape[32];
      std::snprintf(shape, sizeof shape, "%zux%zux%zu", c.m, c.n, c.k);
      std::printf("%-6s %-16s %10.3f %12.1f %7.0f%%\n", c.name, shape, seconds * 1e3, gflops,
                  100.0 * gflops / peak);
    }
  } catch (const std::exception& e) {  // a bad SIMDGRAD_TARGET, for one
    std::fprintf(stderr, "gemm_throughput: %s\n", e.what());
    return 2;
  }
  return 0;
}
