// Assertions for tests run under mpiexec, made by every rank together. A REQUIRE that fails on
// one rank alone sends that rank on to the next test while the others wait for it in a
// collective: the job hangs until its timeout, and the failure is lost with the output of the
// ranks that do not report. Here the ranks first agree on pass or fail, so all pass or all fail
// at the same point, and every failing rank's message is in the report.
#pragma once

#include <catch2/catch.hpp>

#include <sstream>
#include <string>

namespace simdgrad::testing {

// Collective. `failure` is empty where this rank passed. Returns every failing rank's failure,
// one line each, "rank R: <failure>", in rank order; empty when every rank passed.
std::string failures_on_every_rank(const std::string& failure);

}  // namespace simdgrad::testing

// REQUIRE(condition) on every rank at once: fails on every rank if it fails on any, with each
// failing rank's `message` (a stream expression: "step " << s) in the report. Collective.
#define REQUIRE_ON_EVERY_RANK(condition, message)                             \
  do {                                                                        \
    std::ostringstream simdgrad_failure_;                                     \
    if (!(condition)) simdgrad_failure_ << #condition << ": " << message;     \
    const std::string simdgrad_failures_ =                                    \
        ::simdgrad::testing::failures_on_every_rank(simdgrad_failure_.str()); \
    INFO(simdgrad_failures_);                                                 \
    REQUIRE(simdgrad_failures_.empty());                                      \
  } while (false)
