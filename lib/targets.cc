#include "lib/targets.h"

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "hwy/highway.h"
#include "hwy/targets.h"
#include "lib/vector_kernels.h"

namespace simdgrad {
namespace {

// Highway lists better targets at lower bits; we report best first.
std::vector<SimdTarget> targets_in(int64_t mask) {
  std::vector<SimdTarget> out;
  for (int64_t rest = mask; rest != 0; rest &= rest - 1) {
    const int64_t bit = rest & -rest;
    out.push_back({bit, hwy::TargetName(bit)});
  }
  return out;
}

// What the CPU supports, read once before any pin can mask it.
int64_t cpu_supported_targets() {
  static const int64_t mask = hwy::SupportedTargets();
  return mask;
}

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
  return s;
}

}  // namespace

std::vector<SimdTarget> compiled_targets() { return targets_in(HWY_TARGETS); }

std::vector<SimdTarget> runnable_targets() {
  return targets_in(HWY_TARGETS & cpu_supported_targets());
}

SimdTarget active_target() {
  const int64_t bit = detail::vector_kernels_f32().target;
  return {bit, hwy::TargetName(bit)};
}

void pin_target(int64_t target) {
  if ((target & (target - 1)) != 0 || (target & HWY_TARGETS & cpu_supported_targets()) == 0) {
    throw std::invalid_argument("pin_target: target " + std::string(hwy::TargetName(target)) +
                                " is not compiled in or not supported by this CPU");
  }
  hwy::SetSupportedTargetsForTest(target);
}

void pin_target(const std::string& name) {
  std::string known;
  for (const SimdTarget& t : runnable_targets()) {
    if (upper(name) == t.name) return pin_target(t.bit);
    known += (known.empty() ? "" : ", ") + t.name;
  }
  throw std::invalid_argument("pin_target: unknown or unsupported SIMD target '" + name +
                              "'; this CPU runs: " + known);
}

void unpin_target() { hwy::SetSupportedTargetsForTest(0); }

}  // namespace simdgrad
