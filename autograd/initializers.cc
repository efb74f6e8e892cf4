#include "simdgrad/autograd/initializers.h"

#include <cmath>

#include "simdgrad/elementwise.h"

namespace simdgrad::autograd {

template <class T>
void glorot_uniform(MatrixView<T> w, Random& rng) {
  const double limit = std::sqrt(6.0 / double(w.rows() + w.cols()));
  for (size_t r = 0; r < w.rows(); ++r) {
    for (size_t c = 0; c < w.cols(); ++c) w(r, c) = T(rng.uniform(-limit, limit));
  }
}

template <class T>
void he_normal(MatrixView<T> w, Random& rng) {
  // 0.87962566103423978 is the stddev of a standard normal truncated to [-2, 2].
  const double stddev = std::sqrt(2.0 / double(w.cols())) / 0.87962566103423978;
  for (size_t r = 0; r < w.rows(); ++r) {
    for (size_t c = 0; c < w.cols(); ++c) {
      double z;
      do {
        z = rng.normal();
      } while (std::abs(z) > 2.0);
      w(r, c) = T(stddev * z);
    }
  }
}

template <class T>
void identity(MatrixView<T> w) {
  fill(w, T(0));
  for (size_t i = 0; i < std::min(w.rows(), w.cols()); ++i) w(i, i) = T(1);
}

template <class T>
void zeros(MatrixView<T> w) {
  fill(w, T(0));
}

template <class T>
void initialize(Initializer kind, MatrixView<T> w, Random& rng) {
  switch (kind) {
    case Initializer::kGlorotUniform:
      return glorot_uniform(w, rng);
    case Initializer::kHeNormal:
      return he_normal(w, rng);
    case Initializer::kIdentity:
      return identity(w);
    case Initializer::kZeros:
      return zeros(w);
  }
}

#define SIMDGRAD_INSTANTIATE(T)                            \
  template void glorot_uniform<T>(MatrixView<T>, Random&); \
  template void he_normal<T>(MatrixView<T>, Random&);      \
  template void identity<T>(MatrixView<T>);                \
  template void zeros<T>(MatrixView<T>);                   \
  template void initialize<T>(Initializer, MatrixView<T>, Random&);
SIMDGRAD_INSTANTIATE(float)
SIMDGRAD_INSTANTIATE(double)
#undef SIMDGRAD_INSTANTIATE

}  // namespace simdgrad::autograd
