#include "simdgrad/build_info.h"

#include "hwy/highway.h"
#include "simdgrad/threading.h"
#include "simdgrad/version.h"

namespace simdgrad {
namespace {

std::string compiler_name() {
#if defined(__clang__)
  return "Clang " __clang_version__;
#elif defined(__GNUC__)
  return "GCC " __VERSION__;
#else
  return "unknown";
#endif
}

// The version of the OpenMP specification an _OPENMP date stands for.
std::string openmp_spec(int date) {
  struct Known {
    int date;
    const char* spec;
  };
  static constexpr Known known[] = {{202111, "5.2"}, {202011, "5.1"}, {201811, "5.0"},
                                    {201511, "4.5"}, {201307, "4.0"}, {201107, "3.1"},
                                    {200805, "3.0"}};
  for (const Known& k : known) {
    if (date >= k.date) return k.spec;
  }
  return "before 3.0";
}

std::string names(const std::vector<SimdTarget>& targets) {
  std::string out;
  for (const SimdTarget& t : targets) out += (out.empty() ? "" : " ") + t.name;
  return out;
}

}  // namespace

BuildInfo build_info() {
  BuildInfo info;
  info.version = SIMDGRAD_VERSION_STRING;
  info.compiler = compiler_name();
  info.highway_version =
      std::to_string(HWY_MAJOR) + "." + std::to_string(HWY_MINOR) + "." + std::to_string(HWY_PATCH);
  info.compiled_targets = compiled_targets();
  info.runnable_targets = runnable_targets();
  info.active_target = active_target();
  info.target_choice = target_choice();
  info.openmp_version = _OPENMP;
  info.threads = num_threads();
  info.caches = detected_cache_sizes();
  return info;
}

std::string to_string(const BuildInfo& info) {
  return "simdgrad:              " + info.version + "\n" +
         "compiler:              " + info.compiler + "\n" +
         "Highway:               " + info.highway_version + "\n" +
         "OpenMP:                " + openmp_spec(info.openmp_version) + " (" +
         std::to_string(info.openmp_version) + ")\n" +
         "SIMD targets compiled: " + names(info.compiled_targets) + "\n" +
         "SIMD targets runnable: " + names(info.runnable_targets) + "\n" +
         "SIMD target in use:    " + info.active_target.name + ", " + info.target_choice + "\n" +
         "threads:               " + std::to_string(info.threads) + "\n" +
         "caches:                " + to_string(info.caches) + "\n";
}

}  // namespace simdgrad
