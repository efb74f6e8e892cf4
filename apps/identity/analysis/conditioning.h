// The conditioning of the identity problem, measured, and the best a 1-layer linear model can
// do. For that model (y = x Wᵀ + b, MSE over N images and 784 pixels) the loss is a quadratic
// whose Hessian, for each output pixel's weights and bias, is H = (2/784) M with
// M = [X 1]ᵀ[X 1] / N, the second-moment matrix of the training images with a constant column
// for the bias. Its spectrum sets how fast gradient steps converge along each direction; its
// null space (pixels that are 0 in every training image) never receives a gradient.
#pragma once

#include <cstddef>
#include <vector>

#include "apps/identity/data/mnist.h"
#include "simdgrad/matrix.h"

namespace simdgrad::identity {

struct Spectrum {
  std::vector<double> eigenvalues;  // of M (785 x 785, raw pixels 0..255), descending
  double null_tolerance = 0;        // eigenvalues at or below this count as 0
  size_t null_dimension = 0;        // how many eigenvalues are 0
  size_t always_zero_pixels = 0;    // pixels that are 0 in every training image
  double largest = 0, smallest_nonzero = 0;
  double condition_number = 0;  // largest / smallest nonzero eigenvalue
  double effective_rank = 0;    // (Σλ)² / Σλ², the participation ratio
};

// The least-squares solution of the 1-layer linear model on the training set: the projection
// onto the span of the training images (with the bias), what any training of that model that
// starts at 0 converges to. Its losses are the floor no training of that model can beat.
struct LinearFloor {
  double train_loss = 0, val_loss = 0;  // MSE in raw-pixel units
  size_t unseen_pixels = 0;             // 0 in every training image, not in every test image
  double unseen_pixel_share = 0;        // of val_loss on those pixels (the model outputs 0 there)
};

struct Conditioning {
  Spectrum spectrum;
  LinearFloor floor;
  Matrix<double> eigenvectors;   // 785 x 785: row i is the eigenvector of eigenvalues[i]
  Matrix<double> least_squares;  // Θ* (785 x 784): rows 0..783 are Wᵀ, row 784 the bias
};

// Accumulates M with the library's GEMM (double, 1,000 images at a time), decomposes it with
// LAPACK's dsyevd, and evaluates the least-squares model on both sets.
Conditioning measure_conditioning(const Mnist& data);

// The training loss (raw pixels) of full-batch gradient descent on the 1-layer linear model,
// predicted from the spectrum: starting from weight (784 x 784, out x in) and bias (1 x 784),
// with E₀ = Θ₀ − Θ* and c = Vᵀ E₀, the loss after t steps of learning rate lr is
//   L_t = L* + (1/784) Σᵢ λᵢ (1 − 2·lr·λᵢ/784)^(2t) ‖cᵢ‖²,
// exactly, since the loss is that quadratic. Returns L_0 .. L_{steps-1}.
std::vector<double> predicted_gradient_descent(const Conditioning& c,
                                               MatrixView<const float> weight,
                                               MatrixView<const float> bias, double lr, int steps);

}  // namespace simdgrad::identity
