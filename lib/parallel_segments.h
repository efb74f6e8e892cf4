// Splits an elementwise job over a rows x cols region into segments whose boundaries depend on
// the shape only (see threading.h), and runs them on an OpenMP team when the job is large.
#pragma once

#include <omp.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <vector>

#include "simdgrad/index_range.h"
#include "simdgrad/threading.h"

namespace simdgrad {

struct Segment {
  size_t index;   // position in the fixed order of segments (row-major)
  size_t row;     // row of the region (0 when the region is treated as one flat row)
  size_t col;     // first column of the segment
  size_t length;  // number of elements
};

// Calls body(Segment) once per segment. When `flat` (every operand contiguous) the region is
// one row of rows*cols elements, cut into kChunkElements pieces; otherwise each row is cut.
// Where segment s starts in `view` (any operand of the job, whatever its stride).
template <class V>
auto segment_start(const V& view, const Segment& s) {
  return view.row(s.row) + s.col;
}

// Returns how many segments for_each_segment makes of the same arguments.
inline size_t segment_count(size_t rows, size_t cols, bool flat) {
  if (flat) {
    cols *= rows;
    rows = cols == 0 ? 0 : 1;
  }
  return rows * div_ceil(cols, kChunkElements);
}

// Runs body(id, size) on every member of an OpenMP team when the job is worth one; otherwise
// on the calling thread alone as body(0, 1), without touching OpenMP: inside a parallel
// region, or with one thread to have (even a parallel region with if(false) cost about 1 us in
// libgomp, with futex calls). Records the team size, except inside a parallel region: there
// the body is a member's share of an enclosing kernel, whose team size stands.
template <class Body>
void run_on_team(bool worth_a_team, const Body& body) {
  if (!worth_a_team || omp_in_parallel() || omp_get_max_threads() == 1) {
    if (!omp_in_parallel()) detail::record_team_size(1);
    body(0, 1);
    return;
  }
#pragma omp parallel
  {
    const int id = omp_get_thread_num(), size = omp_get_num_threads();
    if (id == 0) detail::record_team_size(size);
    body(id, size);
  }
}

template <class Body>
void for_each_segment(size_t rows, size_t cols, bool flat, Body&& body) {
  if (flat) {
    cols *= rows;
    rows = cols == 0 ? 0 : 1;
  }
  if (rows == 0 || cols == 0) return;
  const size_t per_row = div_ceil(cols, kChunkElements);
  const size_t segments = rows * per_row;
  auto run = [&](size_t s) {
    const size_t row = s / per_row;
    const size_t col = (s % per_row) * kChunkElements;
    body(Segment{s, row, col, std::min(kChunkElements, cols - col)});
  };
  if (rows * cols < kParallelMinElements || segments == 1 || omp_in_parallel()) {
    for (size_t s = 0; s < segments; ++s) run(s);
    return;
  }
#pragma omp parallel
  {
#pragma omp single nowait
    detail::record_team_size(omp_get_num_threads());
#pragma omp for schedule(static)
    for (size_t s = 0; s < segments; ++s) run(s);
  }
}

// Runs per_segment(Segment) -> std::array<double, N> on every segment (threaded as
// for_each_segment) and folds each component of the results with `combine` in segment order,
// from 0: the same for any thread count. The buffer of partial results is per calling thread
// and only grows, so a training loop does not allocate here after its first step.
template <size_t N, class PerSegment, class Combine>
std::array<double, N> reduce_segments(size_t rows, size_t cols, bool flat, PerSegment&& per_segment,
                                      Combine&& combine) {
  thread_local std::vector<std::array<double, N>> partials;
  const size_t count = segment_count(rows, cols, flat);
  if (partials.size() < count) partials.resize(count);
  // The team's threads have thread_locals of their own: hand them this thread's buffer.
  std::array<double, N>* const results = partials.data();
  for_each_segment(rows, cols, flat, [&](const Segment& s) { results[s.index] = per_segment(s); });
  std::array<double, N> total{};
  for (size_t i = 0; i < count; ++i) {
    for (size_t k = 0; k < N; ++k) total[k] = combine(total[k], results[i][k]);
  }
  return total;
}

// The same for one value per segment.
template <class PerSegment, class Combine>
double reduce_segments(size_t rows, size_t cols, bool flat, PerSegment&& per_segment,
                       Combine&& combine) {
  return reduce_segments<1>(
      rows, cols, flat,
      [&](const Segment& s) { return std::array<double, 1>{double(per_segment(s))}; }, combine)[0];
}

}  // namespace simdgrad
