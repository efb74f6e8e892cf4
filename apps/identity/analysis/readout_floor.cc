#include "apps/identity/analysis/readout_floor.h"

#include <algorithm>
#include <limits>

#include "apps/identity/data/symmetric_eigen.h"
#include "simdgrad/gemm.h"

namespace simdgrad::identity {
namespace {

constexpr size_t kBlock = 1000;  // images per forward pass

// [h 1] in double: a block of a layer's outputs with the bias column.
void augmented(const Matrix<float>& h, MatrixView<double> out) {
  for (size_t r = 0; r < h.rows(); ++r) {
    for (size_t c = 0; c < h.cols(); ++c) out(r, c) = h(r, c);
    out(r, h.cols()) = 1.0;
  }
}

}  // namespace

ReadoutFloors measure_readout_floors(Trainer& trainer, const Mnist& data) {
  const size_t hidden = trainer.model().size() - 1, pixels = data.train.pixels_per_image();
  const size_t n = trainer.train_samples();
  std::vector<Matrix<double>> moment, cross;  // per layer: [H 1]ᵀ[H 1] / n and [H 1]ᵀ X / n
  for (size_t l = 0; l < hidden; ++l) {
    const size_t width = trainer.model().layer(l).outputs() + 1;
    moment.emplace_back(width, width);
    cross.emplace_back(width, pixels);
  }
  Matrix<double> targets(kBlock, pixels);
  std::vector<Matrix<double>> features;
  for (size_t l = 0; l < hidden; ++l)
    features.emplace_back(kBlock, trainer.model().layer(l).outputs() + 1);
  for (size_t first = 0; first < n; first += kBlock) {
    const size_t count = std::min(kBlock, n - first);
    const std::vector<Matrix<float>> outputs = trainer.layer_outputs(data.train, first, count);
    convert_images<double>(data.train, first, count, 1.0,
                           targets.view().block(0, 0, count, pixels));
    const auto x = MatrixView<const double>(targets.view()).block(0, 0, count, pixels);
    for (size_t l = 0; l < hidden; ++l) {
      augmented(outputs[l], features[l].view());
      const auto h =
          MatrixView<const double>(features[l].view()).block(0, 0, count, features[l].cols());
      const double beta = first == 0 ? 0.0 : 1.0;
      gemm<double>(Transpose::kYes, Transpose::kNo, 1.0 / double(n), h, h, beta, moment[l].view());
      gemm<double>(Transpose::kYes, Transpose::kNo, 1.0 / double(n), h, x, beta, cross[l].view());
    }
  }
  ReadoutFloors out;
  for (size_t l = 0; l < hidden; ++l) {
    // Θ = V diag(1/λ) Vᵀ B over the eigenvalues above rounding: the minimum-norm least squares.
    const size_t width = moment[l].rows();
    const std::vector<double> lambda = symmetric_eigen(moment[l]);  // rows: eigenvectors
    const double tolerance =
        double(width) * std::numeric_limits<double>::epsilon() * lambda.front();
    size_t rank = 0;
    while (rank < width && lambda[rank] > tolerance) ++rank;
    const auto v = MatrixView<const double>(moment[l].view()).block(0, 0, rank, width);
    Matrix<double> projected(rank, pixels), theta(width, pixels);
    gemm<double>(Transpose::kNo, Transpose::kNo, 1.0, v, cross[l], 0.0, projected.view());
    for (size_t i = 0; i < rank; ++i) {
      for (size_t j = 0; j < pixels; ++j) projected(i, j) /= lambda[i];
    }
    gemm<double>(Transpose::kYes, Transpose::kNo, 1.0, v, projected, 0.0, theta.view());
    Matrix<double> predicted(kBlock, pixels);
    // The readout's MSE over images [0, count) of a set; zeros: the layer's outputs equal to 0.
    auto score = [&](const LabeledImages& images, size_t rows, double* zeros) {
      double squared = 0;
      for (size_t first = 0; first < rows; first += kBlock) {
        const size_t count = std::min(kBlock, rows - first);
        const std::vector<Matrix<float>> outputs = trainer.layer_outputs(images, first, count);
        augmented(outputs[l], features[l].view());
        for (size_t r = 0; zeros && r < count; ++r) {
          for (size_t c = 0; c < outputs[l].cols(); ++c) *zeros += outputs[l](r, c) == 0;
        }
        const auto h = MatrixView<const double>(features[l].view()).block(0, 0, count, width);
        auto y = predicted.view().block(0, 0, count, pixels);
        gemm<double>(Transpose::kNo, Transpose::kNo, 1.0, h, theta, 0.0, y);
        for (size_t r = 0; r < count; ++r) {
          for (size_t j = 0; j < pixels; ++j) {
            const double e = y(r, j) - double(images.pixels[(first + r) * pixels + j]);
            squared += e * e;
          }
        }
      }
      return squared / double(rows * pixels);
    };
    double zeros = 0;
    out.train_loss.push_back(score(data.train, n, nullptr));
    out.val_loss.push_back(score(data.test, data.test.count, &zeros));
    out.zero_fraction.push_back(zeros / double(data.test.count * (width - 1)));
  }
  return out;
}

}  // namespace simdgrad::identity
