// The gradient checker itself: it catches a wrong backward, refuses checks that cannot fail,
// reports kinks as skipped, and scales to a 128x784 linear layer with directional checks.
#include <catch2/catch.hpp>

#include <cmath>
#include <iostream>

#include "simdgrad/autograd/gradcheck.h"
#include "simdgrad/autograd/layers.h"
#include "simdgrad/autograd/ops.h"
#include "simdgrad/elementwise.h"
#include "tests/support/gradcheck_strength.h"
#include "tests/support/random_parameter.h"

namespace simdgrad::testing {
namespace {

using autograd::gradcheck;
using autograd::GradcheckOptions;
using autograd::Node;
using autograd::Parameter;
using autograd::Tape;
using autograd::Var;
using Inputs = std::vector<Var<double>>;

// y = 2x with a deliberately wrong backward (3g instead of 2g), registered like any user op.
Var<double> doubled_with_wrong_backward(Var<double> x) {
  Tape<double>& tape = x.tape();
  MatrixView<double> out = tape.allocate(x.rows(), x.cols());
  scale<double>(2.0, x.value(), out);
  Node<double>* node;
  Var<double> y = tape.record(out, {x}, &node);
  if (node) {
    node->backward = [](Tape<double>& t, const Node<double>& n) {
      t.accumulate(n.inputs[0],
                   [&](MatrixView<double> dst) { scale<double>(3.0, t.grad(n.output), dst); });
    };
  }
  return y;
}

}  // namespace

TEST_CASE("gradcheck catches a deliberately wrong backward", "[gradcheck]") {
  auto x = random_parameter<double>("x", 3, 4, 1);
  const auto report = gradcheck<double>(
      [](Tape<double>&, const Inputs& in) {
        return autograd::sum(autograd::square(doubled_with_wrong_backward(in[0])));
      },
      {&x});
  INFO(report.to_string());
  REQUIRE_FALSE(report.passed);
  REQUIRE(report.failure == "gradients disagree");
  REQUIRE(report.inputs[0].failures == 12);
  // d/dx sum((2x)^2) = 8x; the wrong backward gives 12x.
  const size_t worst = report.inputs[0].worst_index;
  REQUIRE(report.inputs[0].numeric == Approx(8.0 * x.value.data()[worst]).epsilon(1e-6));
  REQUIRE(report.inputs[0].analytic == Approx(12.0 * x.value.data()[worst]).epsilon(1e-12));
}

TEST_CASE("gradcheck fails a check whose gradients are all zero", "[gradcheck]") {
  auto x = random_parameter<double>("x", 4, 5, 2, -2.0, -1.0);  // every ReLU is off
  const auto report = gradcheck<double>(
      [](Tape<double>&, const Inputs& in) { return autograd::sum(autograd::relu(in[0])); }, {&x});
  REQUIRE_FALSE(report.passed);
  REQUIRE(report.failure ==
          "every analytic and numeric gradient is zero: this check could not have failed");
}

TEST_CASE("gradcheck reports elements at a ReLU kink as skipped, not failed", "[gradcheck]") {
  auto x = random_parameter<double>("x", 2, 3, 3, 0.5, 1.0);
  x.value(0, 1) = 2e-7;   // within eps = 1e-6 of the kink
  x.value(1, 2) = -5e-7;  // likewise, on the other side
  const auto report = gradcheck<double>(
      [](Tape<double>&, const Inputs& in) {
        return autograd::sum(autograd::square(autograd::relu(in[0])));
      },
      {&x});
  INFO(report.to_string());
  REQUIRE(report.passed);
  REQUIRE(report.inputs[0].skipped_kinks == 2);
  REQUIRE(report.inputs[0].checked == 4);
}

TEST_CASE("gradcheck leaves the inputs' values and gradients as they were", "[gradcheck]") {
  auto x = random_parameter<double>("x", 3, 3, 4);
  fill(x.grad.view(), 0.25);
  const Matrix<double> before = x.value;
  gradcheck<double>(
      [](Tape<double>&, const Inputs& in) { return autograd::sum(autograd::tanh(in[0])); }, {&x});
  for (size_t i = 0; i < x.value.size(); ++i) {
    REQUIRE(x.value.data()[i] == before.data()[i]);
    REQUIRE(x.grad.data()[i] == 0.25);
  }
}

TEST_CASE("gradcheck keeps a gradient flagged zero flagged and still checks it", "[gradcheck]") {
  auto x = random_parameter<double>("x", 3, 3, 5);
  fill(x.grad.view(), 7.0);  // stale memory under the flag
  x.grad_is_zero = true;
  const auto report = gradcheck<double>(
      [](Tape<double>&, const Inputs& in) { return autograd::sum(autograd::tanh(in[0])); }, {&x});
  INFO(report.to_string());
  REQUIRE(report.passed);
  REQUIRE(x.grad_is_zero);
  REQUIRE(x.grad(2, 2) == 7.0);
}

TEST_CASE("directional gradcheck verifies a 128x784 linear layer", "[gradcheck]") {
  // Element by element this would take 2 x 700k forward passes of ~10^8 FLOP each.
  auto x = random_parameter<double>("x", 128, 784, 5, 0.0, 255.0);
  auto w = random_parameter<double>("weight", 784, 784, 6, -0.06, 0.06);
  auto b = random_parameter<double>("bias", 1, 784, 7);
  auto target = random_parameter<double>("target", 128, 784, 8, 0.0, 255.0);
  GradcheckOptions options;
  options.directional = true;
  options.directions = 3;
  const auto report = gradcheck<double>(
      [&](Tape<double>& tape, const Inputs& in) {
        return autograd::mse_loss(autograd::linear(in[0], in[1], in[2]),
                                  tape.constant(target.value.view()));
      },
      {&x, &w, &b}, options);
  INFO(report.to_string());
  REQUIRE(report.passed);
  for (const auto& r : report.inputs) REQUIRE(r.checked == 3);
}

TEST_CASE("gradcheck in float with float defaults passes a correct op", "[gradcheck]") {
  auto x = random_parameter<float>("x", 5, 6, 9);
  auto w = random_parameter<float>("weight", 4, 6, 10);
  auto b = random_parameter<float>("bias", 1, 4, 11);
  const auto report = gradcheck<float>(
      [](Tape<float>&, const std::vector<Var<float>>& in) {
        return autograd::mean(autograd::tanh(autograd::linear(in[0], in[1], in[2])));
      },
      {&x, &w, &b});
  INFO(report.to_string());
  REQUIRE(report.passed);
}

TEST_CASE("a whole 4-layer ReLU MLP with MSE loss passes gradcheck", "[gradcheck]") {
  autograd::Sequential<double> model;
  for (int i = 0; i < 4; ++i) model.add_dense(6, 6, Activation::kRelu);
  autograd::Random rng(12);
  model.initialize(autograd::Initializer::kGlorotUniform, rng);
  for (auto* p : model.parameters()) {  // nonzero biases, so their gradients are exercised
    if (p->value.rows() == 1) {
      for (size_t i = 0; i < p->value.size(); ++i) p->value.data()[i] = rng.uniform(0.0, 0.2);
    }
  }
  auto x = random_parameter<double>("x", 5, 6, 13, 0.0, 1.0);
  auto target = random_parameter<double>("target", 5, 6, 14, 0.0, 1.0);
  std::vector<Parameter<double>*> inputs = model.parameters();
  inputs.push_back(&x);
  // The backward is made wrong at the model's output, so every layer's gradients are off.
  const auto report = check_and_require_sensitivity(
      [&](Tape<double>& tape, const Inputs& in) {
        // The model's parameters are the first inputs; forward() records them itself, so the
        // Vars gradcheck made for them are unused, and their gradients come from the model's.
        return autograd::mse_loss(model.forward(tape, in.back()),
                                  tape.constant(target.value.view()));
      },
      inputs);
  std::cout << "4-layer ReLU MLP (6 wide, batch 5), MSE loss:\n" << report.to_string();
  REQUIRE(report.inputs.size() == 9);
}

TEST_CASE("the error-estimate rule catches a 1e-6 error that PyTorch's tolerances pass",
          "[gradcheck]") {
  auto x = random_parameter<double>("x", 4, 5, 15);
  const autograd::GradcheckFunction<double> wrong = [](Tape<double>&, const Inputs& in) {
    return with_backward_error(autograd::tanh(in[0]), kDetectableError);
  };
  const auto strict = gradcheck<double>(wrong, {&x});
  const auto pytorch =
      gradcheck<double>(wrong, {&x}, GradcheckOptions::pytorch_tolerances<double>());
  INFO(strict.to_string() << pytorch.to_string());
  REQUIRE_FALSE(strict.passed);
  REQUIRE(strict.inputs[0].failures > 0);
  REQUIRE(pytorch.passed);
}

TEST_CASE("gradcheck reports the digits of agreement and the error it could have missed",
          "[gradcheck]") {
  auto x = random_parameter<double>("x", 3, 4, 16);
  const autograd::GradcheckFunction<double> f = [](Tape<double>&, const Inputs& in) {
    return autograd::sigmoid(in[0]);
  };
  const auto strict = gradcheck<double>(f, {&x});
  INFO(strict.to_string());
  REQUIRE(strict.passed);
  const auto& r = strict.inputs[0];
  // Double resolves a sigmoid's slopes to about 1e-10; agreement is at least what the check
  // allowed, and the resolution is far below the 1e-6 every test must catch.
  REQUIRE(r.agreement_digits >= -std::log10(r.resolution));
  REQUIRE(r.resolution < 1e-8);
  REQUIRE(r.resolution > 0);
  REQUIRE(r.allowed > 0);
  REQUIRE(r.abs_error <= r.allowed);
  // The tolerance rule reports agreement but no resolution of its own.
  const auto pytorch = gradcheck<double>(f, {&x}, GradcheckOptions::pytorch_tolerances<double>());
  REQUIRE(pytorch.passed);
  REQUIRE(pytorch.inputs[0].resolution == 0);
  REQUIRE(pytorch.inputs[0].agreement_digits > 5);
  REQUIRE(pytorch.inputs[0].allowed == Approx(1e-5 + 1e-3 * std::abs(pytorch.inputs[0].numeric)));
}

}  // namespace simdgrad::testing
