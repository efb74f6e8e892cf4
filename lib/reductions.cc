#include "simdgrad/reductions.h"

#include <algorithm>

#include "lib/parallel_segments.h"
#include "lib/vector_kernels.h"

namespace simdgrad {
namespace {

// One result per segment of the SIMD kernel, combined in segment order (in double).
template <class T, class Kernel, class Combine>
double reduce(MatrixView<const T> x, Kernel kernel, Combine combine) {
  return reduce_segments(
      x.rows(), x.cols(), x.contiguous(),
      [&](const Segment& s) { return static_cast<double>(kernel(segment_start(x, s), s.length)); },
      combine);
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

template <class T>
ErrorSums<T> squared_and_relative_errors(MatrixView<const T> prediction, MatrixView<const T> target,
                                         T eps, MatrixView<T> diff) {
  require_same_shape("squared_and_relative_errors", prediction, target);
  require_same_shape("squared_and_relative_errors", prediction, diff);
  const auto& k = detail::vector_kernels<T>();
  const bool flat = prediction.contiguous() && target.contiguous() && diff.contiguous();
  const auto sums = reduce_segments<2>(
      prediction.rows(), prediction.cols(), flat,
      [&](const Segment& s) {
        T squared, relative;
        k.squared_and_relative_errors(segment_start(prediction, s), segment_start(target, s), eps,
                                      segment_start(diff, s), s.length, &squared, &relative);
        return std::array<double, 2>{double(squared), double(relative)};
      },
      plus);
  return {static_cast<T>(sums[0]), static_cast<T>(sums[1])};
}

template ErrorSums<float> squared_and_relative_errors(MatrixView<const float>,
                                                      MatrixView<const float>, float,
                                                      MatrixView<float>);
template ErrorSums<double> squared_and_relative_errors(MatrixView<const double>,
                                                       MatrixView<const double>, double,
                                                       MatrixView<double>);
template float sum<float>(MatrixView<const float>);
template double sum<double>(MatrixView<const double>);
template float sum_squares<float>(MatrixView<const float>);
template double sum_squares<double>(MatrixView<const double>);
template float max_abs<float>(MatrixView<const float>);
template double max_abs<double>(MatrixView<const double>);

}  // namespace simdgrad
