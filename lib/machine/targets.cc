#include "simdgrad/targets.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <stdexcept>

#include "hwy/highway.h"
#include "hwy/targets.h"
#include "lib/vector_kernels.h"

namespace simdgrad {
namespace {

// The targets whose MulAdd is one fused instruction; 32-bit Arm's NEON may lack it.
bool fuses_multiply_add(int64_t bit) {
#if HWY_ARCH_X86
  return bit == HWY_AVX2 || bit == HWY_AVX3 || bit == HWY_AVX3_DL;
#elif HWY_ARCH_ARM_A64
  return bit == HWY_NEON || bit == HWY_SVE || bit == HWY_SVE2 || bit == HWY_SVE_256 ||
         bit == HWY_SVE2_128;
#else
  return false;
#endif
}

SimdTarget target_of(int64_t bit) { return {bit, hwy::TargetName(bit), fuses_multiply_add(bit)}; }

// Highway lists better targets at lower bits; we report best first.
std::vector<SimdTarget> targets_in(int64_t mask) {
  std::vector<SimdTarget> out;
  for (int64_t rest = mask; rest != 0; rest &= rest - 1) out.push_back(target_of(rest & -rest));
  return out;
}

// What the CPU supports, read once before any pin can mask it.
int64_t cpu_supported_targets() {
  static const int64_t mask = hwy::SupportedTargets();
  return mask;
}

bool explicitly_pinned = false;

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
  return s;
}

// The runnable target called `name` (any case); throws naming `who` and the runnable names.
int64_t runnable_target_bit(const std::string& name, const std::string& who) {
  std::string known;
  for (const SimdTarget& t : runnable_targets()) {
    if (upper(name) == t.name) return t.bit;
    known += (known.empty() ? "" : ", ") + t.name;
  }
  throw std::invalid_argument(who + ": unknown or unsupported SIMD target '" + name +
                              "'; this CPU runs: " + known);
}

// SIMDGRAD_TARGET's bit, 0 when unset or empty. A bad value throws on every call, so no kernel
// ever runs on a target the user did not ask for.
int64_t environment_target() {
  static const int64_t bit = [] {
    const char* name = std::getenv(kTargetEnvironmentVariable);
    if (name == nullptr || *name == '\0') return int64_t{0};
    return runnable_target_bit(name, std::string(kTargetEnvironmentVariable) + "=" + name);
  }();
  return bit;
}

}  // namespace

namespace detail {
void apply_environment_target() {
  // Set even when nothing is pinned (0: every target the CPU runs): Highway 1.0.3's very first
  // dispatch on a 128-bit SVE2 CPU takes SVE2, every one after a reset SVE2_128, the best. A
  // reset before the first makes every dispatch take the best runnable target.
  static const bool applied = [] {
    hwy::SetSupportedTargetsForTest(environment_target());
    return true;
  }();
  (void)applied;
}
}  // namespace detail

std::string target_choice() {
  detail::apply_environment_target();
  if (explicitly_pinned) return "pinned by pin_target()";
  if (environment_target() != 0) return std::string("pinned by ") + kTargetEnvironmentVariable;
  return "automatic (best runnable)";
}

std::vector<SimdTarget> compiled_targets() { return targets_in(HWY_TARGETS); }

std::vector<SimdTarget> runnable_targets() {
  return targets_in(HWY_TARGETS & cpu_supported_targets());
}

SimdTarget active_target() {
  detail::apply_environment_target();
  return target_of(detail::vector_kernels_f32().target);
}

void pin_target(int64_t target) {
  if ((target & (target - 1)) != 0 || (target & HWY_TARGETS & cpu_supported_targets()) == 0) {
    throw std::invalid_argument("pin_target: target " + std::string(hwy::TargetName(target)) +
                                " is not compiled in or not supported by this CPU");
  }
  // The environment is read first, so that its pin, applied lazily, cannot undo this one.
  detail::apply_environment_target();
  hwy::SetSupportedTargetsForTest(target);
  explicitly_pinned = true;
}

void pin_target(const std::string& name) { pin_target(runnable_target_bit(name, "pin_target")); }

void unpin_target() {
  hwy::SetSupportedTargetsForTest(environment_target());
  explicitly_pinned = false;
}

}  // namespace simdgrad
