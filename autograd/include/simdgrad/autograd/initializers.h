// Weight initializers, drawn in row-major order from a seeded Random on the calling thread, so
// the values depend on the seed only. Weights are out x in (fan_out = rows, fan_in = cols).
#pragma once

#include "simdgrad/autograd/random.h"
#include "simdgrad/matrix.h"

namespace simdgrad::autograd {

enum class Initializer { kGlorotUniform, kHeNormal, kIdentity, kZeros };

// Keras' default: U(-l, l), l = sqrt(6 / (fan_in + fan_out)).
template <class T>
void glorot_uniform(MatrixView<T> w, Random& rng);
// Keras 2's he_normal: a normal of stddev sqrt(2 / fan_in) / 0.8796 truncated at two standard
// deviations (the correction restores the variance the truncation removes).
template <class T>
void he_normal(MatrixView<T> w, Random& rng);
// 1 on the diagonal, 0 elsewhere (rectangular too: the first min(rows, cols) diagonal entries).
template <class T>
void identity(MatrixView<T> w);
template <class T>
void zeros(MatrixView<T> w);

template <class T>
void initialize(Initializer kind, MatrixView<T> w, Random& rng);

}  // namespace simdgrad::autograd
