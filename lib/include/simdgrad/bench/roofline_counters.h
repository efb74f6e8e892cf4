// Google Benchmark counters that place a benchmark on the machine's measured roofline, for
// simdgrad's own benchmarks and for a user's (header-only; needs <benchmark/benchmark.h>, so
// <simdgrad/simdgrad.h> does not include it).
//
//   static void BM_softmax(benchmark::State& state) {
//     simdgrad::bench::run_on_roofline(state, flops_per_call, bytes_per_call,
//                                      simdgrad::level_of(bytes_per_call, 1), 1,
//                                      [&] { softmax(x, y); });
//   }
//   BENCHMARK(BM_softmax);
//
// Counters: arithmetic_intensity (FLOP per byte moved), roofline_fraction (the roofline's
// least time for the iterations run over the wall time they took: 1 is the roof) and
// roof_GFLOPs (the bound itself, as GFLOP/s), and the roofline those come from, peak_GFLOPs
// and level_GBps (bench/plot_roofline.py draws it); the label names the level. The roofline of each
// thread count is measured once per process, by the first benchmark that asks (about 4 s, outside
// its timing).
#pragma once

#include <benchmark/benchmark.h>

#include <chrono>
#include <map>
#include <mutex>

#include "simdgrad/roofline.h"
#include "simdgrad/threading.h"

namespace simdgrad::bench {

// The roofline of `threads` threads (< 1: num_threads()), measured on first use.
inline const Roofline& roofline_for(int threads) {
  static std::mutex lock;
  static std::map<int, Roofline> measured;
  if (threads < 1) threads = num_threads();
  const std::lock_guard<std::mutex> hold(lock);
  auto it = measured.find(threads);
  if (it == measured.end()) it = measured.emplace(threads, measure_roofline(threads)).first;
  return it->second;
}

// After a timed loop that took `seconds` of wall time: `flops` and `bytes` per iteration, the
// level the data live in, the threads the iterations ran on.
inline void roofline_counters(benchmark::State& state, double flops, double bytes,
                              MemoryLevel level, int threads, double seconds) {
  const Roofline& roof = roofline_for(threads);
  const double bound = roof.bound_seconds(flops, bytes, level);
  state.counters["arithmetic_intensity"] = benchmark::Counter(bytes > 0 ? flops / bytes : 0);
  state.counters["roofline_fraction"] =
      benchmark::Counter(seconds > 0 ? bound * double(state.iterations()) / seconds : 0);
  state.counters["roof_GFLOPs"] = benchmark::Counter(bound > 0 ? flops / bound * 1e-9 : 0);
  // The roofline itself, for plots: the peak and the level's bandwidth.
  state.counters["peak_GFLOPs"] = benchmark::Counter(roof.fma_peak_gflops);
  state.counters["level_GBps"] = benchmark::Counter(roof.at(level).roof());
  state.SetLabel(to_string(level));
}

// The timed loop and the counters in one: body() once per iteration.
template <class Body>
void run_on_roofline(benchmark::State& state, double flops, double bytes, MemoryLevel level,
                     int threads, Body&& body) {
  const auto start = std::chrono::steady_clock::now();
  for (auto _ : state) body();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  roofline_counters(state, flops, bytes, level, threads, seconds);
}

}  // namespace simdgrad::bench
