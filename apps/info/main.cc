// simdgrad-info: what this machine gets from simdgrad. The build report (version, compiler,
// Highway, OpenMP, the SIMD targets compiled in and the one chosen at run time, threads), then
// a quick GEMM and ReLU throughput line; with --roofline, the machine's measured roofline
// instead (the FMA peak and the bandwidth of each cache level and of memory). Exit codes: 0
// done, 2 bad flag or value (a bad --target or SIMDGRAD_TARGET included).
#include <omp.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>

#include "simdgrad/build_info.h"
#include "simdgrad/cache_sizes.h"
#include "simdgrad/elementwise.h"
#include "simdgrad/gemm.h"
#include "simdgrad/roofline.h"
#include "simdgrad/targets.h"
#include "simdgrad/threading.h"

namespace {

using Clock = std::chrono::steady_clock;

// Best-of-`repetitions` wall time of fn, in seconds (best-of filters a noisy shared machine).
template <class Fn>
double best_seconds(int repetitions, Fn&& fn) {
  double best = 1e30;
  for (int i = 0; i < repetitions; ++i) {
    const auto start = Clock::now();
    fn();
    best = std::min(best, std::chrono::duration<double>(Clock::now() - start).count());
  }
  return best;
}

void report() {
  using namespace simdgrad;
  std::fputs(to_string(build_info()).c_str(), stdout);

  // The forward GEMM of one identity-network layer: batch 128 x 784 inputs, W 784 x 784.
  const size_t m = 128, n = 784, k = 784;
  Matrix<float> x(m, k), w(n, k), y(m, n);
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (size_t i = 0; i < x.size(); ++i) x.data()[i] = dist(rng);
  for (size_t i = 0; i < w.size(); ++i) w.data()[i] = dist(rng);
  const double gemm_s =
      best_seconds(20, [&] { matmul<float>(x, Transpose::kNo, w, Transpose::kYes, y); });
  std::printf("GEMM f32 NT %zux%zux%zu: %.1f GFLOP/s (best of 20)\n", m, n, k,
              2.0 * m * n * k / gemm_s * 1e-9);

  Matrix<float> a(1 << 12, 1 << 12), b(1 << 12, 1 << 12);
  fill(a.view(), -0.5f);
  const double relu_s = best_seconds(10, [&] { relu<float>(a, b); });
  std::printf("ReLU f32 16M elements: %.1f GB/s (best of 10, read + write)\n",
              2.0 * a.size() * sizeof(float) / relu_s * 1e-9);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"simdgrad-info: SIMD targets, threads and a quick throughput check"};
  int threads = 0;
  std::string target;
  bool roofline = false;
  app.add_option("--threads", threads, "threads to use (default: all cores)")
      ->check(CLI::Range(1, 1024));
  app.add_flag("--roofline", roofline,
               "measure the roofline: the FMA peak and the read, write, copy, triad and update "
               "bandwidth of L1d, L2, L3 and memory at --threads, at most the cores (about 4 s)");
  app.add_option("--target", target,
                 "pin a SIMD target by name, e.g. AVX2 (as SIMDGRAD_TARGET does)");
  try {
    app.parse(argc, argv);
    // A roofline of more threads than cores would measure time slices, not the machine.
    if (roofline && threads > omp_get_num_procs()) {
      throw std::invalid_argument("--threads: " + std::to_string(threads) + " is more than the " +
                                  std::to_string(omp_get_num_procs()) +
                                  " cores of this machine, which --roofline measures");
    }
    if (threads > 0) simdgrad::set_num_threads(threads);
    if (!target.empty()) simdgrad::pin_target(target);
    simdgrad::active_target();  // a bad SIMDGRAD_TARGET fails here, before any output
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "simdgrad-info: %s\n", e.what());
    return 2;
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "simdgrad-info: %s\n", e.what());
    return 2;
  }
  if (roofline) {
    std::printf("SIMD target %s, caches %s\n", simdgrad::active_target().name.c_str(),
                simdgrad::to_string(simdgrad::detected_cache_sizes()).c_str());
    std::fputs(simdgrad::to_string(simdgrad::measure_roofline()).c_str(), stdout);
    return 0;
  }
  report();
  return 0;
}
