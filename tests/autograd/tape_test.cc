// The tape's lifetime rules, gradient accumulation, NoGrad, and zero allocations per step.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "simdgrad/aligned_memory.h"
#include "simdgrad/autograd/layers.h"
#include "simdgrad/autograd/ops.h"
#include "simdgrad/autograd/optimizers.h"
#include "simdgrad/elementwise.h"
#include "simdgrad/reductions.h"
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
  REQUIRE_THROWS_WITH(tape.backward(loss),
                      "autograd: backward() already ran on this tape; call "
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

TEST_CASE("after step_and_zero_grad the next backward overwrites each gradient exactly once",
          "[autograd]") {
  // w is used twice (two slots of one parameter), u not at all: both must come out as after
  // a zero_grad that wrote real zeros, bitwise.
  auto run = [](bool fused) {
    Tape<double> tape;
    auto w = random_parameter<double>("w", 3, 5, 11), x = random_parameter<double>("x", 4, 5, 12);
    auto u = random_parameter<double>("u", 2, 2, 13);
    autograd::Sgd<double> sgd({&w, &u}, 0.01);
    for (int step = 0; step < 3; ++step) {
      tape.reset();
      Var<double> a = autograd::matmul(tape.constant(x.value), tape.parameter(w), Transpose::kNo,
                                       Transpose::kYes);
      Var<double> b = autograd::matmul(tape.constant(x.value), tape.parameter(w), Transpose::kNo,
                                       Transpose::kYes);
      tape.parameter(u);
      tape.backward(autograd::sum(autograd::mul(a, b)));
      REQUIRE_FALSE(w.grad_is_zero);
      REQUIRE_FALSE(u.grad_is_zero);
      if (fused) {
        sgd.step_and_zero_grad();
        REQUIRE(w.grad_is_zero);
      } else {
        sgd.step();
        sgd.zero_grad();
      }
    }
    tape.reset();
    Var<double> a = autograd::matmul(tape.constant(x.value), tape.parameter(w), Transpose::kNo,
                                     Transpose::kYes);
    tape.parameter(u);
    tape.backward(autograd::sum(autograd::mul(a, a)));
    return std::vector<Matrix<double>>{w.value, w.grad, u.value, u.grad};
  };
  const auto plain = run(false), fused = run(true);
  for (size_t i = 0; i < plain.size(); ++i) {
    INFO("tensor " << i);
    REQUIRE(std::memcmp(plain[i].data(), fused[i].data(), plain[i].size() * sizeof(double)) == 0);
  }
  REQUIRE(fused[3](1, 1) == 0.0);  // u: no contribution, real zeros after backward
}

TEST_CASE("a plain step after step_and_zero_grad sees a zero gradient", "[autograd]") {
  Parameter<double> p("p", 1, 2);
  autograd::Sgd<double> sgd({&p}, 0.5, 0.9);
  p.grad(0, 0) = 2.0;
  sgd.step_and_zero_grad();
  const double after_first = p.value(0, 0);
  REQUIRE(after_first == -1.0);
  p.grad(0, 1) = 123.0;  // stale memory under the zero flag must not be read
  sgd.step();            // momentum only: v = 0.9 * -1
  REQUIRE(p.value(0, 0) == Approx(after_first - 0.9));
  REQUIRE(p.value(0, 1) == 0.0);
  REQUIRE_FALSE(p.grad_is_zero);
  REQUIRE(p.grad(0, 1) == 0.0);
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

TEST_CASE("backward reports each parameter's gradient as final, last layer first", "[autograd]") {
  autograd::Sequential<double> model;
  for (int i = 0; i < 3; ++i) model.add_dense(7, 7, Activation::kRelu);
  autograd::Random rng(8);
  model.initialize(autograd::Initializer::kGlorotUniform, rng);
  auto data = random_parameter<double>("data", 5, 7, 9, 0, 1);
  autograd::Parameter<double> unused("unused", 1, 7);  // on the tape, read by nothing
  unused.grad_is_zero = true;
  Tape<double> tape;
  Var<double> x = tape.constant(data.value.view());
  tape.parameter(unused);
  Var<double> loss = autograd::mse_loss(model.forward(tape, x), x);
  std::vector<std::string> order;
  std::vector<Matrix<double>> at_release;
  std::vector<bool> zero_flag;
  tape.backward(loss, [&](autograd::Parameter<double>& p) {
    order.push_back(p.name);
    zero_flag.push_back(p.grad_is_zero);
    at_release.emplace_back(p.grad.rows(), p.grad.cols());
    copy<double>(p.grad, at_release.back());
  });
  // Each Dense's backward makes its weight and bias gradients together; the unused parameter
  // is released last, flagged zero.
  const std::vector<std::string> want = {"dense_2.weight", "dense_2.bias",   "dense_1.weight",
                                         "dense_1.bias",   "dense_0.weight", "dense_0.bias",
                                         "unused"};
  REQUIRE(std::is_permutation(order.begin(), order.begin() + 2, want.begin()));
  REQUIRE(std::is_permutation(order.begin() + 2, order.begin() + 4, want.begin() + 2));
  REQUIRE(std::is_permutation(order.begin() + 4, order.begin() + 6, want.begin() + 4));
  REQUIRE(order.back() == "unused");
  REQUIRE(zero_flag.back());
  // What each callback saw is the gradient backward() ends with, to the bit.
  auto params = model.parameters();
  for (size_t i = 0; i + 1 < order.size(); ++i) {
    const auto* p =
        *std::find_if(params.begin(), params.end(), [&](auto* q) { return q->name == order[i]; });
    INFO(order[i]);
    REQUIRE_FALSE(zero_flag[i]);
    REQUIRE(std::memcmp(at_release[i].data(), p->grad.data(), p->grad.size() * sizeof(double)) ==
            0);
  }
  REQUIRE(sum_squares<double>(unused.grad) == 0);
}

}  // namespace simdgrad::testing
