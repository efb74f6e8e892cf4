// The training loop shown in docs/autograd.md, compiled and run, so the docs cannot rot.
#include <catch2/catch.hpp>

#include "simdgrad/autograd/layers.h"
#include "simdgrad/autograd/ops.h"
#include "simdgrad/autograd/optimizers.h"
#include "tests/support/random_parameter.h"

namespace simdgrad::testing {

TEST_CASE("the docs' MLP training loop lowers the loss", "[autograd]") {
  using namespace simdgrad::autograd;
  const auto data = random_parameter<float>("data", 4 * 32, 64, 9, 0, 255);
  auto next_batch = [&, i = 0]() mutable {
    return MatrixView<const float>(data.value.view()).block(32 * (i++ % 4), 0, 32, 64);
  };
  const int steps = 40;
  float first_loss = 0, last_loss = 0;

  // --- as in docs/autograd.md (784 -> 64 for a fast test) ---
  Sequential<float> model;
  for (int i = 0; i < 4; ++i) model.add_dense(64, 64, Activation::kRelu);
  Random rng(42);
  model.initialize(Initializer::kGlorotUniform, rng);
  Rmsprop<float> optimizer(model.parameters());  // Keras defaults: lr 1e-3, rho 0.9, eps 1e-7
  Tape<float> tape;
  for (int step = 0; step < steps; ++step) {
    MatrixView<const float> batch = next_batch();
    tape.reset();  // forgets the last step's values, keeps the memory
    Var<float> x = tape.constant(batch);
    Var<float> loss = mse_loss(model.forward(tape, x), x);  // identity: the target is the input
    tape.backward(loss);
    optimizer.step();
    optimizer.zero_grad();
    // --- end of the docs' loop ---
    if (step < 4) first_loss += loss.value()(0, 0) / 4;
    if (step >= steps - 4) last_loss += loss.value()(0, 0) / 4;
  }
  REQUIRE(last_loss < 0.7f * first_loss);
}

}  // namespace simdgrad::testing
