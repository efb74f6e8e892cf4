// The tape's lifetime rules, gradient accumulation, NoGrad, and zero allocations per step.
#include <catch2/catch.hpp>

#include "simdgrad/autograd/layers.h"
#include "simdgrad/autograd/ops.h"
#include "simdgrad/autograd/optimizers.h"
#include "simdgrad/aligned_memory.h"
#include "simdgrad/elementwise.h"
#include "tests/support/operator_new_counter.h"
#include "tests/support/random_parameter.h"

namespace simdgrad::testing {

using autograd::Parameter;
using autograd::Tape;
using autograd::Var;

TEST_CASE("a Var used after reset throws, naming both steps", "[autograd]") {
  Tape<double> tape;
  auto x = random_parameter<double>("x", 2, 2, 1);
  Var<double> v = autograd::relu(tape.parameter(x));
  tape.reset();
  REQUIRE_THROWS_WITH(v.value(),
                      "autograd: Var recorded before the last Tape::reset() (step 1, tape is at "
                      "step 2)");
}

TEST_CASE("a second backward without reset throws", "[autograd]") {
  Tape<double> tape;
  auto x = random_parameter<double>("x", 2, 2, 1);
  Var<double> loss = autograd::sum(tape.parameter(x));
  tape.backward(loss);
  REQUIRE_THROWS_WITH(tape.backward(loss), "autograd: backward() already ran on this tape; call "
                                           "reset() before the next step");
}

TEST_CASE("backward needs a 1x1 loss", "[autograd]") {
  Tape<double> tape;
  auto x = random_parameter<double>("x", 2, 3, 1);
  REQUIRE_THROWS_WITH(tape.backward(autograd::relu(tape.parameter(x))),
                      "autograd: backward() needs a 1x1 loss, got 2x3");
}

TEST_CASE("gradients accumulate when a value feeds several ops", "[autograd]") {
  Tape<double> tape;
  auto x = random_parameter<double>("x", 3, 4, 2);
  Var<double> v = tape.parameter(x);
  Var<double> h = autograd::scale(v, 1.0);  // a non-leaf used three times
  tape.backward(autograd::sum(h * h + h));
  for (size_t i = 0; i < x.value.size(); ++i) {
    REQUIRE(x.grad.data()[i] == Approx(2.0 * x.value.data()[i] + 1.0).epsilon(1e-15));
  }
}

TEST_CASE("parameter gradients accumulate across steps until zero_grad", "[autograd]") {
  Tape<double> tape;
  auto x = random_parameter<double>("x", 2, 2, 3);
  autograd::Sgd<double> sgd({&x}, 0.0);
  for (int step = 1; step <= 2; ++step) {
    tape.reset();
    tape.backward(autograd::sum(tape.parameter(x)));
    REQUIRE(x.grad(1, 1) == double(step));
  }
  sgd.zero_grad();
  REQUIRE(x.grad(1, 1) == 0.0);
}

TEST_CASE("under NoGrad ops compute results but record no nodes", "[autograd]") {
  Tape<float> tape;
  auto x = random_parameter<float>("x", 4, 4, 4);
  {
    autograd::NoGrad<float> no_grad(tape);
    Var<float> y = autograd::relu(autograd::scale(tape.parameter(x), 2.0f));
    REQUIRE(tape.node_count() == 0);
    REQUIRE_FALSE(y.requires_grad());
    REQUIRE(y.value()(1, 2) == std::max(2.0f * x.value(1, 2), 0.0f));
  }
  REQUIRE(tape.grad_enabled());
  autograd::relu(tape.parameter(x));
  REQUIRE(tape.node_count() == 1);
}

TEST_CASE("a training step allocates nothing on the heap after its first", "[autograd]") {
  autograd::Sequential<float> model;
  for (int i = 0; i < 3; ++i) model.add_dense(96, 96, Activation::kRelu);
  autograd::Random rng(5);
  model.initialize(autograd::Initializer::kGlorotUniform, rng);
  autograd::Rmsprop<float> optimizer(model.parameters());
  auto data = random_parameter<float>("data", 64, 96, 6, 0, 255);
  Tape<float> tape;
  auto step = [&] {
    tape.reset();
    Var<float> x = tape.constant(data.value.view());
    Var<float> loss = autograd::mse_loss(model.forward(tape, x), x);
    autograd::mape(model.forward(tape, x), x);  // the metric too
    tape.backward(loss);
    optimizer.step();
    optimizer.zero_grad();
  };
  step();
  const auto arena_before = tape.arena_stats();
  const size_t news_before = operator_new_count();
  const size_t aligned_before = aligned_allocation_count();
  for (int i = 0; i < 3; ++i) step();
  const size_t news = operator_new_count() - news_before;
  const size_t aligned = aligned_allocation_count() - aligned_before;
  REQUIRE(news == 0);
  REQUIRE(aligned == 0);
  REQUIRE(tape.arena_stats().system_allocations == arena_before.system_allocations);
  REQUIRE(tape.arena_stats().blocks >= 1);
}

}  // namespace simdgrad::testing
