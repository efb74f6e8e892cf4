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

// M = [X 1]ᵀ[X 1] / N over the training images, accumulated a block of images at a time.
Matrix<double> second_moments(const LabeledImages& train) {
  const size_t width = train.pixels_per_image() + 1;
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
  return m;
}

// The spectrum's summary figures, from its eigenvalues (largest first).
void summarize_spectrum(size_t width, Spectrum& s) {
  s.largest = s.eigenvalues.front();
  // Rounding in M and in the solver is about n·ε·λmax; anything below is indistinguishable
  // from 0.
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
}

// The least-squares model ŷ = [x 1] Vᵣ Vᵣᵀ restricted to the pixel columns, Vᵣ the
// eigenvectors of the nonzero eigenvalues (the projector onto the span of the training rows),
// which are the first `rank` rows of the eigenvectors.
class LeastSquaresModel {
 public:
  LeastSquaresModel(const Matrix<double>& eigenvectors, size_t rank)
      : width_(eigenvectors.cols()),
        pixels_(width_ - 1),
        vr_(MatrixView<const double>(eigenvectors.view()).block(0, 0, rank, width_)),
        vr_pixels_(vr_.block(0, 0, rank, pixels_)),
        rows_(kBlock, width_),
        coordinates_(kBlock, rank),
        predicted_(kBlock, pixels_) {}

  // Θ* = Vᵣ (Vᵣ on the pixels)ᵀ.
  Matrix<double> weights() const {
    Matrix<double> theta(width_, pixels_);
    gemm<double>(Transpose::kYes, Transpose::kNo, 1.0, vr_, vr_pixels_, 0.0, theta.view());
    return theta;
  }

  // The model's mean squared error on `images`, and its sum per pixel if asked.
  double mean_squared_error(const LabeledImages& images, std::vector<double>* per_pixel) {
    double total_error = 0;
    for (size_t first = 0; first < images.count; first += kBlock) {
      const size_t count = std::min(kBlock, images.count - first);
      augmented_rows(images, first, count, rows_.view());
      const auto block = MatrixView<const double>(rows_.view()).block(0, 0, count, width_);
      const auto c = coordinates_.view().block(0, 0, count, vr_.rows());
      const auto y = predicted_.view().block(0, 0, count, pixels_);
      gemm<double>(Transpose::kNo, Transpose::kYes, 1.0, block, vr_, 0.0, c);
      gemm<double>(Transpose::kNo, Transpose::kNo, 1.0, MatrixView<const double>(c), vr_pixels_,
                   0.0, y);
      for (size_t r = 0; r < count; ++r) {
        for (size_t p = 0; p < pixels_; ++p) {
          const double e = y(r, p) - block(r, p);
          total_error += e * e;
          if (per_pixel) (*per_pixel)[p] += e * e;
        }
      }
    }
    return total_error / double(images.count * pixels_);
  }

 private:
  size_t width_, pixels_;
  MatrixView<const double> vr_, vr_pixels_;
  Matrix<double> rows_, coordinates_, predicted_;
};

// The never-lit pixels lit in some test image, and their share of the floor's error. A
// never-lit pixel's column of M is 0, so the model outputs (up to rounding) 0 there.
void count_unseen_pixels(const LabeledImages& test, const std::vector<bool>& never_lit,
                         const std::vector<double>& per_pixel, LinearFloor& f) {
  const size_t pixels = never_lit.size();
  std::vector<bool> lit_in_test(pixels);
  for (size_t i = 0; i < test.count; ++i) {
    for (size_t p = 0; p < pixels; ++p)
      lit_in_test[p] = lit_in_test[p] || test.pixels[i * pixels + p];
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
}

}  // namespace

Conditioning measure_conditioning(const Mnist& data) {
  const size_t pixels = data.train.pixels_per_image(), width = pixels + 1;
  Matrix<double> m = second_moments(data.train);
  Conditioning out;
  Spectrum& s = out.spectrum;
  std::vector<bool> never_lit(pixels);  // a zero diagonal entry: 0 in every training image
  for (size_t p = 0; p < pixels; ++p) {
    never_lit[p] = m(p, p) == 0.0;
    s.always_zero_pixels += never_lit[p];
  }
  s.eigenvalues = symmetric_eigen(m);  // m now holds the eigenvectors (rows)
  out.eigenvectors = std::move(m);
  summarize_spectrum(width, s);
  LeastSquaresModel model(out.eigenvectors, width - s.null_dimension);
  out.least_squares = model.weights();
  LinearFloor& f = out.floor;
  f.train_loss = model.mean_squared_error(data.train, nullptr);
  std::vector<double> per_pixel(pixels);
  f.val_loss = model.mean_squared_error(data.test, &per_pixel);
  count_unseen_pixels(data.test, never_lit, per_pixel, f);
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
