// The configuration of an identity run. Defaults are the seed experiment exactly
// (docs/identity.md, "The original experiment"): 4 x Dense(784, ReLU), glorot_uniform weights,
// zero biases, MSE, RMSprop with Keras' defaults, batch 128, 20 epochs, raw 0..255 pixels.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "apps/identity/data/input_transform.h"
#include "apps/identity/data/mnist.h"
#include "simdgrad/autograd/initializers.h"
#include "simdgrad/autograd/schedules.h"
#include "simdgrad/gemm.h"

namespace simdgrad::identity {

enum class OptimizerKind { kRmsprop, kAdam, kSgd };
// Biases at 0 (Keras), or each output unit's bias set so the unit starts active on every one of
// the first training images (data-dependent, for a ReLU output; see Trainer).
enum class BiasInit { kZero, kActive };

struct TrainConfig {
  int layers = 4;
  int width = 784;  // hidden width; the last layer always has as many outputs as pixels
  int epochs = 20;
  int batch = 128;
  OptimizerKind optimizer = OptimizerKind::kRmsprop;
  double lr = 0;  // 0: the optimizer's Keras default (1e-3; SGD 1e-2)
  // The rate over the run: after `warmup_epochs` of linear warm-up, constant (Keras) or a cosine
  // down to 0 at the last step.
  autograd::ScheduleShape schedule = autograd::ScheduleShape::kConstant;
  double warmup_epochs = 0;
  Precondition precondition = Precondition::kNone;  // of the input; the target stays the pixels
  PixelScale scale = PixelScale::kRaw;
  autograd::Initializer init = autograd::Initializer::kGlorotUniform;
  BiasInit bias_init = BiasInit::kZero;
  Activation output_activation = Activation::kRelu;
  uint64_t seed = 1;
  int limit = 0;  // use the first `limit` training images; 0: all
  std::string data = "data/mnist";
};

double learning_rate(const TrainConfig& c);
// Squared error in the units the run trains in, times this, gives raw-pixel units.
double raw_loss_factor(const TrainConfig& c);
// The learning-rate schedule of a run with `steps_per_epoch` optimizer steps per epoch.
autograd::LearningRateSchedule learning_rate_schedule(const TrainConfig& c, size_t steps_per_epoch);

std::string to_string(OptimizerKind k);
std::string to_string(PixelScale s);
std::string to_string(autograd::Initializer i);
std::string to_string(Activation a);
std::string to_string(autograd::ScheduleShape s);
std::string to_string(Precondition p);
std::string to_string(BiasInit b);

nlohmann::json to_json(const TrainConfig& c);
// Throws std::invalid_argument naming the field for a missing or bad value.
TrainConfig config_from_json(const nlohmann::json& j);
// Throws std::invalid_argument for values out of range (the CLI checks them earlier too).
void validate(const TrainConfig& c);

}  // namespace simdgrad::identity
