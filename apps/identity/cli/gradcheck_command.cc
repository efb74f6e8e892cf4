// identity gradcheck: the app's own model (same builder, same ops, same loss) in double at a
// narrow width, every parameter element checked against central differences.
#include <cstdio>

#include "apps/identity/cli/commands.h"
#include "apps/identity/training/model.h"
#include "simdgrad/autograd/gradcheck.h"

namespace simdgrad::identity {

int run_gradcheck(const GradcheckCommandOptions& options) {
  TrainConfig config;
  config.layers = options.layers;
  config.width = options.width;
  config.seed = options.seed;
  config.output_activation = options.output_activation;
  validate(config);
  const size_t pixels = size_t(options.width);  // a narrow stand-in for the 784 pixels
  autograd::Random rng(options.seed);
  autograd::Sequential<double> model = make_model<double>(config, pixels, rng);
  // Random "images" of raw 0..255 pixels, a quarter of them 0 as in MNIST.
  Matrix<double> images(5, pixels);
  for (size_t i = 0; i < images.size(); ++i) {
    images.data()[i] = rng.uniform() < 0.25 ? 0.0 : rng.uniform(0.0, 255.0);
  }
  const auto report = autograd::gradcheck<double>(
      [&](autograd::Tape<double>& tape, const std::vector<autograd::Var<double>>&) {
        autograd::Var<double> x = tape.constant(images.view());
        return autograd::mse_loss(model.forward(tape, x), x);
      },
      model.parameters());
  std::printf("identity gradcheck: %d x Dense(%d), %s output, MSE on raw pixels, double\n",
              options.layers, options.width, to_string(options.output_activation).c_str());
  std::printf("%s", report.to_string().c_str());
  return report.passed ? 0 : 1;
}

}  // namespace simdgrad::identity
