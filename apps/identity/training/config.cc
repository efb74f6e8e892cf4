#include "apps/identity/training/config.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

namespace simdgrad::identity {

double learning_rate(const TrainConfig& c) {
  if (c.lr > 0) return c.lr;
  return c.optimizer == OptimizerKind::kSgd ? 1e-2 : 1e-3;
}

double raw_loss_factor(const TrainConfig& c) {
  return c.scale == PixelScale::kUnit ? 255.0 * 255.0 : 1.0;
}

autograd::LearningRateSchedule learning_rate_schedule(const TrainConfig& c,
                                                      size_t steps_per_epoch) {
  autograd::LearningRateSchedule s;
  s.peak = learning_rate(c);
  s.shape = c.schedule;
  s.total_steps = size_t(c.epochs) * steps_per_epoch;
  s.warmup_steps =
      std::min(s.total_steps, size_t(std::llround(c.warmup_epochs * double(steps_per_epoch))));
  return s;
}

std::string to_string(OptimizerKind k) {
  switch (k) {
    case OptimizerKind::kRmsprop:
      return "rmsprop";
    case OptimizerKind::kAdam:
      return "adam";
    case OptimizerKind::kSgd:
      return "sgd";
  }
  return "?";
}
std::string to_string(PixelScale s) { return s == PixelScale::kRaw ? "raw" : "unit"; }
std::string to_string(autograd::Initializer i) {
  switch (i) {
    case autograd::Initializer::kGlorotUniform:
      return "glorot";
    case autograd::Initializer::kHeNormal:
      return "he";
    case autograd::Initializer::kIdentity:
      return "identity";
    case autograd::Initializer::kZeros:
      return "zeros";
  }
  return "?";
}
std::string to_string(Activation a) { return a == Activation::kRelu ? "relu" : "linear"; }
std::string to_string(autograd::ScheduleShape s) {
  return s == autograd::ScheduleShape::kConstant ? "constant" : "cosine";
}
std::string to_string(BiasInit b) { return b == BiasInit::kZero ? "zero" : "active"; }
std::string to_string(Precondition p) {
  switch (p) {
    case Precondition::kNone:
      return "none";
    case Precondition::kCenter:
      return "center";
    case Precondition::kWhiten:
      return "whiten";
  }
  return "?";
}

namespace {
template <class E>
E parse_enum(const nlohmann::json& j, const char* field, std::initializer_list<E> values) {
  const std::string s = j.at(field).get<std::string>();
  for (E v : values) {
    if (to_string(v) == s) return v;
  }
  throw std::invalid_argument(std::string("config field '") + field + "' has unknown value '" + s +
                              "'");
}
}  // namespace

nlohmann::json to_json(const TrainConfig& c) {
  return {{"layers", c.layers},
          {"width", c.width},
          {"epochs", c.epochs},
          {"batch", c.batch},
          {"optimizer", to_string(c.optimizer)},
          {"lr", learning_rate(c)},
          {"scale", to_string(c.scale)},
          {"init", to_string(c.init)},
          {"output_activation", to_string(c.output_activation)},
          {"schedule", to_string(c.schedule)},
          {"warmup_epochs", c.warmup_epochs},
          {"precondition", to_string(c.precondition)},
          {"bias_init", to_string(c.bias_init)},
          {"seed", c.seed},
          {"limit", c.limit},
          {"data", c.data}};
}

TrainConfig config_from_json(const nlohmann::json& j) {
  try {
    TrainConfig c;
    c.layers = j.at("layers").get<int>();
    c.width = j.at("width").get<int>();
    c.epochs = j.at("epochs").get<int>();
    c.batch = j.at("batch").get<int>();
    c.optimizer = parse_enum(j, "optimizer",
                             {OptimizerKind::kRmsprop, OptimizerKind::kAdam, OptimizerKind::kSgd});
    c.lr = j.at("lr").get<double>();
    c.scale = parse_enum(j, "scale", {PixelScale::kRaw, PixelScale::kUnit});
    c.init = parse_enum(j, "init",
                        {autograd::Initializer::kGlorotUniform, autograd::Initializer::kHeNormal,
                         autograd::Initializer::kIdentity});
    c.output_activation =
        parse_enum(j, "output_activation", {Activation::kRelu, Activation::kNone});
    // Absent in checkpoints written before these options existed: the original recipe's.
    if (j.contains("schedule")) {
      c.schedule = parse_enum(
          j, "schedule", {autograd::ScheduleShape::kConstant, autograd::ScheduleShape::kCosine});
    }
    if (j.contains("warmup_epochs")) c.warmup_epochs = j.at("warmup_epochs").get<double>();
    if (j.contains("precondition")) {
      c.precondition = parse_enum(
          j, "precondition", {Precondition::kNone, Precondition::kCenter, Precondition::kWhiten});
    }
    if (j.contains("bias_init"))
      c.bias_init = parse_enum(j, "bias_init", {BiasInit::kZero, BiasInit::kActive});
    c.seed = j.at("seed").get<uint64_t>();
    c.limit = j.at("limit").get<int>();
    c.data = j.at("data").get<std::string>();
    validate(c);
    return c;
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(std::string("bad run configuration: ") + e.what());
  }
}

void validate(const TrainConfig& c) {
  auto require = [](bool ok, const std::string& what) {
    if (!ok) throw std::invalid_argument(what);
  };
  require(c.layers >= 1 && c.layers <= 64, "layers must be 1..64, got " + std::to_string(c.layers));
  require(c.width >= 1 && c.width <= 65536,
          "width must be 1..65536, got " + std::to_string(c.width));
  require(c.epochs >= 1 && c.epochs <= 100000,
          "epochs must be 1..100000, got " + std::to_string(c.epochs));
  require(c.batch >= 1 && c.batch <= 65536,
          "batch must be 1..65536, got " + std::to_string(c.batch));
  require(c.lr >= 0 && std::isfinite(c.lr), "lr must be a finite positive number");
  std::ostringstream warmup;  // "3.5", as the flag was written
  warmup << c.warmup_epochs;
  require(std::isfinite(c.warmup_epochs) && c.warmup_epochs >= 0,
          "--warmup: must be a finite number of epochs from 0, got " + warmup.str());
  require(c.warmup_epochs <= c.epochs, "--warmup: must be at most the run's " +
                                           std::to_string(c.epochs) + " epochs (--epochs), got " +
                                           warmup.str());
  require(c.limit >= 0, "limit must be >= 0, got " + std::to_string(c.limit));
}

}  // namespace simdgrad::identity
