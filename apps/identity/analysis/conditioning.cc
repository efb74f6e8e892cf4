#include "apps/identity/analysis/conditioning.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>

#include "apps/identity/data/symmetric_eigen.h"
#include "simdgrad/gemm.h"
#include "simdgrad/idx_reader.h"
#include "simdgrad/matrix.h"

namespace simdgrad::identity {
namespace {

constexpr size_t kBlock = 1000;  // images converted to double at a time

// Images [first, first + count) as rows of [x 1] (raw pixels, then the bias column).
void augmented_rows(const LabeledImages& images, size_t first, size_t count,
                    MatrixView<double> out) {
  const size_t pixels = images.pixels_per_image();
  convert_images<double>(images, first, count, 1.0, out.block(0, 0, count, pixels));
  for (size_t r = 0; r < count; ++r) out(r, pixels) = 1.0;
}

}  // namespace

Conditioning measure_conditioning(const Mnist& data) {
  const LabeledImages& train = data.train;
  const size_t pixels = train.pixels_per_image(), width = pixels + 1;
  Matrix<double> rows(kBlock, width);
  Matrix<double> m(width, width);
  for (size_t first = 0; first < train.count; first += kBlock) {
    const size_t count = std::min(kBlock, train.count - first);
    augmented_rows(train, first, count, rows.view());
    const MatrixView<const double> block =
        MatrixView<const double>(rows.view()).block(0, 0, count, width);
    gemm<double>(Transpose::kYes, Transpose::kNo, 1.0 / double(train.count), block, block,
                 first == 0 ? 0.0 : 1.0, m.view());
  }

  Conditioning out;
  Spectrum& s = out.spectrum;
  std::vector<bool> never_lit(pixels);  // a zero diagonal entry: 0 in every training image
  for (size_t p = 0; p < pixels; ++p) {
    never_lit[p] = m(p, p) == 0.0;
    s.always_zero_pixels += never_lit[p];
  }
  s.eigenvalues = symmetric_eigen(m);  // m now holds the eigenvectors (rows)
  out.eigenvectors = std::move(m);
  s.largest = s.eigenvalues.front();
  // Rounding in M and in the solver is about n·ε·λmax; anything below is indistinguishable from 0.
  s.null_tolerance = double(width) * std::numeric_limits<double>::epsilon() * s.largest;
  double total = 0, squares = 0;
  for (double l : s.eigenvalues) {
    if (l <= s.null_tolerance) {
      ++s.null_dimension;
      continue;
    }
    s.smallest_nonzero = l;
    total += l;
    squares += l * l;
  }
  s.condition_number = s.largest / s.smallest_nonzero;
  s.effective_rank = total * total / squares;

  // The least-squares model: ŷ = [x 1] Vᵣ Vᵣᵀ restricted to the pixel columns, Vᵣ the
  // eigenvectors of the nonzero eigenvalues (the projector onto the span of the training rows),
  // which are the first `rank` rows of out.eigenvectors.
  const size_t rank = width - s.null_dimension;
  const MatrixView<const double> vr =
      MatrixView<const double>(out.eigenvectors.view()).block(0, 0, rank, width);
  const MatrixView<const double> vr_pixels = vr.block(0, 0, rank, pixels);
  out.least_squares = Matrix<double>(width, pixels);  // Θ* = Vᵣ (Vᵣ on the pixels)ᵀ
  gemm<double>(Transpose::kYes, Transpose::kNo, 1.0, vr, vr_pixels, 0.0, out.least_squares.view());
  Matrix<double> coordinates(kBlock, rank), predicted(kBlock, pixels);
  auto mean_squared_error = [&](const LabeledImages& images, std::vector<double>* per_pixel) {
    double total_error = 0;
    for (size_t first = 0; first < images.count; first += kBlock) {
      const size_t count = std::min(kBlock, images.count - first);
      augmented_rows(images, first, count, rows.view());
      const auto block = MatrixView<const double>(rows.view()).block(0, 0, count, width);
      const auto c = coordinates.view().block(0, 0, count, rank);
      const auto y = predicted.view().block(0, 0, count, pixels);
      gemm<double>(Transpose::kNo, Transpose::kYes, 1.0, block, vr, 0.0, c);
      gemm<double>(Transpose::kNo, Transpose::kNo, 1.0, MatrixView<const double>(c), vr_pixels, 0.0,
                   y);
      for (size_t r = 0; r < count; ++r) {
        for (size_t p = 0; p < pixels; ++p) {
          const double e = y(r, p) - block(r, p);
          total_error += e * e;
          if (per_pixel) (*per_pixel)[p] += e * e;
        }
      }
    }
    return total_error / double(images.count * pixels);
  };
  LinearFloor& f = out.floor;
  f.train_loss = mean_squared_error(train, nullptr);
  std::vector<double> per_pixel(pixels);
  f.val_loss = mean_squared_error(data.test, &per_pixel);
  // A never-lit pixel's column of M is 0, so the model outputs (up to rounding) 0 there.
  std::vector<bool> lit_in_test(pixels);
  for (size_t i = 0; i < data.test.count; ++i) {
    for (size_t p = 0; p < pixels; ++p)
      lit_in_test[p] = lit_in_test[p] || data.test.pixels[i * pixels + p];
  }
  double unseen_error = 0, all_error = 0;
  for (size_t p = 0; p < pixels; ++p) {
    all_error += per_pixel[p];
    if (never_lit[p] && lit_in_test[p]) {
      ++f.unseen_pixels;
      unseen_error += per_pixel[p];
    }
  }
  f.unseen_pixel_share = all_error > 0 ? unseen_error / all_error : 0;
  return out;
}

std::vector<double> predicted_gradient_descent(const Conditioning& c,
                                               MatrixView<const float> weight,
                                               MatrixView<const float> bias, double lr, int steps) {
  const size_t width = c.eigenvectors.rows(), pixels = width - 1;
  if (weight.rows() != pixels || weight.cols() != pixels || bias.rows() != 1 ||
      bias.cols() != pixels) {
    throw std::invalid_argument("predicted_gradient_descent: a 1-layer model of " +
                                std::to_string(pixels) + " pixels is needed");
  }
  Matrix<double> error(width, pixels);  // E₀ = Θ₀ − Θ*
  for (size_t i = 0; i < pixels; ++i) {
    for (size_t j = 0; j < pixels; ++j) error(i, j) = double(weight(j, i)) - c.least_squares(i, j);
  }
  for (size_t j = 0; j < pixels; ++j)
    error(pixels, j) = double(bias(0, j)) - c.least_squares(pixels, j);
  Matrix<double> coordinates(width, pixels);  // c = Vᵀ E₀, one row per eigenvector
  gemm<double>(Transpose::kNo, Transpose::kNo, 1.0, MatrixView<const double>(c.eigenvectors.view()),
               MatrixView<const double>(error.view()), 0.0, coordinates.view());
  std::vector<double> energy(width);
  for (size_t i = 0; i < width; ++i) {
    for (size_t j = 0; j < pixels; ++j) energy[i] += coordinates(i, j) * coordinates(i, j);
  }
  std::vector<double> losses;
  for (int t = 0; t < steps; ++t) {
    double loss = c.floor.train_loss;
    for (size_t i = 0; i < width; ++i) {
      const double lambda = c.spectrum.eigenvalues[i];
      if (lambda <= c.spectrum.null_tolerance) continue;
      const double factor = 1 - 2 * lr * lambda / double(pixels);
      loss += lambda * std::pow(factor, 2.0 * t) * energy[i] / double(pixels);
    }
    losses.push_back(loss);
  }
  return losses;
}

}  // namespace simdgrad::identity
