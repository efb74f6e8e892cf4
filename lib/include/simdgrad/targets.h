// Which SIMD targets simdgrad was compiled for, which one runs, and pinning one.
//
// One binary carries every target gcc can compile here (AVX3 = AVX-512, AVX2, SSE4, SSSE3,
// SCALAR ...) and picks the best one the CPU supports at run time. Pinning narrows that choice
// to a single target, for tests (every kernel is tested on every target) and for users who
// want to compare targets.
//
// The environment variable SIMDGRAD_TARGET (a name, any case: SIMDGRAD_TARGET=AVX2) pins the
// target for every program using the library, read once before the first kernel runs. An
// unknown or unrunnable name is an error, never a silent fallback: the first kernel call (and
// active_target(), build_info()) throws std::invalid_argument naming the value and the targets
// this CPU runs. pin_target() overrides the variable; unpin_target() returns to it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace simdgrad {

struct SimdTarget {
  int64_t bit;       // Highway's HWY_* target bit
  std::string name;  // "AVX3", "AVX2", "SSE4", ...
  // Whether its kernels' multiply-adds round once (AVX2, AVX-512, aarch64's NEON and SVE).
  // Every target with fused multiply-add gives the same bits (docs/reproducibility.md); the
  // others (SSE4, SSSE3, the emulated and scalar ones) round twice and give other bits.
  bool fused_multiply_add = false;
};

inline constexpr const char* kTargetEnvironmentVariable = "SIMDGRAD_TARGET";

// Every target compiled into the library, best first.
std::vector<SimdTarget> compiled_targets();
// The compiled targets this CPU can run, best first (independent of any pin).
std::vector<SimdTarget> runnable_targets();
// The target whose kernels run now, as reported by the dispatched kernels themselves.
SimdTarget active_target();
// How that target was chosen: automatically, by SIMDGRAD_TARGET, or by pin_target().
std::string target_choice();

// Restricts dispatch to `target` (a runnable target's bit); throws std::invalid_argument for a
// target that is not compiled in or not supported by this CPU. unpin_target() restores the
// choice of SIMDGRAD_TARGET, or the automatic one. Not thread-safe: pin before starting work.
void pin_target(int64_t target);
// By name, case-insensitive ("avx2"); the error message lists the runnable names.
void pin_target(const std::string& name);
void unpin_target();

// Pins a target for the lifetime of the object.
class ScopedTargetPin {
 public:
  explicit ScopedTargetPin(int64_t target) { pin_target(target); }
  ~ScopedTargetPin() { unpin_target(); }
  ScopedTargetPin(const ScopedTargetPin&) = delete;
  ScopedTargetPin& operator=(const ScopedTargetPin&) = delete;
};

namespace detail {
// Applies SIMDGRAD_TARGET once (every kernel table getter calls it; cheap after the first call).
void apply_environment_target();
}  // namespace detail

}  // namespace simdgrad
