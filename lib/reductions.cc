#include "simdgrad/reductions.h"

#include <algorithm>
#include <vector>

#include "lib/parallel_segments.h"
#include "lib/vector_kernels.h"

namespace simdgrad {
namespace {

// One result per segment, combined afterwards in segment order. The buffer is per calling
// thread and only grows, so a training loop does not allocate here after its first step.
template <class T, class Kernel, class Combine>
double reduce(MatrixView<const T> x, Kernel kernel, Combine combine) {
  thread_local std::vector<double> partials;
  const bool flat = x.contiguous();
  const size_t count = segment_count(x.rows(), x.cols(), flat);
  if (partials.size() < count) partials.resize(count);
  // The team's threads have thread_locals of their own: hand them this thread's buffer.
  double* const results = partials.data();
  for_each_segment(x.rows(), x.cols(), flat, [&](const Segment& s) {
    results[s.index] = static_cast<double>(kernel(x.row(s.row) + s.col, s.length));
  });
  double total = 0.0;
  for (size_t i = 0; i < count; ++i) total = combine(total, results[i]);
  return total;
}

double plus(double a, double b) { return a + b; }
double larger(double a, double b) { return std::max(a, b); }

}  // namespace

template <class T>
T sum(MatrixView<const T> x) {
  return static_cast<T>(reduce(x, detail::vector_kernels<T>().sum, plus));
}

template <class T>
T sum_squares(MatrixView<const T> x) {
  return static_cast<T>(reduce(x, detail::vector_kernels<T>().sum_squares, plus));
}

template <class T>
T max_abs(MatrixView<const T> x) {
  return static_cast<T>(reduce(x, detail::vector_kernels<T>().max_abs, larger));
}

template float sum<float>(MatrixView<const float>);
template double sum<double>(MatrixView<const double>);
template float sum_squares<float>(MatrixView<const float>);
template double sum_squares<double>(MatrixView<const double>);
template float max_abs<float>(MatrixView<const float>);
template double max_abs<double>(MatrixView<const double>);

}  // namespace simdgrad
