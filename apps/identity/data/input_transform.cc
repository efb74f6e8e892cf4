#include "apps/identity/data/input_transform.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "apps/identity/data/symmetric_eigen.h"
#include "simdgrad/elementwise.h"
#include "simdgrad/gemm.h"

namespace simdgrad::identity {
namespace {

constexpr size_t kBlock = 1000;  // images converted to double at a time

}  // namespace

void InputTransform::apply(MatrixView<const float> x, MatrixView<float> z) const {
  if (kind == Precondition::kWhiten) {
    gemm<float>(Transpose::kNo, Transpose::kYes, 1.0f, x, matrix, 0.0f, z,
                {offset, Activation::kNone});
    return;
  }
  copy<float>(x, z);
  if (kind == Precondition::kCenter) add_row_vector<float>(offset, z);
}

namespace {

// The mean image of rows [0, rows) at the run's scale, and (when whitening) E[x xᵀ].
struct ImageMoments {
  std::vector<double> mean;
  Matrix<double> second;
};

ImageMoments image_moments(const LabeledImages& train, size_t rows, float factor, bool second) {
  const size_t pixels = train.pixels_per_image();
  Matrix<double> block(kBlock, pixels), sums(1, pixels), block_sums(1, pixels);
  ImageMoments m{std::vector<double>(pixels), Matrix<double>(second ? pixels : 0, pixels)};
  for (size_t first = 0; first < rows; first += kBlock) {
    const size_t count = std::min(kBlock, rows - first);
    convert_images<double>(train, first, count, double(factor),
                           block.view().block(0, 0, count, pixels));
    const auto x = MatrixView<const double>(block.view()).block(0, 0, count, pixels);
    column_sums<double>(x, block_sums);
    add<double>(sums, block_sums, sums);
    if (second) {
      gemm<double>(Transpose::kYes, Transpose::kNo, 1.0 / double(rows), x, x,
                   first == 0 ? 0.0 : 1.0, m.second.view());
    }
  }
  for (size_t j = 0; j < pixels; ++j) m.mean[j] = sums(0, j) / double(rows);
  return m;
}

// P = Uᵣ diag(1 / sqrt(λ + ε)) Uᵣᵀ over the non-null directions of the covariance
// E[x xᵀ] - mean meanᵀ (built in `moments.second`, then overwritten by its eigenvectors).
Matrix<double> whitening_matrix(ImageMoments& moments) {
  Matrix<double>& moment = moments.second;
  const size_t pixels = moment.rows();
  double trace = 0;
  for (size_t i = 0; i < pixels; ++i) {
    for (size_t j = 0; j < pixels; ++j) moment(i, j) -= moments.mean[i] * moments.mean[j];
    trace += moment(i, i);
  }
  const std::vector<double> lambda = symmetric_eigen(moment);  // moment: the eigenvectors, rows
  const double epsilon = kWhiteningFloor * trace / double(pixels);
  const double null_tolerance =
      double(pixels) * std::numeric_limits<double>::epsilon() * lambda.front();
  size_t rank = 0;
  while (rank < pixels && lambda[rank] > null_tolerance) ++rank;
  Matrix<double> scaled(rank, pixels);
  for (size_t i = 0; i < rank; ++i) {
    const double s = 1.0 / std::sqrt(lambda[i] + epsilon);
    for (size_t j = 0; j < pixels; ++j) scaled(i, j) = moment(i, j) * s;
  }
  Matrix<double> p(pixels, pixels);
  const auto u = MatrixView<const double>(moment.view()).block(0, 0, rank, pixels);
  gemm<double>(Transpose::kYes, Transpose::kNo, 1.0, MatrixView<const double>(scaled.view()), u,
               0.0, p.view());
  return p;
}

}  // namespace

InputTransform fit_input_transform(Precondition kind, const LabeledImages& train, size_t rows,
                                   float factor) {
  InputTransform out;
  out.kind = kind;
  if (kind == Precondition::kNone) return out;
  const size_t pixels = train.pixels_per_image();
  ImageMoments moments = image_moments(train, rows, factor, kind == Precondition::kWhiten);
  out.offset = Matrix<float>(1, pixels);
  if (kind == Precondition::kCenter) {
    for (size_t j = 0; j < pixels; ++j) out.offset(0, j) = float(-moments.mean[j]);
    return out;
  }
  const Matrix<double> p = whitening_matrix(moments);
  out.matrix = Matrix<float>(pixels, pixels);
  for (size_t i = 0; i < pixels; ++i) {
    // Symmetric by construction up to rounding; make it exactly so.
    for (size_t j = 0; j < pixels; ++j) out.matrix(i, j) = float(0.5 * (p(i, j) + p(j, i)));
  }
  for (size_t j = 0; j < pixels; ++j) {
    double c = 0;
    for (size_t i = 0; i < pixels; ++i) c -= moments.mean[i] * double(out.matrix(i, j));
    out.offset(0, j) = float(c);
  }
  return out;
}

}  // namespace simdgrad::identity
