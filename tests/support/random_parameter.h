// Parameters with seeded random values, for autograd tests.
#pragma once

#include <string>

#include "simdgrad/autograd/parameter.h"
#include "simdgrad/autograd/random.h"

namespace simdgrad::testing {

template <class T>
autograd::Parameter<T> random_parameter(const std::string& name, size_t rows, size_t cols,
                                        uint64_t seed, double low = -1.0, double high = 1.0) {
  autograd::Parameter<T> p(name, rows, cols);
  autograd::Random rng(seed);
  for (size_t i = 0; i < p.value.size(); ++i) p.value.data()[i] = T(rng.uniform(low, high));
  return p;
}

}  // namespace simdgrad::testing
