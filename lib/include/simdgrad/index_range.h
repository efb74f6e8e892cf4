// Half-open index ranges and the balanced split every parallel piece of simdgrad uses: a GEMM
// team's tiles, a process's share of a gradient, a thread's share of a copy.
#pragma once

#include <algorithm>
#include <cstddef>

namespace simdgrad {

// n / d rounded up (d > 0).
constexpr size_t div_ceil(size_t n, size_t d) { return (n + d - 1) / d; }
// The smallest multiple of `multiple` that is at least n (multiple > 0).
constexpr size_t round_up(size_t n, size_t multiple) { return div_ceil(n, multiple) * multiple; }

// Indices [begin, end).
struct IndexRange {
  size_t begin = 0, end = 0;

  constexpr size_t size() const { return end - begin; }
  constexpr bool empty() const { return end == begin; }
  // The indices both ranges hold; empty, at the nearer edge of `within`, when they are disjoint.
  constexpr IndexRange clamped_to(IndexRange within) const {
    const size_t first = std::clamp(begin, within.begin, within.end);
    return {first, std::clamp(end, first, within.end)};
  }
  // The same range seen from `origin`: [begin - origin, end - origin).
  constexpr IndexRange relative_to(size_t origin) const { return {begin - origin, end - origin}; }
  friend constexpr bool operator==(IndexRange, IndexRange) = default;
};

// Part `part` of `parts` contiguous parts of `whole`, in order: [n p / P, n (p + 1) / P) from
// whole.begin, so part sizes differ by at most one and the boundaries depend on n and P alone
// (as OpenMP's static schedule: a thread's items are neighbours).
constexpr IndexRange balanced_part(IndexRange whole, size_t part, size_t parts) {
  const size_t n = whole.size();
  return {whole.begin + n * part / parts, whole.begin + n * (part + 1) / parts};
}
constexpr IndexRange balanced_part(size_t count, size_t part, size_t parts) {
  return balanced_part(IndexRange{0, count}, part, parts);
}

}  // namespace simdgrad
