#include <catch2/catch.hpp>

#include <algorithm>

#include "simdgrad/targets.h"
#include "tests/support/target_names.h"

namespace simdgrad::testing {

TEST_CASE("the library runs one of its compiled targets and can pin each by name", "[kernels]") {
  const auto compiled = compiled_targets();
  const auto runnable = runnable_targets();
  REQUIRE(runnable.size() >= 1);
  REQUIRE(runnable.size() <= compiled.size());
  // Unpinned, the best runnable target runs.
  const SimdTarget automatic = active_target();
  REQUIRE(automatic.bit == runnable.front().bit);
  for (const SimdTarget& t : runnable) {
    std::string lower = t.name;
    std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
    pin_target(lower);
    CHECK(active_target().name == t.name);
    unpin_target();
  }
  REQUIRE(active_target().bit == automatic.bit);
}

TEST_CASE("pinning an unknown target names the targets this CPU runs", "[kernels]") {
  std::string names;
  for (const SimdTarget& t : runnable_targets()) names += (names.empty() ? "" : ", ") + t.name;
  const std::string foreign = kForeignTarget;
  REQUIRE_THROWS_WITH(pin_target(foreign), "pin_target: unknown or unsupported SIMD target '" +
                                               foreign + "'; this CPU runs: " + names);
}

}  // namespace simdgrad::testing
