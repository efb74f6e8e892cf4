// Target names for the tests of pinning and of bad SIMDGRAD_TARGET values, per architecture:
// one this CPU always runs without being its best (pinned by the environment in the tests'
// CMake file, lower case on purpose), and one no CPU of this architecture runs.
#pragma once

namespace simdgrad::testing {

#if defined(__aarch64__)
inline constexpr const char* kAlwaysRunnableTarget = "NEON";
inline constexpr const char* kForeignTarget = "AVX2";
#else
inline constexpr const char* kAlwaysRunnableTarget = "SSE4";
inline constexpr const char* kForeignTarget = "NEON";
#endif

}  // namespace simdgrad::testing
