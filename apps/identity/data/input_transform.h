// Preconditioning of the network's input: a fixed affine map z = x Pᵀ + c, fitted once on the
// training images, between the pixels and the first layer. The target stays the pixels, so the
// model still learns the identity of the images; only the coordinates its first layer sees
// change. Centering removes the mean image, the direction of the largest eigenvalue of the
// images' second moment, along which every pixel is positive at once; whitening also equalizes
// the rest of the spectrum, so one learning rate suits every direction.
#pragma once

#include "apps/identity/data/mnist.h"
#include "simdgrad/matrix.h"

namespace simdgrad::identity {

enum class Precondition {
  kNone,    // z = x
  kCenter,  // z = x - mean
  kWhiten,  // z = (x - mean) P with P = Σ uᵢuᵢᵀ / sqrt(λᵢ + ε) over the covariance's non-null
            // eigenpairs: unit variance along each direction the training images span, 0 along
            // the rest (pixels never lit in training cannot reach the model)
};

struct InputTransform {
  Precondition kind = Precondition::kNone;
  Matrix<float> matrix;  // pixels x pixels, symmetric (whiten only)
  Matrix<float> offset;  // 1 x pixels: c (-mean, or -mean P)

  // z = x Pᵀ + c for a batch of rows; z must not overlap x. kNone copies.
  void apply(MatrixView<const float> x, MatrixView<float> z) const;
};

// The whitening regularizer ε as a fraction of the mean variance per pixel: directions with less
// variance than this are damped rather than amplified without bound.
constexpr double kWhiteningFloor = 1e-4;

// Fits the transform on the first `rows` training images at the run's pixel scale (`factor` per
// stored unit), in double through the library's GEMM and LAPACK. Deterministic: the same bits
// for any thread count.
InputTransform fit_input_transform(Precondition kind, const LabeledImages& train, size_t rows,
                                   float factor);

}  // namespace simdgrad::identity
