// Matrices of uniform random values in [-1, 1), the same every run, for benchmarks' operands.
#pragma once

#include <random>

#include "simdgrad/matrix.h"

namespace simdgrad::bench {

template <class T>
Matrix<T> random_matrix(size_t rows, size_t cols) {
  Matrix<T> out(rows, cols);
  std::mt19937 rng(17);
  std::uniform_real_distribution<double> dist(-1.0, 1.0);
  for (size_t i = 0; i < out.size(); ++i) out.data()[i] = T(dist(rng));
  return out;
}

}  // namespace simdgrad::bench
