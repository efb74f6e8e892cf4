#include "apps/identity/training/model.h"

namespace simdgrad::identity {

template <class T>
autograd::Sequential<T> make_model(const TrainConfig& config, size_t pixels,
                                   autograd::Random& rng) {
  autograd::Sequential<T> model;
  size_t in = pixels;
  for (int l = 0; l < config.layers; ++l) {
    const bool last = l + 1 == config.layers;
    const size_t out = last ? pixels : size_t(config.width);
    model.add_dense(in, out, last ? config.output_activation : Activation::kRelu);
    in = out;
  }
  model.initialize(config.init, rng);
  return model;
}

template <class T>
std::unique_ptr<autograd::Optimizer<T>> make_optimizer(
    const TrainConfig& config, std::vector<autograd::Parameter<T>*> params) {
  const T lr = T(learning_rate(config));
  switch (config.optimizer) {
    case OptimizerKind::kRmsprop:
      return std::make_unique<autograd::Rmsprop<T>>(params, lr);
    case OptimizerKind::kAdam:
      return std::make_unique<autograd::Adam<T>>(params, lr);
    case OptimizerKind::kSgd:
      return std::make_unique<autograd::Sgd<T>>(params, lr);
  }
  return nullptr;
}

template autograd::Sequential<float> make_model<float>(const TrainConfig&, size_t,
                                                       autograd::Random&);
template autograd::Sequential<double> make_model<double>(const TrainConfig&, size_t,
                                                         autograd::Random&);
template std::unique_ptr<autograd::Optimizer<float>> make_optimizer<float>(
    const TrainConfig&, std::vector<autograd::Parameter<float>*>);
template std::unique_ptr<autograd::Optimizer<double>> make_optimizer<double>(
    const TrainConfig&, std::vector<autograd::Parameter<double>*>);

}  // namespace simdgrad::identity
