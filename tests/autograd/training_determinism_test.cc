// A full training step (forward, MSE, backward, RMSprop) gives bitwise the same weights after
// three steps with 1, 2 and 4 threads.
#include <catch2/catch.hpp>

#include <cstring>

#include "simdgrad/autograd/layers.h"
#include "simdgrad/autograd/ops.h"
#include "simdgrad/autograd/optimizers.h"
#include "simdgrad/threading.h"
#include "tests/support/random_parameter.h"

namespace simdgrad::testing {

namespace {
std::vector<Matrix<float>> train_three_steps(int threads) {
  set_num_threads(threads);
  autograd::Sequential<float> model;
  for (int i = 0; i < 4; ++i) model.add_dense(784, 784, Activation::kRelu);
  autograd::Random rng(3);
  model.initialize(autograd::Initializer::kGlorotUniform, rng);
  autograd::Rmsprop<float> optimizer(model.parameters());
  auto data = random_parameter<float>("data", 128, 784, 4, 0, 255);
  autograd::Tape<float> tape;
  for (int step = 0; step < 3; ++step) {
    tape.reset();
    auto x = tape.constant(data.value.view());
    tape.backward(autograd::mse_loss(model.forward(tape, x), x));
    optimizer.step();
    optimizer.zero_grad();
  }
  std::vector<Matrix<float>> weights;
  for (auto* p : model.parameters()) weights.push_back(p->value);
  return weights;
}
}  // namespace

TEST_CASE("training gives bitwise identical weights for 1, 2 and 4 threads", "[autograd]") {
  const int saved = num_threads();
  const auto reference = train_three_steps(1);
  for (int threads : {2, 4}) {
    const auto weights = train_three_steps(threads);
    REQUIRE(last_team_size() == threads);
    REQUIRE(weights.size() == reference.size());
    for (size_t i = 0; i < weights.size(); ++i) {
      INFO(threads << " threads, parameter " << i);
      REQUIRE(std::memcmp(weights[i].data(), reference[i].data(),
                          weights[i].size() * sizeof(float)) == 0);
    }
  }
  set_num_threads(saved);
}

}  // namespace simdgrad::testing
