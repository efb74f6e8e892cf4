// The identity network of a configuration, and its optimizer.
#pragma once

#include <memory>

#include "apps/identity/training/config.h"
#include "simdgrad/autograd/layers.h"
#include "simdgrad/autograd/optimizers.h"

namespace simdgrad::identity {

// `layers` Dense layers: pixels -> width -> ... -> width -> pixels, ReLU everywhere but the
// output layer, which uses the configured output activation; weights by the configured
// initializer, biases zero.
template <class T>
autograd::Sequential<T> make_model(const TrainConfig& config, size_t pixels, autograd::Random& rng);

template <class T>
std::unique_ptr<autograd::Optimizer<T>> make_optimizer(const TrainConfig& config,
                                                       std::vector<autograd::Parameter<T>*> params);

}  // namespace simdgrad::identity
