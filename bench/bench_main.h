// What every benchmark program shares: the thread counts it measures, and running Google
// Benchmark with the context lines that make a figure interpretable.
#pragma once

#include <benchmark/benchmark.h>
#include <omp.h>

#include <string>
#include <vector>

#include "simdgrad/targets.h"

namespace simdgrad::bench {

// One thread, and all cores when there is more than one.
inline std::vector<int> benchmark_thread_counts() {
  std::vector<int> counts = {1};
  if (omp_get_num_procs() > 1) counts.push_back(omp_get_num_procs());
  return counts;
}

// Takes `--name` or `--name=value` out of argv; returns whether it was there.
inline bool take_flag(int& argc, char** argv, const std::string& name, std::string* value) {
  bool found = false;
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == name || arg.rfind(name + "=", 0) == 0) {
      found = true;
      if (value && arg.size() > name.size()) *value = arg.substr(name.size() + 1);
      continue;
    }
    argv[kept++] = argv[i];
  }
  argc = kept;
  return found;
}

// Runs the registered benchmarks; returns the exit code (2 for unknown arguments).
inline int run_benchmarks(int argc, char** argv) {
  benchmark::AddCustomContext("simd_target", active_target().name);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

}  // namespace simdgrad::bench
