// build_info() and the SIMDGRAD_TARGET environment variable. The variable is read once per
// process, so its cases are hidden ([.]) and run by CTest in processes of their own with the
// variable set (tests/lib/CMakeLists.txt).
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cctype>
#include <fstream>

#include <cstdlib>
#include <string>

#include "simdgrad/build_info.h"
#include "simdgrad/cache_sizes.h"
#include "simdgrad/reductions.h"
#include "simdgrad/threading.h"
#include "simdgrad/version.h"
#include "tests/support/target_names.h"

namespace simdgrad::testing {
namespace {
std::string names(const std::vector<SimdTarget>& targets) {
  std::string out;
  for (const SimdTarget& t : targets) out += (out.empty() ? "" : ", ") + t.name;
  return out;
}

// A kernel call; returns the sum so it cannot be optimized away.
float run_a_kernel() {
  Matrix<float> x(3, 5);
  x(2, 4) = 1.5f;
  return sum<float>(x);
}
}  // namespace

TEST_CASE("build_info reports the version, toolchain, targets and threads in use", "[lib]") {
  const BuildInfo info = build_info();
  REQUIRE(info.version == SIMDGRAD_VERSION_STRING);
  REQUIRE(info.highway_version.rfind("1.", 0) == 0);
  REQUIRE(info.compiler.rfind("GCC ", 0) == 0);
  REQUIRE(info.openmp_version >= 201511);
  REQUIRE(info.threads == num_threads());
  REQUIRE(names(info.compiled_targets) == names(compiled_targets()));
  REQUIRE(names(info.runnable_targets) == names(runnable_targets()));
  REQUIRE(info.active_target.name == active_target().name);
  REQUIRE(info.target_choice == "automatic (best runnable)");
  for (const CacheLevel* level : {&info.caches.l1d, &info.caches.l2, &info.caches.l3}) {
    REQUIRE(level->bytes > 0);
    REQUIRE((level->source == "sysfs" || level->source == "sysconf" || level->source == "default"));
  }

  const std::string report = to_string(info);
  REQUIRE_THAT(report, Catch::Contains("simdgrad:              " + info.version + "\n"));
  REQUIRE_THAT(report, Catch::Contains("OpenMP:                4.5 (201511)\n") ||
                           Catch::Contains("OpenMP:                5."));
  REQUIRE_THAT(report, Catch::Contains("SIMD target in use:    " + info.active_target.name +
                                       ", automatic (best runnable)\n"));
  REQUIRE_THAT(report, Catch::Contains("caches:                " + to_string(info.caches) + "\n"));
}

TEST_CASE("cache sizes come from sysfs where it has them, else from sysconf", "[lib]") {
  const CacheSizes& sizes = detected_cache_sizes();
  std::ifstream sysfs_l1("/sys/devices/system/cpu/cpu0/cache/index0/size");
  if (sysfs_l1) {
    REQUIRE(sizes.l1d.source == "sysfs");
  } else {
#if defined(_SC_LEVEL1_DCACHE_SIZE)
    if (sysconf(_SC_LEVEL1_DCACHE_SIZE) > 0) {
      REQUIRE(sizes.l1d.source == "sysconf");
      REQUIRE(sizes.l1d.bytes == size_t(sysconf(_SC_LEVEL1_DCACHE_SIZE)));
    }
#endif
  }
  REQUIRE_THAT(to_string(sizes), Catch::StartsWith("L1d "));
}

TEST_CASE("an explicit pin is reported as such and unpinning restores the automatic choice",
          "[lib]") {
  const SimdTarget automatic = active_target();
  const SimdTarget last = runnable_targets().back();
  pin_target(last.bit);
  REQUIRE(build_info().active_target.name == last.name);
  REQUIRE(build_info().target_choice == "pinned by pin_target()");
  unpin_target();
  REQUIRE(build_info().target_choice == "automatic (best runnable)");
  REQUIRE(active_target().name == automatic.name);
}

// Run with SIMDGRAD_TARGET=sse4 (neon on aarch64; lower case on purpose).
TEST_CASE("SIMDGRAD_TARGET pins the target every kernel runs on", "[.target-environment]") {
  const char* value = std::getenv("SIMDGRAD_TARGET");
  REQUIRE(value != nullptr);
  std::string pinned = kAlwaysRunnableTarget;
  for (char& c : pinned) c = char(std::tolower(static_cast<unsigned char>(c)));
  REQUIRE(std::string(value) == pinned);
  REQUIRE(run_a_kernel() == 1.5f);
  REQUIRE(active_target().name == kAlwaysRunnableTarget);
  REQUIRE(target_choice() == "pinned by SIMDGRAD_TARGET");
  REQUIRE(build_info().active_target.name == kAlwaysRunnableTarget);
  // An explicit pin overrides the variable; unpinning returns to it, not to the best target.
  pin_target(runnable_targets().front().bit);
  REQUIRE(active_target().name == runnable_targets().front().name);
  unpin_target();
  REQUIRE(active_target().name == kAlwaysRunnableTarget);
  REQUIRE(target_choice() == "pinned by SIMDGRAD_TARGET");
}

// Run with SIMDGRAD_TARGET=NEON, which no x86 CPU runs (AVX2 on aarch64).
TEST_CASE("an unknown SIMDGRAD_TARGET is an error at the first kernel, every time",
          "[.target-environment-invalid]") {
  const std::string foreign = kForeignTarget;
  const std::string expected = "SIMDGRAD_TARGET=" + foreign +
                               ": unknown or unsupported SIMD target '" + foreign +
                               "'; this CPU runs: " + names(runnable_targets());
  REQUIRE_THROWS_WITH(run_a_kernel(), expected);
  REQUIRE_THROWS_WITH(run_a_kernel(), expected);
  REQUIRE_THROWS_WITH(active_target(), expected);
  REQUIRE_THROWS_WITH(build_info(), expected);
}

}  // namespace simdgrad::testing
