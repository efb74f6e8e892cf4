// What this copy of simdgrad is and what it runs on: version, compiler, Highway and OpenMP
// versions, SIMD targets (compiled, runnable, chosen and how), threads and cache sizes.
// `identity --version` and `simdgrad-info` print it; a benchmark or bug report should carry it.
#pragma once

#include <string>
#include <vector>

#include "simdgrad/cache_sizes.h"
#include "simdgrad/targets.h"

namespace simdgrad {

struct BuildInfo {
  std::string version;          // the linked library's version, "0.1.0"
  std::string compiler;         // the compiler that built the library, "GCC 12.2.0"
  std::string highway_version;  // "1.0.3"
  std::vector<SimdTarget> compiled_targets;
  std::vector<SimdTarget> runnable_targets;
  SimdTarget active_target;
  std::string target_choice;  // see target_choice() in targets.h
  int openmp_version = 0;     // _OPENMP of the library's build, e.g. 201511
  int threads = 0;            // num_threads()
  CacheSizes caches;          // detected_cache_sizes(): what the GEMM blocks for
};

// Throws std::invalid_argument when SIMDGRAD_TARGET names a target this CPU cannot run.
BuildInfo build_info();

// The report, one "key: value" line each.
std::string to_string(const BuildInfo& info);

}  // namespace simdgrad
