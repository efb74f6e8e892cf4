// Runs a test body once per SIMD target this CPU can run, with that target pinned, after
// proving that the pinned target is the one whose kernels run (a pin can silently fall back).
#pragma once

#include <catch2/catch.hpp>

#include "simdgrad/targets.h"

namespace simdgrad::testing {

template <class Body>
void for_each_target(Body&& body) {
  const auto targets = runnable_targets();
  REQUIRE_FALSE(targets.empty());
  for (const SimdTarget& target : targets) {
    ScopedTargetPin pin(target.bit);
    INFO("SIMD target " << target.name);
    REQUIRE(active_target().bit == target.bit);
    body(target);
  }
}

}  // namespace simdgrad::testing
