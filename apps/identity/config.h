// The configuration of an identity run. Defaults are the seed experiment exactly
// (../shared/reference/seed-experiment.md): 4 x Dense(784, ReLU), glorot_uniform weights,
// zero biases, MSE, RMSprop with Keras' defaults, batch 128, 20 epochs, raw 0..255 pixels.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "apps/identity/mnist.h"
#include "simdgrad/autograd/initializers.h"
#include "simdgrad/gemm.h"

namespace simdgrad::identity {

enum class OptimizerKind { kRmsprop, kAdam, kSgd };

struct TrainConfig {
  int layers = 4;
  int width = 784;  // hidden width; the last layer always has as many outputs as pixels
  int epochs = 20;
  int batch = 128;
  OptimizerKind optimizer = OptimizerKind::kRmsprop;
  double lr = 0;  // 0: the optimizer's Keras default (1e-3; SGD 1e-2)
  PixelScale scale = PixelScale::kRaw;
  autograd::Initializer init = autograd::Initializer::kGlorotUniform;
  Activation output_activation = Activation::kRelu;
  uint64_t seed = 1;
  int limit = 0;  // use the first `limit` training images; 0: all
  std::string data = "data/mnist";
};

double learning_rate(const TrainConfig& c);
// Squared error in the units the run trains in, times this, gives raw-pixel units.
double raw_loss_factor(const TrainConfig& c);

std::string to_string(OptimizerKind k);
std::string to_string(PixelScale s);
std::string to_string(autograd::Initializer i);
std::string to_string(Activation a);

nlohmann::json to_json(const TrainConfig& c);
// Throws std::invalid_argument naming the field for a missing or bad value.
TrainConfig config_from_json(const nlohmann::json& j);
// Throws std::invalid_argument for values out of range (the CLI checks them earlier too).
void validate(const TrainConfig& c);

}  // namespace simdgrad::identity
