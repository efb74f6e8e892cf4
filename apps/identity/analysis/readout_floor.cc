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

// Per hidden layer: [H 1]ᵀ[H 1] / n and [H 1]ᵀ X / n over the training images.
struct LayerMoments {
  std::vector<Matrix<double>> moment, cross;
};

LayerMoments layer_moments(Trainer& trainer, const Mnist& data, size_t hidden,
                           std::vector<Matrix<double>>& features) {
  const size_t pixels = data.train.pixels_per_image(), n = trainer.train_samples();
  LayerMoments m;
  for (size_t l = 0; l < hidden; ++l) {
    const size_t width = trainer.model().layer(l).outputs() + 1;
    m.moment.emplace_back(width, width);
    m.cross.emplace_back(width, pixels);
  }
  Matrix<double> targets(kBlock, pixels);
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
      gemm<double>(Transpose::kYes, Transpose::kNo, 1.0 / double(n), h, h, beta,
                   m.moment[l].view());
      gemm<double>(Transpose::kYes, Transpose::kNo, 1.0 / double(n), h, x, beta, m.cross[l].view());
    }
  }
  return m;
}

// Θ = V diag(1/λ) Vᵀ B over the eigenvalues above rounding: the minimum-norm least squares
// readout from the moments M (overwritten by its eigenvectors) and B = [H 1]ᵀ X / n.
Matrix<double> least_squares_readout(Matrix<double>& moment, const Matrix<double>& cross) {
  const size_t width = moment.rows(), pixels = cross.cols();
  const std::vector<double> lambda = symmetric_eigen(moment);  // rows: eigenvectors
  const double tolerance = double(width) * std::numeric_limits<double>::epsilon() * lambda.front();
  size_t rank = 0;
  while (rank < width && lambda[rank] > tolerance) ++rank;
  const auto v = MatrixView<const double>(moment.view()).block(0, 0, rank, width);
  Matrix<double> projected(rank, pixels), theta(width, pixels);
  gemm<double>(Transpose::kNo, Transpose::kNo, 1.0, v, cross, 0.0, projected.view());
  for (size_t i = 0; i < rank; ++i) {
    for (size_t j = 0; j < pixels; ++j) projected(i, j) /= lambda[i];
  }
  gemm<double>(Transpose::kYes, Transpose::kNo, 1.0, v, projected, 0.0, theta.view());
  return theta;
}

// The readout Θ of layer l's MSE over images [0, rows) of a set; zeros (if asked) counts the
// layer's outputs equal to 0.
double readout_loss(Trainer& trainer, size_t l, const Matrix<double>& theta,
                    const LabeledImages& images, size_t rows, Matrix<double>& features,
                    double* zeros) {
  const size_t width = theta.rows(), pixels = theta.cols();
  Matrix<double> predicted(kBlock, pixels);
  double squared = 0;
  for (size_t first = 0; first < rows; first += kBlock) {
    const size_t count = std::min(kBlock, rows - first);
    const std::vector<Matrix<float>> outputs = trainer.layer_outputs(images, first, count);
    augmented(outputs[l], features.view());
    for (size_t r = 0; zeros && r < count; ++r) {
      for (size_t c = 0; c < outputs[l].cols(); ++c) *zeros += outputs[l](r, c) == 0;
    }
    const auto h = MatrixView<const double>(features.view()).block(0, 0, count, width);
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
}

}  // namespace

ReadoutFloors measure_readout_floors(Trainer& trainer, const Mnist& data) {
  const size_t hidden = trainer.model().size() - 1;
  std::vector<Matrix<double>> features;  // [H 1] of a block of images, per layer
  for (size_t l = 0; l < hidden; ++l)
    features.emplace_back(kBlock, trainer.model().layer(l).outputs() + 1);
  LayerMoments m = layer_moments(trainer, data, hidden, features);
  ReadoutFloors out;
  for (size_t l = 0; l < hidden; ++l) {
    const Matrix<double> theta = least_squares_readout(m.moment[l], m.cross[l]);
    double zeros = 0;
    out.train_loss.push_back(
        readout_loss(trainer, l, theta, data.train, trainer.train_samples(), features[l], nullptr));
    out.val_loss.push_back(
        readout_loss(trainer, l, theta, data.test, data.test.count, features[l], &zeros));
    out.zero_fraction.push_back(zeros / double(data.test.count * (theta.rows() - 1)));
  }
  return out;
}

}  // namespace simdgrad::identity
